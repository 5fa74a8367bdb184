import type { JobQueue, RunningJob } from '../jobs/job-queue';
import type { Logger } from '../observability/logger';
import type { PruneOptions, Pruner } from './pruner';

export const RETENTION_JOB = 'retention';

export interface RetentionJobData extends Record<string, unknown> {
  /** Always 'every': the one recurring run (deduplicated on it). */
  schedule: 'every';
}

const DATA: RetentionJobData = { schedule: 'every' };

/**
 * The scheduled prune: one job waiting at a time (enqueue deduplicates on `schedule`), run by one
 * worker at a time (concurrency 1, Agenda's lock, and the pruner's advisory lock against a run
 * started by hand), and re-scheduled one interval later when it ends, whether it pruned or failed.
 */
export class RetentionJob {
  constructor(
    private readonly queue: JobQueue,
    private readonly pruner: Pruner,
    private readonly intervalMinutes: number,
    private readonly logger: Logger,
    private readonly onBatch?: PruneOptions['onBatch'],
  ) {
    queue.define<RetentionJobData>(RETENTION_JOB, (job) => this.run(job), { concurrency: 1 });
  }

  /** Makes sure a run is waiting: the next one an interval from now, unless one is waiting already. */
  async schedule(): Promise<{ jobId: string; created: boolean }> {
    return this.queue.enqueue(RETENTION_JOB, DATA, { dedupeOn: ['schedule'], runAt: new Date(Date.now() + this.intervalMinutes * 60_000) });
  }

  private async run(_job: RunningJob<RetentionJobData>): Promise<void> {
    try {
      await this.pruner.run({ onBatch: this.onBatch });
    } finally {
      await this.schedule().catch((error) => this.logger.error({ err: error }, 'retention: could not schedule the next run'));
    }
  }
}
