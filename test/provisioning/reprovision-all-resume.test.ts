import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AddGroupMemberDocument,
  CancelProvisioningJobDocument,
  CreateFolderDocument,
  CreateGroupDocument,
  CreatePersonDocument,
  CreateProvisioningTargetDocument,
  GroupsWithMembersDocument,
  ProvisioningJobDocument,
  ReprovisionAllDocument,
  type ProvisioningEventFieldsFragment,
  type ProvisioningJobFieldsFragment,
} from '../../src/client/generated/graphql';
import { freePort } from '../../src/db/scratch-database';
import { BATCHES_AT_ONCE, DEFAULT_BATCH_SIZE } from '../../src/provisioning/reprovision-all';
import { GraphQLTestClient } from '../support/client';
import { allEvents } from '../support/events';
import { LOOPBACK_NETWORKS, startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization } from '../support/fixtures';
import { startSlapd, type Slapd } from '../support/slapd';

const MAIN = path.resolve(__dirname, '../../src/main.js');
const PEOPLE = 1000;
/** ReprovisionAll's step (its batches run side by side, the cursor moves past all): the most a crash can make it redo. */
const STEP = DEFAULT_BATCH_SIZE * BATCHES_AT_ONCE;
/** How long a dead process's job stays locked before another process takes it over (the queue's default). */
const LOCK_LIFETIME_MS = 60000;
const JOB_ENV = { FERRY_JOB_POLL_MS: '50', FERRY_JOB_LOCK_LIFETIME_MS: '5000' };

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 120000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** `npm start` against the test database, as a separate process that can be killed outright. */
function startServerProcess(env: Record<string, string>) {
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  return { child, exited, output: () => output };
}

