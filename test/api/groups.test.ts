import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ChangeLogDocument,
  CreateFolderDocument,
  CreateGroupDocument,
  DeleteFolderDocument,
  DeleteGroupDocument,
  FolderDocument,
  FoldersDocument,
  GroupDocument,
  GroupsDocument,
  UpdateFolderDocument,
  UpdateGroupDocument,
  type ChangeFieldsFragment,
  type ChangeLogQuery,
  type GroupsQuery,
} from '../../src/client/generated/graphql';
import type { GraphQLTestClient } from '../support/client';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, organizationWithTokens } from '../support/fixtures';

const MISSING = '00000000-0000-7000-8000-000000000000';

async function folder(client: GraphQLTestClient, organizationId: string, name: string, parentId: string | null = null) {
  return (await client.ok(CreateFolderDocument, { input: { organizationId, name, parentId } })).createFolder.folder;
}

async function group(client: GraphQLTestClient, folderId: string, name: string) {
  return (await client.ok(CreateGroupDocument, { input: { folderId, name } })).createGroup.group;
}

async function fullNames(client: GraphQLTestClient, organizationId: string, search?: string) {
  const data = await client.ok(GroupsDocument, { organizationId, filter: search ? { search } : null, first: 500 });
  return data.groups.nodes.map((g) => g.fullName).sort();
}

/** The change-log cursor now, to check later that a failed mutation wrote nothing. */
async function logCursor(client: GraphQLTestClient, organizationId: string): Promise<string> {
  let cursor: string | null = null;
  for (;;) {
    const page: ChangeLogQuery = await client.ok(ChangeLogDocument, { organizationId, after: cursor, first: 500 });
    cursor = page.changeLog.pageInfo.endCursor ?? cursor;
    if (!page.changeLog.pageInfo.hasNextPage) return cursor ?? '0';
  }
}

async function assertNothingLogged(client: GraphQLTestClient, organizationId: string, cursor: string) {
  const page = await client.ok(ChangeLogDocument, { organizationId, after: cursor, first: 500 });
  assert.deepEqual(page.changeLog.nodes, [], 'a failed mutation writes no change-log entry');
}

const updatesOf = (changes: ChangeFieldsFragment[], entityType: string) =>
  changes.filter((c) => c.entityType === entityType && c.kind === 'UPDATED');

/** entityId -> [before, after] of fullName, for the UPDATE entries that renamed something. */
const renames = (changes: ChangeFieldsFragment[], entityType: string) =>
  new Map(
    updatesOf(changes, entityType)
      .filter((c) => c.changedFields.includes('fullName'))
      .map((c) => [c.entityId, c.data?.fullName as [string, string]]),
  );

