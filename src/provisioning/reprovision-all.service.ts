import type { Actor } from '../auth/actor';
import { ErrorCode, FerryError, forbidden, notFound } from '../common/errors';
import type { JobInfo } from '../jobs/job-queue';
import { findWritable } from '../registry/records';
import { PROVISIONABLE_PERSON_STATUSES } from './marshaller';
import { ProvisionedState } from './provisioned-state.entity';
import { ProvisioningTarget } from './provisioning-target.entity';
import type { ReprovisionAll } from './reprovision-all';

/** The API side: who may start a reprovision-all, on which Ferry (one with a job queue). */
export class ReprovisionAllService {
  constructor(private readonly reprovisionAll: () => ReprovisionAll | null) {}

  private async assertWithinDeletionThreshold(actor: Actor, target: ProvisioningTarget): Promise<void> {
    const held = await actor.em.count(ProvisionedState, { target: target.id, remoteId: { $ne: null } });
    if (held === 0) return;
    const [{ count }] = await actor.em.execute<{ count: string }[]>(
      `select count(*) as count from provisioned_state s join person p on p.id = s.subject_id
        where s.target_id = ? and s.subject_type = 'PERSON' and s.remote_id is not null and not (p.status::text = any(?::text[]))`,
      [target.id, `{${[...PROVISIONABLE_PERSON_STATUSES].join(',')}}`],
    );
    const deletions = Number(count);
    const share = (100 * deletions) / held;
    if (deletions > 0 && share > target.deletionThresholdPercent) {
      throw new FerryError(
        ErrorCode.Forbidden,
        `Reprovisioning everything would delete ${deletions} of the ${held} entries Ferry holds on ${target.name} (${share.toFixed(1)}%), ` +
          `more than the ${target.deletionThresholdPercent}% allowed without confirmation. Ask again with confirmDeletions: true if that is intended.`,
        { reason: 'DELETION_THRESHOLD', deletions, held, thresholdPercent: target.deletionThresholdPercent },
      );
    }
  }

  /**
   * Starts (or finds waiting) a reprovision-all of the target; org admins and platform admins only.
   * It refuses, before anything is queued, when it would delete more than the target's deletion
   * threshold (people whose status is not provisioned lose their entry) unless confirmed.
   */
  async request(actor: Actor, targetId: string, confirmDeletions = false): Promise<JobInfo> {
    const target = await findWritable(actor.em, actor.principal, ProvisioningTarget, targetId, 'ProvisioningTarget');
    if (!confirmDeletions) await this.assertWithinDeletionThreshold(actor, target);
    const runner = this.reprovisionAll();
    if (!runner) throw forbidden('This Ferry runs without a job queue, so it cannot reprovision everything.');
    const { jobId } = await runner.start({
      organizationId: target.organization.id,
      targetId: target.id,
      requestedByTokenId: actor.principal.tokenId,
    });
    const job = await runner.job(jobId);
    if (!job) throw notFound('ProvisioningJob', jobId);
    return job;
  }
}
