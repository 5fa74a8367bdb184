import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AddGroupMemberDocument,
  CreateFolderDocument,
  CreateGroupDocument,
  CreatePersonDocument,
  CreateProvisioningTargetDocument,
  GroupNameCollisionsDocument,
  ProvisioningStatusDocument,
  SetFolderProvisioningDocument,
  UpdateGroupDocument,
} from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, uniqueName } from '../support/fixtures';
import { startSlapd, type Slapd } from '../support/slapd';

/**
 * groupNaming on LDAP targets, through the API into a real slapd: "name" reproduces a COmanage
 * directory (cn=staff, isMemberOf: staff) from groups at the root or in folders; "fullName", the
 * default, is unchanged (cn=app:wiki); moves between folders keep the entry under "name"; two
 * groups with one name do not share an entry.
 */
describe('LDAP group naming (groupNaming) against a real slapd', () => {
  let t: TestFerry;
  let slapd: Slapd;
  before(async () => {
    slapd = await startSlapd();
    t = await startTestFerry();
  });
  after(async () => {
    await t?.stop();
    await slapd?.dispose();
  });

  /** A branch of the directory of its own, so tests cannot see each other. */
  const branch = () => slapd.branch(uniqueName('t'));

  async function ldapTarget(organizationId: string, dirs: { people: string; groups: string }, naming?: 'name' | 'fullName', settings: { groupSelection?: 'FOLDER_RULES'; mode?: 'MANUAL' } = {}) {
    return (
      await t.admin.ok(CreateProvisioningTargetDocument, {
        input: {
          organizationId,
          name: uniqueName('ldap'),
          plugin: 'ldap',
          mode: 'AUTOMATIC',
          ...settings,
          config: {
            url: slapd.url,
            bindDn: slapd.bindDn,
            bindPassword: slapd.bindPassword,
            peopleBaseDn: dirs.people,
            groupBaseDn: dirs.groups,
            personObjectClasses: { eduPerson: true, eduMember: true },
            groupObjectClasses: { groupOfNames: true },
            ...(naming ? { groupNaming: naming } : {}),
          },
        },
      })
    ).createProvisioningTarget.target;
  }

  async function person(organizationId: string, uid: string) {
    return (
      await t.admin.ok(CreatePersonDocument, {
        input: { organizationId, status: 'ACTIVE', names: [{ given: uid, family: 'Test' }], identifiers: [{ type: 'uid', value: uid }] },
      })
    ).createPerson.person;
  }

  async function member(groupId: string, personId: string) {
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId, personId } });
  }

  async function folder(organizationId: string, name: string) {
    return (await t.admin.ok(CreateFolderDocument, { input: { organizationId, name } })).createFolder.folder;
  }

  async function entryUuid(dn: string): Promise<string | null> {
    return (await slapd.entry(dn, { attributes: ['entryUUID'] }))?.get('entryUUID')[0] ?? null;
  }

  it('groupNaming "name" gives a COmanage-like flat directory: cn=staff and isMemberOf: staff', async () => {
    const { id: orgId } = await createOrganization(t.admin);
    const flat = await branch();
    const full = await branch();
    await ldapTarget(orgId, flat, 'name');
    await ldapTarget(orgId, full); // the default: full names
    const ada = await person(orgId, 'ada');
    const staff = (await t.admin.ok(CreateGroupDocument, { input: { organizationId: orgId, name: 'staff' } })).createGroup.group;
    const app = await folder(orgId, 'app');
    const wiki = (await t.admin.ok(CreateGroupDocument, { input: { folderId: app.id, name: 'wiki' } })).createGroup.group;
    await member(staff.id, ada.id);
    await member(wiki.id, ada.id);

    // The flat target: every group under its own name, automatic groups under their COmanage names.
    const staffEntry = await slapd.entry(`cn=staff,${flat.groups}`);
    assert.ok(staffEntry, 'cn=staff exists');
    assert.deepEqual(staffEntry.get('cn'), ['staff']);
    assert.deepEqual(staffEntry.get('member'), [`uid=ada,${flat.people}`]);
    assert.ok(await slapd.entry(`cn=wiki,${flat.groups}`), 'a group in a folder is named by its own name too');
    assert.equal(await slapd.entry(`cn=app:wiki,${flat.groups}`), null);
    assert.ok(await slapd.entry(`cn=CO:members:all,${flat.groups}`), 'automatic groups keep their COmanage names');
    assert.deepEqual((await slapd.entry(`uid=ada,${flat.people}`))?.sorted('isMemberOf'), ['CO:members:active', 'CO:members:all', 'staff', 'wiki']);

    // The default target is unchanged: full names (a root group's is its name).
    assert.ok(await slapd.entry(`cn=staff,${full.groups}`));
    assert.ok(await slapd.entry(`cn=app:wiki,${full.groups}`));
    assert.equal(await slapd.entry(`cn=wiki,${full.groups}`), null);
    assert.deepEqual((await slapd.entry(`uid=ada,${full.people}`))?.sorted('isMemberOf'), ['CO:members:active', 'CO:members:all', 'app:wiki', 'staff']);

    // A rename follows the chosen name on both: the entry is renamed, isMemberOf follows.
    const flatUuid = await entryUuid(`cn=staff,${flat.groups}`);
    await t.admin.ok(UpdateGroupDocument, { id: staff.id, input: { name: 'employees' } });
    assert.equal(await slapd.entry(`cn=staff,${flat.groups}`), null);
    assert.equal(await entryUuid(`cn=employees,${flat.groups}`), flatUuid, 'the same entry, renamed');
    assert.ok(await slapd.entry(`cn=employees,${full.groups}`));
    assert.deepEqual((await slapd.entry(`uid=ada,${flat.people}`))?.sorted('isMemberOf'), ['CO:members:active', 'CO:members:all', 'employees', 'wiki']);
  });

  it('a move between folders (or to the root) keeps the entry under "name", and renames it under "fullName"', async () => {
    const { id: orgId } = await createOrganization(t.admin);
    const flat = await branch();
    const full = await branch();
    await ldapTarget(orgId, flat, 'name');
    await ldapTarget(orgId, full, 'fullName');
    const grace = await person(orgId, 'grace');
    const app = await folder(orgId, 'app');
    const lab = await folder(orgId, 'lab');
    const wiki = (await t.admin.ok(CreateGroupDocument, { input: { folderId: app.id, name: 'wiki' } })).createGroup.group;
    await member(wiki.id, grace.id);
    const flatUuid = await entryUuid(`cn=wiki,${flat.groups}`);
    const fullUuid = await entryUuid(`cn=app:wiki,${full.groups}`);
    assert.ok(flatUuid && fullUuid);

    await t.admin.ok(UpdateGroupDocument, { id: wiki.id, input: { folderId: lab.id } });
    assert.equal(await entryUuid(`cn=wiki,${flat.groups}`), flatUuid, 'name: the entry stays where it is');
    assert.equal(await slapd.entry(`cn=lab:wiki,${flat.groups}`), null);
    assert.equal(await slapd.entry(`cn=app:wiki,${full.groups}`), null, 'fullName: the entry is renamed');
    assert.equal(await entryUuid(`cn=lab:wiki,${full.groups}`), fullUuid);
    assert.ok((await slapd.entry(`uid=grace,${flat.people}`))?.get('isMemberOf').includes('wiki'));
    assert.ok((await slapd.entry(`uid=grace,${full.people}`))?.get('isMemberOf').includes('lab:wiki'));

    await t.admin.ok(UpdateGroupDocument, { id: wiki.id, input: { moveToRoot: true } });
    assert.equal(await entryUuid(`cn=wiki,${flat.groups}`), flatUuid, 'name: still the same entry at the root');
    assert.equal(await entryUuid(`cn=wiki,${full.groups}`), fullUuid, 'fullName: renamed to the root name');
    assert.deepEqual((await slapd.entry(`uid=grace,${full.people}`))?.sorted('isMemberOf'), ['CO:members:active', 'CO:members:all', 'wiki']);
  });

  it('two groups with one name under "name": the second fails and never takes the first one\'s entry', async () => {
    const { id: orgId } = await createOrganization(t.admin);
    const flat = await branch();
    const target = await ldapTarget(orgId, flat, 'name');
    const ada = await person(orgId, 'ada');
    const bob = await person(orgId, 'bob');
    const app = await folder(orgId, 'app');
    const lab = await folder(orgId, 'lab');
    const first = (await t.admin.ok(CreateGroupDocument, { input: { folderId: app.id, name: 'staff' } })).createGroup.group;
    const second = (await t.admin.ok(CreateGroupDocument, { input: { folderId: lab.id, name: 'staff' } })).createGroup.group;
    await member(first.id, ada.id);
    const uuid = await entryUuid(`cn=staff,${flat.groups}`);
    await member(second.id, bob.id);

    const entry = await slapd.entry(`cn=staff,${flat.groups}`);
    assert.deepEqual(entry?.get('member'), [`uid=ada,${flat.people}`], 'the first group\'s entry keeps its members');
    assert.equal(await entryUuid(`cn=staff,${flat.groups}`), uuid);
    const status = (await t.admin.ok(ProvisioningStatusDocument, { subjectType: 'GROUP', subjectId: second.id })).provisioningStatus;
    const onTarget = status.find((s) => s.target.id === target.id)!;
    assert.equal(onTarget.state?.status, 'FAILED');
    assert.match(onTarget.state?.lastError ?? '', /already exists and is not the entry Ferry wrote for this group/);

    // The API names the clash before anything is sent: on the target, and with a save.
    const collisions = async (targetId: string) =>
      (await t.admin.ok(GroupNameCollisionsDocument, { targetId })).provisioningTarget.groupNameCollisions;
    assert.deepEqual(await collisions(target.id), [{ name: 'staff', groupIds: [first.id, second.id], fullNames: ['app:staff', 'lab:staff'] }]);
    await t.admin.ok(CreateGroupDocument, { input: { folderId: lab.id, name: 'Wiki' } });
    await t.admin.ok(CreateGroupDocument, { input: { folderId: app.id, name: 'wiki' } });
    assert.deepEqual((await collisions(target.id)).map((c) => c.fullNames), [['app:staff', 'lab:staff'], ['app:wiki', 'lab:Wiki']], 'names compare without case, as cn does');
    assert.deepEqual(await collisions((await ldapTarget(orgId, await branch(), 'fullName')).id), [], 'full names never clash');
    // On a folder-rules target only the groups it takes count.
    const rules = (await ldapTarget(orgId, await branch(), 'name', { groupSelection: 'FOLDER_RULES', mode: 'MANUAL' })).id;
    await t.admin.ok(SetFolderProvisioningDocument, { input: { targetId: rules, folderId: app.id, provision: true, scope: 'ONE' } });
    assert.deepEqual(await collisions(rules), [], 'lab:staff is not provisionable there');
    const saved = await t.admin.ok(SetFolderProvisioningDocument, { input: { targetId: rules, folderId: lab.id, provision: true, scope: 'ONE' } });
    assert.ok(saved.setFolderProvisioning.assignment.id);
    assert.deepEqual((await collisions(rules)).map((c) => c.name), ['staff', 'wiki'], 'named as the first group (in full-name order) spells it');
  });
});