describe('folders and groups', () => {
  let t: TestFerry;
  before(async () => {
    t = await startTestFerry();
  });
  after(() => t?.stop());

  it('creates a folder tree with groups, and keeps full names right through renames and moves', async () => {
    const organization = await createOrganization(t.admin);
    const orgId = organization.id;
    const created = await t.admin.ok(CreateFolderDocument, { input: { organizationId: orgId, name: 'Research', description: 'All research' } });
    const research = created.createFolder.folder;
    assert.deepEqual(
      { name: research.name, fullName: research.fullName, parentId: research.parentId, system: research.system, description: research.description },
      { name: 'Research', fullName: 'Research', parentId: null, system: false, description: 'All research' },
    );
    assert.deepEqual(
      created.createFolder.changes.map((c) => [c.entityType, c.kind, c.entityId, c.organizationId]),
      [['Folder', 'CREATED', research.id, orgId]],
    );
    const labs = await folder(t.admin, orgId, 'Labs', research.id);
    const optics = await folder(t.admin, orgId, 'Optics', labs.id);
    assert.equal(optics.fullName, 'Research:Labs:Optics');
    const staff = await group(t.admin, research.id, 'staff');
    const heads = await group(t.admin, labs.id, 'heads');
    const lasers = (await t.admin.ok(CreateGroupDocument, { input: { folderId: optics.id, name: 'lasers', description: 'Laser lab', status: 'SUSPENDED' } })).createGroup;
    assert.equal(lasers.group.fullName, 'Research:Labs:Optics:lasers');
    assert.equal(lasers.group.type, 'STANDARD');
    assert.equal(lasers.group.status, 'SUSPENDED');
    assert.equal(lasers.group.couId, null);
    assert.deepEqual(lasers.changes.map((c) => [c.entityType, c.kind, c.groupId]), [['Group', 'CREATED', lasers.group.id]]);

    // Renaming the middle folder renames everything below it, and only that.
    const renamed = (await t.admin.ok(UpdateFolderDocument, { id: labs.id, input: { name: 'Laboratories' } })).updateFolder;
    assert.equal(renamed.folder.fullName, 'Research:Laboratories');
    assert.deepEqual(
      renames(renamed.changes, 'Group'),
      new Map([
        [heads.id, ['Research:Labs:heads', 'Research:Laboratories:heads']],
        [lasers.group.id, ['Research:Labs:Optics:lasers', 'Research:Laboratories:Optics:lasers']],
      ]),
    );
    assert.ok(updatesOf(renamed.changes, 'Group').every((c) => c.groupId === c.entityId), 'group renames are scoped to the group');
    assert.deepEqual(
      renames(renamed.changes, 'Folder'),
      new Map([
        [labs.id, ['Research:Labs', 'Research:Laboratories']],
        [optics.id, ['Research:Labs:Optics', 'Research:Laboratories:Optics']],
      ]),
    );
    assert.ok(updatesOf(renamed.changes, 'Folder').some((c) => c.entityId === labs.id && c.changedFields.includes('name')));
    assert.deepEqual(await fullNames(t.admin, orgId, 'research'), [
      'Research:Laboratories:Optics:lasers',
      'Research:Laboratories:heads',
      'Research:staff',
    ]);

    // Moving to the top level and then under another folder.
    const top = (await t.admin.ok(UpdateFolderDocument, { id: labs.id, input: { parentId: null } })).updateFolder;
    assert.equal(top.folder.fullName, 'Laboratories');
    assert.equal(top.folder.parentId, null);
    assert.equal(renames(top.changes, 'Group').get(lasers.group.id)?.[1], 'Laboratories:Optics:lasers');
    const faculty = await folder(t.admin, orgId, 'Faculty');
    const moved = (await t.admin.ok(UpdateFolderDocument, { id: labs.id, input: { parentId: faculty.id, description: 'moved' } })).updateFolder;
    assert.equal(moved.folder.fullName, 'Faculty:Laboratories');
    assert.equal(moved.folder.parentId, faculty.id);
    assert.equal(moved.folder.description, 'moved');
    assert.deepEqual(await fullNames(t.admin, orgId, 'faculty'), ['Faculty:Laboratories:Optics:lasers', 'Faculty:Laboratories:heads']);
    assert.deepEqual(await fullNames(t.admin, orgId, 'research'), ['Research:staff'], 'the old names are gone');

    // A folder cannot go into itself or below itself.
    const cursor = await logCursor(t.admin, orgId);
    const intoChild = await t.admin.fails('BAD_USER_INPUT', UpdateFolderDocument, { id: labs.id, input: { parentId: optics.id } });
    assert.match(intoChild.message, /itself or one of its own subfolders/);
    await t.admin.fails('BAD_USER_INPUT', UpdateFolderDocument, { id: labs.id, input: { parentId: labs.id } });
    await t.admin.fails('BAD_USER_INPUT', UpdateFolderDocument, { id: faculty.id, input: { parentId: optics.id } });
    await assertNothingLogged(t.admin, orgId, cursor);

    // Groups: rename, then move; the full name follows each time.
    const renamedGroup = (await t.admin.ok(UpdateGroupDocument, { id: lasers.group.id, input: { name: 'photonics', status: 'ACTIVE' } })).updateGroup;
    assert.equal(renamedGroup.group.fullName, 'Faculty:Laboratories:Optics:photonics');
    assert.equal(renamedGroup.group.status, 'ACTIVE');
    assert.deepEqual(renamedGroup.changes.length, 1);
    assert.deepEqual([...renamedGroup.changes[0].changedFields].sort(), ['fullName', 'name', 'status']);
    assert.deepEqual(renamedGroup.changes[0].data?.fullName, ['Faculty:Laboratories:Optics:lasers', 'Faculty:Laboratories:Optics:photonics']);
    const movedGroup = (await t.admin.ok(UpdateGroupDocument, { id: lasers.group.id, input: { folderId: research.id } })).updateGroup;
    assert.equal(movedGroup.group.fullName, 'Research:photonics');
    assert.equal(movedGroup.group.folderId, research.id);
    assert.deepEqual(movedGroup.changes[0].data?.fullName, ['Faculty:Laboratories:Optics:photonics', 'Research:photonics']);
    const unchanged = (await t.admin.ok(UpdateGroupDocument, { id: staff.id, input: { name: 'staff' } })).updateGroup;
    assert.deepEqual(unchanged.changes, [], 'an update that changes nothing logs nothing');

    // The tree as the nested fields show it.
    const view = await t.admin.ok(FolderDocument, { id: labs.id });
    assert.equal(view.folder.parent?.fullName, 'Faculty');
    assert.deepEqual(view.folder.children.map((c) => c.fullName), ['Faculty:Laboratories:Optics']);
    assert.deepEqual(view.folder.groups.map((g) => g.fullName), ['Faculty:Laboratories:heads']);
    const groupView = await t.admin.ok(GroupDocument, { id: heads.id });
    assert.equal(groupView.group.folder?.id, labs.id);
    assert.equal(groupView.group.folder?.fullName, 'Faculty:Laboratories');
  });

  it('rejects bad names and places without writing anything', async () => {
    const organization = await createOrganization(t.admin);
    const other = await createOrganization(t.admin);
    const orgId = organization.id;
    const home = await folder(t.admin, orgId, 'Home');
    const existing = await group(t.admin, home.id, 'existing');
    const otherFolder = await folder(t.admin, other.id, 'Elsewhere');
    const folders = await t.admin.ok(FoldersDocument, { organizationId: orgId, first: 100 });
    const co = folders.folders.nodes.find((f) => f.fullName === 'CO')!;
    const coMembers = folders.folders.nodes.find((f) => f.fullName === 'CO:members')!;
    assert.ok(co.system && coMembers.system);
    const cursor = await logCursor(t.admin, orgId);

    for (const name of ['a:b', '', ' padded', 'x'.repeat(256), 'bell\u0007']) {
      await t.admin.fails('BAD_USER_INPUT', CreateFolderDocument, { input: { organizationId: orgId, name } });
      await t.admin.fails('BAD_USER_INPUT', CreateGroupDocument, { input: { folderId: home.id, name } });
      await t.admin.fails('BAD_USER_INPUT', UpdateFolderDocument, { id: home.id, input: { name } });
      await t.admin.fails('BAD_USER_INPUT', UpdateGroupDocument, { id: existing.id, input: { name } });
    }
    const separator = await t.admin.fails('BAD_USER_INPUT', CreateGroupDocument, { input: { folderId: home.id, name: 'x:y' } });
    assert.match(separator.message, /":"/);
    await t.admin.fails('BAD_USER_INPUT', UpdateFolderDocument, { id: home.id, input: { name: null } });
    await t.admin.fails('BAD_USER_INPUT', UpdateGroupDocument, { id: existing.id, input: { folderId: null } });
    await t.admin.fails('BAD_USER_INPUT', UpdateGroupDocument, { id: existing.id, input: { status: null } });
    await t.admin.fails('BAD_USER_INPUT', CreateGroupDocument, { input: { folderId: 'nope', name: 'g' } });

    // The CO tree is reserved for the automatic groups.
    const reserved = await t.admin.fails('BAD_USER_INPUT', CreateFolderDocument, { input: { organizationId: orgId, name: 'CO' } });
    assert.match(reserved.message, /reserved/);
    await t.admin.fails('BAD_USER_INPUT', CreateFolderDocument, { input: { organizationId: orgId, name: 'mine', parentId: co.id } });
    await t.admin.fails('BAD_USER_INPUT', CreateFolderDocument, { input: { organizationId: orgId, name: 'mine', parentId: coMembers.id } });
    const groupInCo = await t.admin.fails('BAD_USER_INPUT', CreateGroupDocument, { input: { folderId: co.id, name: 'mine' } });
    assert.match(groupInCo.message, /reserved/);
    await t.admin.fails('BAD_USER_INPUT', UpdateGroupDocument, { id: existing.id, input: { folderId: coMembers.id } });
    await t.admin.fails('BAD_USER_INPUT', UpdateFolderDocument, { id: home.id, input: { parentId: co.id } });
    await t.admin.fails('BAD_USER_INPUT', UpdateFolderDocument, { id: home.id, input: { name: 'CO' } });

    // Other organisations' folders, and folders that do not exist.
    await t.admin.fails('BAD_USER_INPUT', CreateFolderDocument, { input: { organizationId: orgId, name: 'x', parentId: otherFolder.id } });
    await t.admin.fails('BAD_USER_INPUT', UpdateFolderDocument, { id: home.id, input: { parentId: otherFolder.id } });
    await t.admin.fails('BAD_USER_INPUT', UpdateGroupDocument, { id: existing.id, input: { folderId: otherFolder.id } });
    await t.admin.fails('NOT_FOUND', CreateGroupDocument, { input: { folderId: MISSING, name: 'g' } });
    await t.admin.fails('NOT_FOUND', CreateFolderDocument, { input: { organizationId: MISSING, name: 'g' } });
    await t.admin.fails('NOT_FOUND', CreateFolderDocument, { input: { organizationId: orgId, name: 'g', parentId: MISSING } });
    await t.admin.fails('NOT_FOUND', UpdateFolderDocument, { id: MISSING, input: { description: 'x' } });
    await t.admin.fails('NOT_FOUND', UpdateGroupDocument, { id: MISSING, input: { description: 'x' } });
    await t.admin.fails('NOT_FOUND', FolderDocument, { id: MISSING });
    await t.admin.fails('NOT_FOUND', GroupDocument, { id: 'not-a-uuid' });

    // Names are unique per organisation.
    const dupFolder = await t.admin.fails('CONFLICT', CreateFolderDocument, { input: { organizationId: orgId, name: 'Home' } });
    assert.match(dupFolder.message, /folder with this full name already exists/);
    const dupGroup = await t.admin.fails('CONFLICT', CreateGroupDocument, { input: { folderId: home.id, name: 'existing' } });
    assert.match(dupGroup.message, /group with this full name already exists/);
    await assertNothingLogged(t.admin, orgId, cursor);

    // The same names are fine in another organisation.
    await folder(t.admin, other.id, 'Home');
  });

  it('reports a full-name clash caused by a move as a conflict', async () => {
    const { id: orgId } = await createOrganization(t.admin);
    const a = await folder(t.admin, orgId, 'A');
    const b = await folder(t.admin, orgId, 'B');
    await folder(t.admin, orgId, 'Same', a.id);
    const same = await folder(t.admin, orgId, 'Same', b.id);
    await group(t.admin, a.id, 'g');
    const g = await group(t.admin, b.id, 'g');
    const cursor = await logCursor(t.admin, orgId);
    await t.admin.fails('CONFLICT', UpdateFolderDocument, { id: same.id, input: { parentId: a.id } });
    await t.admin.fails('CONFLICT', UpdateGroupDocument, { id: g.id, input: { folderId: a.id } });
    await t.admin.fails('CONFLICT', UpdateFolderDocument, { id: b.id, input: { name: 'A' } });
    await assertNothingLogged(t.admin, orgId, cursor);
  });

  it('protects the system folders and the automatic groups', async () => {
    const { id: orgId } = await createOrganization(t.admin);
    const userFolder = await folder(t.admin, orgId, 'Users');
    const topLevel = await t.admin.ok(FoldersDocument, { organizationId: orgId, filter: { parentId: null } });
    const co = topLevel.folders.nodes.find((f) => f.name === 'CO')!;
    assert.equal(co.system, true);
    const all = (await t.admin.ok(GroupsDocument, { organizationId: orgId, filter: { type: 'MEMBERS_ALL' } })).groups.nodes[0];
    assert.equal(all.fullName, 'CO:members:all');
    const cursor = await logCursor(t.admin, orgId);

    const rename = await t.admin.fails('BAD_USER_INPUT', UpdateFolderDocument, { id: co.id, input: { name: 'Other' } });
    assert.match(rename.message, /maintained by Ferry/);
    await t.admin.fails('BAD_USER_INPUT', UpdateFolderDocument, { id: co.id, input: { parentId: userFolder.id } });
    await t.admin.fails('BAD_USER_INPUT', UpdateFolderDocument, { id: all.folderId!, input: { parentId: null } });
    await t.admin.fails('BAD_USER_INPUT', DeleteFolderDocument, { id: all.folderId! });
    const renameGroup = await t.admin.fails('BAD_USER_INPUT', UpdateGroupDocument, { id: all.id, input: { name: 'everyone' } });
    assert.match(renameGroup.message, /automatic group/);
    await t.admin.fails('BAD_USER_INPUT', UpdateGroupDocument, { id: all.id, input: { folderId: userFolder.id } });
    await t.admin.fails('BAD_USER_INPUT', UpdateGroupDocument, { id: all.id, input: { status: 'SUSPENDED' } });
    const deletion = await t.admin.fails('BAD_USER_INPUT', DeleteGroupDocument, { id: all.id });
    assert.match(deletion.message, /cannot be deleted/);
    await assertNothingLogged(t.admin, orgId, cursor);

    // Descriptions may still be changed.
    const described = (await t.admin.ok(UpdateGroupDocument, { id: all.id, input: { description: 'Everyone here' } })).updateGroup;
    assert.equal(described.group.description, 'Everyone here');
    assert.equal(described.group.fullName, 'CO:members:all');
    assert.deepEqual(described.changes.map((c) => [c.entityType, c.kind, c.changedFields]), [['Group', 'UPDATED', ['description']]]);
    const coDescribed = (await t.admin.ok(UpdateFolderDocument, { id: co.id, input: { description: 'System' } })).updateFolder;
    assert.equal(coDescribed.folder.description, 'System');
    assert.equal(coDescribed.folder.fullName, 'CO');
  });

  it('deletes only empty folders, and deleted groups and folders are gone', async () => {
    const { id: orgId } = await createOrganization(t.admin);
    const parent = await folder(t.admin, orgId, 'Parent');
    const child = await folder(t.admin, orgId, 'Child', parent.id);
    const g = await group(t.admin, child.id, 'g');
    const cursor = await logCursor(t.admin, orgId);
    const withChild = await t.admin.fails('CONFLICT', DeleteFolderDocument, { id: parent.id });
    assert.match(withChild.message, /still contains 1 folder\(s\) and 0 group\(s\)/);
    const withGroup = await t.admin.fails('CONFLICT', DeleteFolderDocument, { id: child.id });
    assert.match(withGroup.message, /0 folder\(s\) and 1 group\(s\)/);
    await assertNothingLogged(t.admin, orgId, cursor);

    const deletedGroup = (await t.admin.ok(DeleteGroupDocument, { id: g.id })).deleteGroup;
    assert.equal(deletedGroup.id, g.id);
    assert.deepEqual(deletedGroup.changes.map((c) => [c.entityType, c.kind, c.entityId]), [['Group', 'DELETED', g.id]]);
    await t.admin.fails('NOT_FOUND', GroupDocument, { id: g.id });
    await t.admin.fails('NOT_FOUND', DeleteGroupDocument, { id: g.id });

    const deletedChild = (await t.admin.ok(DeleteFolderDocument, { id: child.id })).deleteFolder;
    assert.deepEqual(deletedChild.changes.map((c) => [c.entityType, c.kind, c.entityId]), [['Folder', 'DELETED', child.id]]);
    await t.admin.ok(DeleteFolderDocument, { id: parent.id });
    await t.admin.fails('NOT_FOUND', FolderDocument, { id: parent.id });
    const left = await t.admin.ok(FoldersDocument, { organizationId: orgId, filter: { search: 'parent' } });
    assert.equal(left.folders.totalCount, 0);
  });

  it('filters and pages folders and groups', async () => {
    const { id: orgId } = await createOrganization(t.admin);
    const chem = await folder(t.admin, orgId, 'Chemistry');
    const organic = await folder(t.admin, orgId, 'Organic', chem.id);
    await folder(t.admin, orgId, 'Physics');
    const percent = await group(t.admin, chem.id, '100%_sure');
    await group(t.admin, chem.id, '100ab_sure');
    await group(t.admin, organic.id, 'OrganicLab');
    const suspended = (await t.admin.ok(CreateGroupDocument, { input: { folderId: organic.id, name: 'old', status: 'SUSPENDED' } })).createGroup.group;

    const top = await t.admin.ok(FoldersDocument, { organizationId: orgId, filter: { parentId: null } });
    assert.deepEqual(top.folders.nodes.map((f) => f.fullName).sort(), ['CO', 'Chemistry', 'Physics']);
    const inChem = await t.admin.ok(FoldersDocument, { organizationId: orgId, filter: { parentId: chem.id } });
    assert.deepEqual(inChem.folders.nodes.map((f) => f.fullName), ['Chemistry:Organic']);
    const everywhere = await t.admin.ok(FoldersDocument, { organizationId: orgId });
    assert.ok(everywhere.folders.nodes.some((f) => f.fullName === 'CO:members'), 'without parentId, folders of every depth');
    const searched = await t.admin.ok(FoldersDocument, { organizationId: orgId, filter: { search: 'cHEm' } });
    assert.deepEqual(searched.folders.nodes.map((f) => f.fullName), ['Chemistry', 'Chemistry:Organic']);

    const literal = await t.admin.ok(GroupsDocument, { organizationId: orgId, filter: { search: '100%_' } });
    assert.deepEqual(literal.groups.nodes.map((g) => g.id), [percent.id], 'LIKE wildcards are matched literally');
    const inFolder = await t.admin.ok(GroupsDocument, { organizationId: orgId, filter: { folderId: organic.id } });
    assert.deepEqual(inFolder.groups.nodes.map((g) => g.name), ['OrganicLab', 'old']);
    const bySearch = await t.admin.ok(GroupsDocument, { organizationId: orgId, filter: { search: 'ORGANIC' } });
    assert.deepEqual(bySearch.groups.nodes.map((g) => g.fullName), ['Chemistry:Organic:OrganicLab', 'Chemistry:Organic:old']);
    const combined = await t.admin.ok(GroupsDocument, { organizationId: orgId, filter: { search: 'organic', status: 'SUSPENDED' } });
    assert.deepEqual(combined.groups.nodes.map((g) => g.id), [suspended.id]);
    const admins = await t.admin.ok(GroupsDocument, { organizationId: orgId, filter: { type: 'ADMINS' } });
    assert.deepEqual(admins.groups.nodes.map((g) => g.fullName), ['CO:admins']);
    const standard = await t.admin.ok(GroupsDocument, { organizationId: orgId, filter: { type: 'STANDARD', status: 'ACTIVE' } });
    assert.equal(standard.groups.totalCount, 3);

    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: GroupsQuery = await t.admin.ok(GroupsDocument, { organizationId: orgId, first: 2, after });
      assert.equal(page.groups.totalCount, 7, 'three automatic and four user groups');
      seen.push(...page.groups.nodes.map((g) => g.id));
      pages++;
      if (!page.groups.pageInfo.hasNextPage) break;
      after = page.groups.pageInfo.endCursor;
    }
    assert.equal(pages, 4);
    assert.equal(new Set(seen).size, 7);
    assert.deepEqual(seen, [...seen].sort(), 'creation (id) order');
    await t.admin.fails('BAD_USER_INPUT', GroupsDocument, { organizationId: orgId, first: 501 });
    await t.admin.fails('BAD_USER_INPUT', GroupsDocument, { organizationId: orgId, after: 'bogus' });
    await t.admin.fails('BAD_USER_INPUT', GroupsDocument, { organizationId: orgId, filter: { folderId: 'nope' } });
    await t.admin.fails('NOT_FOUND', GroupsDocument, { organizationId: MISSING });
    await t.admin.fails('NOT_FOUND', FoldersDocument, { organizationId: MISSING });
  });

  it('enforces roles on folders and groups', async () => {
    const { organization, orgAdmin, reader, outsider, anonymous } = await organizationWithTokens(t);
    const orgId = organization.id;
    // Organisation admins do everything.
    const f = await folder(orgAdmin, orgId, 'Team');
    const g = await group(orgAdmin, f.id, 'crew');
    await orgAdmin.ok(UpdateFolderDocument, { id: f.id, input: { name: 'Teams' } });
    await orgAdmin.ok(UpdateGroupDocument, { id: g.id, input: { description: 'The crew' } });

    // Readers read.
    assert.equal((await reader.ok(FolderDocument, { id: f.id })).folder.fullName, 'Teams');
    assert.equal((await reader.ok(GroupDocument, { id: g.id })).group.fullName, 'Teams:crew');
    assert.ok((await reader.ok(GroupsDocument, { organizationId: orgId })).groups.totalCount >= 4);
    assert.ok((await reader.ok(FoldersDocument, { organizationId: orgId })).folders.totalCount >= 3);
    // ...but do not write.
    const cursor = await logCursor(t.admin, orgId);
    await reader.fails('FORBIDDEN', CreateFolderDocument, { input: { organizationId: orgId, name: 'x' } });
    await reader.fails('FORBIDDEN', UpdateFolderDocument, { id: f.id, input: { name: 'x' } });
    await reader.fails('FORBIDDEN', DeleteFolderDocument, { id: f.id });
    await reader.fails('FORBIDDEN', CreateGroupDocument, { input: { folderId: f.id, name: 'x' } });
    await reader.fails('FORBIDDEN', UpdateGroupDocument, { id: g.id, input: { name: 'x' } });
    await reader.fails('FORBIDDEN', DeleteGroupDocument, { id: g.id });

    // Another organisation's admin sees nothing.
    await outsider.fails('NOT_FOUND', FolderDocument, { id: f.id });
    await outsider.fails('NOT_FOUND', GroupDocument, { id: g.id });
    await outsider.fails('NOT_FOUND', FoldersDocument, { organizationId: orgId });
    await outsider.fails('NOT_FOUND', GroupsDocument, { organizationId: orgId });
    await outsider.fails('NOT_FOUND', CreateFolderDocument, { input: { organizationId: orgId, name: 'x' } });
    await outsider.fails('NOT_FOUND', UpdateFolderDocument, { id: f.id, input: { name: 'x' } });
    await outsider.fails('NOT_FOUND', DeleteFolderDocument, { id: f.id });
    await outsider.fails('NOT_FOUND', CreateGroupDocument, { input: { folderId: f.id, name: 'x' } });
    await outsider.fails('NOT_FOUND', UpdateGroupDocument, { id: g.id, input: { name: 'x' } });
    await outsider.fails('NOT_FOUND', DeleteGroupDocument, { id: g.id });

    // No token, no access.
    for (const response of [
      await anonymous.request(GroupDocument, { id: g.id }),
      await anonymous.request(GroupsDocument, { organizationId: orgId }),
      await anonymous.request(CreateFolderDocument, { input: { organizationId: orgId, name: 'x' } }),
      await anonymous.request(DeleteGroupDocument, { id: g.id }),
    ]) {
      assert.equal(response.status, 401);
      assert.equal(response.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
    }
    await assertNothingLogged(t.admin, orgId, cursor);

    await orgAdmin.ok(DeleteGroupDocument, { id: g.id });
    await orgAdmin.ok(DeleteFolderDocument, { id: f.id });
  });
});
