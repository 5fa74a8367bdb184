import type { MikroORM } from '@mikro-orm/postgresql';
import type { JobQueue, RunningJob } from '../jobs/job-queue';
import type { Logger } from '../observability/logger';
import { ProvisioningAction, ProvisioningMode, SubjectType } from '../provisioning/actions';
import type { ProvisioningEngine } from '../provisioning/engine';
import { recordProvisioningEvents } from '../provisioning/event-log';
import { GroupSelection, ProvisioningTarget } from '../provisioning/provisioning-target.entity';

export const FULL_RECALCULATION_JOB = 'provisionability-full-recalculation';

const DAY_MS = 24 * 3600 * 1000;
const PROVISION_BATCH = 50;

export interface FullRecalculationData extends Record<string, unknown> {
  organizationId: string;
  targetId: string;
  /** DAILY jobs schedule the next one; ON_DEMAND ones do not. */
  trigger: 'DAILY' | 'ON_DEMAND';
  processed?: number;
  total?: number;
}

/**
 * The backstop of the incremental recalculation (spec section 4): every group of a folder-rules
 * target decided anew, then the groups whose answer flipped provisioned to (or removed from) the
 * target. Daily per target, and on demand. The recalculation holds the target's lock, so
 * incremental ones wait and run after it.
 */
export class FullRecalculation {
  constructor(
    private readonly orm: MikroORM,
    private readonly engine: ProvisioningEngine,
    private readonly jobs: JobQueue,
    private readonly logger: Logger,
    private readonly intervalMs = DAY_MS,
  ) {
    jobs.define<FullRecalculationData>(FULL_RECALCULATION_JOB, (job) => this.run(job), { concurrency: 1 });
  }

  /** Runs now (one waiting on-demand job per target at most). */
  request(target: ProvisioningTarget): Promise<{ jobId: string }> {
    return this.jobs.enqueue(
      FULL_RECALCULATION_JOB,
      { organizationId: target.organization.id, targetId: target.id, trigger: 'ON_DEMAND' } satisfies FullRecalculationData,
      { dedupeOn: ['targetId', 'trigger'] },
    );
  }

  /** Makes sure the target's daily run is scheduled (one waiting daily job per target). */
  async scheduleDaily(targetId: string, organizationId: string): Promise<void> {
    await this.jobs.enqueue(
      FULL_RECALCULATION_JOB,
      { organizationId, targetId, trigger: 'DAILY' } satisfies FullRecalculationData,
      { dedupeOn: ['targetId', 'trigger'], runAt: new Date(Date.now() + this.intervalMs) },
    );
  }

  private async run(job: RunningJob<FullRecalculationData>): Promise<void> {
    const { targetId, trigger } = job.data;
    const changes = await this.orm.em.fork().transactional(async (em) => {
      const target = await em.findOne(ProvisioningTarget, targetId);
      if (!target || target.groupSelection !== GroupSelection.FOLDER_RULES) return null;
      return this.engine.provisionability.recalculate(em, target, 'all');
    });
    if (changes === null) {
      this.logger.info({ targetId }, 'full provisionability recalculation: the target no longer uses folder rules; not rescheduled');
      return;
    }
    await job.saveProgress(50, { processed: 0, total: changes.length });
    for (let start = 0; start < changes.length; start += PROVISION_BATCH) {
      const batch = changes.slice(start, start + PROVISION_BATCH);
      await this.orm.em.fork().transactional(async (em) => {
        const target = await em.findOne(ProvisioningTarget, targetId, { populate: ['secrets'] });
        if (!target || target.mode === ProvisioningMode.DISABLED) return;
        // The batch's groups in one set-based load; deleted ones are left out (their own delete removes them).
        const groups = await this.engine.marshaller.many(em, SubjectType.GROUP, batch.map((change) => change.groupId));
        const orders = [...groups.values()].map((subject) => ({ action: ProvisioningAction.GROUP_UPDATED, subject, changeSeq: null, jobId: job.id }));
        await recordProvisioningEvents(em, await this.engine.runBatch(em, target, orders));
      });
      await job.saveProgress(50 + Math.floor((50 * (start + batch.length)) / changes.length), { processed: start + batch.length });
    }
    this.logger.info({ targetId, flipped: changes.length }, 'full provisionability recalculation finished');
    if (trigger === 'DAILY') await this.scheduleDaily(targetId, job.data.organizationId);
  }
}
