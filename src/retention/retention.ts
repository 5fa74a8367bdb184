import type { MikroORM } from '@mikro-orm/postgresql';
import type { JobQueue } from '../jobs/job-queue';
import { prunesFinishedJobs } from '../jobs/job-store';
import type { LiveUpdates } from '../live/live-updates';
import type { Logger } from '../observability/logger';
import { Pruner, type PruneOptions } from './pruner';
import { RetentionJob } from './retention.job';
import type { RetentionSettings } from './retention.settings';

export interface RetentionDependencies {
  orm: MikroORM;
  queue: JobQueue;
  /** This process's subscriptions: their positions hold event pruning back. */
  live: LiveUpdates;
  logger: Logger;
  settings: RetentionSettings;
  /** Told of each batch's deleted rows by kind (for a metrics counter). */
  onBatch?: PruneOptions['onBatch'];
}

export interface Retention {
  pruner: Pruner;
  job: RetentionJob;
}

/**
 * Sets retention up on a job queue: defines the scheduled prune and makes sure a run is waiting
 * (every process does; the queue keeps one). Returns the pruner for runs by hand.
 */
export function createRetention({ orm, queue, live, logger, settings, onBatch }: RetentionDependencies): Retention {
  const log = logger.child({ component: 'retention' });
  const pruner = new Pruner(orm, prunesFinishedJobs(queue) ? queue : null, settings, log, () => live.lowestSubscriptionPosition());
  const job = new RetentionJob(queue, pruner, settings.intervalMinutes, log, onBatch);
  void job.schedule().catch((error) => log.warn({ err: error }, 'retention: could not schedule the pruning job'));
  return { pruner, job };
}
