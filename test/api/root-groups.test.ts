import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AddGroupMemberDocument,
  ChangeLogDocument,
  CreateFolderDocument,
  CreateGroupDocument,
  CreatePersonDocument,
  CreateProvisioningTargetDocument,
  ExportPopulationDocument,
  GroupDocument,
  GroupsDocument,
  ImportPopulationDocument,
  ImportRunDocument,
  ProvisionableDocument,
  SetFolderProvisioningDocument,
  SetGroupProvisioningDocument,
  UpdateGroupDocument,
  type ChangeLogQuery,
  type ImportFormat,
} from '../../src/client/generated/graphql';
import type { GraphQLTestClient } from '../support/client';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, uniqueName } from '../support/fixtures';
import { recordingPlugin } from '../support/recording-plugin';

/**
 * Groups at the root (no folder), as COmanage's flat groups: created and moved there through the
 * API, unique by name in their organisation, decided by their own assignment only on folder-rules
 * targets, and carried through imports and exports.
 */
describe('groups at the root', () => {
  let t: TestFerry;
  const recorder = recordingPlugin();
  before(async () => {
    t = await startTestFerry({ FERRY_JOB_POLL_MS: '100' }, { plugins: [recorder.plugin] });
  });
  after(() => t?.stop());

  async function folder(organizationId: string, name: string, parentId: string | null = null) {
    return (await t.admin.ok(CreateFolderDocument, { input: { organizationId, name, parentId } })).createFolder.folder;
  }

  async function rootGroup(organizationId: string, name: string, client: GraphQLTestClient = t.admin) {
    return (await client.ok(CreateGroupDocument, { input: { organizationId, name } })).createGroup.group;
  }

  async function fullNamesAt(organizationId: string, topLevel: boolean | null) {
    const data = await t.admin.ok(GroupsDocument, { organizationId, filter: topLevel === null ? null : { topLevel }, first: 500 });
    return data.groups.nodes.map((g) => g.fullName).sort();
  }

  async function cursorOf(organizationId: string): Promise<string> {
    let cursor: string | null = null;
    for (;;) {
      const page: ChangeLogQuery = await t.admin.ok(ChangeLogDocument, { organizationId, after: cursor, first: 500 });
      cursor = page.changeLog.pageInfo.endCursor ?? cursor;
      if (!page.changeLog.pageInfo.hasNextPage) return cursor ?? '0';
    }
  }

  it('creates a group at the root: no folder, its full name is its name, listed with topLevel', async () => {
    const { id: orgId } = await createOrganization(t.admin);
    const app = await folder(orgId, 'app');
    await t.admin.ok(CreateGroupDocument, { input: { folderId: app.id, name: 'wiki' } });

    const staff = await rootGroup(orgId, 'staff');
    assert.deepEqual(
      { name: staff.name, fullName: staff.fullName, folderId: staff.folderId, organizationId: staff.organizationId, type: staff.type },
      { name: 'staff', fullName: 'staff', folderId: null, organizationId: orgId, type: 'STANDARD' },
    );
    const read = (await t.admin.ok(GroupDocument, { id: staff.id })).group;
    assert.equal(read.folder, null);

    assert.deepEqual(await fullNamesAt(orgId, true), ['staff'], 'topLevel: true lists the root groups only');
    const inFolders = await fullNamesAt(orgId, false);
    assert.ok(inFolders.includes('app:wiki') && inFolders.includes('CO:members:all') && !inFolders.includes('staff'), inFolders.join());
    assert.ok((await fullNamesAt(orgId, null)).includes('staff'));

    // With folderId as well, organizationId must be the folder's.
    const other = await createOrganization(t.admin);
    const mismatch = await t.admin.fails('BAD_USER_INPUT', CreateGroupDocument, { input: { folderId: app.id, organizationId: other.id, name: 'x' } });
    assert.equal(mismatch.extensions?.field, 'folderId');
    assert.equal((await t.admin.ok(CreateGroupDocument, { input: { folderId: app.id, organizationId: orgId, name: 'both' } })).createGroup.group.fullName, 'app:both');

    // Neither: where would it go?
    const nowhere = await t.admin.fails('BAD_USER_INPUT', CreateGroupDocument, { input: { name: 'lost' } });
    assert.equal(nowhere.extensions?.field, 'organizationId');

    // CO stays reserved at the root, for groups as for folders.
    const reserved = await t.admin.fails('BAD_USER_INPUT', CreateGroupDocument, { input: { organizationId: orgId, name: 'CO' } });
    assert.match(reserved.message, /reserved/);
    await t.admin.fails('BAD_USER_INPUT', CreateGroupDocument, { input: { organizationId: orgId, name: 'a:b' } });
  });

  it('keeps root names unique per organisation (CONFLICT), beside a folder of the same name', async () => {
    const { id: orgId } = await createOrganization(t.admin);
    const staff = await rootGroup(orgId, 'staff');
    const cursor = await cursorOf(orgId);

    const duplicate = await t.admin.fails('CONFLICT', CreateGroupDocument, { input: { organizationId: orgId, name: 'staff' } });
    assert.equal(duplicate.extensions?.constraint, 'group_organization_id_full_name_unique');
    assert.match(duplicate.message, /A group with this full name already exists/);

    // Moving a group named staff to the root, or renaming a root group to staff, is the same conflict.
    const app = await folder(orgId, 'app');
    const appStaff = (await t.admin.ok(CreateGroupDocument, { input: { folderId: app.id, name: 'staff' } })).createGroup.group;
    const move = await t.admin.fails('CONFLICT', UpdateGroupDocument, { id: appStaff.id, input: { moveToRoot: true } });
    assert.equal(move.extensions?.constraint, 'group_organization_id_full_name_unique');
    const faculty = await rootGroup(orgId, 'faculty');
    await t.admin.fails('CONFLICT', UpdateGroupDocument, { id: faculty.id, input: { name: 'staff' } });
    const unchanged = await t.admin.ok(ChangeLogDocument, { organizationId: orgId, after: cursor, first: 100 });
    assert.deepEqual(
      unchanged.changeLog.nodes.filter((e) => e.entityId === staff.id || e.entityId === faculty.id).map((e) => e.kind),
      ['CREATED'],
      'only faculty\'s creation: the refused writes left nothing',
    );

    // A folder named like a root group is another namespace: both exist.
    const staffFolder = await folder(orgId, 'staff');
    assert.equal(staffFolder.fullName, 'staff');
    const inside = (await t.admin.ok(CreateGroupDocument, { input: { folderId: staffFolder.id, name: 'staff' } })).createGroup.group;
    assert.equal(inside.fullName, 'staff:staff');

    // Another organisation has its own root.
    const other = await createOrganization(t.admin);
    assert.equal((await rootGroup(other.id, 'staff')).fullName, 'staff');
  });

  it('moves a group to the root and back; its full name follows, and the change log shows it', async () => {
    const { id: orgId } = await createOrganization(t.admin);
    const app = await folder(orgId, 'app');
    const lab = await folder(orgId, 'lab', app.id);
    const group = (await t.admin.ok(CreateGroupDocument, { input: { folderId: lab.id, name: 'staff' } })).createGroup.group;
    assert.equal(group.fullName, 'app:lab:staff');

    const toRoot = (await t.admin.ok(UpdateGroupDocument, { id: group.id, input: { moveToRoot: true } })).updateGroup;
    assert.deepEqual([toRoot.group.fullName, toRoot.group.folderId], ['staff', null]);
    const update = toRoot.changes.find((c) => c.entityType === 'Group' && c.kind === 'UPDATED')!;
    assert.ok(update.changedFields.includes('fullName'), update.changedFields.join());
    assert.deepEqual(update.data?.fullName, ['app:lab:staff', 'staff']);

    // Renamed at the root: the full name is the new name.
    const renamed = (await t.admin.ok(UpdateGroupDocument, { id: group.id, input: { name: 'employees' } })).updateGroup.group;
    assert.deepEqual([renamed.fullName, renamed.folderId], ['employees', null]);
    // moveToRoot on a root group, and moveToRoot: false, change nothing.
    assert.equal((await t.admin.ok(UpdateGroupDocument, { id: group.id, input: { moveToRoot: true } })).updateGroup.changes.length, 0);
    assert.equal((await t.admin.ok(UpdateGroupDocument, { id: group.id, input: { moveToRoot: false } })).updateGroup.changes.length, 0);

    const back = (await t.admin.ok(UpdateGroupDocument, { id: group.id, input: { folderId: app.id } })).updateGroup.group;
    assert.deepEqual([back.fullName, back.folderId], ['app:employees', app.id]);

    // Refused: both a folder and the root; a root name of CO; automatic groups; null for folderId (as before).
    const both = await t.admin.fails('BAD_USER_INPUT', UpdateGroupDocument, { id: group.id, input: { folderId: lab.id, moveToRoot: true } });
    assert.equal(both.extensions?.field, 'moveToRoot');
    const co = (await t.admin.ok(CreateGroupDocument, { input: { folderId: app.id, name: 'CO' } })).createGroup.group;
    assert.match((await t.admin.fails('BAD_USER_INPUT', UpdateGroupDocument, { id: co.id, input: { moveToRoot: true } })).message, /reserved/);
    const atRoot = await rootGroup(orgId, 'flat');
    await t.admin.fails('BAD_USER_INPUT', UpdateGroupDocument, { id: atRoot.id, input: { name: 'CO' } });
    const all = (await t.admin.ok(GroupsDocument, { organizationId: orgId, filter: { type: 'MEMBERS_ALL' } })).groups.nodes[0];
    assert.match((await t.admin.fails('BAD_USER_INPUT', UpdateGroupDocument, { id: all.id, input: { moveToRoot: true } })).message, /automatic/);
    await t.admin.fails('BAD_USER_INPUT', UpdateGroupDocument, { id: group.id, input: { folderId: null } });
    assert.equal((await t.admin.ok(GroupDocument, { id: group.id })).group.fullName, 'app:employees');
  });

  it('folder rules: a root group has no folder above it, so only its own assignment decides', async () => {
    const { id: orgId } = await createOrganization(t.admin);
    const target = (
      await t.admin.ok(CreateProvisioningTargetDocument, {
        input: { organizationId: orgId, name: uniqueName('rules'), plugin: 'recorder', mode: 'MANUAL', config: {}, groupSelection: 'FOLDER_RULES' },
      })
    ).createProvisioningTarget.target;
    const app = await folder(orgId, 'app');
    const flat = await rootGroup(orgId, 'flat');
    const moving = (await t.admin.ok(CreateGroupDocument, { input: { folderId: app.id, name: 'moving' } })).createGroup.group;
    await t.admin.ok(SetFolderProvisioningDocument, { input: { targetId: target.id, folderId: app.id, provision: true, scope: 'SUB' } });
    const decision = async (groupId: string) => (await t.admin.ok(ProvisionableDocument, { groupId, targetId: target.id })).provisionable;

    const none = await decision(flat.id);
    assert.deepEqual([none.provisionable, none.source, none.folderId, none.depth], [false, 'NONE', null, null]);
    assert.match(none.explanation, /at the root/);
    assert.equal((await decision(moving.id)).provisionable, true, 'app:moving is provisioned by its folder');

    // Moved to the root, the folder's mark no longer reaches it.
    await t.admin.ok(UpdateGroupDocument, { id: moving.id, input: { moveToRoot: true } });
    const moved = await decision(moving.id);
    assert.deepEqual([moved.provisionable, moved.source], [false, 'NONE']);

    // Its own assignment decides, both ways.
    await t.admin.ok(SetGroupProvisioningDocument, { input: { targetId: target.id, groupId: flat.id, provision: true } });
    const marked = await decision(flat.id);
    assert.deepEqual([marked.provisionable, marked.source], [true, 'GROUP_ASSIGNMENT']);
    // Moving it into the marked folder and back does not change that (R1).
    await t.admin.ok(UpdateGroupDocument, { id: flat.id, input: { folderId: app.id } });
    assert.equal((await decision(flat.id)).source, 'GROUP_ASSIGNMENT');
    await t.admin.ok(UpdateGroupDocument, { id: flat.id, input: { moveToRoot: true } });
    assert.deepEqual([(await decision(flat.id)).provisionable, (await decision(flat.id)).source], [true, 'GROUP_ASSIGNMENT']);
  });

  async function importFile(organizationId: string, format: ImportFormat, document: string) {
    const started = await t.admin.ok(ImportPopulationDocument, { input: { organizationId, format, document } });
    for (let i = 0; i < 600; i++) {
      const { importRun } = await t.admin.ok(ImportRunDocument, { id: started.importPopulation.id });
      if (importRun.state !== 'QUEUED' && importRun.state !== 'RUNNING') return importRun;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the import did not finish');
  }

  it('imports a full name without ":" as a group at the root, and exports it so', async () => {
    const source = await createOrganization(t.admin);
    const ada = (
      await t.admin.ok(CreatePersonDocument, {
        input: { organizationId: source.id, names: [{ given: 'Ada', family: 'Lovelace' }], identifiers: [{ type: 'uid', value: 'ada' }] },
      })
    ).createPerson.person;
    const staff = await rootGroup(source.id, 'staff');
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: staff.id, personId: ada.id } });
    const exported = (await t.admin.ok(ExportPopulationDocument, { organizationId: source.id })).exportPopulation;
    assert.deepEqual(JSON.parse(exported).groups.map((g: { fullName: string }) => g.fullName), ['staff']);

    const target = await createOrganization(t.admin);
    const run = await importFile(target.id, 'FERRY_JSON', exported);
    assert.equal(run.state, 'DONE', run.error ?? undefined);
    const imported = (await t.admin.ok(GroupsDocument, { organizationId: target.id, filter: { topLevel: true } })).groups.nodes;
    assert.deepEqual(imported.map((g) => [g.fullName, g.name, g.folderId]), [['staff', 'staff', null]]);
    assert.equal((await t.admin.ok(ExportPopulationDocument, { organizationId: target.id })).exportPopulation, exported);

    // CSV memberships: a flat name is a root group, a name with ":" gets its folders.
    const csv = await importFile(target.id, 'CSV', ['group,person', 'faculty,ada', 'app:wiki,ada'].join('\n'));
    assert.equal(csv.state, 'DONE', csv.error ?? undefined);
    const groups = (await t.admin.ok(GroupsDocument, { organizationId: target.id, filter: { type: 'STANDARD' }, first: 100 })).groups.nodes;
    assert.deepEqual(
      groups.map((g) => [g.fullName, g.folderId === null]).sort(),
      [['app:wiki', false], ['faculty', true], ['staff', true]],
    );
  });
});
