import { RecordStatus } from '../../registry/enums';
import { ProvisioningAction as A, DELETE_ACTIONS } from '../actions';
import type { GroupPayload, PersonPayload, SubjectPayload } from '../payload';
import type { ProvisioningTarget } from '../provisioning-target.entity';

/** The pure rules of the pipeline: what a target gets, and in which direction targets are walked. */

export const isDelete = (action: A) => DELETE_ACTIONS.has(action);

/** The target fields the decisions read (an entity or a plain row). */
export type DecidingTarget = Pick<ProvisioningTarget, 'keepUnprovisionableGroups'> & {
  provisioningGroup?: { id: string } | null;
  skipIfFromSource?: { id: string } | null;
};

/**
 * The action a target actually gets (spec 2.4, 2.6 with the [R] fixes): non-provisionable people
 * are deleted, the provisioning group turns non-members into deletes, and people from the
 * skipped identity source are deleted (not "group deleted", D2).
 */
export function effectiveAction(
  target: DecidingTarget,
  requested: A,
  subject: SubjectPayload,
  explicit: boolean,
  groupRule: { provisionable: boolean; explanation: string } | null = null,
): { action: A; reason: string | null; skip?: boolean } {
  if (isDelete(requested)) return { action: requested, reason: null };
  if (groupRule && !groupRule.provisionable) {
    // Folder rules (Grouper model): a group that is not provisionable here is removed, or left
    // alone when the target keeps groups that are merely no longer provisionable.
    const reason = `not provisionable on this target: ${groupRule.explanation}`;
    if (target.keepUnprovisionableGroups) return { action: requested, reason: `${reason}; the target keeps such groups`, skip: true };
    return { action: A.GROUP_DELETED, reason };
  }
  if (subject.subjectType === 'PERSON') {
    const person = subject as PersonPayload;
    if (person.skeleton && !explicit) return { action: A.PERSON_DELETED, reason: `status ${person.status} is not provisioned` };
    const groupId = target.provisioningGroup?.id;
    if (groupId && !person.memberships.some((m) => m.groupId === groupId && (m.member || m.owner))) {
      return { action: A.PERSON_DELETED, reason: 'not in provisioning group' };
    }
    const sourceId = target.skipIfFromSource?.id;
    if (sourceId && person.orgIdentityLinks.some((link) => link.sourceId === sourceId)) {
      return { action: A.PERSON_DELETED, reason: 'linked to the skipped identity source' };
    }
  }
  if (subject.subjectType === 'GROUP') {
    const group = subject as GroupPayload;
    const groupId = target.provisioningGroup?.id;
    if (groupId && group.id !== groupId) return { action: A.GROUP_DELETED, reason: 'not the provisioning group' };
  }
  return { action: requested, reason: null };
}

export const deleteOf = (subject: { subjectType: string }): A =>
  subject.subjectType === 'PERSON' ? A.PERSON_DELETED : subject.subjectType === 'GROUP' ? A.GROUP_DELETED : A.SERVICE_DELETED;

/**
 * Whether a change walks the targets in descending order (CO-1356): deletes, and people or groups
 * on their way out (a person whose status is not provisioned, a group that is not active).
 */
export function walksTargetsBackwards(action: A, subject: { subjectType: string; leaving: boolean }): boolean {
  return isDelete(action) || subject.leaving;
}

/** Whether a group status takes the group out of the targets. */
export const groupIsLeaving = (status: RecordStatus | string) => status !== RecordStatus.ACTIVE;
