import { PersonStatus } from '../../registry/enums';
import { PROVISIONABLE_PERSON_STATUSES } from '../loading/mappers';
import { ProvisioningMode, SubjectType } from '../actions';
import { groupIsLeaving, walksTargetsBackwards } from '../lanes/decisions';
import type { WorkItem } from '../planner';

/** Modes that take part in automatic provisioning (spec 1.2). */
export const AUTOMATIC_MODES: readonly ProvisioningMode[] = [ProvisioningMode.AUTOMATIC, ProvisioningMode.QUEUE, ProvisioningMode.QUEUE_ON_ERROR];

/** A target as routing sees it (a plain row). */
export interface RoutingTarget {
  id: string;
  organizationId: string;
  mode: ProvisioningMode;
  order: number;
}

/** One routed row, as the dispatcher writes it to provisioning_work. */
export interface WorkRow {
  targetId: string;
  organizationId: string;
  subjectType: SubjectType;
  subjectId: string;
  action: WorkItem['action'];
  changeSeq: string | null;
  changeKey: string;
  rank: number;
  phase: number;
  snapshot: WorkItem['snapshot'] | null;
}

/**
 * Routes the planned items of one change to targets, without any payload (pure): every target of
 * the item's organisation in an automatic mode (Enrollment too when an enrollment finished), or
 * only the item's `targetIds`. Each row carries its place in the walk over targets (`rank`:
 * ascending target order, descending for deletes and subjects on their way out) and its phase
 * (items come in plan order: people first, then groups, unless the change started with a group).
 *
 * `status` gives the registry status of subjects that are not deleted: a person whose status is
 * not provisioned, or a group that is not active, is on its way out.
 */
export function route(changeKey: string, items: readonly WorkItem[], targets: readonly RoutingTarget[], status: ReadonlyMap<string, string>): WorkRow[] {
  const byOrganization = new Map<string, RoutingTarget[]>();
  for (const target of [...targets].sort((a, b) => a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const list = byOrganization.get(target.organizationId) ?? [];
    list.push(target);
    byOrganization.set(target.organizationId, list);
  }
  const rows: WorkRow[] = [];
  let phase = 0;
  items.forEach((item, index) => {
    if (index > 0 && items[index - 1].subjectType !== item.subjectType) phase += 1;
    const modes = item.enrollment ? [...AUTOMATIC_MODES, ProvisioningMode.ENROLLMENT] : AUTOMATIC_MODES;
    const only = item.targetIds ? new Set(item.targetIds) : null;
    const except = new Set(item.exceptTargetIds ?? []);
    const chosen = (byOrganization.get(item.organizationId) ?? []).filter((t) => modes.includes(t.mode) && (!only || only.has(t.id)) && !except.has(t.id));
    if (chosen.length === 0) return;
    if (walksTargetsBackwards(item.action, { subjectType: item.subjectType, leaving: isLeaving(item, status) })) chosen.reverse();
    chosen.forEach((target, rank) =>
      rows.push({
        targetId: target.id,
        organizationId: item.organizationId,
        subjectType: item.subjectType,
        subjectId: item.subjectId,
        action: item.action,
        changeSeq: item.changeSeq,
        changeKey,
        rank,
        phase,
        snapshot: item.snapshot ?? null,
      }),
    );
  });
  return rows;
}

function isLeaving(item: WorkItem, status: ReadonlyMap<string, string>): boolean {
  const current = item.snapshot ? (item.snapshot as { status?: string }).status : status.get(item.subjectId);
  if (current === undefined) return false;
  if (item.subjectType === SubjectType.PERSON) return !PROVISIONABLE_PERSON_STATUSES.has(current as PersonStatus);
  if (item.subjectType === SubjectType.GROUP) return groupIsLeaving(current);
  return false;
}
