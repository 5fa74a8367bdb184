import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  CancelProvisioningJobDocument,
  CreatePersonDocument,
  CreateProvisioningTargetDocument,
  ProvisioningJobDocument,
  ProvisioningStatusDocument,
  UpdateNameDocument,
  UpdateProvisioningTargetDocument,
  type ProvisioningEventsQuery,
  type ProvisioningMode,
} from '../../src/client/generated/graphql';
import { allEvents, allJobs } from '../support/events';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, organizationWithTokens } from '../support/fixtures';
import { recordingPlugin } from '../support/recording-plugin';

type Event = ProvisioningEventsQuery['provisioningEvents']['nodes'][number];

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 20000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('queued provisioning (Queue and Queue On Error)', () => {
  let t: TestFerry;
  const recorder = recordingPlugin();
  before(async () => {
    // Workers start by hand, so tests can pile up jobs before anything runs.
    t = await startTestFerry({ FERRY_RUN_WORKERS: 'false', FERRY_JOB_POLL_MS: '100' }, { plugins: [recorder.plugin] });
    await t.ferry.jobs.startWorkers();
  });
  after(() => t?.stop());
  beforeEach(() => recorder.clear());

  async function target(organizationId: string, name: string, mode: ProvisioningMode, extra: Record<string, unknown> = {}) {
    const { config, ...rest } = extra as { config?: Record<string, unknown> };
    return (
      await t.admin.ok(CreateProvisioningTargetDocument, {
        input: { organizationId, name, plugin: 'recorder', mode, config: config ?? {}, ...rest },
      })
    ).createProvisioningTarget.target;
  }

  const events = async (organizationId: string, subjectId: string) => allEvents(t.admin, { organizationId, subjectId });
  const on = (list: Event[], targetName: string) => list.filter((e) => e.targetName === targetName).map((e) => `${e.action}:${e.outcome}`);

  it('queues instead of calling, runs the job with the data of when it runs, and coalesces identical waiting requests', async () => {
    const organization = await createOrganization(t.admin);
    await target(organization.id, 'queued', 'QUEUE');
    await target(organization.id, 'inline', 'AUTOMATIC');
    await t.ferry.jobs.stopWorkers(); // nothing runs while we pile up changes
    const created = await t.admin.ok(CreatePersonDocument, {
      input: { organizationId: organization.id, names: [{ given: 'Ada', family: 'Byron' }] },
    });
    const ada = created.createPerson.person;
    const nameId = ada.names[0].id;
    await t.admin.ok(UpdateNameDocument, { id: nameId, input: { family: 'King' } });
    await t.admin.ok(UpdateNameDocument, { id: nameId, input: { family: 'Lovelace' } });
    const before = await events(organization.id, ada.id);
    assert.deepEqual(on(before, 'queued'), ['PERSON_ADDED:QUEUED', 'PERSON_UPDATED:QUEUED', 'PERSON_UPDATED:COALESCED']);
    assert.deepEqual(on(before, 'inline'), ['PERSON_ADDED:SUCCEEDED', 'PERSON_UPDATED:SUCCEEDED', 'PERSON_UPDATED:SUCCEEDED'], 'the other target still ran each time');
    const coalesced = before.find((e) => e.outcome === 'COALESCED');
    const queuedUpdate = before.find((e) => e.targetName === 'queued' && e.action === 'PERSON_UPDATED' && e.outcome === 'QUEUED');
    assert.equal(coalesced?.jobId, queuedUpdate?.jobId, 'coalesced into the waiting job');
    assert.match(coalesced?.detail ?? '', /coalesced into waiting job/);
    const status = await t.admin.ok(ProvisioningStatusDocument, { subjectType: 'PERSON', subjectId: ada.id });
    assert.equal(status.provisioningStatus.find((s) => s.target.name === 'queued')?.status, 'QUEUED');

    await t.ferry.jobs.startWorkers();
    const after = await waitFor('the queued jobs', async () => {
      const list = await events(organization.id, ada.id);
      return on(list, 'queued').filter((e) => e.endsWith('SUCCEEDED')).length === 2 && list;
    });
    const pushed = recorder.on('queued').filter((c) => c.subject.id === ada.id);
    assert.deepEqual(pushed.map((c) => c.action), ['PERSON_ADDED', 'PERSON_UPDATED'], 'in order, and two edits made one push');
    const lastName = pushed[1].subject.subjectType === 'PERSON' ? pushed[1].subject.primaryName?.family : null;
    assert.equal(lastName, 'Lovelace', 'the payload was built when the job ran');
    assert.ok(on(after, 'queued').every((e) => !e.includes('FAILED')));
    const jobs = await allJobs(t.admin, { organizationId: organization.id, state: 'COMPLETED' });
    assert.ok(jobs.some((j) => j.id === queuedUpdate?.jobId && j.subjectId === ada.id && j.action === 'PERSON_UPDATED'));
  });

  it("runs a target's piled-up jobs together, in queue order, each job with its own outcome", async () => {
    const organization = await createOrganization(t.admin);
    const bulk = await target(organization.id, 'bulk', 'QUEUE', { config: { failFamily: 'Reject' } });
    const person = async (family: string) =>
      (await t.admin.ok(CreatePersonDocument, { input: { organizationId: organization.id, names: [{ given: 'P', family }] } })).createPerson.person;
    // Workers stopped first, so the queue holds, deterministically: First's job, the automatic
    // groups' jobs (the later people's group changes coalesce into them), then the five people.
    await t.ferry.jobs.stopWorkers();
    const first = await person('First');
    const people = [await person('A'), await person('B'), await person('Reject'), await person('C'), await person('D')];
    await t.ferry.jobs.startWorkers();
    const jobs = await waitFor('every job of the target to end', async () => {
      const all = await allJobs(t.admin, { organizationId: organization.id, targetId: bulk.id });
      return all.length > 0 && all.every((job) => job.state === 'COMPLETED' || job.state === 'FAILED') && all;
    });
    const jobOf = (subjectId: string) => jobs.filter((job) => job.subjectId === subjectId);
    for (const p of [first, ...people]) assert.equal(jobOf(p.id).length, 1, 'one job per person');
    const rejected = jobOf(people[2].id)[0];
    assert.equal(rejected.state, 'FAILED');
    assert.match(rejected.failReason ?? '', /bulk rejected Reject/);
    const others = people.filter((_, i) => i !== 2).map((p) => jobOf(p.id)[0]);
    assert.ok(others.every((job) => job.state === 'COMPLETED'), 'the failure is its own job only');
    // One pass: the first of them started by the queue, the four behind it taken along (started together).
    assert.ok(new Set(people.map((p) => jobOf(p.id)[0].lastRunAt)).size <= 2, 'the people queued one after the other ran in one pass');
    const outcomes = await Promise.all(people.map(async (p) => (await events(organization.id, p.id)).filter((e) => e.targetName === 'bulk' && e.outcome !== 'QUEUED')));
    assert.deepEqual(
      outcomes.map((list) => list.map((e) => `${e.outcome}:${e.jobId === jobOf(list[0].subjectId)[0].id}`)),
      [['SUCCEEDED:true'], ['SUCCEEDED:true'], ['FAILED:true'], ['SUCCEEDED:true'], ['SUCCEEDED:true']],
      'each job has its own event, with its job id',
    );
    const pushed = recorder.on('bulk').map((c) => `${c.subject.subjectType}:${c.subject.id}`);
    const at = (subjectId: string) => pushed.indexOf(`PERSON:${subjectId}`);
    assert.ok(at(first.id) >= 0 && people.every((p) => at(p.id) > at(first.id)), 'in queue order');
  });

  it('Queue On Error runs inline, retries transient failures up to the maximum, and does not retry permanent ones', async () => {
    const organization = await createOrganization(t.admin);
    const flaky = await target(organization.id, 'flaky', 'QUEUE_ON_ERROR', { config: { fail: 'transient' }, retryIntervalSeconds: 1, maxRetries: 2 });
    await target(organization.id, 'rejecting', 'QUEUE_ON_ERROR', { config: { fail: 'permanent' }, retryIntervalSeconds: 1, maxRetries: 2 });
    await target(organization.id, 'no-retry', 'QUEUE_ON_ERROR', { config: { fail: 'transient' }, retryIntervalSeconds: 0 });
    const ada = (await t.admin.ok(CreatePersonDocument, { input: { organizationId: organization.id, names: [{ given: 'Ada' }] } })).createPerson.person;
    const list = await waitFor('the retries to run out', async () => {
      const all = await events(organization.id, ada.id);
      return on(all, 'flaky').length >= 3 && all;
    });
    assert.deepEqual(on(list, 'flaky'), ['PERSON_ADDED:RETRY_SCHEDULED', 'PERSON_ADDED:RETRY_SCHEDULED', 'PERSON_ADDED:FAILED'], 'one inline attempt, two retries');
    assert.deepEqual(list.filter((e) => e.targetName === 'flaky').map((e) => e.attempt), [1, 2, 3]);
    assert.deepEqual(on(list, 'rejecting'), ['PERSON_ADDED:FAILED'], 'permanent failures are not retried');
    assert.equal(list.find((e) => e.targetName === 'rejecting')?.retryable, false);
    assert.deepEqual(on(list, 'no-retry'), ['PERSON_ADDED:FAILED'], 'a retry interval of 0 never retries');
    const failedJobs = (await allJobs(t.admin, { organizationId: organization.id, targetId: flaky.id, state: 'FAILED' })).filter((job) => job.subjectId === ada.id);
    assert.deepEqual(failedJobs.map((job) => job.attempt).sort(), [2, 3], 'both retry jobs are kept as failed');
    assert.match(failedJobs[0].failReason ?? '', /unreachable/);
    // Backoff: the second retry waited twice the interval after the first retry failed.
    const [second, third] = [...failedJobs].sort((a, b) => (a.attempt ?? 0) - (b.attempt ?? 0));
    const waited = Date.parse(third.lastRunAt!) - Date.parse(second.lastFinishedAt!);
    assert.ok(waited >= 1900, `the third attempt ran ${waited} ms after the second failed (2 x the 1 s interval, plus jitter)`);

    // The target comes back: the next change goes through inline.
    recorder.clear();
    await t.admin.ok(UpdateProvisioningTargetDocument, { id: flaky.id, input: { config: { fail: 'never' } } });
    await t.admin.ok(UpdateNameDocument, { id: ada.names[0].id, input: { family: 'B' } });
    assert.deepEqual(recorder.on('flaky').filter((c) => c.subject.id === ada.id).map((c) => c.action), ['PERSON_UPDATED']);
  });

  it('cancels a waiting job so that it never runs, and lists and guards jobs per organisation', async () => {
    const { organization, reader, outsider } = await organizationWithTokens(t);
    await target(organization.id, 'later', 'QUEUE');
    await t.ferry.jobs.stopWorkers();
    const ada = (await t.admin.ok(CreatePersonDocument, { input: { organizationId: organization.id, names: [{ given: 'Ada' }] } })).createPerson.person;
    const [queued] = (await events(organization.id, ada.id)).filter((e) => e.outcome === 'QUEUED');
    assert.ok(queued.jobId);
    await reader.ok(ProvisioningJobDocument, { id: queued.jobId });
    await outsider.fails('NOT_FOUND', ProvisioningJobDocument, { id: queued.jobId });
    await reader.fails('FORBIDDEN', CancelProvisioningJobDocument, { id: queued.jobId });
    const cancelled = await t.admin.ok(CancelProvisioningJobDocument, { id: queued.jobId });
    assert.equal(cancelled.cancelProvisioningJob.state, 'CANCELLED');
    await t.ferry.jobs.startWorkers();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.ok(!recorder.on('later').some((c) => c.subject.id === ada.id), 'the cancelled job never ran');
    assert.ok(recorder.on('later').length > 0, 'the jobs of the groups, not cancelled, did run');
    await t.admin.fails('NOT_FOUND', ProvisioningJobDocument, { id: 'no-such-job' });
  });
});
