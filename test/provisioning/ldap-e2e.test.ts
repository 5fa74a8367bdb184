import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AddGroupMemberDocument,
  CreateFolderDocument,
  CreateGroupDocument,
  CreatePersonDocument,
  CreateProvisioningTargetDocument,
  DeletePersonDocument,
  FinishEnrollmentDocument,
  ProvisionDocument,
  ProvisioningEventsDocument,
  ProvisioningStatusDocument,
  UpdateGroupDocument,
  UpdateIdentifierDocument,
  UpdatePersonDocument,
  type ProvisioningMode,
} from '../../src/client/generated/graphql';
import { freePort } from '../../src/db/scratch-database';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, uniqueName } from '../support/fixtures';
import { startSlapd, type Slapd } from '../support/slapd';

/**
 * The whole path, as an admin sees it: GraphQL mutations, the engine, the LDAP plugin, and the
 * entries read back from a real slapd.
 */
describe('provisioning into a real slapd', () => {
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

  /** Each test writes under its own branch of the directory, so tests cannot see each other. */
  const branch = () => slapd.branch(uniqueName('t'));

  async function ldapTarget(organizationId: string, dirs: { people: string; groups: string }, options: { mode?: ProvisioningMode; url?: string; name?: string; order?: number; provisioningGroupId?: string } = {}) {
    const data = await t.admin.ok(CreateProvisioningTargetDocument, {
      input: {
        organizationId,
        name: options.name ?? uniqueName('ldap'),
        plugin: 'ldap',
        mode: options.mode ?? 'AUTOMATIC',
        order: options.order,
        provisioningGroupId: options.provisioningGroupId,
        config: {
          url: options.url ?? slapd.url,
          bindDn: slapd.bindDn,
          bindPassword: slapd.bindPassword,
          peopleBaseDn: dirs.people,
          groupBaseDn: dirs.groups,
          personObjectClasses: { eduPerson: true, eduMember: true, voPerson: true },
          groupObjectClasses: { groupOfNames: true, eduMember: true },
        },
      },
    });
    return data.createProvisioningTarget.target;
  }

  async function person(organizationId: string, uid: string, status: 'ACTIVE' | 'PENDING' = 'ACTIVE') {
    const data = await t.admin.ok(CreatePersonDocument, {
      input: {
        organizationId,
        status,
        names: [{ given: 'Ada', family: 'Lovelace' }],
        emailAddresses: [{ mail: `${uid.replace(/[^a-z0-9]/gi, '')}@example.org`, type: 'OFFICIAL' }],
        identifiers: [{ type: 'uid', value: uid }],
      },
    });
    return data.createPerson.person;
  }

  async function group(organizationId: string, folderName: string, name: string) {
    const folder = (await t.admin.ok(CreateFolderDocument, { input: { organizationId, name: folderName } })).createFolder.folder;
    return (await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name } })).createGroup.group;
  }

  const personDn = (dirs: { people: string }, uid: string) => `uid=${uid},${dirs.people}`;

  it('follows a person through creation, groups, status changes and deletion', async () => {
    const organization = await createOrganization(t.admin);
    const dirs = await branch();
    await ldapTarget(organization.id, dirs);
    const ada = await person(organization.id, 'ada');
    const dn = personDn(dirs, 'ada');

    const entry = await slapd.entry(dn);
    assert.ok(entry, 'the person entry exists');
    assert.deepEqual(entry.get('cn'), ['Ada Lovelace']);
    assert.deepEqual(entry.get('sn'), ['Lovelace']);
    assert.deepEqual(entry.get('mail'), ['ada@example.org']);
    assert.deepEqual(entry.get('voPersonStatus'), ['Active']);
    assert.deepEqual(entry.sorted('isMemberOf'), ['CO:members:active', 'CO:members:all']);
    const allMembers = await slapd.entry(`cn=CO:members:all,${dirs.groups}`);
    assert.deepEqual(allMembers?.get('member'), [dn]);

    const status = await t.admin.ok(ProvisioningStatusDocument, { subjectType: 'PERSON', subjectId: ada.id });
    assert.equal(status.provisioningStatus[0].status, 'PROVISIONED');
    assert.equal(status.provisioningStatus[0].state?.remoteId?.toLowerCase(), dn.toLowerCase());

    // Suspended: the entry stays and keeps only the "all members" group in isMemberOf (spec 3.5:
    // that group's entry does not list suspended people), and both group entries, now without
    // members, are removed (the default empty-group policy).
    await t.admin.ok(UpdatePersonDocument, { id: ada.id, input: { status: 'SUSPENDED' } });
    assert.deepEqual((await slapd.entry(dn))?.get('isMemberOf'), ['CO:members:all']);
    assert.equal(await slapd.entry(`cn=CO:members:all,${dirs.groups}`), null);
    assert.equal(await slapd.entry(`cn=CO:members:active,${dirs.groups}`), null);

    // Pending approval is not provisionable: the entry goes.
    await t.admin.ok(UpdatePersonDocument, { id: ada.id, input: { status: 'PENDING_APPROVAL' } });
    assert.equal(await slapd.entry(dn), null);
    const afterDelete = await t.admin.ok(ProvisioningStatusDocument, { subjectType: 'PERSON', subjectId: ada.id });
    assert.equal(afterDelete.provisioningStatus[0].status, 'NOT_PROVISIONED', 'a delete clears the provisioned state');

    // Active again: back, with both groups.
    await t.admin.ok(UpdatePersonDocument, { id: ada.id, input: { status: 'ACTIVE' } });
    assert.deepEqual((await slapd.entry(dn))?.sorted('isMemberOf'), ['CO:members:active', 'CO:members:all']);
    assert.deepEqual((await slapd.entry(`cn=CO:members:active,${dirs.groups}`))?.get('member'), [dn]);

    await t.admin.ok(DeletePersonDocument, { id: ada.id });
    assert.equal(await slapd.entry(dn), null);
    assert.equal(await slapd.entry(`cn=CO:members:all,${dirs.groups}`), null, 'the now empty group is removed');
  });

  it('renames entries when a person identifier or a group name changes', async () => {
    const organization = await createOrganization(t.admin);
    const dirs = await branch();
    await ldapTarget(organization.id, dirs);
    const ada = await person(organization.id, 'ada');
    const team = await group(organization.id, 'teams', 'red');
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: team.id, personId: ada.id } });
    assert.deepEqual((await slapd.entry(`cn=teams:red,${dirs.groups}`))?.get('member'), [personDn(dirs, 'ada')]);

    const identifierId = ada.identifiers[0].id;
    await t.admin.ok(UpdateIdentifierDocument, { id: identifierId, input: { value: 'augusta' } });
    assert.equal(await slapd.entry(personDn(dirs, 'ada')), null, 'the old DN is gone');
    assert.ok(await slapd.entry(personDn(dirs, 'augusta')), 'the entry moved to the new DN');
    assert.deepEqual((await slapd.entry(`cn=teams:red,${dirs.groups}`))?.get('member'), [personDn(dirs, 'augusta')]);

    await t.admin.ok(UpdateGroupDocument, { id: team.id, input: { name: 'blue' } });
    assert.equal(await slapd.entry(`cn=teams:red,${dirs.groups}`), null);
    assert.deepEqual((await slapd.entry(`cn=teams:blue,${dirs.groups}`))?.get('member'), [personDn(dirs, 'augusta')]);
    assert.ok((await slapd.entry(personDn(dirs, 'augusta')))?.get('isMemberOf').includes('teams:blue'));
  });

  it('escapes names with LDAP special characters', async () => {
    const organization = await createOrganization(t.admin);
    const dirs = await branch();
    await ldapTarget(organization.id, dirs);
    const uid = 'o,brien+x=1"q\\#';
    const ada = await person(organization.id, uid);
    const special = await group(organization.id, 'R&D, "Lab" + #1', 'a=b\\c');
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: special.id, personId: ada.id } });
    const people = await slapd.search(dirs.people, { scope: 'one', filter: '(objectClass=inetOrgPerson)' });
    assert.equal(people.length, 1);
    assert.deepEqual(people[0].get('uid'), [uid], 'the uid value is stored exactly');
    const groups = await slapd.search(dirs.groups, { scope: 'one', filter: '(cn=R&D*)' });
    assert.equal(groups.length, 1);
    assert.deepEqual(groups[0].get('cn'), ['R&D, "Lab" + #1:a=b\\c']);
    assert.deepEqual(groups[0].get('member').map((m) => m.toLowerCase()), [people[0].dn.toLowerCase()]);
  });

  it('keeps provisioning the working target when another one is down, and says why', async () => {
    const organization = await createOrganization(t.admin);
    const dirs = await branch();
    await ldapTarget(organization.id, dirs, { name: 'down', url: `ldap://127.0.0.1:${await freePort()}`, order: 1 });
    await ldapTarget(organization.id, dirs, { name: 'up', order: 2 });
    const ada = await person(organization.id, 'ada');
    assert.ok(await slapd.entry(personDn(dirs, 'ada')));
    const status = await t.admin.ok(ProvisioningStatusDocument, { subjectType: 'PERSON', subjectId: ada.id });
    const down = status.provisioningStatus.find((s) => s.target.name === 'down');
    assert.equal(down?.status, 'FAILED');
    assert.match(down?.state?.lastError ?? '', /ECONNREFUSED|connect|refused/i);
    const events = await t.admin.ok(ProvisioningEventsDocument, { organizationId: organization.id, subjectId: ada.id });
    assert.deepEqual(events.provisioningEvents.nodes.map((e) => `${e.targetName}:${e.outcome}`), ['down:FAILED', 'up:SUCCEEDED']);
  });

  it('writes nothing for a Manual target until asked, then provisions on request', async () => {
    const organization = await createOrganization(t.admin);
    const dirs = await branch();
    const manual = await ldapTarget(organization.id, dirs, { mode: 'MANUAL' });
    const ada = await person(organization.id, 'ada');
    assert.equal(await slapd.entry(personDn(dirs, 'ada')), null);
    const result = await t.admin.ok(ProvisionDocument, { input: { targetId: manual.id, subjectType: 'PERSON', subjectId: ada.id } });
    assert.equal(result.provision.outcome, 'SUCCEEDED', JSON.stringify(result.provision));
    assert.ok(await slapd.entry(personDn(dirs, 'ada')));
  });

  it('provisions only members of the provisioning group, and removes those who leave it', async () => {
    const organization = await createOrganization(t.admin);
    const dirs = await branch();
    const staff = await group(organization.id, 'apps', 'vpn-users');
    await ldapTarget(organization.id, dirs, { provisioningGroupId: staff.id });
    const ada = await person(organization.id, 'ada');
    const bob = await person(organization.id, 'bob');
    assert.equal(await slapd.entry(personDn(dirs, 'ada')), null);
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: staff.id, personId: ada.id } });
    assert.ok(await slapd.entry(personDn(dirs, 'ada')));
    assert.equal(await slapd.entry(personDn(dirs, 'bob')), null);
    assert.deepEqual((await slapd.entry(`cn=apps:vpn-users,${dirs.groups}`))?.get('member'), [personDn(dirs, 'ada')]);
    assert.equal(await slapd.entry(`cn=CO:members:all,${dirs.groups}`), null, 'only the provisioning group is provisioned as a group');
    await t.admin.ok(UpdatePersonDocument, { id: ada.id, input: { status: 'SUSPENDED' } });
    assert.equal(await slapd.entry(personDn(dirs, 'ada')), null, 'a suspended member no longer counts');
    assert.ok(bob);
  });

  it('removes a member from the group entry when the membership window closes', async () => {
    const organization = await createOrganization(t.admin);
    const dirs = await branch();
    await ldapTarget(organization.id, dirs);
    const project = await group(organization.id, 'projects', 'apollo');
    const ada = await person(organization.id, 'ada');
    const bob = await person(organization.id, 'bob');
    await t.ferry.services.engine.sweepValidity();
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: project.id, personId: bob.id } });
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: project.id, personId: ada.id, validThrough: new Date(Date.now() + 1500).toISOString() } });
    const groupDn = `cn=projects:apollo,${dirs.groups}`;
    assert.deepEqual((await slapd.entry(groupDn))?.sorted('member'), [personDn(dirs, 'ada'), personDn(dirs, 'bob')].sort());
    await new Promise((resolve) => setTimeout(resolve, 1800));
    await t.ferry.services.engine.sweepValidity();
    assert.deepEqual((await slapd.entry(groupDn))?.get('member'), [personDn(dirs, 'bob')]);
    assert.ok(!(await slapd.entry(personDn(dirs, 'ada')))?.get('isMemberOf').includes('projects:apollo'));
  });
  it('writes an enrolled person and their groups when the enrollment finishes (Enrollment mode; COmanage PP on the person and each group)', async () => {
    const organization = await createOrganization(t.admin);
    const dirs = await branch();
    await ldapTarget(organization.id, dirs, { mode: 'ENROLLMENT' });
    const project = await group(organization.id, 'projects', 'gemini');
    const ada = await person(organization.id, 'ada');
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: project.id, personId: ada.id } });
    const groupDn = `cn=projects:gemini,${dirs.groups}`;
    assert.equal(await slapd.entry(personDn(dirs, 'ada')), null, 'nothing before the enrollment finishes');
    assert.equal(await slapd.entry(groupDn), null);

    await t.admin.ok(FinishEnrollmentDocument, { personId: ada.id });
    assert.deepEqual((await slapd.entry(personDn(dirs, 'ada')))?.sorted('isMemberOf'), ['CO:members:active', 'CO:members:all', 'projects:gemini']);
    assert.deepEqual((await slapd.entry(groupDn))?.get('member'), [personDn(dirs, 'ada')], 'the group entry is written with its member');
    const events = (await t.admin.ok(ProvisioningEventsDocument, { organizationId: organization.id, subjectId: project.id, first: 10 })).provisioningEvents.nodes;
    assert.deepEqual(events.map((e) => `${e.action}:${e.outcome}`), ['PERSON_ENROLLMENT_FINISHED:SUCCEEDED'], 'the group got the enrollment action');
  });
});
