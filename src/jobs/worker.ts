import type { MikroORM } from '@mikro-orm/postgresql';
import { targetHealthSettings } from '../provisioning/health/target-health';
import type { Config } from '../config/config';
import { openDatabase } from '../db/orm';
import type { Logger } from '../observability/logger';
import type { ProvisionerPlugin } from '../plugins/plugin';
import { createServices, pipelineSettings, retryPolicy } from '../services';
import { openJobQueue, resolveDatabase } from '../backends';
import type { JobQueue } from './job-queue';

export interface FerryWorker {
  queue: JobQueue;
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
  let orm: MikroORM | null = null;
  let queue: JobQueue | null = null;
  try {
    orm = await openDatabase(databaseUrl, logger);
    queue = await openJobQueue(config, databaseUrl, logger);
    const services = createServices({ orm, logger, plugins: options.plugins, urlAllowlist: config.FERRY_TARGET_URL_ALLOWLIST, allowedNetworks: config.FERRY_TARGET_ALLOWED_NETWORKS, targetHealth: targetHealthSettings(config), pipeline: pipelineSettings(config), retry: retryPolicy(config) });
    services.attachJobQueue(queue);
    await queue.startWorkers();
    logger.info({ backend: queue.backend }, 'Ferry worker is running');
    const openOrm = orm;
    const openQueue = queue;
    return {
      queue: openQueue,
      async stop() {
        await openQueue.stop();
        await Promise.all(services.plugins.list().map((plugin) => plugin.closeAll?.()));
        await openOrm.close();
        await embedded?.stop();
        logger.info('Ferry worker stopped');
      },
    };
  } catch (error) {
    await queue?.stop().catch(() => undefined);
    await orm?.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw error;
  }
}
