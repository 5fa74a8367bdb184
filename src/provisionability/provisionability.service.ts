import { ref } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ChangeKind } from '../changelog/change-log-entry.entity';
import type { ChangeLogRow } from '../changelog/change-log.reader';
import { likePattern } from '../common/pagination';
import { GroupSelection, ProvisioningTarget } from '../provisioning/provisioning-target.entity';
import { Folder } from '../registry/groups/folder.entity';
import { Group } from '../registry/groups/group.entity';
import { GroupProvisionability } from './group-provisionability.entity';
import { ProvisioningAssignment } from './provisioning-assignment.entity';
import { decide, FolderScope, type Decision, type FolderRule, type GroupFacts, type GroupRule, type TargetRules } from './rules';

/** Namespace of the per-target advisory lock (the second key is the target id's hash). */
const RECALCULATION_LOCK = 0x46657252; // "FerR"

/** Target settings whose change means every group of the target is decided anew. */
const TARGET_RULE_FIELDS = ['groupSelection', 'onlyPolicyGroups', 'provisionableRegex', 'allowPolicyGroupOverride', 'allowRegexOverride'];

export interface ProvisionabilityChange {
  targetId: string;
  organizationId: string;
  groupId: string;
  provisionable: boolean;
  /** The change-log entry that caused the recalculation, if one did. */
  changeSeq: string | null;
}

interface Rules {
  folders: Map<string, FolderRule>;
  groups: Map<string, GroupRule>;
  target: TargetRules;
}

/**
 * Keeps GroupProvisionability in step with the folder rules, for targets that take their groups
 * from them. Recalculations of one target hold a per-target transaction lock, so a full
 * recalculation and incremental ones never interleave; whatever waits for the lock recalculates
 * after, from the data as it is then.
 */
export class ProvisionabilityService {
  /** The decision for one group on one target, computed now from the stored assignments. */
  async decisionFor(em: EntityManager, target: ProvisioningTarget, group: Group): Promise<Decision> {
    const rules = await this.rulesOf(em, target);
    return decide(facts(group), rules.groups.get(group.id) ?? null, rules.folders, rules.target);
  }

  /**
   * What one committed change means for provisionability: recalculates the groups it touches on
   * every folder-rules target of the organisation (all groups of a target whose rules changed)
   * and returns the groups whose answer flipped.
   */
  async onChange(em: EntityManager, entries: readonly ChangeLogRow[]): Promise<{ changes: ProvisionabilityChange[]; rulesChangedOn: { targetId: string; organizationId: string }[] }> {
    const byOrganization = new Map<string, { groups: Map<string, string>; fullTargets: Map<string, string> }>();
    const scope = (organizationId: string) => {
      let entry = byOrganization.get(organizationId);
      if (!entry) byOrganization.set(organizationId, (entry = { groups: new Map(), fullTargets: new Map() }));
      return entry;
    };
    for (const entry of entries) {
      const data = (entry.data ?? {}) as Record<string, unknown>;
      if (entry.entityType === 'Group') {
        if (!scope(entry.organizationId).groups.has(entry.entityId)) scope(entry.organizationId).groups.set(entry.entityId, entry.seq);
      } else if (entry.entityType === 'ProvisioningTarget' && entry.kind !== ChangeKind.DELETED) {
        if (entry.kind === ChangeKind.CREATED || entry.changedFields.some((field) => TARGET_RULE_FIELDS.includes(field))) {
          scope(entry.organizationId).fullTargets.set(entry.entityId, entry.seq);
        }
      } else if (entry.entityType === 'ProvisioningAssignment') {
        const assignment = entry.kind === ChangeKind.DELETED ? null : await em.findOne(ProvisioningAssignment, entry.entityId);
        const groupId = assignment ? assignment.group?.id : (data.group as string | null | undefined);
        const folderId = assignment ? assignment.folder?.id : (data.folder as string | null | undefined);
        const groups = scope(entry.organizationId).groups;
        if (groupId && !groups.has(groupId)) groups.set(groupId, entry.seq);
        if (folderId) {
          for (const id of await this.groupsUnder(em, folderId)) if (!groups.has(id)) groups.set(id, entry.seq);
        }
      }
    }
    const changes: ProvisionabilityChange[] = [];
    const rulesChangedOn: { targetId: string; organizationId: string }[] = [];
    for (const [organizationId, work] of byOrganization) {
      if (work.groups.size === 0 && work.fullTargets.size === 0) continue;
      const targets = await em.find(ProvisioningTarget, { organization: organizationId, groupSelection: GroupSelection.FOLDER_RULES });
      for (const target of targets) {
        const fullSeq = work.fullTargets.get(target.id);
        if (fullSeq !== undefined) rulesChangedOn.push({ targetId: target.id, organizationId });
        const flipped = await this.recalculate(em, target, fullSeq !== undefined ? 'all' : [...work.groups.keys()]);
        for (const change of flipped) changes.push({ ...change, changeSeq: fullSeq ?? work.groups.get(change.groupId) ?? null });
      }
    }
    return { changes, rulesChangedOn };
  }

