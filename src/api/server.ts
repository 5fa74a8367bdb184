import { isUtf8 } from 'node:buffer';
import http from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import type { MikroORM } from '@mikro-orm/postgresql';
import express from 'express';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Principal } from '../auth/principal';
import { tooManyRequests, unauthenticated } from '../common/errors';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { committedChanges, markIdempotentRequest } from '../db/transaction';
import { idempotencyMiddleware } from './idempotency';
import { importRoutes } from '../import/import.routes';
import { consoleRoutes } from '../console/console.routes';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { checkHealth } from '../observability/health';
import type { Services } from '../services';
import { createRequestContext, type RequestContext } from './context';
import { formatError } from './errors';
import { connectionRefusal } from '../live/connections';
import { formatLimitError, queryLimits, validateOverWebSocket } from './limits';
import { MAX_VARIABLES_DEPTH, nestsDeeperThan, unsafeTextError, variablesTooDeepMessage } from './input-text';
import type { Config } from '../config/config';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';

export interface HttpServerOptions {
  schema: GraphQLSchema;
  orm: MikroORM;
  services: Services;
  logger: Logger;
  metrics: Metrics;
  shutdownTimeoutMs: number;
  config: Config;
}

const bearer = (value: unknown): string | undefined => {
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(value.trim());
  return match ? match[1] : undefined;
};

/**
 * Automatic targets run "at once": a mutation's response waits until the lanes have applied the
 * changes it committed, so what the client reads next is already in the directory, but never
 * longer than FERRY_PROVISIONING_WAIT_MS (a slow target reports PENDING instead of holding the
 * response).
 */
function provisioningSettlePlugin(services: Services): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, operation }) {
          if (operation?.operation !== 'mutation') return;
          const changes = committedChanges(contextValue.em);
          if (changes.length > 0) await services.engine.settle(changes.map((change) => change.seq), { organizationIds: changes.map((change) => change.organizationId) });
        },
      };
    },
  };
}

/** Refuses NUL and half surrogate pairs before execution (see input-text.ts). */
function textSafetyPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          const error = unsafeTextError(document, request.variables as Record<string, unknown> | undefined);
          if (error) throw error;
        },
      };
    },
  };
}

/** Every mutation, allowed or not, leaves an audit entry once its response is ready. */
function auditPlugin(services: Services): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, operation, request, errors, response }) {
          if (operation?.operation !== 'mutation' || !contextValue.principal) return;
          const body = response.body.kind === 'single' ? response.body.singleResult : null;
          const code = (errors ?? body?.errors ?? [])[0]?.extensions?.code;
          await services.audit.record({
            principal: contextValue.principal,
            operation,
            variables: (request.variables ?? {}) as Record<string, unknown>,
            changes: committedChanges(contextValue.em),
            errorCode: typeof code === 'string' ? code : null,
          });
        },
      };
    },
  };
}

function metricsPlugin(metrics: Metrics): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      const end = metrics.graphqlDuration.startTimer();
      return {
        async willSendResponse({ operation, errors }) {
          const type = operation?.operation ?? 'unknown';
          end({ type });
          metrics.graphqlOperations.inc({ type, outcome: errors?.length ? 'error' : 'ok' });
        },
      };
    },
  };
}

const INVALID_UTF8 = 'entity.encoding.invalid';

/**
 * The JSON body parser would decode invalid UTF-8 to U+FFFD and store that: a body in UTF-8 (the
 * default, and what every client sends) must be valid UTF-8 down to the byte, or it is refused.
 */
function strictUtf8(_req: unknown, _res: unknown, body: Buffer, encoding: string | null): void {
  if (encoding !== null && encoding !== 'utf-8' && encoding !== 'utf8') return;
  if (!isUtf8(body)) throw Object.assign(new Error('The request body is not valid UTF-8.'), { type: INVALID_UTF8 });
}

/** Variables nested thousands of levels deep are refused before anything walks them recursively. */
function refuseDeepBodies(req: express.Request, res: express.Response, next: express.NextFunction): void {
  // The body is one level above the variables.
  if (nestsDeeperThan(req.body, MAX_VARIABLES_DEPTH + 1)) {
    res.status(400).json({ errors: [{ message: variablesTooDeepMessage, extensions: { code: 'BAD_REQUEST' } }] });
    return;
  }
  next();
}

