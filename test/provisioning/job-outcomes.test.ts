import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import {
  CreateFolderDocument,
  CreateGroupDocument,
  CreatePersonDocument,
  CreateProvisioningTargetDocument,
  FerryClient,
  GroupsDocument,
  ProvisionDocument,
  ProvisioningEventsDocument,
  ProvisioningJobDocument,
  RecalculateProvisionabilityDocument,
  ReprovisionAllDocument,
  SetFolderProvisioningDocument,
  type ProvisioningJobFieldsFragment,
} from '../../src/client';
import type { JobQueue, RunningJob } from '../../src/jobs/job-queue';
import { createLogger } from '../../src/observability/logger';
import { FullRecalculation, type FullRecalculationData } from '../../src/provisionability/full-recalculation';
import { allEvents } from '../support/events';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, uniqueName } from '../support/fixtures';
import { startSlapd, type Slapd } from '../support/slapd';

const FINISHED = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/**
 * How jobs end and what they report: a Reprovision All whose every subject failed FAILED with the
 * first error, a partial one COMPLETED with its counts, a full provisionability recalculation with
 * real, monotonic progress, and a failed `provision` with its error.
 */
describe('job outcomes and progress (real slapd)', () => {
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

  const branch = () => slapd.branch(uniqueName('jo'));

  async function ldapTarget(organizationId: string, bindPassword: string, settings: Record<string, unknown> = {}) {
    const dirs = await branch();
    const data = await t.admin.ok(CreateProvisioningTargetDocument, {
      input: {
        organizationId,
        name: uniqueName('ldap'),
        plugin: 'ldap',
        mode: 'MANUAL',
        config: { url: slapd.url, bindDn: slapd.bindDn, bindPassword, peopleBaseDn: dirs.people, groupBaseDn: dirs.groups },
        ...settings,
      },
    });
    return { ...data.createProvisioningTarget.target, dirs };
  }

  async function person(organizationId: string, uid: string | null) {
    const data = await t.admin.ok(CreatePersonDocument, {
      input: { organizationId, status: 'ACTIVE', names: [{ given: 'Grace', family: uid ?? 'Nameless' }], identifiers: uid ? [{ type: 'uid', value: uid }] : [] },
    });
    return data.createPerson.person;
  }

  async function finished(id: string): Promise<ProvisioningJobFieldsFragment> {
    const deadline = Date.now() + 60000;
    for (;;) {
      const job = (await t.admin.ok(ProvisioningJobDocument, { id })).provisioningJob;
      if (FINISHED.has(job.state)) return job;
      if (Date.now() > deadline) assert.fail(`job ${id} did not finish (${job.state})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function jobEvents(organizationId: string, jobId: string) {
    const events = await allEvents(t.admin, { organizationId });
    return events.filter((event) => event.jobId === jobId);
  }

  const counts = (job: ProvisioningJobFieldsFragment) => ({
    processed: job.details.processed,
    succeeded: job.details.succeeded,
    failed: job.details.failed,
    total: job.details.total,
  });

  it('ends a Reprovision All whose every subject failed (wrong bind password) FAILED, with the first error as its reason', async () => {
    const organization = await createOrganization(t.admin);
    const target = await ldapTarget(organization.id, 'not-the-password');
    for (const uid of ['ada', 'grace', 'alan', 'edsger']) await person(organization.id, uid);

    const started = (await t.admin.ok(ReprovisionAllDocument, { targetId: target.id })).reprovisionAll;
    const done = await finished(started.id);
    const total = done.details.total as number;
    assert.ok(total >= 4, `total ${total}`);
    assert.equal(done.state, 'FAILED', `every subject failed, so the job did: ${JSON.stringify(counts(done))}`);
    assert.deepEqual(counts(done), { processed: total, succeeded: 0, failed: total, total });
    const failures = (await jobEvents(organization.id, started.id)).filter((event) => event.outcome === 'FAILED');
    assert.equal(failures.length, total);
    assert.match(failures[0].error ?? '', /invalidCredentials/);
    assert.equal(done.failReason, failures[0].error, 'the first error is the reason');
    assert.equal(done.details.firstError, failures[0].error);
  });

  it('completes a Reprovision All where only some subjects failed, with the counts and no reason', async () => {
    const organization = await createOrganization(t.admin);
    const target = await ldapTarget(organization.id, slapd.bindPassword);
    for (const uid of ['ada', 'grace', 'alan']) await person(organization.id, uid);
    await person(organization.id, null); // no uid to name the entry: the LDAP plugin refuses it

    const started = (await t.admin.ok(ReprovisionAllDocument, { targetId: target.id })).reprovisionAll;
    const done = await finished(started.id);
    const total = done.details.total as number;
    assert.equal(done.state, 'COMPLETED', `failReason: ${done.failReason}`);
    assert.equal(done.failReason, null);
    assert.equal(done.progress, 100);
    assert.deepEqual(counts(done), { processed: total, succeeded: total - 1, failed: 1, total });
    assert.match(String(done.details.firstError), /no active identifier of type "uid"/, 'kept for the record');
    assert.equal((await slapd.childDns(target.dirs.people)).length, 3);
  });

  it('returns the error on the event of a failed `provision`, read through the typed client', async () => {
    const organization = await createOrganization(t.admin);
    const good = await ldapTarget(organization.id, slapd.bindPassword);
    const wrong = await ldapTarget(organization.id, 'not-the-password');
    const nameless = await person(organization.id, null);
    const ada = await person(organization.id, 'ada');

    // As in the README, next to the mutation.
    const ferry = new FerryClient({ url: t.ferry.url, token: t.adminToken });
    const { provision } = await ferry.request(ProvisionDocument, { input: { targetId: good.id, subjectType: 'PERSON', subjectId: nameless.id } });
    assert.equal(provision.outcome, 'FAILED');
    assert.match(provision.error ?? '', /no active identifier of type "uid"/);
    assert.equal(provision.retryable, false);

    const refused = (await ferry.request(ProvisionDocument, { input: { targetId: wrong.id, subjectType: 'PERSON', subjectId: ada.id } })).provision;
    assert.equal(refused.outcome, 'FAILED');
    assert.match(refused.error ?? '', /invalidCredentials/);

    const events = (await t.admin.ok(ProvisioningEventsDocument, { organizationId: organization.id, first: 100 })).provisioningEvents.nodes;
    assert.deepEqual(
      events.filter((event) => event.seq === provision.seq || event.seq === refused.seq).map((event) => event.error),
      [provision.error, refused.error],
      'the stored events carry the same errors',
    );

    const fine = (await ferry.request(ProvisionDocument, { input: { targetId: good.id, subjectType: 'PERSON', subjectId: ada.id } })).provision;
    assert.deepEqual([fine.outcome, fine.error], ['SUCCEEDED', null]);
  });

  it('reports a full provisionability recalculation over N groups with processed = total = N and progress 100, monotonically', async () => {
    const organization = await createOrganization(t.admin);
    const folder = (await t.admin.ok(CreateFolderDocument, { input: { organizationId: organization.id, name: 'big' } })).createFolder.folder;
    const created = 120;
    for (let i = 0; i < created; i++) await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name: `g${String(i).padStart(3, '0')}` } });
    const groups = (await t.admin.ok(GroupsDocument, { organizationId: organization.id, first: 1 })).groups.totalCount;
    assert.ok(groups >= created);
    const target = await ldapTarget(organization.id, slapd.bindPassword, { groupSelection: 'FOLDER_RULES' });
    await t.admin.ok(SetFolderProvisioningDocument, { input: { targetId: target.id, folderId: folder.id, provision: true, scope: 'SUB' } });

    // Through the API: the incremental recalculation already decided every group, so nothing flips,
    // and the job still says it decided all of them.
    const started = (await t.admin.ok(RecalculateProvisionabilityDocument, { targetId: target.id })).recalculateProvisionability;
    const done = await finished(started.id);
    assert.equal(done.state, 'COMPLETED', `failReason: ${done.failReason}`);
    assert.equal(done.progress, 100);
    assert.deepEqual(
      { processed: done.details.processed, total: done.details.total, flipped: done.details.flipped },
      { processed: groups, total: groups, flipped: 0 },
    );

    // Every stored answer lost (what the daily backstop is for): all N flip and are provisioned
    // in batches. The job's saves, recorded one by one: real counts, monotonic, ending at 100.
    const db = new pg.Client({ connectionString: t.databaseUrl });
    await db.connect();
    try {
      await db.query('delete from group_provisionability where target_id = $1', [target.id]);
    } finally {
      await db.end();
    }
    const defined: { handler?: (job: RunningJob<FullRecalculationData>) => Promise<void> } = {};
    const queue = { define: (_name: string, run: typeof defined.handler) => (defined.handler = run) } as unknown as JobQueue;
    new FullRecalculation(t.ferry.orm, t.ferry.services.engine, queue, createLogger('silent'));
    const data: FullRecalculationData = { organizationId: organization.id, targetId: target.id, trigger: 'ON_DEMAND' };
    const saves: { percent: number; processed: number; total: number; flipped: number }[] = [];
    const job: RunningJob<FullRecalculationData> = {
      id: 'recorded-recalculation',
      data,
      async saveProgress(percent, patch) {
        Object.assign(data, patch);
        saves.push({ percent, processed: data.processed!, total: data.total!, flipped: data.flipped! });
      },
      isCancelled: async () => false,
      takeAlong: async () => [],
      settleTaken: async () => undefined,
    };
    assert.ok(defined.handler, 'the recalculation defines its job');
    await defined.handler(job);

    const last = saves.at(-1)!;
    assert.deepEqual(last, { percent: 100, processed: groups, total: groups, flipped: created });
    assert.ok(saves.every((save) => save.total === groups), 'total is known from the first save');
    for (let i = 1; i < saves.length; i++) {
      assert.ok(saves[i].percent >= saves[i - 1].percent && saves[i].processed >= saves[i - 1].processed, `monotonic: ${JSON.stringify(saves)}`);
    }
    const between = saves.filter((save) => save.percent > 0 && save.percent < 100);
    assert.ok(between.length >= 2, `intermediate progress (batches of 50 of ${created}): ${JSON.stringify(saves)}`);
    assert.equal(saves.filter((save) => save.percent === 100).length, 1, '100 only at the end');
  });
});
