import { ref, type EntityClass, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { validate as isUuid } from 'uuid';
import type { Actor } from '../../auth/actor';
import { badInput, conflict, notFound } from '../../common/errors';
import { likePattern, paginate, type Page, type PageArgs } from '../../common/pagination';
import { applyDefined } from '../../common/validation';
import { sqlRows } from '../../db/sql';
import { inWriteTransaction, type WriteResult } from '../../db/transaction';
import { Department } from '../departments/department.entity';
import { EmailList } from '../email-lists/email-list.entity';
import { GroupType, type RecordStatus } from '../enums';
import { Identifier } from '../people/identifier.entity';
import { findReadable, findReadableOrganization, findWritable, findWritableOrganization } from '../records';
import { Service } from '../services/service.entity';
import { SYSTEM_ROOT } from './automatic-groups';
import { Folder, NAME_SEPARATOR } from './folder.entity';
import { joinName, newFolder, rewriteFullNames } from './folder-tree';
import { Group } from './group.entity';
import { GroupMembership } from './group-membership.entity';
import { GroupNesting } from './group-nesting.entity';
import type { MembershipAttributes, Memberships } from './memberships';

export interface FolderFilterInput {
  /** null: top-level folders only; left out: folders at any depth. */
  parentId?: string | null;
  search?: string | null;
}

export interface FolderInput {
  name?: string;
  description?: string | null;
  parentId?: string | null;
}

export interface GroupFilterInput {
  folderId?: string | null;
  /** true: groups at the root only; false: groups in a folder only. */
  topLevel?: boolean | null;
  search?: string | null;
  type?: GroupType | null;
  status?: RecordStatus | null;
  memberPersonId?: string | null;
}

export interface GroupInput {
  name?: string;
  description?: string | null;
  status?: RecordStatus;
  folderId?: string | null;
  /** On update: moves the group to the root (not with folderId). */
  moveToRoot?: boolean | null;
  policy?: boolean;
}

/** Group types whose memberships Ferry derives from people's status and roles. */
const DERIVED_MEMBERSHIP_TYPES: ReadonlySet<GroupType> = new Set([GroupType.MEMBERS_ALL, GroupType.MEMBERS_ACTIVE]);

/**
 * Records that point at a group with ON DELETE SET NULL. They are cleared here before a group is
 * deleted, so the change log shows them losing the group instead of the database doing it silently.
 */
const GROUP_REFERENCES: ReadonlyArray<[EntityClass<object>, string]> = [
  [Service, 'group'],
  [Department, 'leadershipGroup'],
  [Department, 'administrativeGroup'],
  [EmailList, 'membersGroup'],
  [EmailList, 'adminsGroup'],
  [EmailList, 'moderatorsGroup'],
];

/** Whether a membership row makes its person a member (or owner) at `now`, by its validity window. */
const isCurrent = (row: GroupMembership, now: Date) =>
  (row.validFrom === null || row.validFrom <= now) && (row.validThrough === null || row.validThrough >= now);

/**
 * The people with a current `role` row among a group's membership rows (direct or through
 * nesting), each once: the group's effective members (or owners) now.
 */
export function currentPersonIds(rows: readonly GroupMembership[], role: 'member' | 'owner', now = new Date()): string[] {
  return [...new Set(rows.filter((row) => row[role] && isCurrent(row, now)).map((row) => row.person.id))];
}

/** The same as isCurrent for member rows, as a query. */
function currentMemberWhere(now: Date): FilterQuery<GroupMembership> {
  return {
    member: true,
    $and: [
      { $or: [{ validFrom: null }, { validFrom: { $lte: now } }] },
      { $or: [{ validThrough: null }, { validThrough: { $gte: now } }] },
    ],
  };
}

/** The CO:... tree belongs to the automatic groups; nothing user-made may live in it. */
const isInSystemTree = (folder: Folder) =>
  folder.system || folder.fullName === SYSTEM_ROOT || folder.fullName.startsWith(`${SYSTEM_ROOT}${NAME_SEPARATOR}`);

/**
 * Folders (Grouper stems), groups, memberships and nestings. Full names are materialised on every
 * folder and group and rewritten on rename and move, so that provisioning sees each rename as a
 * change-log UPDATE of `fullName`.
 */
export class GroupService {
  constructor(private readonly memberships: Memberships) {}

  // ---- Folders ----

  async listFolders(actor: Actor, organizationId: string, filter: FolderFilterInput, page: PageArgs): Promise<Page<Folder>> {
    const organization = await findReadableOrganization(actor.em, actor.principal, organizationId);
    const where: FilterQuery<Folder>[] = [{ organization: organization.id }];
    if (filter.parentId === null) where.push({ parent: null });
    else if (filter.parentId !== undefined) where.push({ parent: filter.parentId });
    if (filter.search) where.push({ fullName: { $ilike: likePattern(filter.search) } });
    return paginate(actor.em, Folder, { $and: where }, page);
  }

  getFolder(actor: Actor, id: string): Promise<Folder> {
    return findReadable(actor.em, actor.principal, Folder, id);
  }

  createFolder(
    actor: Actor,
    organizationId: string,
    input: FolderInput & { name: string },
  ): Promise<WriteResult<Folder>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const organization = await findWritableOrganization(em, actor.principal, organizationId);
      const parent = input.parentId ? await this.userFolder(actor, em, input.parentId, organization.id, 'parentId') : null;
      if (!parent) this.assertNotReservedTopLevel(input.name);
      const folder = newFolder(organization, parent, input.name);
      folder.description = input.description ?? null;
      em.persist(folder);
      return folder;
    });
  }

  updateFolder(actor: Actor, id: string, input: FolderInput): Promise<WriteResult<Folder>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const folder = await findWritable(em, actor.principal, Folder, id);
      const renamed = input.name !== undefined && input.name !== folder.name;
      const moved = input.parentId !== undefined && input.parentId !== folder.parentId;
      if ((renamed || moved) && isInSystemTree(folder)) {
        throw badInput(`${folder.fullName} holds automatic groups and is maintained by Ferry; it cannot be renamed or moved.`);
      }
      if (moved) {
        const parent = input.parentId ? await this.userFolder(actor, em, input.parentId, folder.organization.id, 'parentId') : null;
        if (parent) await this.assertNotInside(em, parent, folder);
        folder.parent = parent ? ref(parent) : null;
      }
      if (renamed) folder.name = input.name!;
      if (folder.parent === null && (renamed || moved)) this.assertNotReservedTopLevel(folder.name);
      if (input.description !== undefined) folder.description = input.description;
      if (renamed || moved) await rewriteFullNames(em, folder);
      return folder;
    });
  }

  deleteFolder(actor: Actor, id: string): Promise<WriteResult<string>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const folder = await findWritable(em, actor.principal, Folder, id);
      if (isInSystemTree(folder)) {
        throw badInput(`${folder.fullName} holds automatic groups and is maintained by Ferry; it cannot be deleted.`);
      }
      const [folders, groups] = await Promise.all([em.count(Folder, { parent: folder.id }), em.count(Group, { folder: folder.id })]);
      if (folders + groups > 0) {
        throw conflict(`${folder.fullName} still contains ${folders} folder(s) and ${groups} group(s); delete or move them first.`);
      }
      em.remove(folder);
      return folder.id;
    });
  }

  // ---- Groups ----

  async listGroups(actor: Actor, organizationId: string, filter: GroupFilterInput, page: PageArgs): Promise<Page<Group>> {
    const organization = await findReadableOrganization(actor.em, actor.principal, organizationId);
    const where: FilterQuery<Group>[] = [{ organization: organization.id }];
    if (filter.folderId) where.push({ folder: filter.folderId });
    if (filter.topLevel === true) where.push({ folder: null });
    else if (filter.topLevel === false) where.push({ folder: { $ne: null } });
    if (filter.search) where.push({ fullName: { $ilike: likePattern(filter.search) } });
    if (filter.type) where.push({ type: filter.type });
    if (filter.status) where.push({ status: filter.status });
    if (filter.memberPersonId) {
      const rows = await actor.em.find(GroupMembership, {
        $and: [{ organization: organization.id, person: filter.memberPersonId }, currentMemberWhere(new Date())],
      });
      where.push({ id: { $in: [...new Set(rows.map((row) => row.group.id))] } });
    }
    return paginate(actor.em, Group, { $and: where }, page);
  }

  getGroup(actor: Actor, id: string): Promise<Group> {
    return findReadable(actor.em, actor.principal, Group, id);
  }

  /**
   * In a folder, or at the root of the organisation (no folderId): a root group's full name is its
   * name, unique among the organisation's groups like any full name (a folder may share it).
   */
  createGroup(
    actor: Actor,
    input: GroupInput & { organizationId?: string | null; name: string },
  ): Promise<WriteResult<Group>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const group = new Group();
      if (input.folderId) {
        const folder = await this.userFolder(actor, em, input.folderId, input.organizationId ?? null, 'folderId');
        group.organization = folder.organization;
        group.folder = ref(folder);
        group.fullName = joinName(folder.fullName, input.name);
      } else {
        if (!input.organizationId) {
          throw badInput('Give the folder of the group (folderId), or organizationId for a group at the root.', 'organizationId');
        }
        const organization = await findWritableOrganization(em, actor.principal, input.organizationId);
        this.assertNotReservedTopLevel(input.name);
        group.organization = ref(organization);
        group.folder = null;
        group.fullName = input.name;
      }
      group.name = input.name;
      group.description = input.description ?? null;
      if (input.status) group.status = input.status;
      group.policy = input.policy ?? false;
      em.persist(group);
      return group;
    });
  }

  updateGroup(actor: Actor, id: string, input: GroupInput): Promise<WriteResult<Group>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const group = await findWritable(em, actor.principal, Group, id);
      const { folderId: givenFolderId, moveToRoot, ...fields } = input;
      if (moveToRoot && givenFolderId) throw badInput('Give folderId (a move to that folder) or moveToRoot, not both.', 'moveToRoot');
      // The destination: a folder id, null for the root, undefined to stay.
      const folderId = moveToRoot ? null : givenFolderId ?? undefined;
      const renamed = fields.name !== undefined && fields.name !== group.name;
      const moved = folderId !== undefined && folderId !== group.folderId;
      const restatused = fields.status !== undefined && fields.status !== group.status;
      if (group.automatic && (renamed || moved || restatused)) {
        throw badInput(`${group.fullName} is an automatic group maintained by Ferry; only its description can be changed.`);
      }
      applyDefined(group, fields);
      if (moved) group.folder = folderId ? ref(await this.userFolder(actor, em, folderId, group.organization.id, 'folderId')) : null;
      if (renamed || moved) {
        const folder = group.folder ? await em.findOneOrFail(Folder, group.folder.id) : null;
        if (!folder) this.assertNotReservedTopLevel(group.name);
        group.fullName = joinName(folder?.fullName ?? null, group.name);
      }
      return group;
    });
  }

  /** Memberships, nestings and identifiers go first, one by one, so each loss is in the change log. */
  deleteGroup(actor: Actor, id: string): Promise<WriteResult<string>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const group = await findWritable(em, actor.principal, Group, id);
      if (group.automatic) {
        throw badInput(`${group.fullName} is an automatic group maintained by Ferry; it cannot be deleted.`);
      }
      await this.memberships.removeGroup(em, group);
      em.remove(await em.find(Identifier, { group: group.id }));
      for (const [entity, property] of GROUP_REFERENCES) {
        for (const record of await em.find(entity, { [property]: group.id })) {
          (record as Record<string, unknown>)[property] = null;
        }
      }
      em.remove(group);
      return group.id;
    });
  }

  // ---- Memberships ----

  addMember(
    actor: Actor,
    groupId: string,
    personId: string,
    attributes: MembershipAttributes,
  ): Promise<WriteResult<GroupMembership>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      // The group, the person, whether the person is already a direct member and whether any group
      // nests this one, in one statement; the checks and their errors are findWritable's and
      // findReadable's (NOT_FOUND for what the caller cannot see).
      const [facts] = isUuid(groupId)
        ? await sqlRows<{ group_organization_id: string; type: GroupType; full_name: string; person_organization_id: string | null; direct: boolean; nested: boolean }>(em,
            `select g.organization_id as group_organization_id, g.type, g.full_name, p.organization_id as person_organization_id,
                    exists (select 1 from group_membership m where m.group_id = g.id and m.person_id = p.id and m.nesting_id is null) as direct,
                    exists (select 1 from group_nesting n where n.nested_group_id = g.id) as nested
               from "group" g left join person p on p.id = ?::uuid
              where g.id = ?::uuid`,
            [isUuid(personId) ? personId : null, groupId],
          )
        : [];
      if (!facts) throw notFound('Group', groupId);
      actor.principal.assertCanWrite(facts.group_organization_id, 'Group', groupId);
      this.assertMembershipsEditable({ type: facts.type, fullName: facts.full_name });
      if (!facts.person_organization_id) throw notFound('Person', personId);
      actor.principal.assertCanRead(facts.person_organization_id, 'Person', personId);
      if (facts.person_organization_id !== facts.group_organization_id) {
        throw badInput('The person and the group belong to different organisations.', 'personId');
      }
      if (facts.direct) throw conflict(`This person already has a direct membership of ${facts.full_name}; update that one instead.`);
      return this.memberships.addDirect(em, { organizationId: facts.group_organization_id, groupId, personId }, attributes, facts.nested);
    });
  }

  updateMembership(actor: Actor, id: string, attributes: MembershipAttributes): Promise<WriteResult<GroupMembership>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const membership = await this.directMembership(actor, em, id);
      return this.memberships.updateDirect(em, membership, attributes);
    });
  }

  removeMember(actor: Actor, id: string): Promise<WriteResult<string>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const membership = await this.directMembership(actor, em, id);
      await this.memberships.removeDirect(em, membership);
      return id;
    });
  }

  // ---- Nestings ----

  nest(actor: Actor, groupId: string, nestedGroupId: string): Promise<WriteResult<GroupNesting>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const group = await findWritable(em, actor.principal, Group, groupId);
      this.assertMembershipsEditable(group);
      const nestedGroup = await findReadable(em, actor.principal, Group, nestedGroupId);
      if (await em.count(GroupNesting, { group: group.id, nestedGroup: nestedGroup.id })) {
        throw conflict(`${nestedGroup.fullName} is already nested in ${group.fullName}.`);
      }
      return this.memberships.nest(em, group, nestedGroup);
    });
  }

  unnest(actor: Actor, id: string): Promise<WriteResult<string>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const nesting = await findWritable(em, actor.principal, GroupNesting, id);
      await this.memberships.unnest(em, nesting);
      return id;
    });
  }

  // ---- Helpers ----

  /**
   * A folder user records may be put in: writable, of the expected organisation (when known), and
   * outside the automatic groups' tree.
   */
  private async userFolder(
    actor: Actor,
    em: EntityManager,
    folderId: string,
    organizationId: string | null,
    field: string,
  ): Promise<Folder> {
    const folder = await findWritable(em, actor.principal, Folder, folderId);
    if (organizationId !== null && folder.organization.id !== organizationId) {
      throw badInput('The folder belongs to another organisation.', field);
    }
    if (isInSystemTree(folder)) {
      throw badInput(`${folder.fullName} is reserved for the automatic groups Ferry maintains; choose another folder.`, field);
    }
    return folder;
  }

  private assertNotReservedTopLevel(name: string): void {
    if (name === SYSTEM_ROOT) {
      throw badInput(`The top-level name ${SYSTEM_ROOT} is reserved for the automatic groups Ferry maintains.`, 'name');
    }
  }

  /** Walks up from the destination: meeting the folder itself would make a cycle. */
  private async assertNotInside(em: EntityManager, destination: Folder, folder: Folder): Promise<void> {
    for (let node: Folder | null = destination; node; node = node.parent ? await em.findOneOrFail(Folder, node.parent.id) : null) {
      if (node.id === folder.id) throw badInput('A folder cannot be moved into itself or one of its own subfolders.', 'parentId');
    }
  }

  private assertMembershipsEditable(group: Pick<Group, 'type' | 'fullName'>): void {
    if (DERIVED_MEMBERSHIP_TYPES.has(group.type)) {
      throw badInput(
        `The members of ${group.fullName} are maintained by Ferry from people's status and roles; they cannot be changed by hand.`,
        'groupId',
      );
    }
  }

  /** A membership that was added by hand (not derived from a nesting) in a group filled by hand. */
  private async directMembership(actor: Actor, em: EntityManager, id: string): Promise<GroupMembership> {
    const membership = await findWritable(em, actor.principal, GroupMembership, id);
    if (membership.nesting) {
      const nesting = await em.findOneOrFail(GroupNesting, membership.nesting.id);
      const nestedGroup = await em.findOneOrFail(Group, nesting.nestedGroup.id);
      throw badInput(
        `This membership comes from nested group ${nestedGroup.fullName}; change it in that group, or unnest that group.`,
        'id',
      );
    }
    this.assertMembershipsEditable(await em.findOneOrFail(Group, membership.group.id));
    return membership;
  }
}
