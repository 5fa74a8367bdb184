import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows } from '../../db/sql';
import type { ProvisioningAction, SubjectType } from '../actions';
import type { SubjectPayload } from '../payload';
import type { WorkRow } from './router';

/** A claimed row of provisioning_work. */
export interface ClaimedWork {
  id: string;
  subjectType: SubjectType;
  subjectId: string;
  action: ProvisioningAction;
  changeSeq: string | null;
  snapshot: SubjectPayload | null;
}

/** The routed rows of a dispatch pass, in one statement (one array parameter per column). */
export async function insertWork(em: EntityManager, rows: readonly WorkRow[]): Promise<void> {
  if (rows.length === 0) return;
  await sqlRows(em,
    `insert into provisioning_work (target_id, organization_id, subject_type, subject_id, action, change_seq, change_key, rank, phase, snapshot, created_at)
     select v.target_id, v.organization_id, v.subject_type::subject_type, v.subject_id, v.action::provisioning_action, v.change_seq, v.change_key, v.rank, v.phase, v.snapshot, now()
       from unnest(?::uuid[], ?::uuid[], ?::text[], ?::uuid[], ?::text[], ?::bigint[], ?::text[], ?::int[], ?::int[], ?::jsonb[])
         with ordinality as v(target_id, organization_id, subject_type, subject_id, action, change_seq, change_key, rank, phase, snapshot, n)
      order by v.n`,
    [
      rows.map((r) => r.targetId),
      rows.map((r) => r.organizationId),
      rows.map((r) => r.subjectType),
      rows.map((r) => r.subjectId),
      rows.map((r) => r.action),
      rows.map((r) => r.changeSeq),
      rows.map((r) => r.changeKey),
      rows.map((r) => r.rank),
      rows.map((r) => r.phase),
      rows.map((r) => (r.snapshot ? JSON.stringify(r.snapshot) : null)),
    ],
  );
}

/**
 * The order rules a row `w` of provisioning_work waits on, besides an earlier row of its subject on
 * its target: the same change's row of the subject on a target earlier in the walk, a row of an
 * earlier phase of the same change on its target, and (for a group) an earlier row of one of its
 * members on its target, whose entry the group's member list points at.
 */
const WAITS_FOR_EARLIER_TARGET = `exists (
                select 1 from provisioning_work p
                 where p.subject_id = w.subject_id and p.change_key = w.change_key and p.rank < w.rank)`;
const WAITS_FOR_EARLIER_PHASE = `exists (
                select 1 from provisioning_work p
                 where p.change_key = w.change_key and p.target_id = w.target_id and p.phase < w.phase)`;
const WAITS_FOR_MEMBERS = `(w.subject_type = 'GROUP' and exists (
                select 1 from provisioning_work p join group_membership m on m.person_id = p.subject_id
                 where p.target_id = w.target_id and p.subject_type = 'PERSON' and p.id < w.id and m.group_id = w.subject_id))`;

interface WorkRowRead {
  id: string;
  subject_type: SubjectType;
  subject_id: string;
  action: ProvisioningAction;
  change_seq: string | null;
  snapshot?: SubjectPayload | null;
}

const claimed = (row: WorkRowRead): ClaimedWork => ({
  id: String(row.id),
  subjectType: row.subject_type,
  subjectId: row.subject_id,
  action: row.action,
  changeSeq: row.change_seq === null ? null : String(row.change_seq),
  snapshot: row.snapshot ?? null,
});

/**
 * Takes up to `limit` rows of the target that may run now (the heads), locked (rows another lane
 * holds are skipped), with the rows that ride along with them, in one statement.
 *
 * A head may run when nothing it must follow is still pending: an earlier row of the same subject
 * on this target, or one of the order rules above. The heads are therefore independent of each
 * other and can be provisioned concurrently.
 *
 * Riding along (only for targets not in `rideAlongExceptModes`): later rows of the heads' subjects
 * on this target that are not deletes (nor behind one), whose order rules are met, behind a head
 * that is not a delete. A head's call provisions the subject as the registry holds it now, which
 * includes what those later changes did, so one call covers them (a subject that many changes
 * touch, such as CO:members:all, is written once per batch, not once per change). Locked like
 * the heads.
 */
