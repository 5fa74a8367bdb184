import type { AddressInfo } from 'node:net';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createHttpServer } from './api/server';
import { buildFerrySchema } from './api/schema';
import type { Config } from './config/config';
import { openDatabase } from './db/orm';
import { openJobQueue, resolveDatabase } from './backends';
import type { JobQueue } from './jobs/job-queue';
import type { Logger } from './observability/logger';
import type { ProvisionerPlugin } from './plugins/plugin';
import { Metrics } from './observability/metrics';
import { createConfiguredServices, type Services } from './services';
import { sealPlainSecrets } from './security/secret-box';
import { instrument } from './instrumentation';

export interface Ferry {
  url: string;
  port: number;
  orm: MikroORM;
  services: Services;
  metrics: Metrics;
  jobs: JobQueue;
  stop(): Promise<void>;
}

/** Starts PostgreSQL (embedded unless DATABASE_URL is set), applies migrations, serves GraphQL. */
export interface StartOptions {
  /** Target plugins to offer instead of the shipped ones (tests add failing or recording ones). */
  plugins?: ProvisionerPlugin<any>[];
}

export async function startFerry(config: Config, logger: Logger, options: StartOptions = {}): Promise<Ferry> {
  const { url: databaseUrl, embedded } = await resolveDatabase(config, logger);
  const metrics = new Metrics((source, error) => logger.warn({ err: error, source }, 'a metrics source failed; its gauges are left out of this scrape'));
  let orm: MikroORM | null = null;
  let openJobs: JobQueue | null = null;
  let liveStarted: Services['live'] | null = null;
  try {
    orm = await openDatabase(databaseUrl, logger, metrics);
    const jobs = await openJobQueue(config, databaseUrl, logger, metrics.jobObserver);
    openJobs = jobs;
    const services = createConfiguredServices(config, { orm, logger, metrics, plugins: options.plugins, jobQueue: jobs });
    const em = orm.em.fork();
    await sealPlainSecrets((sql, params) => em.execute(sql, params ?? []), logger);
    await services.apiTokens.bootstrap(orm.em.fork(), config.FERRY_ADMIN_TOKEN, logger);
    const schema = await buildFerrySchema();
    instrument(metrics, orm, services, jobs);
    services.engine.start();
    await services.scheduleReconciliations();
    if (config.FERRY_RUN_WORKERS) await jobs.startWorkers();
    liveStarted = services.live;
    await services.live.start({
      databaseUrl,
      metrics,
      bufferCapacity: config.FERRY_SUBSCRIPTION_BUFFER,
      pollIntervalMs: config.FERRY_LIVE_POLL_MS,
      authRecheckMs: config.FERRY_SUBSCRIPTION_AUTH_RECHECK_MS,
    });
    const http = await createHttpServer({ schema, orm, services, logger, metrics, config, shutdownTimeoutMs: config.FERRY_SHUTDOWN_TIMEOUT_MS });
    await new Promise<void>((resolve, reject) => {
      http.httpServer.once('error', reject);
      http.httpServer.listen(config.PORT, config.HOST, () => resolve());
    });
    const port = (http.httpServer.address() as AddressInfo).port;
    const url = `http://localhost:${port}/graphql`;
    logger.info({ url, console: `http://localhost:${port}/console/` }, 'Ferry is listening');
    const openOrm = orm;
    return {
      url,
      port,
      orm: openOrm,
      services,
      metrics,
      jobs,
      async stop() {
        await http.stop();
        await services.live.stop();
        await services.engine.stop();
        await jobs.stop();
        await Promise.all(services.plugins.list().map((plugin) => plugin.closeAll?.()));
        await openOrm.close();
        await embedded?.stop();
        logger.info('Ferry stopped');
      },
    };
  } catch (error) {
    await liveStarted?.stop().catch(() => undefined);
    await openJobs?.stop().catch(() => undefined);
    await orm?.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw error;
  }
}
