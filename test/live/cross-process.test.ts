import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreatePersonWithOutcomesDocument,
  CreateProvisioningTargetDocument,
  OnProvisioningEventsDocument,
  RevokeApiTokenDocument,
} from '../../src/client/generated/graphql';
import { LOOPBACK_NETWORKS, startTestFerry, type TestFerry } from '../support/ferry';
import { clientWithRole, createOrganization, uniqueName } from '../support/fixtures';
import { LiveTestClient } from '../support/live-client';
import { startSlapd, type Slapd } from '../support/slapd';

const DIST_SRC = path.resolve(__dirname, '../../src');

interface Child {
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function start(script: 'main.js' | 'worker.js', env: Record<string, string>): Child {
  let output = '';
  const child = spawn(process.execPath, [path.join(DIST_SRC, script)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 30000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Three processes on one PostgreSQL: this test's server (no workers), a second server process,
 * and a worker process that alone runs the jobs. The safety-net poll is off (10 minutes), so
 * only PostgreSQL notifications can carry events between them.
 */
describe('live events across Ferry processes sharing one database', () => {
  let t: TestFerry;
  let slapd: Slapd;
  let worker: Child;
  let otherServer: Child;
  let otherUrl: string;
  const sockets: LiveTestClient[] = [];
  const shared = { FERRY_RUN_WORKERS: 'false', FERRY_LIVE_POLL_MS: '600000', FERRY_TARGET_ALLOWED_NETWORKS: LOOPBACK_NETWORKS };

  before(async () => {
    slapd = await startSlapd();
    t = await startTestFerry(shared);
    const env = { DATABASE_URL: t.databaseUrl, LOG_LEVEL: 'info', FERRY_JOB_POLL_MS: '100', HOST: '127.0.0.1', PORT: '0', ...shared };
    worker = start('worker.js', { ...env, FERRY_RUN_WORKERS: 'true' });
    otherServer = start('main.js', env);
    await waitFor('the worker', () => worker.output().includes('Ferry worker is running'));
    const line = await waitFor('the second server', () => otherServer.output().split('\n').find((l) => l.includes('Ferry is listening')));
    otherUrl = (JSON.parse(line) as { url: string }).url;
  });
  after(async () => {
    await Promise.all(sockets.map((socket) => socket.close()));
    await otherServer?.stop();
    await worker?.stop();
    await t?.stop();
    await slapd?.dispose();
  });

  it('delivers a job result produced by the worker process to subscribers of both servers', async () => {
    const organization = await createOrganization(t.admin);
    const admin = await clientWithRole(t, 'ORG_ADMIN', organization.id);
    const ou = uniqueName('xp');
    const base = `ou=${ou},${slapd.suffix}`;
    await slapd.client().add(base, { objectClass: ['organizationalUnit'], ou });
    await t.admin.ok(CreateProvisioningTargetDocument, {
      input: {
        organizationId: organization.id,
        name: 'queued directory',
        plugin: 'ldap',
        mode: 'QUEUE',
        config: { url: slapd.url, bindDn: slapd.bindDn, bindPassword: slapd.bindPassword, peopleBaseDn: base, timeoutMs: 2000 },
      },
    });
    const here = new LiveTestClient(t.ferry.url, admin.secret);
    const there = new LiveTestClient(otherUrl, admin.secret);
    sockets.push(here, there);
    const filter = { subjectType: 'PERSON' as const };
    const [hereEvents, thereEvents] = [await here.subscribed(OnProvisioningEventsDocument, filter), await there.subscribed(OnProvisioningEventsDocument, filter)];

    const saved = await admin.client.ok(CreatePersonWithOutcomesDocument, {
      input: { organizationId: organization.id, names: [{ given: 'Grace', family: 'Hopper' }], identifiers: [{ type: 'uid', value: 'grace' }] },
    });
    const [queued] = saved.createPerson.provisioning.filter((e) => e.subjectType === 'PERSON');
    assert.equal(queued.outcome, 'QUEUED', 'the save reports the job it queued');
    assert.ok(queued.jobId);

    for (const events of [hereEvents, thereEvents]) {
      const [first, second] = (await events.take(2)).map((e) => e.provisioningEvents);
      assert.equal(first.seq, queued.seq);
      // Neither server runs workers (FERRY_RUN_WORKERS=false): only the worker process can have.
      assert.equal(second.outcome, 'SUCCEEDED', 'the worker ran the job');
      assert.equal(second.jobId, queued.jobId);
      assert.equal(second.subjectLabel, 'Grace Hopper');
    }
    assert.ok(await slapd.entry(`uid=grace,${base}`), 'and Grace is in the directory');
  });

  it('ends a subscription on the other server when the token is revoked here', async () => {
    const organization = await createOrganization(t.admin);
    const doomed = await clientWithRole(t, 'ORG_ADMIN', organization.id);
    const there = new LiveTestClient(otherUrl, doomed.secret);
    sockets.push(there);
    const events = await there.subscribed(OnProvisioningEventsDocument, {});
    await t.admin.ok(RevokeApiTokenDocument, { id: doomed.token.id });
    const [closed] = await events.failure(10000);
    assert.equal(closed.extensions?.closeCode, 4403);
  });
});
