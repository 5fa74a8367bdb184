import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CreateOrganizationDocument, ImportPopulationDocument, ImportRunDocument } from '../../src/client/generated/graphql';
import { freePort } from '../../src/db/scratch-database';
import { GraphQLTestClient } from '../support/client';
import { removeDataDir, waitFor } from '../support/server-process';

const MAIN = path.resolve(__dirname, '../../src/main.js');
const WORKER = path.resolve(__dirname, '../../src/worker.js');

interface Child {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();
let dataDir = '';

function start(script: string, env: Record<string, string>): Child {
  let output = '';
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, LOG_LEVEL: 'info', FERRY_SHUTDOWN_TIMEOUT_MS: '1000', FERRY_JOB_POLL_MS: '100', DATABASE_URL: '', FERRY_WORKER_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => (children.delete(child), resolve(code))));
  return { child, output: () => output, exited };
}

async function until(process: Child, text: string, what: string): Promise<void> {
  await waitFor(
    what,
    async () => {
      if (process.child.exitCode !== null) throw new Error(`${what}: the process exited with ${process.child.exitCode}:\n${process.output()}`);
      return process.output().includes(text);
    },
    60_000,
    50,
  );
}

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  if (dataDir) await removeDataDir(dataDir);
});

/**
 * `npm run worker` beside `npm start` on the embedded PostgreSQL, with nothing but the same data
 * folder: the worker finds the server's cluster (port and password from the folder) and runs its
 * jobs; stopping the worker leaves the server and its database running.
 */
describe('a worker beside a server on the embedded PostgreSQL', () => {
  it('joins the server\'s cluster from the data folder alone and runs the jobs the server queues', async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ferry-join-'));
    const token = `ferry_${randomBytes(32).toString('base64url')}`;
    const port = await freePort();
    const shared = { FERRY_DATA_DIR: dataDir, FERRY_PG_PORT: String(await freePort()), FERRY_ADMIN_TOKEN: token };
    // The server runs no job workers: only the worker can finish the import.
    const server = start(MAIN, { ...shared, PORT: String(port), HOST: '127.0.0.1', FERRY_RUN_WORKERS: 'false' });
    await until(server, 'Ferry is listening', 'the server to listen');
    const client = new GraphQLTestClient(`http://127.0.0.1:${port}/graphql`, token);
    const organization = (await client.ok(CreateOrganizationDocument, { input: { name: 'joined' } })).createOrganization.organization;
    const run = (await client.ok(ImportPopulationDocument, { input: { organizationId: organization.id, format: 'CSV', document: 'uid,given,family\nada,Ada,Lovelace\n' } }))
      .importPopulation;
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await client.ok(ImportRunDocument, { id: run.id })).importRun.state, 'QUEUED', 'nobody runs jobs yet');

    const worker = start(WORKER, shared);
    await until(worker, 'Ferry worker is running', 'the worker to start');
    assert.match(worker.output(), /using the embedded PostgreSQL of the Ferry server running on this data folder/);
    assert.match(worker.output(), new RegExp(`"serverPid":${server.child.pid}`));
    const done = await waitFor(
      'the worker to run the import',
      async () => {
        const { importRun } = await client.ok(ImportRunDocument, { id: run.id });
        return importRun.state === 'DONE' && importRun;
      },
      30_000,
    );
    assert.equal((done.report as { people: { created: number } }).people.created, 1);

    worker.child.kill('SIGTERM');
    assert.equal(await worker.exited, 0, worker.output());
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200, 'the server and its database outlive the worker');
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0, server.output());
  });
});
