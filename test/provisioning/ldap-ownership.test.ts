import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Change, Attribute } from 'ldapts';
import {
  AddGroupMemberDocument,
  CreateFolderDocument,
  CreateGroupDocument,
  CreatePersonDocument,
  CreateProvisioningTargetDocument,
  DeleteGroupDocument,
  DeletePersonDocument,
  ProvisioningStatusDocument,
  UpdatePersonDocument,
} from '../../src/client/generated/graphql';
import { allEvents } from '../support/events';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, uniqueName } from '../support/fixtures';
import { startSlapd, type Slapd } from '../support/slapd';
import { RulesWorld } from '../provisionability/rules-world';

/**
 * The ownership rule, as an admin of a shared directory sees it: Ferry changes, renames and
 * deletes only the entries it wrote for a subject, whatever sits at a DN it computes, whatever the
 * case of a name, and whatever someone did to the directory behind its back.
 */
describe('LDAP: Ferry never changes or deletes an entry it did not write', () => {
  let t: TestFerry;
  let slapd: Slapd;
  before(async () => {
    slapd = await startSlapd();
    t = await startTestFerry({ FERRY_JOB_POLL_MS: '100' });
  });
  after(async () => {
    await t?.stop();
    await slapd?.dispose();
  });

  const branch = () => slapd.branch(uniqueName('own'));

  const config = (dirs: { people: string; groups: string }) => ({
    url: slapd.url,
    bindDn: slapd.bindDn,
    bindPassword: slapd.bindPassword,
    peopleBaseDn: dirs.people,
    groupBaseDn: dirs.groups,
    timeoutMs: 3000,
  });

  async function ldapTarget(organizationId: string, dirs: { people: string; groups: string }) {
    const data = await t.admin.ok(CreateProvisioningTargetDocument, {
      input: { organizationId, name: uniqueName('ldap'), plugin: 'ldap', mode: 'AUTOMATIC', config: config(dirs) },
    });
    return data.createProvisioningTarget.target;
  }

  async function person(organizationId: string, uid: string) {
    return (
      await t.admin.ok(CreatePersonDocument, {
        input: { organizationId, names: [{ given: uid, family: 'Tester' }], identifiers: [{ type: 'uid', value: uid }] },
      })
    ).createPerson.person;
  }

  async function folder(organizationId: string, name: string) {
    return (await t.admin.ok(CreateFolderDocument, { input: { organizationId, name } })).createFolder.folder;
  }

  async function group(folderId: string, name: string) {
    return (await t.admin.ok(CreateGroupDocument, { input: { folderId, name } })).createGroup.group;
  }

  async function events(organizationId: string, subjectId: string) {
    return allEvents(t.admin, { organizationId, subjectId });
  }

  async function status(subjectType: 'PERSON' | 'GROUP', subjectId: string) {
    return (await t.admin.ok(ProvisioningStatusDocument, { subjectType, subjectId })).provisioningStatus[0];
  }

  /** The entry with its entryUUID, so a test can tell the same entry from a look-alike. */
  async function snapshot(dn: string) {
    const { searchEntries } = await slapd.client().search(dn, { scope: 'base', attributes: ['*', 'entryUUID'] }).catch(() => ({ searchEntries: [] }));
    if (searchEntries.length === 0) return null;
    const entry = searchEntries[0];
    const flat = (value: unknown) => (Array.isArray(value) ? value : [value]).map(String).sort();
    return {
      uuid: String(entry.entryUUID),
      member: flat(entry.member ?? []).map((m) => m.toLowerCase()),
      description: flat(entry.description ?? []),
    };
  }

  it('a group whose name differs only in case neither deletes nor rewrites the other group\'s entry', async () => {
    const organization = await createOrganization(t.admin);
    const dirs = await branch();
    await ldapTarget(organization.id, dirs);
    const staff = await folder(organization.id, 'staff');
    const alice = await person(organization.id, 'alice');
    const bob = await person(organization.id, 'bob');
    const mallory = await person(organization.id, 'mallory');
    const vpn = await group(staff.id, 'admins-vpn');
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: vpn.id, personId: alice.id } });
    const dn = `cn=staff:admins-vpn,${dirs.groups}`;
    const original = await snapshot(dn);
    assert.deepEqual(original?.member, [`uid=alice,${dirs.people}`.toLowerCase()]);

    const variant = await group(staff.id, 'ADMINS-VPN');
    assert.deepEqual(await snapshot(dn), original, 'creating the empty case variant leaves alice\'s group entry as it was');
    const created = await events(organization.id, variant.id);
    assert.ok(created.every((e) => !/deleted/i.test(e.detail ?? '')), JSON.stringify(created));

    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: variant.id, personId: mallory.id } });
    assert.deepEqual(await snapshot(dn), original, 'mallory is not written into the other group\'s entry');
    const refused = (await events(organization.id, variant.id)).at(-1);
    assert.equal(refused?.outcome, 'FAILED');
    assert.match(refused?.error ?? '', /not the entry Ferry wrote|another group/);
    assert.equal((await status('GROUP', variant.id)).status, 'FAILED', 'the variant is not reported as provisioned');

    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: vpn.id, personId: bob.id } });
    const now = await snapshot(dn);
    assert.equal(now?.uuid, original?.uuid);
    assert.deepEqual(now?.member, [`uid=alice,${dirs.people}`, `uid=bob,${dirs.people}`].map((m) => m.toLowerCase()).sort());
    assert.equal((await status('GROUP', vpn.id)).status, 'PROVISIONED');

    await t.admin.ok(DeleteGroupDocument, { id: variant.id });
    assert.equal((await snapshot(dn))?.uuid, original?.uuid, 'deleting the variant leaves the entry');
  });

  it('leaves a hand-made entry at a group\'s DN alone: empty, with members, and on delete', async () => {
    const organization = await createOrganization(t.admin);
    const dirs = await branch();
    const dn = `cn=a:y,${dirs.groups}`;
    await slapd.client().add(dn, { objectClass: ['groupOfNames'], cn: 'a:y', member: 'cn=someone,dc=elsewhere', description: 'hand-made' });
    const handMade = await snapshot(dn);
    await ldapTarget(organization.id, dirs);
    const a = await folder(organization.id, 'a');
    const ada = await person(organization.id, 'ada');

    const y = await group(a.id, 'y');
    assert.deepEqual(await snapshot(dn), handMade, 'an empty group does not remove what sits at its DN');
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: y.id, personId: ada.id } });
    assert.deepEqual(await snapshot(dn), handMade, 'nor does a group with members take it over');
    const failed = (await events(organization.id, y.id)).at(-1);
    assert.equal(failed?.outcome, 'FAILED');
    assert.match(failed?.error ?? '', /already exists and is not the entry Ferry wrote/);
    await t.admin.ok(DeleteGroupDocument, { id: y.id });
    assert.deepEqual(await snapshot(dn), handMade, 'nor does deleting the group');
  });

  it('a folder-rules group that stops being provisionable does not delete a foreign entry at its DN', async () => {
    const world = await RulesWorld.create(t, ['a:x']);
    const dirs = await branch();
    const dn = `cn=a:x,${dirs.groups}`;
    await slapd.client().add(dn, { objectClass: ['groupOfNames'], cn: 'a:x', member: 'cn=someone,dc=elsewhere', description: 'hand-made' });
    const handMade = await snapshot(dn);
    const target = await world.target({ plugin: 'ldap', mode: 'AUTOMATIC', config: config(dirs) });
    const ada = (
      await world.admin.ok(CreatePersonDocument, {
        input: { organizationId: world.organizationId, names: [{ given: 'Ada', family: 'L' }], identifiers: [{ type: 'uid', value: 'ada' }] },
      })
    ).createPerson.person;
    await world.admin.ok(AddGroupMemberDocument, { input: { groupId: world.groups.get('a:x')!, personId: ada.id } });
    await world.markFolder(target, 'a', { provision: true, scope: 'SUB' });
    assert.deepEqual(await snapshot(dn), handMade);
    await world.markFolder(target, 'a', { provision: false, scope: 'SUB' });
    assert.deepEqual(await snapshot(dn), handMade, 'no longer provisionable: the foreign entry stays');
    const last = (await events(world.organizationId, world.groups.get('a:x')!)).at(-1);
    assert.doesNotMatch(last?.detail ?? '', /deleted cn=a:x/i, JSON.stringify(last));
  });

  it('an entry replaced behind Ferry\'s back at the same DN is neither modified nor deleted', async () => {
    const organization = await createOrganization(t.admin);
    const dirs = await branch();
    await ldapTarget(organization.id, dirs);
    const ada = await person(organization.id, 'ada');
    const dn = `uid=ada,${dirs.people}`;
    assert.ok(await snapshot(dn));
    await slapd.client().del(dn);
    await slapd.client().add(dn, { objectClass: ['inetOrgPerson'], uid: 'ada', cn: 'Someone Else', sn: 'Else', description: 'hand-made' });
    const handMade = await slapd.entry(dn);

    await t.admin.ok(UpdatePersonDocument, { id: ada.id, input: { status: 'SUSPENDED' } });
    assert.deepEqual(await slapd.entry(dn), handMade, 'an update does not write into the look-alike');
    const refused = (await events(organization.id, ada.id)).at(-1);
    assert.equal(refused?.outcome, 'FAILED');
    assert.match(refused?.error ?? '', /not the entry Ferry wrote/);
    await t.admin.ok(DeletePersonDocument, { id: ada.id });
    assert.deepEqual(await slapd.entry(dn), handMade, 'a delete does not remove it');
  });

  it('follows its own entry when someone renamed it, and writes it back under the right name', async () => {
    const organization = await createOrganization(t.admin);
    const dirs = await branch();
    await ldapTarget(organization.id, dirs);
    const ada = await person(organization.id, 'ada');
    const dn = `uid=ada,${dirs.people}`;
    const uuid = (await snapshot(dn))?.uuid;
    await slapd.client().modifyDN(dn, 'uid=ada-moved');
    await slapd.client().modify(`uid=ada-moved,${dirs.people}`, [new Change({ operation: 'replace', modification: new Attribute({ type: 'uid', values: ['ada-moved'] }) })]);

    await t.admin.ok(UpdatePersonDocument, { id: ada.id, input: { status: 'SUSPENDED' } });
    assert.equal(await slapd.entry(`uid=ada-moved,${dirs.people}`), null);
    assert.equal((await snapshot(dn))?.uuid, uuid, 'the same entry is back at the person\'s DN');
    assert.deepEqual((await slapd.entry(dn))?.get('uid'), ['ada']);
    await t.admin.ok(DeletePersonDocument, { id: ada.id });
    assert.equal(await slapd.entry(dn), null, 'and Ferry deletes its own entry');
  });
});
