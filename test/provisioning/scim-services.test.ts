import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AddGroupMemberDocument,
  CreateFolderDocument,
  CreateGroupDocument,
  CreatePersonWithOutcomesDocument,
  CreateProvisioningTargetDocument,
  DeletePersonWithOutcomesDocument,
  ProvisioningJobDocument,
  RemoveGroupMemberDocument,
  ReprovisionAllDocument,
  UpdatePersonWithOutcomesDocument,
  UpdateProvisioningTargetDocument,
  type CreatePersonInput,
} from '../../src/client/generated/graphql';
import { allEvents } from '../support/events';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, uniqueName } from '../support/fixtures';
import { reconcileAndWait, differenceLines } from '../support/reconciliation';
import { startSmallScimServer, type SmallScimQuirks, type SmallScimServer } from '../support/small-scim-server';

/**
 * SCIM targets shaped like the services admins provision to, through Ferry end to end: small
 * hand-written SCIM servers (test/support/small-scim-server.ts) that hide group members (AWS IAM
 * Identity Center), take one e-mail address per User, or sit behind a login proxy that answers
 * PATCH with an HTML page.
 */
describe('SCIM targets against services that are not plain RFC 7644', () => {
  let t: TestFerry;
  const servers: SmallScimServer[] = [];
  before(async () => {
    t = await startTestFerry({ FERRY_JOB_POLL_MS: '100' });
  });
  after(async () => {
    await t?.stop();
    await Promise.all(servers.map((server) => server.close()));
  });

  async function waitForJob(id: string) {
    const deadline = Date.now() + 30000;
    for (;;) {
      const job = (await t.admin.ok(ProvisioningJobDocument, { id })).provisioningJob;
      if (job.state === 'COMPLETED' || job.state === 'FAILED') return job;
      if (Date.now() > deadline) assert.fail('the job did not finish');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function setUp(quirks: SmallScimQuirks, config: Record<string, unknown> = {}) {
    const server = await startSmallScimServer(quirks);
    servers.push(server);
    const organization = await createOrganization(t.admin);
    const target = (
      await t.admin.ok(CreateProvisioningTargetDocument, {
        input: { organizationId: organization.id, name: uniqueName('saas'), plugin: 'scim', config: { baseUrl: server.url, bearerToken: server.token, ...config } },
      })
    ).createProvisioningTarget.target;
    const folder = (await t.admin.ok(CreateFolderDocument, { input: { organizationId: organization.id, name: 'apps' } })).createFolder.folder;
    const group = (await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name: 'team' } })).createGroup.group;
    const person = async (uid: string, extra: Partial<CreatePersonInput> = {}) =>
      (
        await t.admin.ok(CreatePersonWithOutcomesDocument, {
          input: { organizationId: organization.id, names: [{ given: uid, family: 'Scim' }], identifiers: [{ type: 'uid', value: uid }], ...extra },
        })
      ).createPerson;
    const join = async (personId: string) => (await t.admin.ok(AddGroupMemberDocument, { input: { groupId: group.id, personId } })).addGroupMember.membership.id;
    const userId = (uid: string) => [...server.users.values()].find((user) => user.userName === uid)?.id;
    const groupOnServer = () => [...server.groups.values()].find((stored) => stored.displayName === 'apps:team');
    const members = () => server.memberIds(groupOnServer()!.id);
    const lastGroupEvent = async () => (await allEvents(t.admin, { organizationId: organization.id, subjectId: group.id })).at(-1)!;
    return { server, organization, target, group, person, join, userId, members, lastGroupEvent };
  }

  it('removes members from a server whose group reads show none, from what Ferry wrote; Reprovision All repairs a removal it missed', async () => {
    const { server, target, person, join, userId, members, lastGroupEvent } = await setUp({ omitGroupMembers: true });
    const [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((uid) => person(uid)));
    const memberships = new Map<string, string>();
    for (const someone of [alice, bob, carol, dave]) memberships.set(someone.person.id, await join(someone.person.id));
    assert.deepEqual(members(), ['alice', 'bob', 'carol', 'dave'].map((uid) => userId(uid)!).sort());
    const written = await lastGroupEvent();
    assert.equal(written.outcome, 'SUCCEEDED', `${written.error}`);
    assert.match(written.detail ?? '', /does not show Group members/);

    await t.admin.ok(RemoveGroupMemberDocument, { id: memberships.get(alice.person.id)! });
    assert.deepEqual(members(), ['bob', 'carol', 'dave'].map((uid) => userId(uid)!).sort(), 'alice was removed on the server');
    assert.ok(server.requestsTo('PATCH', '/Groups/').some((request) => JSON.stringify(request.body).includes(`members[value eq \\"${userId('alice')}\\"]`)), 'by a remove operation');
    assert.equal((await lastGroupEvent()).outcome, 'SUCCEEDED');

    // A suspended person leaves the group (groups list active members only); a deleted one loses the User.
    await t.admin.ok(UpdatePersonWithOutcomesDocument, { id: bob.person.id, input: { status: 'SUSPENDED' } });
    assert.deepEqual(members(), ['carol', 'dave'].map((uid) => userId(uid)!).sort(), 'bob was removed');
    await t.admin.ok(DeletePersonWithOutcomesDocument, { id: carol.person.id });
    assert.equal(userId('carol'), undefined);
    assert.deepEqual(members(), [userId('dave')!]);

    // A removal Ferry did not send (the target was switched off meanwhile) is repaired by Reprovision All.
    await t.admin.ok(UpdateProvisioningTargetDocument, { id: target.id, input: { mode: 'MANUAL' } });
    await t.admin.ok(RemoveGroupMemberDocument, { id: memberships.get(dave.person.id)! });
    assert.deepEqual(members(), [userId('dave')!], 'not provisioned while MANUAL');
    // Reconciliation sees it too: the Group holds (as Ferry wrote it) a member it should not.
    const dry = await reconcileAndWait(t.admin, target.id, true);
    assert.ok(differenceLines(dry).includes('DIFFERENT apps:team [members]'), differenceLines(dry).join('; '));
    const job = (await t.admin.ok(ReprovisionAllDocument, { targetId: target.id })).reprovisionAll;
    assert.equal((await waitForJob(job.id)).state, 'COMPLETED');
    assert.deepEqual(members(), [], 'Reprovision All removed dave');
  });

  it('fails a change answered 200 with an HTML page instead of a SCIM document', async () => {
    const { server, person } = await setUp({ htmlOnUserPatch: true });
    const erin = await person('erin');
    assert.equal(erin.provisioning.find((event) => event.subjectType === 'PERSON')?.outcome, 'SUCCEEDED');
    const suspended = (await t.admin.ok(UpdatePersonWithOutcomesDocument, { id: erin.person.id, input: { status: 'SUSPENDED' } })).updatePerson;
    const [event] = suspended.provisioning.filter((e) => e.subjectType === 'PERSON');
    assert.equal(server.requestsTo('PATCH', '/Users/').length, 1, 'the PATCH was sent');
    assert.equal(event.outcome, 'FAILED', 'not SUCCEEDED: the change was not applied');
    assert.match(event.error ?? '', /answered 200 with a text\/html body that is not a SCIM document/);
    assert.equal(event.retryable, true);
    assert.equal([...server.users.values()][0].active, true, 'the server did not apply it');
  });

  it('re-adds a User created again to its groups: after it was deleted behind Ferry\'s back, and after a create that failed first', async () => {
    const { server, target, person, join, userId, members } = await setUp({ singleEmail: true });
    const frank = await person('frank');
    await join(frank.person.id);
    assert.deepEqual(members(), [userId('frank')!]);

    // Deleted on the server (which drops it from its groups): the next update creates it again, in its group.
    const oldId = userId('frank')!;
    const deleted = await fetch(`${server.url}/Users/${oldId}`, { method: 'DELETE', headers: { authorization: `Bearer ${server.token}` } });
    assert.equal(deleted.status, 204);
    assert.deepEqual(members(), []);
    const updated = (await t.admin.ok(UpdatePersonWithOutcomesDocument, { id: frank.person.id, input: { timezone: 'Europe/Paris' } })).updatePerson;
    const [event] = updated.provisioning.filter((e) => e.subjectType === 'PERSON');
    assert.equal(event.outcome, 'SUCCEEDED', `${event.error}`);
    assert.match(event.detail ?? '', /was gone; created .*; added to 3 groups it belongs to/, 'apps:team and the two CO:members groups');
    assert.notEqual(userId('frank'), oldId);
    assert.deepEqual(members(), [userId('frank')!], 'the new User is in the group');

    // Two e-mail addresses on a one-address service: refused, and the group is written without him...
    const emails = [{ mail: 'gina@example.org', type: 'OFFICIAL' as const }, { mail: 'gina@home.example', type: 'PERSONAL' as const }];
    const gina = await person('gina', { emailAddresses: emails });
    const [refused] = gina.provisioning.filter((e) => e.subjectType === 'PERSON');
    assert.equal(refused.outcome, 'FAILED');
    assert.match(refused.error ?? '', /emails: only one value is supported/);
    await join(gina.person.id);
    assert.deepEqual(members(), [userId('frank')!]);
    // ...until the target sends the primary address only: the User is created, in its group.
    await t.admin.ok(UpdateProvisioningTargetDocument, { id: target.id, input: { config: { primaryEmailOnly: true } } });
    const retried = (await t.admin.ok(UpdatePersonWithOutcomesDocument, { id: gina.person.id, input: { timezone: 'Europe/Paris' } })).updatePerson;
    assert.equal(retried.provisioning.find((e) => e.subjectType === 'PERSON')?.outcome, 'SUCCEEDED');
    const user = [...server.users.values()].find((stored) => stored.userName === 'gina')!;
    assert.deepEqual(user.emails.map((email: { value: string }) => email.value), ['gina@example.org'], 'the official address only');
    assert.deepEqual(members(), [userId('frank')!, userId('gina')!].sort());
  });

  it('under DEACTIVATE, reconciliation compares the Users it keeps instead of reporting them as extra', async () => {
    const { server, target, person } = await setUp({}, { deprovision: 'DEACTIVATE' });
    const [hana, ivan] = await Promise.all(['hana', 'ivan', 'jo'].map((uid) => person(uid)));
    await t.admin.ok(UpdatePersonWithOutcomesDocument, { id: hana.person.id, input: { status: 'DELETED' } });
    await t.admin.ok(DeletePersonWithOutcomesDocument, { id: ivan.person.id });
    const kept = (uid: string) => [...server.users.values()].find((user) => user.userName === uid);
    assert.equal(kept('hana')?.active, false);
    assert.equal(kept('ivan')?.active, false);
    assert.equal(kept('jo')?.active, true);

    // CO:admins and CO:members:* came with the organisation, before the target: missing, nothing else.
    const first = await reconcileAndWait(t.admin, target.id, false);
    assert.deepEqual(differenceLines(first).filter((line) => !line.startsWith('MISSING CO:')), []);
    assert.deepEqual(differenceLines(await reconcileAndWait(t.admin, target.id, true)), [], 'and then nothing at all');

    // Reactivated behind Ferry's back: a difference, fixed by deactivating again.
    kept('ivan')!.active = true;
    kept('hana')!.active = true;
    const drift = await reconcileAndWait(t.admin, target.id, false);
    // A deprovisioned person's payload has no name: labelled by id (Ferry's, or the User's once deleted).
    assert.deepEqual(differenceLines(drift), [`DIFFERENT ${kept('ivan')!.id} [active]`, `DIFFERENT ${hana.person.id} [active]`].sort());
    assert.equal(kept('hana')?.active, false);
    assert.equal(kept('ivan')?.active, false);
  });
});
