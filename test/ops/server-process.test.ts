import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateOrganizationDocument, OrganizationsDocument } from '../../src/client/generated/graphql';
import { freePort } from '../../src/db/scratch-database';
import { GraphQLTestClient } from '../support/client';

const MAIN = path.resolve(__dirname, '../../src/main.js');

interface RunningServer {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startServer(env: Record<string, string>): RunningServer {
  let output = '';
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const portIsOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

describe('the server process (npm start) on the embedded PostgreSQL', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ferry-data-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('prints an admin token once, serves GraphQL, /healthz and /metrics, keeps data across restarts, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const pgPort = await freePort();
    const env = { PORT: String(port), FERRY_PG_PORT: String(pgPort), FERRY_DATA_DIR: dataDir, LOG_LEVEL: 'info' };

    const first = startServer(env);
    await waitFor(() => first.output().includes('Ferry is listening'), 'the first start');
    const token = /Bearer (ferry_[A-Za-z0-9_-]+)/.exec(first.output())?.[1];
    assert.ok(token, `no admin token printed:\n${first.output()}`);

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok', database: 'reachable' });

    const client = new GraphQLTestClient(`http://127.0.0.1:${port}/graphql`, token);
    await client.ok(CreateOrganizationDocument, { input: { name: 'Survives restarts' } });

    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /ferry_graphql_operations_total\{type="mutation",outcome="ok"\} 1/);
    assert.match(metrics, /ferry_sql_queries_total \d+/);
    // Node's process metrics under their standard names, for stock dashboards.
    assert.match(metrics, /^process_cpu_seconds_total \d/m);
    assert.match(metrics, /^nodejs_eventloop_lag_seconds \d/m);
    assert.doesNotMatch(metrics, /^ferry_process_/m);
    assert.ok(!first.output().includes('"level":50'), 'no error was logged');

    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0, `exit code after SIGTERM; output:\n${first.output()}`);
    assert.equal(await portIsOpen(pgPort), false, 'the embedded PostgreSQL was shut down');

    const second = startServer(env);
    await waitFor(() => second.output().includes('Ferry is listening'), 'the second start');
    assert.ok(!second.output().includes('shown once'), 'the token is printed on the first start only');
    const organizations = await client.ok(OrganizationsDocument, {});
    assert.deepEqual(organizations.organizations.nodes.map((o) => o.name), ['Survives restarts']);
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0);
  });

  it('refuses to start with a clear message for each invalid setting', async () => {
    const bad = startServer({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', FERRY_DATA_DIR: dataDir });
    assert.equal(await bad.exited, 2);
    const output = bad.output();
    assert.match(output, /Invalid configuration/);
    assert.match(output, /PORT: Expected number/);
    assert.match(output, /DATABASE_URL: must start with postgres:\/\/ or postgresql:\/\//);
    assert.match(output, /LOG_LEVEL: Invalid enum value/);
  });

  it('says which port is taken when the embedded PostgreSQL cannot start', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    const pgPort = (blocker.address() as net.AddressInfo).port;
    try {
      const server = startServer({ PORT: String(await freePort()), FERRY_PG_PORT: String(pgPort), FERRY_DATA_DIR: dataDir });
      assert.equal(await server.exited, 1);
      assert.match(server.output(), new RegExp(`Embedded PostgreSQL did not start on port ${pgPort}`));
    } finally {
      blocker.close();
    }
  });
});
