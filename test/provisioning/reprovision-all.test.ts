import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AddGroupMemberDocument,
  CancelProvisioningJobDocument,
  CreateFolderDocument,
  CreateGroupDocument,
  CreatePersonDocument,
  CreateProvisioningTargetDocument,
  CreateServiceDocument,
  GroupsWithMembersDocument,
  ProvisioningJobDocument,
  ReprovisionAllDocument,
  UpdateProvisioningTargetDocument,
  type CreatePersonInput,
  type ProvisioningEventFieldsFragment,
  type ProvisioningJobFieldsFragment,
  type ProvisioningMode,
} from '../../src/client/generated/graphql';
import type { GraphQLTestClient } from '../support/client';
import { allEvents } from '../support/events';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, organizationWithTokens, uniqueName } from '../support/fixtures';
import { startSlapd, type Slapd } from '../support/slapd';

const FINISHED = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 60000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('reprovision all (into a real slapd)', () => {
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

  /** Each test writes under its own branch of the directory. */
  const branch = () => slapd.branch(uniqueName('t'));

  async function ldapTarget(organizationId: string, dirs: { people: string; groups: string }, mode: ProvisioningMode = 'MANUAL') {
    const data = await t.admin.ok(CreateProvisioningTargetDocument, {
      input: {
        organizationId,
        name: uniqueName('ldap'),
        plugin: 'ldap',
        mode,
        config: {
          url: slapd.url,
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

  async function person(organizationId: string, uid: string | null, status: CreatePersonInput['status'] = 'ACTIVE') {
    const data = await t.admin.ok(CreatePersonDocument, {
      input: {
        organizationId,
        status,
        names: [{ given: 'Grace', family: uid ?? 'Anonymous' }],
        identifiers: uid ? [{ type: 'uid', value: uid }] : [],
      },
    });
    return data.createPerson.person;
  }

  async function job(client: GraphQLTestClient, id: string): Promise<ProvisioningJobFieldsFragment> {
    return (await client.ok(ProvisioningJobDocument, { id })).provisioningJob;
  }

  const finished = (client: GraphQLTestClient, id: string) =>
    waitFor(`job ${id} to finish`, async () => {
      const current = await job(client, id);
      return FINISHED.has(current.state) ? current : null;
    });

  /** Every stored event of the organisation that this job produced, in order. */
  async function jobEvents(organizationId: string, jobId: string): Promise<ProvisioningEventFieldsFragment[]> {
    const all = await allEvents(t.admin, { organizationId });
    return all.filter((event) => event.jobId === jobId);
  }

  it('provisions every person, then every group with its member DNs, in one run on an empty target, and counts what it did', async () => {
    const organization = await createOrganization(t.admin);
    const dirs = await branch();
    const target = await ldapTarget(organization.id, dirs);

    const uids = Array.from({ length: 26 }, (_, index) => `user${String(index).padStart(2, '0')}`);
    const people = [];
    for (const uid of uids) people.push(await person(organization.id, uid));
    // Active but without a uid to name the entry: the LDAP plugin refuses them (failures).
    const nameless = [await person(organization.id, null), await person(organization.id, null)];
    // Not provisionable: explicit requests hand the plugin a skeleton, which it deletes (no entry).
    const pending = [await person(organization.id, 'pending1', 'PENDING'), await person(organization.id, 'pending2', 'PENDING_APPROVAL')];
    const folder = (await t.admin.ok(CreateFolderDocument, { input: { organizationId: organization.id, name: 'teams' } })).createFolder.folder;
    const red = (await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name: 'red' } })).createGroup.group;
    const blue = (await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name: 'blue' } })).createGroup.group;
    await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name: 'nobody' } });
    for (const member of people.slice(0, 15)) await t.admin.ok(AddGroupMemberDocument, { input: { groupId: red.id, personId: member.id } });
    for (const member of [...people.slice(10), nameless[0], pending[0]]) {
      await t.admin.ok(AddGroupMemberDocument, { input: { groupId: blue.id, personId: member.id } });
    }
    await t.admin.ok(CreateServiceDocument, { input: { organizationId: organization.id, name: 'wiki' } });

    const registryGroups = (await t.admin.ok(GroupsWithMembersDocument, { organizationId: organization.id, first: 100 })).groups.nodes;
    const total = 30 + registryGroups.length + 1;
    assert.deepEqual(await slapd.childDns(dirs.people), [], 'a Manual target got nothing so far');
    assert.deepEqual(await slapd.childDns(dirs.groups), []);

    const started = (await t.admin.ok(ReprovisionAllDocument, { targetId: target.id })).reprovisionAll;
    assert.equal(started.name, 'reprovision-all');
    assert.equal(started.targetId, target.id);
    assert.ok(['QUEUED', 'RUNNING', 'COMPLETED'].includes(started.state), started.state);
    assert.equal(started.details.total, total, 'total: people + groups + services when requested');

    const done = await finished(t.admin, started.id);
    assert.equal(done.state, 'COMPLETED', `the job completes even though some records failed: ${done.failReason}`);
    assert.equal(done.progress, 100);
    assert.deepEqual(
      { processed: done.details.processed, succeeded: done.details.succeeded, failed: done.details.failed, total: done.details.total },
      { processed: total, succeeded: total - 2, failed: 2, total },
    );

    // The directory after ONE run: every person with a uid, every group with members (spec D12).
    const dnOf = (uid: string) => `uid=${uid},${dirs.people}`;
    const personDns = (await slapd.childDns(dirs.people)).map((dn) => dn.toLowerCase());
    assert.deepEqual(personDns, uids.map(dnOf).map((dn) => dn.toLowerCase()).sort());
    const dnById = new Map(people.map((p, index) => [p.id, dnOf(uids[index])]));
    for (const group of registryGroups) {
      const expected = group.members.map((m) => dnById.get(m.id)).filter((dn): dn is string => !!dn).sort();
      const entry = await slapd.entry(`cn=${group.fullName},${dirs.groups}`);
      if (expected.length === 0) {
        assert.equal(entry, null, `${group.fullName} has no provisionable member, so no groupOfNames entry`);
        continue;
      }
      assert.ok(entry, `${group.fullName} exists after the first run`);
      assert.deepEqual(entry.sorted('member'), expected, `members of ${group.fullName}`);
    }
    assert.deepEqual((await slapd.entry(`cn=teams:red,${dirs.groups}`))?.sorted('member'), people.slice(0, 15).map((p) => dnById.get(p.id)).sort());
    assert.deepEqual((await slapd.entry(dnOf('user12')))?.sorted('isMemberOf').filter((g) => g.startsWith('teams:')), ['teams:blue', 'teams:red']);

    // One event per subject, people first, then groups, then the service, all tied to the job.
    const events = await jobEvents(organization.id, started.id);
    assert.equal(events.length, total);
    assert.equal(new Set(events.map((e) => e.subjectId)).size, total, 'no subject twice');
    assert.deepEqual([...new Set(events.map((e) => e.subjectType))], ['PERSON', 'GROUP', 'SERVICE']);
    const personEvents = events.filter((e) => e.subjectType === 'PERSON');
    assert.deepEqual(personEvents.map((e) => e.subjectId), [...personEvents.map((e) => e.subjectId)].sort(), 'in id order');
    assert.ok(events.every((e) => e.targetId === target.id && e.changeSeq === null));
    assert.deepEqual(
      [...new Set(events.map((e) => e.action))],
      ['PERSON_REPROVISION_REQUESTED', 'GROUP_REPROVISION_REQUESTED', 'SERVICE_REPROVISION_REQUESTED'],
    );
    const failures = events.filter((e) => e.outcome === 'FAILED');
    assert.deepEqual(failures.map((e) => e.subjectId).sort(), nameless.map((p) => p.id).sort());
    assert.match(failures[0].error ?? '', /no active identifier of type "uid"/);
    for (const skeleton of pending) {
      const event = events.find((e) => e.subjectId === skeleton.id);
      assert.equal(event?.outcome, 'SUCCEEDED');
      assert.match(event?.detail ?? '', /nothing to delete/);
    }
  });

  it('is for admins of the target organisation and platform admins, and refuses Disabled targets', async () => {
    const { organization, orgAdmin, reader, outsider, anonymous } = await organizationWithTokens(t);
    const dirs = await branch();
    const target = await ldapTarget(organization.id, dirs);
    const disabled = await ldapTarget(organization.id, dirs, 'DISABLED');
    await person(organization.id, 'solo');

    await reader.fails('FORBIDDEN', ReprovisionAllDocument, { targetId: target.id });
    await outsider.fails('NOT_FOUND', ReprovisionAllDocument, { targetId: target.id });
    await anonymous.fails('UNAUTHENTICATED', ReprovisionAllDocument, { targetId: target.id });
    await t.admin.fails('NOT_FOUND', ReprovisionAllDocument, { targetId: '0190f0f0-0000-7000-8000-000000000000' });
    await t.admin.fails('NOT_FOUND', ReprovisionAllDocument, { targetId: 'not-a-uuid' });
    const refused = await orgAdmin.fails('FORBIDDEN', ReprovisionAllDocument, { targetId: disabled.id });
    assert.match(refused.message, /disabled/);
    await t.admin.fails('FORBIDDEN', ReprovisionAllDocument, { targetId: disabled.id });
    assert.equal((await slapd.childDns(dirs.people)).length, 0, 'refused requests did nothing');

    const byOrgAdmin = (await orgAdmin.ok(ReprovisionAllDocument, { targetId: target.id })).reprovisionAll;
    assert.equal((await finished(orgAdmin, byOrgAdmin.id)).state, 'COMPLETED');
    await reader.fails('FORBIDDEN', CancelProvisioningJobDocument, { id: byOrgAdmin.id });
    await outsider.fails('NOT_FOUND', ProvisioningJobDocument, { id: byOrgAdmin.id });
    const byPlatformAdmin = (await t.admin.ok(ReprovisionAllDocument, { targetId: target.id })).reprovisionAll;
    assert.notEqual(byPlatformAdmin.id, byOrgAdmin.id, 'a finished job is not reused');
    assert.equal((await finished(t.admin, byPlatformAdmin.id)).state, 'COMPLETED');
    assert.deepEqual(await slapd.childDns(dirs.people), [`uid=solo,${dirs.people}`]);
  });

  it('reuses a waiting request for the same target, never runs a cancelled one, and stops when its target gets disabled', async () => {
    const organization = await createOrganization(t.admin);
    const dirs = await branch();
    const target = await ldapTarget(organization.id, dirs);
    const other = await ldapTarget(organization.id, await branch());
    await person(organization.id, 'ada');
    await t.ferry.jobs.stopWorkers();
    let cancelled!: ProvisioningJobFieldsFragment;
    let doomed!: ProvisioningJobFieldsFragment;
    try {
      const first = (await t.admin.ok(ReprovisionAllDocument, { targetId: target.id })).reprovisionAll;
      assert.equal(first.state, 'QUEUED');
      const again = (await t.admin.ok(ReprovisionAllDocument, { targetId: target.id })).reprovisionAll;
      assert.equal(again.id, first.id, 'the waiting job covers the second request');
      cancelled = (await t.admin.ok(CancelProvisioningJobDocument, { id: first.id })).cancelProvisioningJob;
      assert.equal(cancelled.state, 'CANCELLED');

      doomed = (await t.admin.ok(ReprovisionAllDocument, { targetId: other.id })).reprovisionAll;
      await t.admin.ok(UpdateProvisioningTargetDocument, { id: other.id, input: { mode: 'DISABLED' } });
    } finally {
      await t.ferry.jobs.startWorkers();
    }
    const failed = await finished(t.admin, doomed.id);
    assert.equal(failed.state, 'FAILED');
    assert.match(failed.failReason ?? '', /disabled/);
    assert.equal((await job(t.admin, cancelled.id)).state, 'CANCELLED', 'the cancelled job never ran');
    assert.deepEqual(await jobEvents(organization.id, cancelled.id), []);
    assert.deepEqual(await jobEvents(organization.id, doomed.id), []);
    assert.deepEqual(await slapd.childDns(dirs.people), []);
  });
});
