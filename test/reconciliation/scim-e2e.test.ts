import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AddGroupMemberDocument,
  CreateFolderDocument,
  CreateGroupDocument,
  CreatePersonWithOutcomesDocument,
  CreateProvisioningTargetDocument,
  UpdatePersonWithOutcomesDocument,
} from '../../src/client/generated/graphql';
import { reconcileAndWait } from '../support/reconciliation';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization } from '../support/fixtures';
import { startScimServer, type ScimServer } from '../support/scim-server';

describe('SCIM targets through Ferry: provisioning and reconciliation', () => {
  let t: TestFerry;
  let scim: ScimServer;
  before(async () => {
    scim = await startScimServer();
    t = await startTestFerry({ FERRY_JOB_POLL_MS: '100' });
  });
  after(async () => {
    await t?.stop();
    await scim?.close();
  });

  const reconcile = (targetId: string, dryRun: boolean) => reconcileAndWait(t.admin, targetId, dryRun);
  const summary = (run: Awaited<ReturnType<typeof reconcile>>) =>
    run.differences.map((d) => `${d.kind} ${d.label}${d.attributes.length ? ` [${d.attributes.map((a) => String(a.attribute)).join(',')}]` : ''}`).sort();

  it('creates Users and Groups, deactivates on suspension, and reconciles drift on the SCIM server', async () => {
    const organization = await createOrganization(t.admin);
    const target = (
      await t.admin.ok(CreateProvisioningTargetDocument, {
        input: {
          organizationId: organization.id,
          name: 'saas',
          plugin: 'scim',
          config: { baseUrl: scim.url, bearerToken: scim.token, deprovision: 'DEACTIVATE' },
        },
      })
    ).createProvisioningTarget.target;
    assert.deepEqual(target.secretsSet, ['bearerToken']);
    const person = async (uid: string, given: string) =>
      (
        await t.admin.ok(CreatePersonWithOutcomesDocument, {
          input: { organizationId: organization.id, names: [{ given, family: 'Scim' }], identifiers: [{ type: 'uid', value: uid }] },
        })
      ).createPerson;
    const ada = await person('ada.scim', 'Ada');
    const bob = await person('bob.scim', 'Bob');
    assert.equal(ada.provisioning.find((e) => e.subjectType === 'PERSON')?.outcome, 'SUCCEEDED');
    assert.equal(scim.userBy('userName', 'ada.scim')?.externalId, ada.person.id);

    const folder = (await t.admin.ok(CreateFolderDocument, { input: { organizationId: organization.id, name: 'apps' } })).createFolder.folder;
    const group = (await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name: 'users' } })).createGroup.group;
    for (const member of [ada, bob]) await t.admin.ok(AddGroupMemberDocument, { input: { groupId: group.id, personId: member.person.id } });
    const scimGroup = scim.groupBy('displayName', 'apps:users')!;
    assert.equal(scimGroup.members.length, 2);

    const suspended = await t.admin.ok(UpdatePersonWithOutcomesDocument, { id: bob.person.id, input: { status: 'SUSPENDED' } });
    assert.equal(suspended.updatePerson.provisioning.find((e) => e.subjectType === 'PERSON')?.outcome, 'SUCCEEDED');
    assert.equal(scim.userBy('userName', 'bob.scim')?.active, false, 'deactivated, not deleted');

    // Behind Ferry's back: a renamed User, an unknown User, a stray member.
    const adaUser = scim.userBy('userName', 'ada.scim')!;
    adaUser.displayName = 'Someone Else';
    const stranger = scim.seedUser({ userName: 'stranger', displayName: 'Stranger', active: true });
    scim.groupBy('displayName', 'apps:users')!.members.push({ value: stranger.id });

    const dry = await reconcile(target.id, true);
    assert.equal(dry.status, 'COMPLETED', dry.reason ?? '');
    // CO:admins was created with the organisation, before the target: it never reached the server.
    assert.deepEqual(summary(dry), ['DIFFERENT Ada Scim [displayName]', 'DIFFERENT apps:users [members]', 'EXTRA stranger', 'MISSING CO:admins']);

    const applied = await reconcile(target.id, false);
    assert.equal(applied.applied, 3);
    assert.ok(scim.groupBy('displayName', 'CO:admins'), 'the missing group was created');
    assert.equal(scim.userBy('userName', 'ada.scim')?.displayName, 'Ada Scim');
    assert.ok(!scim.groupBy('displayName', 'apps:users')!.members.some((m: { value: string }) => m.value === stranger.id), 'the stray member is gone');
    assert.ok(scim.userBy('userName', 'stranger'), 'the orphan is only reported');
    assert.deepEqual(summary(await reconcile(target.id, true)), ['EXTRA stranger'], 'only the reported orphan is left');
  });
});