export async function claimWork(
  em: EntityManager,
  targetId: string,
  limit: number,
  rules: { deleteActions: readonly string[]; rideAlongExceptModes: readonly string[] },
): Promise<{ heads: ClaimedWork[]; along: (ClaimedWork & { headId: string })[] }> {
  const rows = await sqlRows<WorkRowRead & { head_id: string | null }>(
    em,
    `with heads as (
       select w.id, w.subject_type, w.subject_id, w.action, w.change_seq, w.snapshot
         from provisioning_work w
        where w.target_id = ?
          and not exists (
                select 1 from provisioning_work p
                 where p.subject_id = w.subject_id and p.target_id = w.target_id and p.id < w.id)
          and not ${WAITS_FOR_EARLIER_TARGET}
          and not ${WAITS_FOR_EARLIER_PHASE}
          and not ${WAITS_FOR_MEMBERS}
        order by w.id
        limit ?
          for update of w skip locked),
     along as (
       select w.id, h.id as head_id, w.subject_type, w.subject_id, w.action, w.change_seq
         from provisioning_work w
         join heads h on h.subject_id = w.subject_id and not (h.action::text = any(?::text[]))
        where w.target_id = ? and w.id > h.id and not (w.action::text = any(?::text[]))
          and exists (select 1 from provisioning_target t where t.id = w.target_id and not (t.mode::text = any(?::text[])))
          and not exists (
                select 1 from provisioning_work d
                 where d.target_id = w.target_id and d.subject_id = w.subject_id and d.id > h.id and d.id < w.id
                   and d.action::text = any(?::text[]))
          and not ${WAITS_FOR_EARLIER_TARGET}
          and not ${WAITS_FOR_EARLIER_PHASE}
          and not ${WAITS_FOR_MEMBERS}
          for update of w skip locked)
     select id, null::bigint as head_id, subject_type, subject_id, action, change_seq, snapshot from heads
     union all
     select id, head_id, subject_type, subject_id, action, change_seq, null from along
     order by id`,
    [targetId, limit, rules.deleteActions, targetId, rules.deleteActions, rules.rideAlongExceptModes, rules.deleteActions],
  );
  const heads: ClaimedWork[] = [];
  const along: (ClaimedWork & { headId: string })[] = [];
  for (const row of rows) {
    if (row.head_id === null) heads.push(claimed(row));
    else along.push({ ...claimed(row), headId: String(row.head_id) });
  }
  return { heads, along };
}

export async function completeWork(em: EntityManager, ids: readonly string[]): Promise<void> {
  if (ids.length > 0) await sqlRows(em, 'delete from provisioning_work where id = any(?::bigint[])', [ids]);
}

/** Targets with work waiting (in any process). */
export async function targetsWithWork(em: EntityManager): Promise<string[]> {
  const rows: { target_id: string }[] = await sqlRows(em, 'select distinct target_id from provisioning_work');
  return rows.map((row) => row.target_id);
}

/** Work caused by these change-log entries that no lane has finished yet, with its target's name. */
export async function pendingWork(
  em: EntityManager,
  changeSeqs: readonly string[],
): Promise<{ targetId: string; targetName: string; organizationId: string; subjectType: SubjectType; subjectId: string; action: ProvisioningAction; changeSeq: string }[]> {
  if (changeSeqs.length === 0) return [];
  const rows: { target_id: string; name: string; organization_id: string; subject_type: SubjectType; subject_id: string; action: ProvisioningAction; change_seq: string }[] =
    await sqlRows(em,
      `select w.target_id, t.name, w.organization_id, w.subject_type, w.subject_id, w.action, w.change_seq
         from provisioning_work w join provisioning_target t on t.id = w.target_id
        where w.change_seq = any(?::bigint[]) order by w.id`,
      [changeSeqs],
    );
  return rows.map((r) => ({
    targetId: r.target_id,
    targetName: r.name,
    organizationId: r.organization_id,
    subjectType: r.subject_type,
    subjectId: r.subject_id,
    action: r.action,
    changeSeq: String(r.change_seq),
  }));
}

/**
 * Whether any of these organisations has a target (in any mode): only then does the dispatch pass
 * do anything for their changes (route work, recalculate folder rules) that a response waits for.
 */
export async function hasProvisioningTargets(em: EntityManager, organizationIds: readonly string[]): Promise<boolean> {
  const rows = await sqlRows(em, 'select 1 from provisioning_target where organization_id = any(?::uuid[]) limit 1', [[...new Set(organizationIds)]]);
  return rows.length > 0;
}

/** The work rows caused by these entries that no lane has finished yet, by id, with their targets (none: all done). */
export async function pendingWorkRows(em: EntityManager, changeSeqs: readonly string[]): Promise<Map<string, string>> {
  if (changeSeqs.length === 0) return new Map();
  const rows: { id: string; target_id: string }[] = await sqlRows(em, 'select id, target_id from provisioning_work where change_seq = any(?::bigint[])', [changeSeqs]);
  return new Map(rows.map((row) => [String(row.id), row.target_id]));
}