describe('reprovision all across a crash (a Ferry process killed half-way)', () => {
  let t: TestFerry;
  let slapd: Slapd;
  let server: ReturnType<typeof startServerProcess> | null = null;
  let organizationId: string;
  let targetId: string;
  let dirs: { people: string; groups: string };
  let total: number;
  const dnByPersonId = new Map<string, string>();

  before(async () => {
    slapd = await startSlapd();
    // This process runs no jobs until the other one is dead.
    t = await startTestFerry({ FERRY_RUN_WORKERS: 'false', ...JOB_ENV });
    organizationId = (await createOrganization(t.admin)).id;
    dirs = { people: `ou=people,${slapd.suffix}`, groups: `ou=groups,${slapd.suffix}` };
    targetId = (
      await t.admin.ok(CreateProvisioningTargetDocument, {
        input: {
          organizationId,
          name: 'directory',
          plugin: 'ldap',
          mode: 'MANUAL',
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
      })
    ).createProvisioningTarget.target.id;
    const folder = (await t.admin.ok(CreateFolderDocument, { input: { organizationId, name: 'teams' } })).createFolder.folder;
    const team = (await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name: 'early-birds' } })).createGroup.group;
    const uids = Array.from({ length: PEOPLE }, (_, index) => `p${String(index).padStart(4, '0')}`);
    for (let start = 0; start < uids.length; start += 10) {
      await Promise.all(
        uids.slice(start, start + 10).map(async (uid) => {
          const created = await t.admin.ok(CreatePersonDocument, {
            input: { organizationId, status: 'ACTIVE', names: [{ given: 'Test', family: uid }], identifiers: [{ type: 'uid', value: uid }] },
          });
          dnByPersonId.set(created.createPerson.person.id, `uid=${uid},${dirs.people}`);
        }),
      );
    }
    for (const personId of [...dnByPersonId.keys()].slice(0, 40)) {
      await t.admin.ok(AddGroupMemberDocument, { input: { groupId: team.id, personId } });
    }
    const groups = (await t.admin.ok(GroupsWithMembersDocument, { organizationId, first: 100 })).groups.nodes;
    total = PEOPLE + groups.length;
  });

  after(async () => {
    server?.child.kill('SIGKILL');
    await t?.stop();
    await slapd?.dispose();
  });

  const job = async (id: string): Promise<ProvisioningJobFieldsFragment> => (await t.admin.ok(ProvisioningJobDocument, { id })).provisioningJob;

  async function jobEvents(jobId: string): Promise<ProvisioningEventFieldsFragment[]> {
    const all = await allEvents(t.admin, { organizationId });
    return all.filter((event) => event.jobId === jobId);
  }

  /** The directory holds exactly what the registry says: every person, every group with its member DNs. */
  async function assertDirectoryMatchesRegistry() {
    const people = (await slapd.childDns(dirs.people)).map((dn) => dn.toLowerCase());
    assert.deepEqual(people, [...dnByPersonId.values()].map((dn) => dn.toLowerCase()).sort());
    const groups = (await t.admin.ok(GroupsWithMembersDocument, { organizationId, first: 100 })).groups.nodes;
    // groupOfNames needs a member: a group without members has no entry.
    const withMembers = groups.filter((group) => group.members.length > 0);
    assert.ok(withMembers.length >= 3, 'the automatic groups and the team have members');
    assert.equal((await slapd.childDns(dirs.groups)).length, withMembers.length, 'one entry per group with members');
    for (const group of withMembers) {
      const entry = await slapd.entry(`cn=${group.fullName},${dirs.groups}`);
      assert.ok(entry, `${group.fullName} is in the directory`);
      const expected = group.members.map((member) => dnByPersonId.get(member.id)!).map((dn) => dn.toLowerCase());
      assert.deepEqual(entry.get('member').map((dn) => dn.toLowerCase()).sort(), expected.sort(), `members of ${group.fullName}`);
    }
  }

  it('goes on from the saved cursor in another process, without skipping anyone and redoing at most the batch in flight', async () => {
    const port = await freePort();
    server = startServerProcess({
      DATABASE_URL: t.databaseUrl,
      FERRY_ADMIN_TOKEN: t.adminToken,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      FERRY_RUN_WORKERS: 'true',
      FERRY_TARGET_ALLOWED_NETWORKS: LOOPBACK_NETWORKS,
      ...JOB_ENV,
    });
    await waitFor('the server process to listen', async () => server!.output().includes('Ferry is listening'), 60000);
    const remote = new GraphQLTestClient(`http://127.0.0.1:${port}/graphql`, t.adminToken);
    const started = (await remote.ok(ReprovisionAllDocument, { targetId })).reprovisionAll;
    assert.equal(started.details.total, total);

    const midway = await waitFor(
      'the job to be between 20% and 80%',
      async () => {
        const current = await job(started.id);
        assert.ok(!['COMPLETED', 'FAILED', 'CANCELLED'].includes(current.state), `the job ended before the kill: ${current.state}`);
        return current.progress !== null && current.progress >= 20 && current.progress <= 80 ? current : null;
      },
      120000,
      10,
    );
    server.child.kill('SIGKILL');
    assert.equal(await server.exited, 'SIGKILL');
    server = null;
    // What the dead process had saved last (it may have saved once more after `midway` was read).
    const atDeath = await job(started.id);
    const resumeAfter = atDeath.details.afterId as string | null;
    assert.equal(atDeath.details.phase, 'PERSON', `killed while provisioning people: ${JSON.stringify(atDeath.details)}`);
    assert.ok(resumeAfter, 'a cursor was saved');
    assert.ok((atDeath.progress ?? 0) >= (midway.progress ?? 0));
    const eventsBefore = await jobEvents(started.id);
    assert.ok(eventsBefore.length > 0 && eventsBefore.length < total, `${eventsBefore.length} of ${total} done at the kill`);

    await t.ferry.jobs.startWorkers();
    const done = await waitFor(
      'the job to complete in this process',
      async () => {
        const current = await job(started.id);
        return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(current.state) ? current : null;
      },
      LOCK_LIFETIME_MS + 120000,
      200,
    );
    assert.equal(done.state, 'COMPLETED', `failReason: ${done.failReason}`);
    assert.equal(done.progress, 100);
    assert.deepEqual(
      { processed: done.details.processed, succeeded: done.details.succeeded, failed: done.details.failed },
      { processed: total, succeeded: total, failed: 0 },
      'the counts continue from the saved ones: a redone batch is not counted twice',
    );

    await assertDirectoryMatchesRegistry();

    const events = await jobEvents(started.id);
    const perSubject = new Map<string, number>();
    for (const event of events) perSubject.set(event.subjectId, (perSubject.get(event.subjectId) ?? 0) + 1);
    assert.equal(perSubject.size, total, 'every subject was provisioned');
    assert.ok(events.every((event) => event.outcome === 'SUCCEEDED'), 'every attempt succeeded');
    const personIds = [...dnByPersonId.keys()].sort();
    const redone = [...perSubject].filter(([, count]) => count > 1).map(([id]) => id);
    assert.ok([...perSubject.values()].every((count) => count <= 2), 'nobody more than twice');
    // Only the step after the saved cursor may have been committed before the kill and redone.
    const nextBatch = new Set(personIds.filter((id) => id > resumeAfter!).slice(0, STEP));
    assert.ok(redone.every((id) => nextBatch.has(id)), `redone outside the batch in flight: ${redone.filter((id) => !nextBatch.has(id)).join(', ')}`);
    for (const id of personIds.filter((id) => id <= resumeAfter!)) assert.equal(perSubject.get(id), 1, `${id} was done before the kill, once`);
  });

  it('stops after the batch in progress when cancelled', async () => {
    await t.ferry.jobs.startWorkers();
    const started = (await t.admin.ok(ReprovisionAllDocument, { targetId })).reprovisionAll;
    await waitFor('the first batch', async () => ((await job(started.id)).progress ?? 0) > 0, 60000, 10);
    const cancelling = (await t.admin.ok(CancelProvisioningJobDocument, { id: started.id })).cancelProvisioningJob;
    assert.equal(cancelling.id, started.id);
    const stopped = await waitFor('the job to stop', async () => {
      const current = await job(started.id);
      return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(current.state) ? current : null;
    });
    assert.equal(stopped.state, 'CANCELLED');
    const processed = stopped.details.processed as number;
    assert.ok(processed > 0 && processed < total, `stopped part-way: ${processed} of ${total}`);
    assert.equal(processed % STEP, 0, 'at a step boundary');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await jobEvents(started.id)).length, processed, 'nothing was provisioned after it stopped');
    assert.equal((await job(started.id)).state, 'CANCELLED');
  });
});
