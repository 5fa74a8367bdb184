import type { Actor } from '../../auth/actor';
import { badInput } from '../../common/errors';
import { findReadableOrganization } from '../../registry/records';
import { ProvisioningOutcome } from '../provisioning-event.entity';
import { ProvisioningTarget } from '../provisioning-target.entity';
import { lastSuccesses, openFailureCounts, outcomeCounts, pendingWorkCounts } from './target-activity.queries';

export interface OutcomeBucket {
  start: Date;
  outcome: ProvisioningOutcome;
  count: number;
}

export interface TargetActivity {
  target: ProvisioningTarget;
  lastSuccessAt: Date | null;
  openFailures: number;
  pendingWork: number;
  outcomes: OutcomeBucket[];
}

/** pg hands timestamps over as text here (Ferry keeps them exact); the API wants dates. */
const asDate = (value: Date | string | null | undefined) => (value === null || value === undefined ? null : new Date(value));

/**
 * What each target of an organisation has been doing: its last success, open failures, work not
 * yet done, and its outcomes over the last `minutes` in buckets of `bucketMinutes` (the console's
 * overview chart). Five statements whatever the number of targets.
 */
export async function targetActivity(actor: Actor, organizationId: string, minutes: number, bucketMinutes: number): Promise<TargetActivity[]> {
  if (bucketMinutes > minutes) throw badInput('bucketMinutes cannot be larger than minutes.', 'bucketMinutes');
  const organization = await findReadableOrganization(actor.em, actor.principal, organizationId);
  const targets = await actor.em.find(ProvisioningTarget, { organization: organization.id }, { orderBy: { order: 'asc', createdAt: 'asc' } });
  if (targets.length === 0) return [];
  const ids = targets.map((target) => target.id);
  // Buckets start on whole multiples of bucketMinutes, so consecutive reads line up.
  const step = bucketMinutes * 60_000;
  const since = new Date(Math.floor((Date.now() - minutes * 60_000) / step) * step);
  const [counts, successes, failures, pending] = await Promise.all([
    outcomeCounts(actor.em, organization.id, since, bucketMinutes),
    lastSuccesses(actor.em, ids),
    openFailureCounts(actor.em, ids),
    pendingWorkCounts(actor.em, ids),
  ]);
  const byTarget = <T extends { target_id: string }>(rows: T[]) => new Map(rows.map((row) => [row.target_id, row]));
  const success = byTarget(successes);
  const failure = byTarget(failures);
  const work = byTarget(pending);
  const buckets = new Map<string, OutcomeBucket[]>();
  for (const row of counts) {
    const bucket = { start: new Date(row.start), outcome: row.outcome as ProvisioningOutcome, count: row.count };
    buckets.set(row.target_id, [...(buckets.get(row.target_id) ?? []), bucket]);
  }
  for (const list of buckets.values()) list.sort((a, b) => a.start.getTime() - b.start.getTime() || a.outcome.localeCompare(b.outcome));
  return targets.map((target) => ({
    target,
    lastSuccessAt: asDate(success.get(target.id)?.last_success_at),
    openFailures: failure.get(target.id)?.count ?? 0,
    pendingWork: work.get(target.id)?.count ?? 0,
    outcomes: buckets.get(target.id) ?? [],
  }));
}
