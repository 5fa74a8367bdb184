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
import { unauthenticated } from '../common/errors';
import { lastCommittedSeq } from '../db/transaction';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { Services } from '../services';
import { createRequestContext, type RequestContext } from './context';
import { formatError } from './errors';

export interface HttpServerOptions {
  schema: GraphQLSchema;
  orm: MikroORM;
  services: Services;
  logger: Logger;
  metrics: Metrics;
  shutdownTimeoutMs: number;
}

const bearer = (value: unknown): string | undefined => {
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(value.trim());
  return match ? match[1] : undefined;
};

/**
 * Automatic targets run "at once": a mutation's response waits until the engine has applied the
 * changes it committed, so what the client reads next is already in the directory.
 */
function provisioningSettlePlugin(services: Services): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, operation }) {
          if (operation?.operation !== 'mutation') return;
          const seq = lastCommittedSeq(contextValue.em);
          if (seq) await services.engine.settle(seq);
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

/** Express with `/graphql` (HTTP and graphql-ws on the same port), `/healthz` and `/metrics`. */
export async function createHttpServer(options: HttpServerOptions) {
  const { schema, orm, services, logger, metrics } = options;
  const app = express();
  const httpServer = http.createServer(app);

  const authenticate = async (token: string | undefined): Promise<Principal> => {
    const principal = await services.apiTokens.authenticate(orm.em.fork(), token);
    if (!principal) throw unauthenticated();
    return principal;
  };

  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const format = formatError(logger);
  const formatAll = (errors: readonly GraphQLError[]) => errors.map((error) => format(error.toJSON(), error));
  const wsCleanup = useServer<Record<string, unknown>, { principal?: Principal }>(
    {
      schema,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const token = bearer(params.authorization ?? params.Authorization) ?? (params.token as string | undefined);
        try {
          const principal = await authenticate(token);
          ctx.extra.principal = principal;
          services.live.connections.add(principal.tokenId, ctx.extra.socket);
          return true;
        } catch {
          return false;
        }
      },
      onClose: (ctx) => {
        const principal = ctx.extra.principal;
        if (principal) services.live.connections.remove(principal.tokenId, ctx.extra.socket);
      },
      context: (ctx) => createRequestContext(ctx.extra.principal!, orm.em, services, logger),
      // Errors over WebSocket leave with the same codes and masking as over HTTP.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors?.length ? { ...result, errors: formatAll(result.errors) } : undefined,
      onError: (_ctx, _id, _payload, errors) => formatAll(errors) as unknown as GraphQLError[],
    },
    wsServer,
  );

  const apollo = new ApolloServer<RequestContext>({
    schema,
    formatError: formatError(logger),
    includeStacktraceInErrorResponses: false,
    // main.ts owns the signals: it drains HTTP, then closes the database and PostgreSQL in order.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: options.shutdownTimeoutMs }),
      { async serverWillStart() { return { async drainServer() { await wsCleanup.dispose(); } }; } },
      provisioningSettlePlugin(services),
      metricsPlugin(metrics),
    ],
  });
  await apollo.start();

  app.get('/healthz', async (_req, res) => {
    try {
      await orm.em.fork().execute('select 1');
      res.json({ status: 'ok', database: 'reachable' });
    } catch (error) {
      logger.warn({ err: error }, 'health check failed');
      res.status(503).json({ status: 'unavailable', database: 'unreachable' });
    }
  });

  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        try {
          const principal = await authenticate(bearer(req.headers.authorization));
          return createRequestContext(principal, orm.em, services, logger);
        } catch (error) {
          if (error instanceof GraphQLError) {
            throw new GraphQLError(error.message, { extensions: { ...error.extensions, http: { status: 401 } } });
          }
          throw error;
        }
      },
    }),
  );

  return {
    httpServer,
    async stop(): Promise<void> {
      await apollo.stop();
    },
  };
}
