import { ref } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Cou } from '../organizations/cou.entity';
import type { Organization } from '../organizations/organization.entity';
import type { Person } from '../people/person.entity';
import { PersonRole } from '../people/person-role.entity';
import { ACTIVE_MEMBER_STATUSES, GroupType, PersonStatus } from '../enums';
import { Folder } from './folder.entity';
import { newFolder, rewriteFullNames } from './folder-tree';
import { Group } from './group.entity';
import type { GroupMembership } from './group-membership.entity';
import type { Memberships } from './memberships';

/** Root folder of the automatic groups, as in COmanage: CO:admins, CO:members:all, ... */
export const SYSTEM_ROOT = 'CO';
const UNITS_FOLDER = 'COU';

/**
 * Maintains the groups COmanage keeps automatically: admins, all members and active members of the
 * organisation and of each unit. Admins groups are created here but filled by administrators.
 */
export class AutomaticGroups {
  constructor(private readonly memberships: Memberships) {}

  async ensureForOrganization(em: EntityManager, organization: Organization): Promise<void> {
    const root = await this.ensureFolder(em, organization, null, SYSTEM_ROOT);
    const members = await this.ensureFolder(em, organization, root, 'members');
    await this.ensureGroup(em, root, 'admins', GroupType.ADMINS, null, `Administrators of ${organization.name}`);
    await this.ensureGroup(em, members, 'all', GroupType.MEMBERS_ALL, null, `All members of ${organization.name}`);
    await this.ensureGroup(em, members, 'active', GroupType.MEMBERS_ACTIVE, null, `Active members of ${organization.name}`);
  }

  async ensureForCou(em: EntityManager, cou: Cou): Promise<void> {
    const organization = cou.organization;
    const root = await this.ensureFolder(em, organization, null, SYSTEM_ROOT);
    const units = await this.ensureFolder(em, organization, root, UNITS_FOLDER);
    const unit = await this.ensureFolder(em, organization, units, cou.name);
    const members = await this.ensureFolder(em, organization, unit, 'members');
    await this.ensureGroup(em, unit, 'admins', GroupType.ADMINS, cou, `Administrators of ${cou.name}`);
    await this.ensureGroup(em, members, 'all', GroupType.MEMBERS_ALL, cou, `All members of ${cou.name}`);
    await this.ensureGroup(em, members, 'active', GroupType.MEMBERS_ACTIVE, cou, `Active members of ${cou.name}`);
  }

  /** Follows a unit rename: CO:COU:<old>:... becomes CO:COU:<new>:... */
  async renameForCou(em: EntityManager, cou: Cou): Promise<void> {
    const admins = await em.findOne(Group, { cou: cou.id, type: GroupType.ADMINS });
    if (!admins) return this.ensureForCou(em, cou);
    const unitFolder = await em.findOneOrFail(Folder, admins.folder!.id); // automatic groups are never at the root
    unitFolder.name = cou.name;
    await rewriteFullNames(em, unitFolder);
  }

  async removeForCou(em: EntityManager, cou: Cou): Promise<void> {
    const groups = await em.find(Group, { cou: cou.id });
    for (const group of groups) await this.memberships.removeGroup(em, group);
    const admins = groups.find((g) => g.type === GroupType.ADMINS);
    em.remove(groups);
    await em.flush();
    if (admins) {
      const unitFolder = await em.findOneOrFail(Folder, admins.folder!.id); // automatic groups are never at the root
      em.remove(await em.find(Folder, { parent: unitFolder.id }));
      await em.flush();
      em.remove(unitFolder);
      await em.flush();
    }
  }

  /**
   * The automatic groups a person being created joins, by type: the organisation's all-members
   * group, and its active-members group if the person's status counts as active. A new person has
   * no roles, so no unit's groups.
   */
  typesOfNew(status: PersonStatus): GroupType[] {
    if (status === PersonStatus.DELETED) return [];
    return ACTIVE_MEMBER_STATUSES.has(status) ? [GroupType.MEMBERS_ALL, GroupType.MEMBERS_ACTIVE] : [GroupType.MEMBERS_ALL];
  }

  /** The new person's memberships of these automatic groups (built, not written: the caller writes them with the person). */
  membershipsOfNew(em: EntityManager, person: Person, groupIds: readonly string[]): GroupMembership[] {
    return groupIds.map((groupId) => this.memberships.newDirect(em, { organizationId: person.organization.id, groupId, personId: person.id }, { member: true }));
  }

  /**
   * Brings the person's automatic memberships in line with their status and roles:
   * - members:all of the organisation: every person not Deleted;
   * - members:active: people Active or in Grace Period;
   * - a unit's members:all: people with a role in the unit (not Deleted);
   * - a unit's members:active: Active/Grace Period people with an Active/Grace Period role there.
   */
  async syncPerson(em: EntityManager, person: Person): Promise<void> {
    const groups = await em.find(Group, {
      organization: person.organization.id,
      type: { $in: [GroupType.MEMBERS_ALL, GroupType.MEMBERS_ACTIVE] },
    });
    const roles = (await em.find(PersonRole, { person: person.id })).map((role) => ({ couId: role.cou?.id ?? null, status: role.status }));
    const wanted = groups.map((group): [Group, boolean] => [group, belongsInAutomaticGroup({ type: group.type, couId: group.cou?.id ?? null }, person.status, roles)]);
    await this.memberships.setDirectMemberships(em, person, wanted);
  }

  private async ensureFolder(
    em: EntityManager,
    organization: Organization | Cou['organization'],
    parent: Folder | null,
    name: string,
  ): Promise<Folder> {
    const existing = await em.findOne(Folder, {
      organization: organization.id,
      parent: parent ? parent.id : null,
      name,
    });
    if (existing) return existing;
    const folder = newFolder(organization as Organization, parent, name, true);
    em.persist(folder);
    return folder;
  }

  private async ensureGroup(
    em: EntityManager,
    folder: Folder,
    name: string,
    type: GroupType,
    cou: Cou | null,
    description: string,
  ): Promise<Group> {
    const existing = await em.findOne(Group, { folder: folder.id, name });
    if (existing) return existing;
    const group = new Group();
    group.organization = folder.organization;
    group.folder = ref(folder);
    group.name = name;
    group.fullName = `${folder.fullName}:${name}`;
    group.type = type;
    group.cou = cou ? ref(cou) : null;
    group.description = description;
    em.persist(group);
    return group;
  }
}

/**
 * Whether a person with this status and these roles is a member of an automatic members group
 * (see syncPerson for the rules).
 */
export function belongsInAutomaticGroup(
  group: { type: GroupType; couId: string | null },
  status: PersonStatus,
  roles: readonly { couId: string | null; status: PersonStatus }[],
): boolean {
  const all = group.type === GroupType.MEMBERS_ALL;
  if (group.couId === null) return all ? status !== PersonStatus.DELETED : ACTIVE_MEMBER_STATUSES.has(status);
  const unitRoles = roles.filter((role) => role.couId === group.couId);
  return all
    ? status !== PersonStatus.DELETED && unitRoles.some((role) => role.status !== PersonStatus.DELETED)
    : ACTIVE_MEMBER_STATUSES.has(status) && unitRoles.some((role) => ACTIVE_MEMBER_STATUSES.has(role.status));
}
