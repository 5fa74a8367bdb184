import type { Config } from './config/config';
import { loadSecretsKey } from './security/secret-box';
import { joinEmbeddedPostgres, startEmbeddedPostgres, type EmbeddedPostgresHandle } from './db/embedded-postgres';
import { createJobQueue } from './jobs/agenda-job-queue';
import type { JobQueue, JobRunObserver } from './jobs/job-queue';
import type { Logger } from './observability/logger';

/**
 * PostgreSQL for a Ferry process: DATABASE_URL, or the embedded cluster in FERRY_DATA_DIR. With
 * `join` (workers), a cluster a live Ferry server already runs there is connected to (its port and
 * password read from the folder) instead of refused.
 */
export async function resolveDatabase(config: Config, logger: Logger, options: { join?: boolean } = {}): Promise<{ url: string; embedded: EmbeddedPostgresHandle | null }> {
  // Target secrets are encrypted at rest: the key is needed before anything reads them.
  await loadSecretsKey({ key: config.FERRY_SECRETS_KEY, keyFile: config.FERRY_SECRETS_KEY_FILE, dataDir: config.dataDir }, logger);
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, embedded: null };
  if (options.join) {
    const joined = await joinEmbeddedPostgres(config.dataDir, 'ferry');
    if (joined) {
      logger.info({ dataDir: config.dataDir, serverPid: joined.ownerPid }, "using the embedded PostgreSQL of the Ferry server running on this data folder");
      return { url: joined.url, embedded: null };
    }
  }
  const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.FERRY_PG_PORT, database: 'ferry', logger });
  return { url: embedded.url, embedded };
}

/** The job queue as configured: MongoDB when MONGODB_URL is set, else Ferry's PostgreSQL. */
export function openJobQueue(config: Config, databaseUrl: string, logger: Logger, observer?: JobRunObserver): Promise<JobQueue> {
  return createJobQueue({
    observer,
    databaseUrl,
    mongoUrl: config.MONGODB_URL,
    logger,
    processEveryMs: config.FERRY_JOB_POLL_MS,
    lockLifetimeMs: config.FERRY_JOB_LOCK_LIFETIME_MS,
    shutdownTimeoutMs: config.FERRY_SHUTDOWN_TIMEOUT_MS,
  });
}
