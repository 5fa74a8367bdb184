import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows } from '../../db/sql';

/** Plain rows for the activity of an organisation's targets: one statement per kind of record. */

export interface OutcomeCountRow {
  target_id: string;
  start: Date | string;
  outcome: string;
  count: number;
}

/**
 * Events per target, time bucket and outcome since `since` (read through the BRIN index on
 * occurred_at: only the newest blocks of the append-only event table are visited).
 */
export function outcomeCounts(em: EntityManager, organizationId: string, since: Date, bucketMinutes: number): Promise<OutcomeCountRow[]> {
  return sqlRows<OutcomeCountRow>(
    em,
    `select target_id, date_bin(make_interval(mins => ?::int), occurred_at, ?::timestamptz) as start, outcome::text as outcome, count(*)::int as count
       from provisioning_event
      where organization_id = ? and occurred_at >= ?
      group by 1, 2, 3`,
    [bucketMinutes, since, organizationId, since],
  );
}

/** The last successful call per target. */
export function lastSuccesses(em: EntityManager, targetIds: readonly string[]): Promise<{ target_id: string; last_success_at: Date | string | null }[]> {
  // The newest SUCCEEDED event of each target (one index probe each); its subjects' states only for
  // a target with no success event left (pruned by retention, or none yet).
  return sqlRows(em,
    `select t.id as target_id,
            coalesce((select e.occurred_at from provisioning_event e
                       where e.target_id = t.id and e.outcome = 'SUCCEEDED' order by e.seq desc limit 1),
                     (select max(s.last_success_at) from provisioned_state s where s.target_id = t.id)) as last_success_at
       from unnest(?::uuid[]) as t(id)`,
    [targetIds],
  );
}

export function openFailureCounts(em: EntityManager, targetIds: readonly string[]): Promise<{ target_id: string; count: number }[]> {
  return sqlRows(em, `select target_id, count(*)::int as count from failure_notification where target_id = any(?::uuid[]) and resolved_at is null group by target_id`, [targetIds]);
}

/** Work dispatched to each target and not yet done (inline lanes and queued jobs alike). */
export function pendingWorkCounts(em: EntityManager, targetIds: readonly string[]): Promise<{ target_id: string; count: number }[]> {
  return sqlRows(em, `select target_id, count(*)::int as count from provisioning_work where target_id = any(?::uuid[]) group by target_id`, [targetIds]);
}
