import { ref } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { insertNewRecords } from '../../changelog/record-writer';
import { badInput } from '../../common/errors';
import { Person } from '../people/person.entity';
import { Organization } from '../organizations/organization.entity';
import { Group } from './group.entity';
import { GroupMembership } from './group-membership.entity';
import { GroupNesting } from './group-nesting.entity';

/** A direct membership's organisation, group and person. */
export interface MembershipIds {
  organizationId: string;
  groupId: string;
  personId: string;
}

export interface MembershipAttributes {
  member?: boolean;
  owner?: boolean;
  validFrom?: Date | null;
  validThrough?: Date | null;
}

/**
 * The one place memberships are written. Nested groups are materialised as membership rows
 * (as COmanage does), so every direct change here is followed by propagation to the groups that
 * nest the changed group, transitively; every row written lands in the change log.
 */
export class Memberships {
  /**
   * Writes a direct membership with its change-log entry in one statement (insertNewRecords), not
   * through the unit of work, then propagates it to the groups nesting its group (`nested: false`:
   * the caller knows there are none).
   */
  async addDirect(em: EntityManager, ids: MembershipIds, attributes: MembershipAttributes, nested = true): Promise<GroupMembership> {
    const membership = this.newDirect(em, ids, attributes);
    await insertNewRecords(em, [membership]);
    if (nested) await this.propagateFrom(em, ids.groupId, { personId: ids.personId });
    return membership;
  }

  /** A direct membership, built and checked but not written. Its relations are references by id: nothing is loaded. */
  newDirect(em: EntityManager, ids: MembershipIds, attributes: MembershipAttributes): GroupMembership {
    const membership = new GroupMembership();
    membership.organization = em.getReference(Organization, ids.organizationId, { wrapped: true });
    membership.group = em.getReference(Group, ids.groupId, { wrapped: true });
    membership.person = em.getReference(Person, ids.personId, { wrapped: true });
    this.assign(membership, attributes);
    return membership;
  }

  async updateDirect(em: EntityManager, membership: GroupMembership, attributes: MembershipAttributes): Promise<GroupMembership> {
    this.assign(membership, attributes);
    await em.flush();
    await this.propagateFrom(em, membership.group.id, { personId: membership.person.id });
    return membership;
  }

  async removeDirect(em: EntityManager, membership: GroupMembership): Promise<void> {
    const groupId = membership.group.id;
    const personId = membership.person.id;
    em.remove(membership);
    await em.flush();
    await this.propagateFrom(em, groupId, { personId });
  }

  /**
   * Makes the person a plain member of each group (or not), in one flush, the person's direct
   * memberships of the groups read in one query; used for automatic groups.
   */
  async setDirectMemberships(em: EntityManager, person: Person, wanted: readonly [Group, boolean][]): Promise<void> {
    if (wanted.length === 0) return;
    const rows = await em.find(GroupMembership, { group: { $in: wanted.map(([group]) => group.id) }, person: person.id, nesting: null });
    const rowOf = new Map(rows.map((row) => [row.group.id, row]));
    const changed: string[] = [];
    for (const [group, present] of wanted) {
      const row = rowOf.get(group.id);
      if (present && !row) {
        em.persist(this.newDirect(em, { organizationId: group.organization.id, groupId: group.id, personId: person.id }, { member: true }));
        changed.push(group.id);
      } else if (!present && row) {
        em.remove(row);
        changed.push(group.id);
      }
    }
    if (changed.length === 0) return;
    await em.flush();
    await this.propagateFromAll(em, changed, person.id);
  }

  async nest(em: EntityManager, group: Group, nestedGroup: Group): Promise<GroupNesting> {
    if (group.id === nestedGroup.id) throw badInput('A group cannot be nested in itself.', 'nestedGroupId');
    if (group.organization.id !== nestedGroup.organization.id) {
      throw badInput('Both groups must belong to the same organisation.', 'nestedGroupId');
    }
    if (await this.reachable(em, group.id, nestedGroup.id)) {
      throw badInput(`Nesting ${nestedGroup.fullName} in ${group.fullName} would make a cycle.`, 'nestedGroupId');
    }
    const nesting = new GroupNesting();
    nesting.organization = group.organization;
    nesting.group = ref(group);
    nesting.nestedGroup = ref(nestedGroup);
    em.persist(nesting);
    await em.flush();
    await this.refreshNesting(em, nesting);
    await this.propagateFrom(em, group.id);
    return nesting;
  }

  async unnest(em: EntityManager, nesting: GroupNesting): Promise<void> {
    const groupId = nesting.group.id;
    // Removed explicitly (not by the foreign-key cascade) so each lost membership is logged.
    em.remove(await em.find(GroupMembership, { nesting: nesting.id }));
    em.remove(nesting);
    await em.flush();
    await this.propagateFrom(em, groupId);
  }

  /** Removes every membership of the person, logging each, before the person is deleted. */
  async removePerson(em: EntityManager, person: Person): Promise<void> {
    const rows = await em.find(GroupMembership, { person: person.id });
    const groupIds = new Set(rows.filter((row) => row.nesting === null).map((row) => row.group.id));
    em.remove(rows);
    await em.flush();
    for (const groupId of groupIds) await this.propagateFrom(em, groupId, { personId: person.id });
  }

