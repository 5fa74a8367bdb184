import { createHash } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type express from 'express';
import { getOperationAST, parse, type ParseOptions } from 'graphql';
import type { Principal } from '../auth/principal';

/** How long a key is remembered; older rows are deleted when a new key is written. */
export const IDEMPOTENCY_KEY_TTL_HOURS = 24;
const VALID_KEY = /^[\x20-\x7e]{1,200}$/;

interface StoredKey {
  id: string;
  request_hash: string;
  response_status: number | null;
  response_body: string | null;
  committed_at: Date | null;
}

const refuse = (res: express.Response, status: number, code: string, message: string) =>
  void res.status(status).json({ errors: [{ message, extensions: { code } }] });

/**
 * `Idempotency-Key` on a mutation: the first request reserves the key (per token) and runs; its
 * response is stored before it is sent, and a repeat with the same key and the same request gets
 * that response again without running. The same key with another request is refused. Queries
 * ignore the header. `res.locals.idempotencyKeyId` tells the request context which row to mark
 * in the transaction that commits the mutation's changes.
 */
export function idempotencyMiddleware(options: {
  orm: MikroORM;
  parseOptions: ParseOptions;
  authenticate: (req: express.Request) => Promise<Principal | null>;
}) {
  const { orm } = options;
  return async (req: express.Request, res: express.Response, next: express.NextFunction) => {
    const key = req.headers['idempotency-key'];
    if (key === undefined || req.method !== 'POST') return next();
    if (typeof key !== 'string' || !VALID_KEY.test(key)) {
      return refuse(res, 400, 'BAD_REQUEST', 'The Idempotency-Key header must be 1 to 200 printable ASCII characters.');
    }
    const body = (req.body ?? {}) as { query?: unknown; operationName?: unknown; variables?: unknown };
    if (typeof body.query !== 'string') return next();
    try {
      const operation = getOperationAST(parse(body.query, options.parseOptions), typeof body.operationName === 'string' ? body.operationName : undefined);
      if (operation?.operation !== 'mutation') return next();
    } catch {
      return next(); // not GraphQL: Apollo answers with the error
    }
    const principal = await options.authenticate(req).catch(() => null);
    if (!principal) return next(); // Apollo refuses it as usual

    const hash = createHash('sha256')
      .update(JSON.stringify([body.query, body.operationName ?? null, body.variables ?? null]))
      .digest('hex');
    const em = orm.em.fork();
    await em.execute(`delete from "idempotency_key" where "created_at" < now() - interval '${IDEMPOTENCY_KEY_TTL_HOURS} hours'`);
    const inserted = (await em.execute(
      `insert into "idempotency_key" ("id", "token_id", "organization_id", "key", "request_hash", "created_at")
       values (gen_random_uuid(), ?, ?, ?, ?, now()) on conflict ("token_id", "key") do nothing returning "id"`,
      [principal.tokenId, principal.organizationId, key, hash],
    )) as { id: string }[];
    if (inserted.length === 0) {
      const [stored] = (await em.execute(
        `select "id", "request_hash", "response_status", "response_body", "committed_at" from "idempotency_key" where "token_id" = ? and "key" = ?`,
        [principal.tokenId, key],
      )) as StoredKey[];
      if (!stored) return refuse(res, 409, 'IDEMPOTENCY_KEY_IN_PROGRESS', 'A request with this Idempotency-Key is being processed; try again shortly.');
      if (stored.request_hash !== hash) {
        return refuse(res, 422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for a different request; use a new key for a new request.');
      }
      if (stored.response_status === null) {
        return refuse(
          res,
          409,
          'IDEMPOTENCY_KEY_IN_PROGRESS',
          stored.committed_at
            ? 'The request with this Idempotency-Key committed its changes, but its response was not stored (the server stopped); read the current state instead of retrying.'
            : 'A request with this Idempotency-Key is being processed; try again shortly.',
        );
      }
      res.status(stored.response_status).set('idempotent-replayed', 'true').type('application/json');
      res.send(stored.response_body ?? '');
      return;
    }
    const id = inserted[0].id;
    res.locals.idempotencyKeyId = id;
    // The response is stored before it leaves, so a repeat that follows it finds it.
    const send = res.send.bind(res);
    res.send = ((payload: unknown) => {
      void (async () => {
        try {
          const status = res.statusCode;
          const text = Buffer.isBuffer(payload) ? payload.toString('utf8') : String(payload);
          if (status >= 500) {
            // Nothing useful to replay: free the key unless the changes committed.
            await em.execute(`delete from "idempotency_key" where "id" = ? and "committed_at" is null`, [id]);
          } else await em.execute(`update "idempotency_key" set "response_status" = ?, "response_body" = ? where "id" = ?`, [status, text, id]);
        } catch {
          // Not JSON or the database is gone: the row stays reserved, and a repeat is told so.
        } finally {
          send(payload as never);
        }
      })();
      return res;
    }) as typeof res.send;
    next();
  };
}