  /**
   * Decides the given groups (or all of the organisation) on the target and stores the answers.
   * A row is created only once a group is provisionable (it then stays as history).
   */
  async recalculate(em: EntityManager, target: ProvisioningTarget, groupIds: string[] | 'all', now = new Date()): Promise<ProvisionabilityChange[]> {
    await em.execute('select pg_advisory_xact_lock(?, hashtext(?))', [RECALCULATION_LOCK, target.id]);
    if (groupIds !== 'all' && groupIds.length === 0) return [];
    const organizationId = target.organization.id;
    const rules = await this.rulesOf(em, target);
    const groups =
      groupIds === 'all'
        ? await em.find(Group, { organization: organizationId }, { fields: ['id', 'fullName', 'policy', 'organization'] })
        : await em.find(Group, { id: { $in: groupIds } }, { fields: ['id', 'fullName', 'policy', 'organization'] });
    const rows = await em.find(GroupProvisionability, groupIds === 'all' ? { target: target.id } : { target: target.id, groupId: { $in: groupIds } });
    const rowOf = new Map(rows.map((row) => [row.groupId, row]));
    const present = new Set(groups.map((group) => group.id));
    const subjects: { group: GroupFacts; decision: Decision }[] = groups.map((group) => ({
      group: facts(group),
      decision: decide(facts(group), rules.groups.get(group.id) ?? null, rules.folders, rules.target),
    }));
    // Groups gone from the registry (R9), as far as we have a row for them.
    for (const row of rows) {
      if (present.has(row.groupId)) continue;
      const gone = { id: row.groupId, fullName: row.groupName, policy: false, deleted: true };
      subjects.push({ group: gone, decision: decide(gone, null, rules.folders, rules.target) });
    }
    const changes: ProvisionabilityChange[] = [];
    for (const { group, decision } of subjects) {
      let row = rowOf.get(group.id);
      if (!row) {
        if (!decision.provisionable) continue;
        row = new GroupProvisionability();
        Object.assign(row, { organizationId, target: ref(ProvisioningTarget, target.id), groupId: group.id, provisionable: false });
        em.persist(row);
      }
      const was = row.provisionable;
      if (!group.deleted) row.groupName = group.fullName;
      row.provisionable = decision.provisionable;
      row.source = decision.source;
      row.decidingFolderId = decision.folderId;
      row.failedFilter = decision.failedFilter;
      row.explanation = decision.explanation;
      row.metadata = decision.metadata;
      if (!was && decision.provisionable) {
        row.provisionableSince = now;
        row.provisionableUntil = null;
      } else if (was && !decision.provisionable) {
        row.provisionableUntil = now;
      }
      if (was !== decision.provisionable) {
        changes.push({ targetId: target.id, organizationId, groupId: group.id, provisionable: decision.provisionable, changeSeq: null });
      }
    }
    await em.flush();
    return changes;
  }

  /** The stored answer for a group on a folder-rules target (not provisionable when there is none). */
  async stored(em: EntityManager, targetId: string, groupId: string): Promise<{ provisionable: boolean; explanation: string }> {
    const row = await em.findOne(GroupProvisionability, { target: targetId, groupId });
    return row ?? { provisionable: false, explanation: 'no folder or assignment makes it provisionable on this target' };
  }

  /** Of these groups, the ones provisionable on the target. */
  async provisionableAmong(em: EntityManager, targetId: string, groupIds: string[]): Promise<Set<string>> {
    if (groupIds.length === 0) return new Set();
    const rows = await em.find(GroupProvisionability, { target: targetId, groupId: { $in: groupIds }, provisionable: true }, { fields: ['groupId'] });
    return new Set(rows.map((row) => row.groupId));
  }

  private async rulesOf(em: EntityManager, target: ProvisioningTarget): Promise<Rules> {
    const assignments = await em.find(ProvisioningAssignment, { target: target.id }, { populate: ['folder'] });
    const folders = new Map<string, FolderRule>();
    const groups = new Map<string, GroupRule>();
    for (const assignment of assignments) {
      const folder = assignment.folder?.getEntity();
      if (folder) {
        // Keyed by the folder's name as it is now (R12).
        folders.set(folder.fullName, {
          assignmentId: assignment.id,
          folderId: folder.id,
          folderFullName: folder.fullName,
          provision: assignment.provision,
          scope: assignment.scope ?? FolderScope.ONE,
          metadata: assignment.metadata,
          onlyPolicyGroups: assignment.onlyPolicyGroups,
          provisionableRegex: assignment.provisionableRegex,
        });
      } else if (assignment.group) {
        groups.set(assignment.group.id, { assignmentId: assignment.id, provision: assignment.provision, metadata: assignment.metadata });
      }
    }
    return {
      folders,
      groups,
      target: {
        onlyPolicyGroups: target.onlyPolicyGroups,
        provisionableRegex: target.provisionableRegex,
        allowPolicyGroupOverride: target.allowPolicyGroupOverride,
        allowRegexOverride: target.allowRegexOverride,
      },
    };
  }

  /** Groups in the folder or anywhere below it, by current name. */
  private async groupsUnder(em: EntityManager, folderId: string): Promise<string[]> {
    const folder = await em.findOne(Folder, folderId);
    if (!folder) return [];
    const rows = await em.find(
      Group,
      { organization: folder.organization.id, fullName: { $like: `${likePattern(`${folder.fullName}:`).slice(1)}` } },
      { fields: ['id'] },
    );
    return rows.map((row) => row.id);
  }
}

const facts = (group: Pick<Group, 'id' | 'fullName' | 'policy'>): GroupFacts => ({ id: group.id, fullName: group.fullName, policy: group.policy });