  /** Removes the group's memberships and nestings, logging each, before the group is deleted. */
  async removeGroup(em: EntityManager, group: Group): Promise<void> {
    const nestings = await em.find(GroupNesting, { $or: [{ group: group.id }, { nestedGroup: group.id }] });
    const parents = nestings.filter((n) => n.nestedGroup.id === group.id).map((n) => n.group.id);
    em.remove(await em.find(GroupMembership, { $or: [{ group: group.id }, { nesting: { $in: nestings.map((n) => n.id) } }] }));
    em.remove(nestings);
    await em.flush();
    for (const parentId of parents) await this.propagateFrom(em, parentId);
  }

  /** propagateFrom for one person's changed memberships of several groups, their nestings read in one query. */
  async propagateFromAll(em: EntityManager, groupIds: readonly string[], personId: string): Promise<void> {
    if (groupIds.length === 1) return this.propagateFrom(em, groupIds[0], { personId });
    for (const nesting of await em.find(GroupNesting, { nestedGroup: { $in: [...groupIds] } })) {
      if (await this.refreshNesting(em, nesting, personId)) {
        await this.propagateFrom(em, nesting.group.id, { personId, path: new Set([nesting.nestedGroup.id]) });
      }
    }
  }

  /**
   * Re-derives the rows of every nesting that takes its members from `groupId`, transitively.
   * A group reached twice (a diamond: A in B and C, both in D) is refreshed again on the second
   * path, because its rows from that path only changed then; only `changed` stops the walk.
   * `path` guards against a cycle, which nest() never lets in. With `personId` (a change of one
   * person's memberships) only that person's rows are re-derived: the work is the same whatever
   * the size of the groups.
   */
  async propagateFrom(em: EntityManager, groupId: string, options: { personId?: string; path?: Set<string> } = {}): Promise<void> {
    const path = options.path ?? new Set<string>();
    if (path.has(groupId)) return;
    const below = new Set(path).add(groupId);
    for (const nesting of await em.find(GroupNesting, { nestedGroup: groupId })) {
      if (await this.refreshNesting(em, nesting, options.personId)) await this.propagateFrom(em, nesting.group.id, { personId: options.personId, path: below });
    }
  }

  /**
   * Makes the nesting's rows equal to the member set of its nested group (only `personId`'s rows
   * when given). True if any changed.
   */
  private async refreshNesting(em: EntityManager, nesting: GroupNesting, personId?: string): Promise<boolean> {
    const person = personId ? { person: personId } : {};
    const sourceRows = await em.find(GroupMembership, { group: nesting.nestedGroup.id, member: true, ...person });
    const desired = new Map<string, { validFrom: Date | null; validThrough: Date | null }>();
    for (const row of sourceRows) {
      const current = desired.get(row.person.id);
      // A person reachable through several rows is a member for the union of their windows.
      desired.set(row.person.id, {
        validFrom: current === undefined ? row.validFrom : earliest(current.validFrom, row.validFrom),
        validThrough: current === undefined ? row.validThrough : latest(current.validThrough, row.validThrough),
      });
    }
    const existing = await em.find(GroupMembership, { nesting: nesting.id, ...person });
    let changed = false;
    for (const row of existing) {
      const want = desired.get(row.person.id);
      if (!want) {
        em.remove(row);
        changed = true;
      } else {
        if (!sameTime(row.validFrom, want.validFrom) || !sameTime(row.validThrough, want.validThrough)) {
          row.validFrom = want.validFrom;
          row.validThrough = want.validThrough;
          changed = true;
        }
        desired.delete(row.person.id);
      }
    }
    for (const [personId, window] of desired) {
      const row = new GroupMembership();
      row.organization = nesting.organization;
      row.group = nesting.group;
      row.person = em.getReference('Person', personId, { wrapped: true }) as GroupMembership['person'];
      row.nesting = ref(nesting);
      row.member = true;
      row.validFrom = window.validFrom;
      row.validThrough = window.validThrough;
      em.persist(row);
      changed = true;
    }
    await em.flush();
    return changed;
  }

  /** Whether members flow from `from` into `to` through existing nestings. */
  private async reachable(em: EntityManager, from: string, to: string): Promise<boolean> {
    const seen = new Set<string>([from]);
    let frontier = [from];
    while (frontier.length > 0) {
      const parents = await em.find(GroupNesting, { nestedGroup: { $in: frontier } });
      frontier = [];
      for (const nesting of parents) {
        const parentId = nesting.group.id;
        if (parentId === to) return true;
        if (!seen.has(parentId)) {
          seen.add(parentId);
          frontier.push(parentId);
        }
      }
    }
    return false;
  }

  private assign(membership: GroupMembership, attributes: MembershipAttributes): void {
    for (const [key, value] of Object.entries(attributes)) {
      if (value !== undefined) (membership as unknown as Record<string, unknown>)[key] = value;
    }
    if (!membership.member && !membership.owner) {
      throw badInput('A membership must make the person a member, an owner, or both.', 'member');
    }
    if (membership.validFrom && membership.validThrough && membership.validFrom > membership.validThrough) {
      throw badInput('validFrom must not be after validThrough.', 'validThrough');
    }
  }
}

const earliest = (a: Date | null, b: Date | null) => (a === null || b === null ? null : a < b ? a : b);
const latest = (a: Date | null, b: Date | null) => (a === null || b === null ? null : a > b ? a : b);
const sameTime = (a: Date | null, b: Date | null) => (a?.getTime() ?? null) === (b?.getTime() ?? null);