/** Express with `/graphql` (HTTP and graphql-ws on the same port), the console at `/console/`, `/healthz` and `/metrics`. */
export async function createHttpServer(options: HttpServerOptions) {
  const { schema, orm, services, logger, metrics, config } = options;
  const limits = queryLimits(config);
  const app = express();
  const httpServer = http.createServer(app);

  // Failed attempts per client address: past the limit, the address is refused for a while
  // without its tokens even being looked at (guessing stays pointless, and cheap for Ferry).
  const failures = new RateLimiterMemory({ points: config.FERRY_AUTH_FAILURES_PER_MINUTE, duration: 60, blockDuration: 60 });
  const authenticate = async (token: string | undefined, address: string): Promise<Principal> => {
    const record = await failures.get(address);
    if (record && record.consumedPoints >= config.FERRY_AUTH_FAILURES_PER_MINUTE) {
      throw tooManyRequests(Math.max(1, Math.ceil(record.msBeforeNext / 1000)));
    }
    const principal = await services.apiTokens.authenticate(orm.em.fork(), token);
    if (!principal) {
      await failures.penalty(address, 1);
      throw unauthenticated();
    }
    return principal;
  };

  // A WebSocket message may be as large as an HTTP body (ws's own default is 100 MiB).
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: config.FERRY_MAX_BODY_BYTES });
  const formatErrors = formatError(logger);
  const format: typeof formatErrors = (formatted, error) => formatErrors(formatLimitError(formatted), error);
  const formatAll = (errors: readonly GraphQLError[]) => errors.map((error) => format(error.toJSON(), error));
  const wsCleanup = useServer<Record<string, unknown>, { principal?: Principal }>(
    {
      schema,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const token = bearer(params.authorization ?? params.Authorization) ?? (params.token as string | undefined);
        try {
          const principal = await authenticate(token, ctx.extra.request.socket.remoteAddress ?? 'unknown');
          ctx.extra.principal = principal;
          services.live.connections.add(principal.tokenId, ctx.extra.socket);
          return true;
        } catch (error) {
          // Closed here with a code and a reason naming the problem (graphql-ws alone would say
          // "Forbidden"); its own close after `false` is then a no-op.
          const code = error instanceof GraphQLError ? error.extensions.code : undefined;
          const refusal = connectionRefusal(
            code === 'TOO_MANY_REQUESTS'
              ? { retryAfterSeconds: Number((error as GraphQLError).extensions.retryAfterSeconds) }
              : code === 'UNAUTHENTICATED'
                ? { token: token ? 'refused' : 'missing' }
                : { unavailable: true },
          );
          if (code !== 'UNAUTHENTICATED' && code !== 'TOO_MANY_REQUESTS') logger.warn({ err: error }, 'checking the token of a WebSocket connection failed');
          ctx.extra.socket.close(refusal.code, refusal.reason);
          return false;
        }
      },
      onClose: (ctx) => {
        const principal = ctx.extra.principal;
        if (principal) services.live.connections.remove(principal.tokenId, ctx.extra.socket);
      },
      context: (ctx) => createRequestContext(ctx.extra.principal!, orm.em, services, logger),
      onSubscribe: (_ctx, _id, payload) => {
        const checked = validateOverWebSocket(schema, limits.validationRules, limits.parseOptions, payload, limits.maxCost);
        return Array.isArray(checked) ? formatAll(checked as GraphQLError[]).map((e) => new GraphQLError(e.message, { extensions: e.extensions })) : (checked as never);
      },
      // Errors over WebSocket leave with the same codes and masking as over HTTP.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors?.length ? { ...result, errors: formatAll(result.errors) } : undefined,
      onError: (_ctx, _id, _payload, errors) => formatAll(errors) as unknown as GraphQLError[],
    },
    wsServer,
  );

  const apollo = new ApolloServer<RequestContext>({
    schema,
    formatError: format,
    includeStacktraceInErrorResponses: false,
    parseOptions: limits.parseOptions,
    allowBatchedHttpRequests: false,
    introspection: config.introspection,
    validationRules: limits.validationRules,
    // main.ts owns the signals: it drains HTTP, then closes the database and PostgreSQL in order.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: options.shutdownTimeoutMs }),
      { async serverWillStart() { return { async drainServer() { await wsCleanup.dispose(); } }; } },
      ...limits.plugins,
      ...(config.landingPage ? [] : [ApolloServerPluginLandingPageDisabled()]),
      // No HTTP cache hints are used; the default cache-control plugin hooked every field resolution.
      ApolloServerPluginCacheControlDisabled(),
      textSafetyPlugin(),
      provisioningSettlePlugin(services),
      auditPlugin(services),
      metricsPlugin(metrics),
    ],
  });
  await apollo.start();

  app.get('/healthz', async (_req, res) => {
    const { healthy, report, error } = await checkHealth(orm);
    if (!healthy) logger.warn({ err: error }, 'health check failed');
    res.status(healthy ? 200 : 503).json(report);
  });

  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  app.use(consoleRoutes());

  app.use(importRoutes({ orm, services, logger, authenticate, bearer, maxBytes: config.FERRY_MAX_IMPORT_BYTES }));

  app.use(
    '/graphql',
    express.json({ limit: config.FERRY_MAX_BODY_BYTES, verify: strictUtf8 }),
    refuseDeepBodies,
    idempotencyMiddleware({
      orm,
      parseOptions: limits.parseOptions,
      authenticate: (req) => authenticate(bearer(req.headers.authorization), req.socket.remoteAddress ?? 'unknown'),
    }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        try {
          const principal = await authenticate(bearer(req.headers.authorization), req.socket.remoteAddress ?? 'unknown');
          const context = createRequestContext(principal, orm.em, services, logger);
          if (typeof res.locals.idempotencyKeyId === 'string') markIdempotentRequest(context.em, res.locals.idempotencyKeyId);
          return context;
        } catch (error) {
          if (error instanceof GraphQLError) {
            const limited = error.extensions.code === 'TOO_MANY_REQUESTS';
            const http = limited
              ? { status: 429, headers: new Map([['retry-after', String(error.extensions.retryAfterSeconds)]]) }
              : { status: 401 };
            throw new GraphQLError(error.message, { extensions: { ...error.extensions, http } });
          }
          throw error;
        }
      },
    }),
  );

  // A body over the limit (or not JSON) answers like every other GraphQL error, with a code.
  app.use('/graphql', (error: { type?: string; status?: number }, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (error?.type === 'entity.too.large') {
      res.status(413).json({ errors: [{ message: `The request body is larger than ${config.FERRY_MAX_BODY_BYTES} bytes.`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
      return;
    }
    if (error?.type === INVALID_UTF8) {
      res.status(400).json({ errors: [{ message: 'The request body is not valid UTF-8.', extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
    if (error?.type === 'entity.parse.failed') {
      res.status(400).json({ errors: [{ message: 'The request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
    next(error);
  });

  return {
    httpServer,
    async stop(): Promise<void> {
      await apollo.stop();
    },
  };
}
