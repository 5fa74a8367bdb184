import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  AddEmailAddressDocument,
  AddGroupMemberDocument,
  CreateEmailListDocument,
  DeleteGroupDocument,
  CreateFolderDocument,
  CreateGroupDocument,
  CreatePersonDocument,
  CreateProvisioningTargetDocument,
  DeleteEmailListDocument,
  PreviewProvisioningDocument,
  ProvisionDocument,
  ProvisioningJobDocument,
  ProvisioningStatusDocument,
  ReprovisionAllDocument,
  UpdateEmailListDocument,
  type ProvisioningEventFieldsFragment,
  type ProvisioningMode,
} from '../../src/client/generated/graphql';
import { verifyWebhookSignature, type WebhookDocument } from '../../src/plugins/webhook';
import type { EmailListPayload } from '../../src/provisioning/payload';
import { allEvents } from '../support/events';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, uniqueName } from '../support/fixtures';
import { startSlapd, type Slapd } from '../support/slapd';
import { differenceLines, reconcileAndWait } from '../support/reconciliation';
import { Attribute, Change } from 'ldapts';

const SECRET = 'a-shared-secret-of-32-characters!';

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 30000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A receiver that verifies every signature and keeps the documents it accepted. */
async function startReceiver() {
  const documents: WebhookDocument[] = [];
  const refused: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const check = verifyWebhookSignature({ body, signature: req.headers['ferry-signature'], secret: SECRET });
      if (!check.valid) {
        refused.push(check.reason ?? 'invalid');
        return void res.writeHead(401).end();
      }
      const document = JSON.parse(body) as WebhookDocument;
      assert.equal(req.headers['ferry-action'], document.action, 'the Ferry-Action header names the action');
      documents.push(document);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/lists`;
  const lists = (listId: string) => documents.filter((d) => d.subject.type === 'EMAIL_LIST' && d.subject.id === listId);
  return { url, documents, refused, lists, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('email lists are provisioned (spec 1.3 LA/LU/LD/LR)', () => {
  let t: TestFerry;
  let slapd: Slapd;
  before(async () => {
    slapd = await startSlapd();
    t = await startTestFerry({ FERRY_JOB_POLL_MS: '50' });
  });
  after(async () => {
    await t?.stop();
    await slapd?.dispose();
  });

  async function person(organizationId: string, uid: string, emails: { mail: string; type: 'OFFICIAL' | 'PREFERRED' | 'RECOVERY'; verified?: boolean }[] = []) {
    return (
      await t.admin.ok(CreatePersonDocument, {
        input: { organizationId, names: [{ given: 'P', family: uid }], emailAddresses: emails, identifiers: [{ type: 'uid', value: uid }] },
      })
    ).createPerson.person;
  }

  async function group(organizationId: string, name: string) {
    const folder = (await t.admin.ok(CreateFolderDocument, { input: { organizationId, name: uniqueName('lists') } })).createFolder.folder;
    return (await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name } })).createGroup.group;
  }

  async function webhookTarget(organizationId: string, url: string, mode: ProvisioningMode = 'AUTOMATIC') {
    return (
      await t.admin.ok(CreateProvisioningTargetDocument, {
        input: { organizationId, name: uniqueName('hook'), plugin: 'webhook', mode, config: { url, secret: SECRET } },
      })
    ).createProvisioningTarget.target;
  }

  /** A branch of the directory with people, groups and (when asked) lists under it. */
  async function branch() {
    const ou = uniqueName('t');
    const base = `ou=${ou},${slapd.suffix}`;
    const client = slapd.client();
    await client.add(base, { objectClass: ['organizationalUnit'], ou });
    for (const child of ['people', 'groups', 'lists']) await client.add(`ou=${child},${base}`, { objectClass: ['organizationalUnit'], ou: child });
    return { people: `ou=people,${base}`, groups: `ou=groups,${base}`, lists: `ou=lists,${base}` };
  }

  async function ldapTarget(organizationId: string, dirs: { people: string; groups: string; lists: string }, options: { mode?: ProvisioningMode; lists?: boolean } = {}) {
    return (
      await t.admin.ok(CreateProvisioningTargetDocument, {
        input: {
          organizationId,
          name: uniqueName('ldap'),
          plugin: 'ldap',
          mode: options.mode ?? 'AUTOMATIC',
          config: {
            url: slapd.url,
            bindDn: slapd.bindDn,
            bindPassword: slapd.bindPassword,
            peopleBaseDn: dirs.people,
            groupBaseDn: dirs.groups,
            ...(options.lists === false ? {} : { emailListBaseDn: dirs.lists }),
          },
        },
      })
    ).createProvisioningTarget.target;
  }

  async function events(organizationId: string, filter: { subjectId?: string; targetId?: string } = {}): Promise<ProvisioningEventFieldsFragment[]> {
    return allEvents(t.admin, { organizationId, ...filter });
  }

  it('sends a list to a webhook when it is created, when a member joins its group or changes address, when it is deleted, and on request', async () => {
    const receiver = await startReceiver();
    try {
      const organization = await createOrganization(t.admin);
      const target = await webhookTarget(organization.id, receiver.url);
      const staff = await group(organization.id, 'staff');
      const admins = await group(organization.id, 'list-admins');
      const ada = await person(organization.id, 'ada', [
        { mail: 'ada@example.org', type: 'OFFICIAL', verified: true },
        { mail: 'ada.lovelace@example.org', type: 'PREFERRED' },
        { mail: 'ada-recovery@example.org', type: 'RECOVERY', verified: true },
      ]);
      const bob = await person(organization.id, 'bob', [{ mail: 'bob@example.org', type: 'OFFICIAL' }]);
      const carol = await person(organization.id, 'carol');
      await t.admin.ok(AddGroupMemberDocument, { input: { groupId: staff.id, personId: ada.id } });
      // An owner who is not a member is not on the list.
      await t.admin.ok(AddGroupMemberDocument, { input: { groupId: staff.id, personId: carol.id, member: false, owner: true } });
      await t.admin.ok(AddGroupMemberDocument, { input: { groupId: admins.id, personId: bob.id } });

      const list = (
        await t.admin.ok(CreateEmailListDocument, {
          input: { organizationId: organization.id, name: 'staff', description: 'Everyone on the staff', address: 'staff@lists.example.org', membersGroupId: staff.id, adminsGroupId: admins.id },
        })
      ).createEmailList.emailList;
      assert.equal(list.address, 'staff@lists.example.org');

      const added = await waitFor('LIST_ADDED', () => receiver.lists(list.id).find((d) => d.action === 'LIST_ADDED'));
      assert.equal(added.version, 'ferry.webhook/v1');
      assert.deepEqual(added.subject, { type: 'EMAIL_LIST', id: list.id, remoteId: null });
      assert.equal(added.deprovision, false);
      const payload = added.payload as EmailListPayload;
      assert.deepEqual(
        { ...payload, members: undefined, admins: undefined },
        {
          subjectType: 'EMAIL_LIST',
          id: list.id,
          organizationId: organization.id,
          name: 'staff',
          description: 'Everyone on the staff',
          status: 'ACTIVE',
          address: 'staff@lists.example.org',
          membersGroupId: staff.id,
          adminsGroupId: admins.id,
          moderatorsGroupId: null,
          moderators: [],
          members: undefined,
          admins: undefined,
        },
      );
      assert.deepEqual(payload.members, [{ personId: ada.id, mail: 'ada.lovelace@example.org' }], 'the PREFERRED address; the owner-only person is not on the list');
      assert.deepEqual(payload.admins, [{ personId: bob.id, mail: 'bob@example.org' }]);

      // A member joining the list's group updates the list (Carol has no address).
      const before = receiver.lists(list.id).length;
      await t.admin.ok(AddGroupMemberDocument, { input: { groupId: staff.id, personId: bob.id } });
      const joined = await waitFor('LIST_UPDATED after a join', () => receiver.lists(list.id).slice(before).find((d) => d.action === 'LIST_UPDATED'));
      assert.deepEqual(
        (joined.payload as EmailListPayload).members.map((m) => m.personId).sort(),
        [ada.id, bob.id].sort(),
      );

      // A member's new preferred address updates the list.
      const beforeMail = receiver.lists(list.id).length;
      await t.admin.ok(AddEmailAddressDocument, { input: { personId: bob.id, mail: 'robert@example.org', type: 'PREFERRED' } });
      const readdressed = await waitFor('LIST_UPDATED after an address change', () =>
        receiver.lists(list.id).slice(beforeMail).find((d) => d.action === 'LIST_UPDATED'),
      );
      assert.equal((readdressed.payload as EmailListPayload).members.find((m) => m.personId === bob.id)?.mail, 'robert@example.org');
      assert.equal((readdressed.payload as EmailListPayload).admins[0].mail, 'robert@example.org');

      // Manual provision of a list: a reprovision request, signed like the rest.
      const provisioned = (await t.admin.ok(ProvisionDocument, { input: { targetId: target.id, subjectType: 'EMAIL_LIST', subjectId: list.id } })).provision;
      assert.equal(provisioned.outcome, 'SUCCEEDED', JSON.stringify(provisioned));
      assert.equal(provisioned.action, 'LIST_REPROVISION_REQUESTED');
      assert.equal(provisioned.subjectType, 'EMAIL_LIST');
      assert.equal(provisioned.subjectLabel, 'staff');
      const requested = await waitFor('LIST_REPROVISION_REQUESTED', () => receiver.lists(list.id).find((d) => d.action === 'LIST_REPROVISION_REQUESTED'));
      assert.equal(requested.subject.remoteId, list.id, 'the id stored after the last accepted delivery');
      const status = await t.admin.ok(ProvisioningStatusDocument, { subjectType: 'EMAIL_LIST', subjectId: list.id });
      assert.equal(status.provisioningStatus[0].status, 'PROVISIONED');

      // Deleted: the snapshot names the list.
      await t.admin.ok(DeleteEmailListDocument, { id: list.id });
      const deleted = await waitFor('LIST_DELETED', () => receiver.lists(list.id).find((d) => d.action === 'LIST_DELETED'));
      assert.equal(deleted.deprovision, true);
      assert.equal((deleted.payload as EmailListPayload).name, 'staff');
      assert.equal((deleted.payload as EmailListPayload).address, 'staff@lists.example.org');
      assert.equal((deleted.payload as EmailListPayload).membersGroupId, staff.id);
      assert.deepEqual((deleted.payload as EmailListPayload).members, []);

      assert.deepEqual(
        receiver.lists(list.id).map((d) => d.action),
        ['LIST_ADDED', 'LIST_UPDATED', 'LIST_UPDATED', 'LIST_REPROVISION_REQUESTED', 'LIST_DELETED'],
        'one document per change',
      );
      assert.deepEqual(receiver.refused, [], 'every document was signed');
      const listEvents = await events(organization.id, { subjectId: list.id });
      assert.ok(listEvents.every((e) => e.outcome === 'SUCCEEDED'), JSON.stringify(listEvents));
    } finally {
      await receiver.close();
    }
  });

  it('re-sends a list when a membership window of its group opens (the validity sweep: LIST_REPROVISION_REQUESTED, spec LR)', async () => {
    const receiver = await startReceiver();
    try {
      const organization = await createOrganization(t.admin);
      await webhookTarget(organization.id, receiver.url);
      const staff = await group(organization.id, 'staff');
      const ada = await person(organization.id, 'ada', [{ mail: 'ada@example.org', type: 'OFFICIAL' }]);
      const bob = await person(organization.id, 'bob', [{ mail: 'bob@example.org', type: 'OFFICIAL' }]);
      await t.admin.ok(AddGroupMemberDocument, { input: { groupId: staff.id, personId: ada.id } });
      const list = (await t.admin.ok(CreateEmailListDocument, { input: { organizationId: organization.id, name: 'staff', membersGroupId: staff.id } })).createEmailList.emailList;
      await t.ferry.services.engine.sweepValidity();
      await t.admin.ok(AddGroupMemberDocument, { input: { groupId: staff.id, personId: bob.id, validFrom: new Date(Date.now() + 1500).toISOString() } });
      const before = receiver.lists(list.id).at(-1)!;
      assert.deepEqual((before.payload as EmailListPayload).members.map((m) => m.mail), ['ada@example.org'], 'Bob is not on the list before his window opens');
      await new Promise((resolve) => setTimeout(resolve, 1800));
      await t.ferry.services.engine.sweepValidity();
      const requested = await waitFor('LIST_REPROVISION_REQUESTED', () => receiver.lists(list.id).find((d) => d.action === 'LIST_REPROVISION_REQUESTED'));
      assert.deepEqual((requested.payload as EmailListPayload).members.map((m) => m.mail).sort(), ['ada@example.org', 'bob@example.org'], 'no write: the window opening re-sends the list');

      // Its group deleted: the list loses the reference (change-logged) and is sent again, empty.
      const sent = receiver.lists(list.id).length;
      await t.admin.ok(DeleteGroupDocument, { id: staff.id });
      const emptied = await waitFor('the list without its group', () => receiver.lists(list.id).slice(sent).find((d) => d.action === 'LIST_UPDATED'));
      assert.deepEqual([(emptied.payload as EmailListPayload).membersGroupId, (emptied.payload as EmailListPayload).members], [null, []]);
    } finally {
      await receiver.close();
    }
  });

  it('writes lists to LDAP under emailListBaseDn as groupOfNames with mail, member and owner DNs', async () => {
    const organization = await createOrganization(t.admin);
    const dirs = await branch();
    await ldapTarget(organization.id, dirs);
    const staff = await group(organization.id, 'staff');
    const admins = await group(organization.id, 'admins');
    const ada = await person(organization.id, 'ada', [{ mail: 'ada@example.org', type: 'OFFICIAL' }]);
    const bob = await person(organization.id, 'bob');
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: staff.id, personId: ada.id } });
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: admins.id, personId: bob.id } });
    const dn = (uid: string) => `uid=${uid},${dirs.people}`.toLowerCase();

    const list = (
      await t.admin.ok(CreateEmailListDocument, {
        input: { organizationId: organization.id, name: 'staff', description: 'The staff', address: 'staff@lists.example.org', membersGroupId: staff.id, adminsGroupId: admins.id },
      })
    ).createEmailList.emailList;
    const listDn = `cn=staff,${dirs.lists}`;
    const entry = await slapd.entry(listDn);
    assert.ok(entry, 'the list entry exists');
    assert.deepEqual(entry.sorted('objectClass').map((c) => c.toLowerCase()), ['extensibleobject', 'groupofnames']);
    assert.deepEqual(entry.get('mail'), ['staff@lists.example.org']);
    assert.deepEqual(entry.get('description'), ['The staff']);
    assert.deepEqual(entry.get('member').map((m) => m.toLowerCase()), [dn('ada')]);
    assert.deepEqual(entry.get('owner').map((m) => m.toLowerCase()), [dn('bob')]);
    const status = await t.admin.ok(ProvisioningStatusDocument, { subjectType: 'EMAIL_LIST', subjectId: list.id });
    assert.equal(status.provisioningStatus[0].state?.remoteId?.toLowerCase(), listDn.toLowerCase());

    // A member joining the group is written to the list entry.
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: staff.id, personId: bob.id } });
    assert.deepEqual((await slapd.entry(listDn))?.sorted('member').map((m) => m.toLowerCase()), [dn('ada'), dn('bob')]);

    // Renamed: the entry moves; suspended: it goes; active again: it is back.
    await t.admin.ok(UpdateEmailListDocument, { id: list.id, input: { name: 'everyone' } });
    assert.equal(await slapd.entry(listDn), null);
    const renamed = `cn=everyone,${dirs.lists}`;
    assert.ok(await slapd.entry(renamed));
    await t.admin.ok(UpdateEmailListDocument, { id: list.id, input: { status: 'SUSPENDED' } });
    assert.equal(await slapd.entry(renamed), null, 'a suspended list has no entry');
    await t.admin.ok(UpdateEmailListDocument, { id: list.id, input: { status: 'ACTIVE', address: null } });
    const back = await slapd.entry(renamed);
    assert.ok(back, 'active again: the entry is back');
    assert.deepEqual(back.get('mail'), [], 'no address, no mail');
    assert.deepEqual(back.sorted('objectClass').map((c) => c.toLowerCase()), ['groupofnames']);

    await t.admin.ok(DeleteEmailListDocument, { id: list.id });
    assert.equal(await slapd.entry(renamed), null, 'the deleted list entry is removed');
    const listEvents = await events(organization.id, { subjectId: list.id });
    assert.deepEqual(
      listEvents.map((e) => `${e.action}:${e.outcome}`),
      ['LIST_ADDED', 'LIST_UPDATED', 'LIST_UPDATED', 'LIST_UPDATED', 'LIST_UPDATED', 'LIST_DELETED'].map((a) => `${a}:SUCCEEDED`),
    );
  });

  it('previews a list entry, and reconciliation finds a list entry changed, removed or added behind Ferry\'s back and repairs it', async () => {
    const organization = await createOrganization(t.admin);
    const dirs = await branch();
    const target = await ldapTarget(organization.id, dirs);
    const staff = await group(organization.id, 'staff');
    const ada = await person(organization.id, 'ada');
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: staff.id, personId: ada.id } });
    const list = (
      await t.admin.ok(CreateEmailListDocument, {
        input: { organizationId: organization.id, name: 'crew', address: 'crew@lists.example.org', membersGroupId: staff.id },
      })
    ).createEmailList.emailList;
    const listDn = `cn=crew,${dirs.lists}`;
    const adaDn = `uid=ada,${dirs.people}`.toLowerCase();

    const preview = (await t.admin.ok(PreviewProvisioningDocument, { targetId: target.id, subjectType: 'EMAIL_LIST', subjectId: list.id })).previewProvisioning;
    assert.equal(preview.willWrite, true);
    assert.equal(preview.remoteId?.toLowerCase(), listDn.toLowerCase());
    const attributes = preview.attributes as Record<string, string[]>;
    assert.deepEqual(attributes.mail, ['crew@lists.example.org']);
    assert.deepEqual(attributes.member.map((dn) => dn.toLowerCase()), [adaDn]);
    assert.equal((await reconcileAndWait(t.admin, target.id, true)).differences.length, 0, 'in step: nothing to report');

    // Behind Ferry's back: the list's address changed, and an entry Ferry never wrote appears beside it.
    const client = slapd.client();
    await client.modify(listDn, [new Change({ operation: 'replace', modification: new Attribute({ type: 'mail', values: ['someone-else@example.org'] }) })]);
    await client.add(`cn=handmade,${dirs.lists}`, { objectClass: ['groupOfNames'], cn: 'handmade', member: [adaDn] });
    const dry = await reconcileAndWait(t.admin, target.id, true);
    assert.deepEqual(differenceLines(dry), [`DIFFERENT crew [mail]`, `EXTRA cn=handmade,${dirs.lists}`]);
    const applied = await reconcileAndWait(t.admin, target.id, false);
    assert.equal(applied.applied, 1);
    assert.deepEqual((await slapd.entry(listDn))?.get('mail'), ['crew@lists.example.org'], 'the address is put back');
    assert.ok(await slapd.entry(`cn=handmade,${dirs.lists}`), 'an entry Ferry did not write is reported, not removed');

    // The list's entry removed behind Ferry's back: missing, and written again.
    await client.del(listDn);
    assert.deepEqual(differenceLines(await reconcileAndWait(t.admin, target.id, false)), ['MISSING crew', `EXTRA cn=handmade,${dirs.lists}`].sort());
    assert.deepEqual((await slapd.entry(listDn))?.get('member').map((dn) => dn.toLowerCase()), [adaDn]);

    // A target without emailListBaseDn previews no entry for a list, and reconciles no lists.
    const plain = await ldapTarget(organization.id, dirs, { mode: 'MANUAL', lists: false });
    const none = (await t.admin.ok(PreviewProvisioningDocument, { targetId: plain.id, subjectType: 'EMAIL_LIST', subjectId: list.id })).previewProvisioning;
    assert.equal(none.willWrite, false);
    assert.equal(none.detail, 'this target does not provision email lists');
    const lines = differenceLines(await reconcileAndWait(t.admin, plain.id, true));
    assert.ok(!lines.some((line) => line.includes('crew') || line.includes('handmade')), lines.join('; '));
  });

  it('refuses an emailListBaseDn shared with the people or group entries', async () => {
    const organization = await createOrganization(t.admin);
    const dirs = await branch();
    for (const shared of [dirs.groups, dirs.people.toUpperCase()]) {
      const refused = await t.admin.fails('BAD_USER_INPUT', CreateProvisioningTargetDocument, {
        input: {
          organizationId: organization.id,
          name: uniqueName('ldap'),
          plugin: 'ldap',
          mode: 'MANUAL',
          config: { url: slapd.url, bindDn: slapd.bindDn, bindPassword: slapd.bindPassword, peopleBaseDn: dirs.people, groupBaseDn: dirs.groups, emailListBaseDn: shared },
        },
      });
      assert.match(refused.message, /emailListBaseDn: emailListBaseDn must be a DN of its own/);
    }
  });

  it('skips lists on a target that does not provision them: SKIPPED on request, nothing recorded for automatic changes', async () => {
    const organization = await createOrganization(t.admin);
    const dirs = await branch();
    const target = await ldapTarget(organization.id, dirs, { lists: false });
    const staff = await group(organization.id, 'staff');
    const ada = await person(organization.id, 'ada');
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: staff.id, personId: ada.id } });
    const list = (await t.admin.ok(CreateEmailListDocument, { input: { organizationId: organization.id, name: 'staff', membersGroupId: staff.id } })).createEmailList
      .emailList;
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: staff.id, personId: (await person(organization.id, 'bob')).id } });
    assert.deepEqual(await events(organization.id, { subjectId: list.id }), [], 'automatic changes to the list leave no event on this target');
    assert.deepEqual(await slapd.childDns(dirs.lists), []);

    const result = (await t.admin.ok(ProvisionDocument, { input: { targetId: target.id, subjectType: 'EMAIL_LIST', subjectId: list.id } })).provision;
    assert.equal(result.outcome, 'SKIPPED');
    assert.equal(result.detail, 'this target does not provision email lists');
    assert.equal(result.action, 'LIST_REPROVISION_REQUESTED');
    assert.deepEqual(await slapd.childDns(dirs.lists), []);
    const status = await t.admin.ok(ProvisioningStatusDocument, { subjectType: 'EMAIL_LIST', subjectId: list.id });
    assert.equal(status.provisioningStatus[0].status, 'NOT_PROVISIONED');
  });

  it('includes lists in Reprovision All, after people and groups, and counts them', async () => {
    const organization = await createOrganization(t.admin);
    const dirs = await branch();
    const target = await ldapTarget(organization.id, dirs, { mode: 'MANUAL' });
    // Its own branch: the entries of the first target are not this one's.
    const without = await ldapTarget(organization.id, await branch(), { mode: 'MANUAL', lists: false });
    const staff = await group(organization.id, 'staff');
    const people = [await person(organization.id, 'ada'), await person(organization.id, 'bob')];
    for (const member of people) await t.admin.ok(AddGroupMemberDocument, { input: { groupId: staff.id, personId: member.id } });
    const lists = [];
    for (const name of ['announce', 'discuss']) {
      lists.push((await t.admin.ok(CreateEmailListDocument, { input: { organizationId: organization.id, name, membersGroupId: staff.id } })).createEmailList.emailList);
    }
    assert.deepEqual(await slapd.childDns(dirs.lists), [], 'a Manual target got nothing so far');

    const started = (await t.admin.ok(ReprovisionAllDocument, { targetId: target.id })).reprovisionAll;
    const done = await waitFor('the job to finish', async () => {
      const job = (await t.admin.ok(ProvisioningJobDocument, { id: started.id })).provisioningJob;
      return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(job.state) ? job : null;
    }, 60000);
    assert.equal(done.state, 'COMPLETED', done.failReason ?? '');
    const jobEvents = (await events(organization.id, { targetId: target.id })).filter((e) => e.jobId === started.id);
    const listEvents = jobEvents.filter((e) => e.subjectType === 'EMAIL_LIST');
    assert.deepEqual(listEvents.map((e) => `${e.action}:${e.outcome}`), ['LIST_REPROVISION_REQUESTED:SUCCEEDED', 'LIST_REPROVISION_REQUESTED:SUCCEEDED']);
    assert.deepEqual([...new Set(jobEvents.map((e) => e.subjectType))], ['PERSON', 'GROUP', 'EMAIL_LIST'], 'people, then groups, then lists');
    assert.equal(done.details.total, jobEvents.length, 'the total counts the lists');
    assert.equal(done.details.processed, jobEvents.length);
    const expectedMembers = ['ada', 'bob'].map((uid) => `uid=${uid},${dirs.people}`.toLowerCase());
    for (const name of ['announce', 'discuss']) {
      assert.deepEqual((await slapd.entry(`cn=${name},${dirs.lists}`))?.sorted('member').map((m) => m.toLowerCase()), expectedMembers, `${name} in one run`);
    }

    // A target without lists: each list is SKIPPED with the reason, and counts as succeeded.
    const other = (await t.admin.ok(ReprovisionAllDocument, { targetId: without.id })).reprovisionAll;
    const otherDone = await waitFor('the second job to finish', async () => {
      const job = (await t.admin.ok(ProvisioningJobDocument, { id: other.id })).provisioningJob;
      return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(job.state) ? job : null;
    }, 60000);
    assert.equal(otherDone.state, 'COMPLETED');
    const skipped = (await events(organization.id, { targetId: without.id })).filter((e) => e.jobId === other.id && e.subjectType === 'EMAIL_LIST');
    assert.deepEqual(skipped.map((e) => `${e.outcome}:${e.detail}`), Array(2).fill('SKIPPED:this target does not provision email lists'));
    assert.equal(otherDone.details.failed, 0, otherDone.failReason ?? JSON.stringify(otherDone.details));
    assert.equal(otherDone.details.succeeded, otherDone.details.total);
  });
});
