import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config/config';
import { openDatabase } from '../db/orm';
import type { Logger } from '../observability/logger';
import type { ProvisionerPlugin } from '../plugins/plugin';
import { createConfiguredServices } from '../services';
import { openJobQueue, resolveDatabase } from '../backends';
import type { JobQueue } from './job-queue';
import { Metrics } from '../observability/metrics';
import { checkHealth } from '../observability/health';
import { startOpsServer, type OpsServer } from '../observability/ops-server';
import { instrument } from '../instrumentation';

export interface FerryWorker {
  queue: JobQueue;
  metrics: Metrics;
  /** The port of its `/healthz` and `/metrics` (FERRY_WORKER_PORT). */
  port: number;
  stop(): Promise<void>;
}

/**
 * A process that only runs job workers (`npm run worker`): the same database and job handlers
 * as the server, no HTTP and no change-log engine loop. Several may share one queue.
 */
export async function startWorker(config: Config, logger: Logger, options: { plugins?: ProvisionerPlugin<any>[] } = {}): Promise<FerryWorker> {
  // Beside a server running the embedded cluster on the same data folder, the worker connects to
  // it (port and password from the folder); alone, it starts the cluster itself.
  const { url: databaseUrl, embedded } = await resolveDatabase(config, logger, { join: true });
  const metrics = new Metrics((source, error) => logger.warn({ err: error, source }, 'a metrics source failed; its gauges are left out of this scrape'));
  let orm: MikroORM | null = null;
  let queue: JobQueue | null = null;
  let ops: OpsServer | null = null;
  try {
    orm = await openDatabase(databaseUrl, logger, metrics);
    queue = await openJobQueue(config, databaseUrl, logger, metrics.jobObserver);
    const services = createConfiguredServices(config, { orm, logger, metrics, plugins: options.plugins, jobQueue: queue });
    instrument(metrics, orm, services, queue);
    await queue.startWorkers();
    const openOrm = orm;
    const openQueue = queue;
    let running = true;
    ops = await startOpsServer({
      port: config.FERRY_WORKER_PORT,
      host: config.HOST,
      metrics,
      logger,
      health: () => checkHealth(openOrm, () => ({ jobs: running ? 'running' : 'stopped', backend: openQueue.backend })),
    });
    const openOps = ops;
    logger.info({ backend: queue.backend, port: ops.port }, 'Ferry worker is running (health and metrics on this port)');
    return {
      queue: openQueue,
      metrics,
      port: ops.port,
      async stop() {
        running = false;
        await openQueue.stop();
        await openOps.stop();
        await Promise.all(services.plugins.list().map((plugin) => plugin.closeAll?.()));
        await openOrm.close();
        await embedded?.stop();
        logger.info('Ferry worker stopped');
      },
    };
  } catch (error) {
    await ops?.stop().catch(() => undefined);
    await queue?.stop().catch(() => undefined);
    await orm?.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw error;
  }
}
