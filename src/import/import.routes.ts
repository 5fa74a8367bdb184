import express from 'express';
import { GraphQLError } from 'graphql';
import { z } from 'zod';
import type { Principal } from '../auth/principal';
import { actorOf } from '../auth/actor';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../observability/logger';
import type { Services } from '../services';
import { ImportFormat } from './document';

const FORMATS: Record<string, ImportFormat> = { csv: ImportFormat.CSV, ldif: ImportFormat.LDIF, scim: ImportFormat.SCIM, json: ImportFormat.FERRY_JSON, ferry_json: ImportFormat.FERRY_JSON };

const flag = z.enum(['true', 'false']).default('false').transform((value) => value === 'true');

const queryShape = z.object({
  organizationId: z.string().uuid(),
  format: z.string().transform((value, context) => {
    const format = FORMATS[value.toLowerCase()];
    if (!format) context.addIssue({ code: z.ZodIssueCode.custom, message: 'csv, ldif, scim or json' });
    return format;
  }),
  matchBy: z.string().regex(/^[A-Za-z][A-Za-z0-9._-]{0,63}$/).default('uid'),
  dryRun: flag,
  removeMissing: flag,
  allOrNothing: flag,
});

const STATUS: Record<string, number> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404, BAD_USER_INPUT: 400, BAD_REQUEST: 400, TOO_MANY_REQUESTS: 429, PAYLOAD_TOO_LARGE: 413 };

export interface ImportRoutesDependencies {
  orm: MikroORM;
  services: Services;
  logger: Logger;
  authenticate: (token: string | undefined, address: string) => Promise<Principal>;
  bearer: (header: string | undefined) => string | undefined;
  maxBytes: number;
}

/**
 * `POST /imports?organizationId=…&format=csv|ldif|scim|json[&matchBy=uid][&dryRun=true][&removeMissing=true][&allOrNothing=true]`
 * with the file as the body (any content type, up to FERRY_MAX_IMPORT_BYTES) and the same bearer
 * token as the API: for files past the GraphQL body limit, and for the CLI. It answers 202 with
 * the queued run (as importPopulation does); errors come as `{ errors: [{ message, extensions: { code } }] }`.
 */
export function importRoutes(deps: ImportRoutesDependencies): express.Router {
  const router = express.Router();
  router.post('/imports', express.raw({ type: () => true, limit: deps.maxBytes }), async (req, res) => {
    let principal: Principal | null = null;
    try {
      principal = await deps.authenticate(deps.bearer(req.headers.authorization), req.socket.remoteAddress ?? 'unknown');
      const query = queryShape.safeParse(req.query);
      if (!query.success) {
        throw new GraphQLError(`Invalid import: ${query.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}.`, { extensions: { code: 'BAD_USER_INPUT' } });
      }
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      let document: string;
      try {
        document = new TextDecoder('utf-8', { fatal: true }).decode(body);
      } catch {
        throw new GraphQLError('The file is not valid UTF-8: save it as UTF-8 and send it again.', { extensions: { code: 'BAD_REQUEST' } });
      }
      if (document.length === 0) throw new GraphQLError('The file is empty.', { extensions: { code: 'BAD_USER_INPUT' } });
      const run = await deps.services.imports.start(actorOf(principal, deps.orm.em, deps.logger), { ...query.data, document });
      await deps.services.audit.recordAction(principal, 'importPopulation', { ...query.data, bytes: body.length }, run.organizationId, null);
      const { id, organizationId, format, matchBy, dryRun, removeMissing, allOrNothing, state, jobId, createdAt } = run;
      res.status(202).json({ importRun: { id, organizationId, format, matchBy, dryRun, removeMissing, allOrNothing, state, jobId, createdAt } });
    } catch (error) {
      const code = error instanceof GraphQLError && typeof error.extensions.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR';
      if (code === 'INTERNAL_SERVER_ERROR') deps.logger.error({ err: error }, 'import upload failed');
      if (principal && code !== 'INTERNAL_SERVER_ERROR') await deps.services.audit.recordAction(principal, 'importPopulation', { ...req.query }, null, code);
      res.status(STATUS[code] ?? 500).json({ errors: [{ message: code === 'INTERNAL_SERVER_ERROR' ? 'Internal error. It was logged.' : (error as Error).message, extensions: { code } }] });
    }
  });
  router.use('/imports', (error: { type?: string }, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (error?.type !== 'entity.too.large') return next(error);
    res.status(413).json({ errors: [{ message: `The file is larger than ${deps.maxBytes} bytes (FERRY_MAX_IMPORT_BYTES).`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
  });
  return router;
}
