import type { MikroORM } from '@mikro-orm/postgresql';
import type { JobQueue, RunningJob } from '../jobs/job-queue';
import type { Logger } from '../observability/logger';
import { ProvisioningAction, ProvisioningMode, SubjectType } from '../provisioning/actions';
import type { ProvisioningEngine } from '../provisioning/engine';
import { recordProvisioningEvents } from '../provisioning/event-log';
import { sqlRows } from '../db/sql';
import { Channel, notify } from '../live/channels';
import { GroupSelection, ProvisioningTarget } from '../provisioning/provisioning-target.entity';

export const FULL_RECALCULATION_JOB = 'provisionability-full-recalculation';

const DAY_MS = 24 * 3600 * 1000;
const PROVISION_BATCH = 50;

export interface FullRecalculationData extends Record<string, unknown> {
  organizationId: string;
  targetId: string;
  /** DAILY jobs schedule the next one; ON_DEMAND ones do not. */
  trigger: 'DAILY' | 'ON_DEMAND';
  /** Groups done: decided, and (those whose answer flipped) provisioned to the target. */
  processed?: number;
  /** Groups decided: the organisation's groups, and stored answers of groups deleted since. */
  total?: number;
  /** Of them, the groups whose answer flipped (each provisioned to, or removed from, the target). */
  flipped?: number;
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
    const { targetId, trigger, organizationId } = job.data;
    const decided = await this.orm.em.fork().transactional(async (em) => {
      const target = await em.findOne(ProvisioningTarget, targetId);
      if (!target || target.groupSelection !== GroupSelection.FOLDER_RULES) return null;
      const changes = await this.engine.provisionability.recalculate(em, target, 'all');
      // What the recalculation decided, read under the lock it holds until commit: every group of
      // the organisation, and every stored answer of a group deleted since (decided "gone").
      const [row] = await sqlRows<{ decided: string }>(em,
        `select (select count(*) from "group" where organization_id = ?)
              + (select count(*) from group_provisionability p where p.target_id = ?
                   and not exists (select 1 from "group" g where g.id = p.group_id)) as decided`,
        [organizationId, targetId],
      );
      return { changes, total: Math.max(Number(row?.decided ?? 0), changes.length) };
    });
    if (decided === null) {
      this.logger.info({ targetId }, 'full provisionability recalculation: the target no longer uses folder rules; not rescheduled');
      return;
    }
    const { changes, total } = decided;
    // Groups whose answer stands are done once decided; flipped ones once provisioned. Progress
    // follows `processed` (monotonic) and reaches 100 only at the end, with processed = total.
    let processed = total - changes.length;
    const saveProgress = async (percent: number) => {
      await job.saveProgress(percent, { processed, total, flipped: changes.length });
      await notify(this.orm.em.fork(), Channel.JOB_PROGRESS, job.id);
    };
    if (changes.length > 0) await saveProgress(Math.min(99, Math.floor((processed * 100) / total)));
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
      processed += batch.length;
      if (processed < total) await saveProgress(Math.min(99, Math.floor((processed * 100) / total)));
    }
    await saveProgress(100);
    this.logger.info({ targetId, decided: total, flipped: changes.length }, 'full provisionability recalculation finished');
    if (trigger === 'DAILY') await this.scheduleDaily(targetId, job.data.organizationId);
  }
}
