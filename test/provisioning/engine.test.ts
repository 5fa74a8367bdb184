import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  AddGroupMemberDocument,
  AddNameDocument,
  CreateFolderDocument,
  CreateGroupDocument,
  CreateOrgIdentitySourceDocument,
  CreatePersonDocument,
  CreateProvisioningTargetDocument,
  DeletePersonDocument,
  FinishEnrollmentDocument,
  LinkOrgIdentityDocument,
  ProvisionDocument,
  ProvisioningEventsDocument,
  ProvisioningStatusDocument,
  UpdateGroupDocument,
  UpdatePersonDocument,
  ChangeLogDocument,
  type ChangeLogQuery,
  type ProvisioningMode,
} from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, organizationWithTokens, uniqueName } from '../support/fixtures';
import { recordingPlugin } from '../support/recording-plugin';
import { waitFor } from '../jobs/job-queue-contract';
import { insertWork } from '../../src/provisioning/dispatch/work-queue';
import { ProvisioningAction, SubjectType } from '../../src/provisioning/actions';
import { ProvisioningEvent } from '../../src/provisioning/provisioning-event.entity';

describe('the provisioning engine', () => {
  let t: TestFerry;
  const recorder = recordingPlugin();
  before(async () => {
    // Validity windows are looked for every second (the default is 15 s).
    t = await startTestFerry({ FERRY_VALIDITY_SWEEP_SECONDS: '1' }, { plugins: [recorder.plugin] });
  });
  after(() => t?.stop());
  beforeEach(() => recorder.clear());

  async function target(organizationId: string, name: string, mode: ProvisioningMode = 'AUTOMATIC', extra: Record<string, unknown> = {}) {
    const { config, ...rest } = extra as { config?: Record<string, unknown> };
    const data = await t.admin.ok(CreateProvisioningTargetDocument, {
      input: { organizationId, name, plugin: 'recorder', mode, config: config ?? {}, ...rest },
    });
    return data.createProvisioningTarget.target;
  }

  async function person(organizationId: string, status: 'ACTIVE' | 'PENDING' | 'SUSPENDED' = 'ACTIVE') {
    const data = await t.admin.ok(CreatePersonDocument, {
      input: { organizationId, status, names: [{ given: 'Ada', family: uniqueName('L') }] },
    });
    return data.createPerson.person;
  }

  const calls = (targetName: string) => recorder.on(targetName).map((c) => `${c.action} ${c.subject.subjectType}`);

  it('provisions a new person inline to Automatic and Queue targets, not to Manual, Enrollment or Disabled ones', async () => {
    const organization = await createOrganization(t.admin);
    for (const mode of ['AUTOMATIC', 'MANUAL', 'ENROLLMENT', 'DISABLED', 'QUEUE', 'QUEUE_ON_ERROR'] as const) {
      await target(organization.id, mode, mode);
    }
    const ada = await person(organization.id);
    for (const name of ['AUTOMATIC', 'QUEUE', 'QUEUE_ON_ERROR']) {
      assert.ok(calls(name).includes('PERSON_ADDED PERSON'), `${name}: ${calls(name)}`);
    }
    for (const name of ['MANUAL', 'ENROLLMENT', 'DISABLED']) assert.deepEqual(calls(name), [], name);
    // The new person joined CO:members:all and :active: people first, then those groups.
    const order = calls('AUTOMATIC');
    assert.equal(order[0], 'PERSON_ADDED PERSON');
    assert.deepEqual(order.slice(1), ['GROUP_UPDATED GROUP', 'GROUP_UPDATED GROUP']);

    const status = await t.admin.ok(ProvisioningStatusDocument, { subjectType: 'PERSON', subjectId: ada.id });
    const byName = Object.fromEntries(status.provisioningStatus.map((s) => [s.target.name, s]));
    assert.equal(byName.AUTOMATIC.status, 'PROVISIONED');
    assert.equal(byName.AUTOMATIC.state?.remoteId, `AUTOMATIC/${ada.id}`);
    assert.equal(byName.AUTOMATIC.state?.lastAction, 'PERSON_ADDED');
    assert.equal(byName.MANUAL.status, 'NOT_PROVISIONED');
    assert.equal(byName.MANUAL.state, null);
    assert.ok(!('DISABLED' in byName), 'disabled targets are not listed');
  });

  it('maps status changes to actions and deletes people whose status is not provisionable', async () => {
    const organization = await createOrganization(t.admin);
    await target(organization.id, 'A');
    const ada = await person(organization.id);
    const step = async (status: string) => {
      recorder.clear();
      await t.admin.ok(UpdatePersonDocument, { id: ada.id, input: { status: status as never } });
      return recorder.on('A').filter((c) => c.subject.subjectType === 'PERSON').map((c) => c.action);
    };
    assert.deepEqual(await step('GRACE_PERIOD'), ['PERSON_ENTERED_GRACE_PERIOD']);
    assert.deepEqual(await step('EXPIRED'), ['PERSON_EXPIRED']);
    assert.deepEqual(await step('ACTIVE'), ['PERSON_UNEXPIRED']);
    assert.deepEqual(await step('SUSPENDED'), ['PERSON_UPDATED']);
    const suspended = recorder.on('A').find((c) => c.subject.subjectType === 'PERSON');
    assert.equal(suspended?.subject.subjectType === 'PERSON' && suspended.subject.skeleton, false, 'Suspended keeps a full payload');
    assert.ok(
      suspended?.subject.subjectType === 'PERSON' && suspended.subject.memberships.every((m) => m.groupType === 'MEMBERS_ALL'),
      'only "all members" groups survive for a suspended person',
    );
    const pending = await step('PENDING_APPROVAL');
    assert.deepEqual(pending, ['PERSON_DELETED']);
    const deleted = recorder.on('A').find((c) => c.subject.subjectType === 'PERSON');
    assert.equal(deleted?.subject.subjectType === 'PERSON' && deleted.subject.skeleton, true, 'a skeleton payload');
  });

  it("provisions a subject's pending changes on a target with one call, and gives each change its event", async () => {
    const organization = await createOrganization(t.admin);
    const lane = await target(organization.id, 'coalescing');
    const ada = await person(organization.id);
    recorder.clear();
    // Five changes of one person waiting on the target, as the dispatcher routes them (a lane that
    // was busy, or a target that was down): the lane makes one call, with the data as it is now.
    const seqs = [1, 2, 3, 4, 5].map((i) => String(9_000_000_000 + i));
    await t.ferry.orm.em.fork().transactional((em) =>
      insertWork(
        em,
        seqs.map((seq) => ({
          targetId: lane.id,
          organizationId: organization.id,
          subjectType: SubjectType.PERSON,
          subjectId: ada.id,
          action: ProvisioningAction.PERSON_UPDATED,
          changeSeq: seq,
          changeKey: `c${seq}`,
          rank: 0,
          phase: 0,
          snapshot: null,
        })),
      ),
    );
    await t.ferry.services.engine.drain();
    assert.deepEqual(calls('coalescing'), ['PERSON_UPDATED PERSON'], 'one call for the five changes');
    const events = await t.ferry.orm.em.fork().find(ProvisioningEvent, { changeSeq: { $in: seqs } }, { orderBy: { changeSeq: 'asc' } });
    assert.deepEqual(events.map((event) => [event.changeSeq, event.outcome]), seqs.map((seq) => [seq, 'SUCCEEDED']), 'every change has its outcome');
    assert.deepEqual(events.slice(1).map((event) => event.detail?.startsWith(`in one call with change ${seqs[0]}`)), [true, true, true, true]);
  });

  it('sends deletes in descending target order and everything else ascending', async () => {
    const organization = await createOrganization(t.admin);
    await target(organization.id, 'first', 'AUTOMATIC', { order: 1 });
    await target(organization.id, 'second', 'AUTOMATIC', { order: 2 });
    const ada = await person(organization.id);
    const added = recorder.calls.filter((c) => c.subject.id === ada.id).map((c) => c.targetName);
    assert.deepEqual(added, ['first', 'second']);
    recorder.clear();
    await t.admin.ok(DeletePersonDocument, { id: ada.id });
    const deleted = recorder.calls.filter((c) => c.subject.id === ada.id && c.action === 'PERSON_DELETED').map((c) => c.targetName);
    assert.deepEqual(deleted, ['second', 'first']);
  });

  it('isolates a failing target and records the failure without rolling back the registry', async () => {
    const organization = await createOrganization(t.admin);
    await target(organization.id, 'ok-1', 'AUTOMATIC', { order: 1 });
    await target(organization.id, 'broken', 'AUTOMATIC', { order: 2, config: { fail: 'permanent' } });
    await target(organization.id, 'ok-3', 'AUTOMATIC', { order: 3 });
    const ada = await person(organization.id);
    assert.ok(calls('ok-3').includes('PERSON_ADDED PERSON'), 'the target after the failing one still ran');
    const status = await t.admin.ok(ProvisioningStatusDocument, { subjectType: 'PERSON', subjectId: ada.id });
    const broken = status.provisioningStatus.find((s) => s.target.name === 'broken');
    assert.equal(broken?.status, 'FAILED');
    assert.match(broken?.state?.lastError ?? '', /rejected the data/);
    const events = await t.admin.ok(ProvisioningEventsDocument, { organizationId: organization.id, subjectId: ada.id });
    const outcomes = events.provisioningEvents.nodes.map((e) => `${e.targetName}:${e.outcome}`);
    assert.deepEqual(outcomes, ['ok-1:SUCCEEDED', 'broken:FAILED', 'ok-3:SUCCEEDED']);
    assert.ok(events.provisioningEvents.nodes.every((e) => e.changeSeq), 'each event names the change that caused it');
  });

  it('turns leaving the provisioning group into a delete, and provisions only that group', async () => {
    const organization = await createOrganization(t.admin);
    const folder = (await t.admin.ok(CreateFolderDocument, { input: { organizationId: organization.id, name: 'apps' } })).createFolder.folder;
    const allowed = (await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name: 'wiki-users' } })).createGroup.group;
    await target(organization.id, 'wiki', 'AUTOMATIC', { provisioningGroupId: allowed.id });
    const ada = await person(organization.id);
    assert.deepEqual(
      recorder.on('wiki').map((c) => `${c.action} ${c.subject.subjectType}`).filter((c) => c.includes('PERSON')),
      [],
      'not a member: nothing to delete, nothing sent',
    );
    recorder.clear();
    const membership = (await t.admin.ok(AddGroupMemberDocument, { input: { groupId: allowed.id, personId: ada.id } })).addGroupMember;
    assert.ok(membership);
    assert.deepEqual(calls('wiki'), ['PERSON_UPDATED PERSON', 'GROUP_UPDATED GROUP']);
    recorder.clear();
    await t.admin.ok(UpdatePersonDocument, { id: ada.id, input: { status: 'SUSPENDED' } });
    // Suspended: the membership no longer counts, so the person is deleted from this target.
    assert.ok(calls('wiki').includes('PERSON_DELETED PERSON'), calls('wiki').join());
    const events = await t.admin.ok(ProvisioningEventsDocument, { organizationId: organization.id, subjectId: ada.id });
    assert.match(events.provisioningEvents.nodes.at(-1)?.detail ?? '', /not in provisioning group/);
  });

  it('deletes people linked to the skipped identity source', async () => {
    const organization = await createOrganization(t.admin);
    const source = (await t.admin.ok(CreateOrgIdentitySourceDocument, { input: { organizationId: organization.id, name: 'HR', kind: 'sql' } }))
      .createOrgIdentitySource.orgIdentitySource;
    await target(organization.id, 'portal', 'AUTOMATIC', { skipIfFromSourceId: source.id });
    const ada = await person(organization.id);
    assert.ok(calls('portal').includes('PERSON_ADDED PERSON'));
    recorder.clear();
    await t.admin.ok(LinkOrgIdentityDocument, { input: { personId: ada.id, sourceId: source.id, sourceKey: 'hr-1' } });
    assert.deepEqual(calls('portal'), ['PERSON_DELETED PERSON']);
  });

  it('re-sends the members of a renamed group and the groups of a person whose identifier changed', async () => {
    const organization = await createOrganization(t.admin);
    await target(organization.id, 'dir');
    const folder = (await t.admin.ok(CreateFolderDocument, { input: { organizationId: organization.id, name: 'teams' } })).createFolder.folder;
    const team = (await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name: 'red' } })).createGroup.group;
    const ada = await person(organization.id);
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: team.id, personId: ada.id } });
    recorder.clear();
    await t.admin.ok(UpdateGroupDocument, { id: team.id, input: { name: 'blue' } });
    assert.deepEqual(calls('dir'), ['GROUP_UPDATED GROUP', 'PERSON_UPDATED PERSON'], 'group first, then its members');
    const personCall = recorder.on('dir').find((c) => c.subject.subjectType === 'PERSON');
    assert.ok(personCall?.subject.subjectType === 'PERSON' && personCall.subject.memberships.some((m) => m.groupName === 'teams:blue'));
    recorder.clear();
    await t.admin.ok(AddNameDocument, { input: { personId: ada.id, given: 'Augusta', family: 'King' } });
    assert.deepEqual(calls('dir'), ['PERSON_UPDATED PERSON'], 'a name change is a person update only');
  });

  it('provisions one subject on request, refusing disabled targets and other organisations', async () => {
    const { organization, other, reader, outsider } = await organizationWithTokens(t);
    const manual = await target(organization.id, 'manual', 'MANUAL');
    const disabled = await target(organization.id, 'off', 'DISABLED');
    const ada = await person(organization.id, 'PENDING');
    assert.deepEqual(calls('manual'), []);
    const result = await t.admin.ok(ProvisionDocument, { input: { targetId: manual.id, subjectType: 'PERSON', subjectId: ada.id } });
    assert.equal(result.provision.outcome, 'SUCCEEDED');
    assert.equal(result.provision.action, 'PERSON_REPROVISION_REQUESTED');
    const sent = recorder.on('manual')[0];
    assert.equal(sent.subject.subjectType === 'PERSON' && sent.subject.skeleton, true, 'explicit requests pass the skeleton on');
    await t.admin.fails('FORBIDDEN', ProvisionDocument, { input: { targetId: disabled.id, subjectType: 'PERSON', subjectId: ada.id } });
    const stranger = await person(other.id);
    await t.admin.fails('NOT_FOUND', ProvisionDocument, { input: { targetId: manual.id, subjectType: 'PERSON', subjectId: stranger.id } });
    await t.admin.fails('NOT_FOUND', ProvisionDocument, { input: { targetId: manual.id, subjectType: 'GROUP', subjectId: ada.id } });
    await reader.fails('FORBIDDEN', ProvisionDocument, { input: { targetId: manual.id, subjectType: 'PERSON', subjectId: ada.id } });
    await outsider.fails('NOT_FOUND', ProvisionDocument, { input: { targetId: manual.id, subjectType: 'PERSON', subjectId: ada.id } });
  });

  it('runs Enrollment targets when an enrollment finishes, for the person and their groups', async () => {
    const organization = await createOrganization(t.admin);
    await target(organization.id, 'enroll', 'ENROLLMENT');
    const ada = await person(organization.id);
    assert.deepEqual(calls('enroll'), []);
    await t.admin.ok(FinishEnrollmentDocument, { personId: ada.id });
    assert.deepEqual(calls('enroll'), ['PERSON_ENROLLMENT_FINISHED PERSON', 'PERSON_ENROLLMENT_FINISHED GROUP', 'PERSON_ENROLLMENT_FINISHED GROUP'], 'the person and its groups with COmanage\'s PP (spec 1.3)');
  });

  it('re-provisions people (PR) and groups (GR) when a membership window closes or opens, without any write, within the sweep interval', async () => {
    const organization = await createOrganization(t.admin);
    await target(organization.id, 'timed');
    const folder = (await t.admin.ok(CreateFolderDocument, { input: { organizationId: organization.id, name: 'projects' } })).createFolder.folder;
    const project = (await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name: 'apollo' } })).createGroup.group;
    const ada = await person(organization.id);
    const bob = await person(organization.id);
    const soon = new Date(Date.now() + 1500).toISOString();
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: project.id, personId: ada.id, validThrough: soon } });
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: project.id, personId: bob.id, validFrom: soon } });
    const groupCall = () => recorder.on('timed').filter((c) => c.subject.id === project.id).at(-1);
    const members = () => {
      const call = groupCall();
      return call?.subject.subjectType === 'GROUP' ? call.subject.members.map((m) => m.personId).sort() : [];
    };
    assert.deepEqual(members(), [ada.id], 'before: only Ada is a member');
    recorder.clear();
    // No write and no call: the background loop notices the windows (every second here).
    await waitFor('the windows to be noticed', () => members()[0] === bob.id, 10_000);
    assert.deepEqual(members(), [bob.id], 'after: Ada left and Bob joined');
    await waitFor('both people to be re-provisioned', () => recorder.on('timed').filter((c) => c.subject.id === ada.id || c.subject.id === bob.id).length === 2, 5_000);
    const swept = recorder.on('timed').map((c) => `${c.action} ${c.subject.id}`).sort();
    assert.deepEqual(swept, [`GROUP_REPROVISION_REQUESTED ${project.id}`, `PERSON_REPROVISION_REQUESTED ${ada.id}`, `PERSON_REPROVISION_REQUESTED ${bob.id}`].sort(), 'reprovision requests (spec 1.3: PR, and GR for the groups)');
    const adaCall = recorder.on('timed').find((c) => c.subject.id === ada.id);
    assert.ok(adaCall?.subject.subjectType === 'PERSON' && !adaCall.subject.memberships.some((m) => m.groupId === project.id));
    recorder.clear();
    assert.equal(await t.ferry.services.engine.sweepValidity(), 0, 'nothing crossed since');
  });

  it('catches up on changes made while no engine ran (durable cursor)', async () => {
    const organization = await createOrganization(t.admin);
    await target(organization.id, 'late');
    await t.ferry.services.engine.stop();
    const inner = t.ferry.services.engine;
    const originalSettle = inner.settle.bind(inner);
    // Mutations normally wait for the engine; while it is stopped they must not.
    inner.settle = async () => true;
    try {
      const ada = await person(organization.id);
      assert.deepEqual(calls('late'), [], 'nothing ran while the engine was stopped');
      inner.settle = originalSettle;
      inner.start();
      await inner.settle(await latestSeq(t, organization.id));
      assert.ok(recorder.on('late').some((c) => c.subject.id === ada.id && c.action === 'PERSON_ADDED'));
    } finally {
      inner.settle = originalSettle;
      inner.start();
    }
  });
});

async function latestSeq(t: TestFerry, organizationId: string): Promise<string> {
  let cursor = '0';
  for (;;) {
    const page: ChangeLogQuery = await t.admin.ok(ChangeLogDocument, { organizationId, after: cursor, first: 500 });
    cursor = page.changeLog.pageInfo.endCursor ?? cursor;
    if (!page.changeLog.pageInfo.hasNextPage) return cursor;
  }
}
