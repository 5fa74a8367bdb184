import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CreateOrganizationDocument, OrganizationsDocument } from '../../src/client/generated/graphql';
import { freePort } from '../../src/db/scratch-database';
import { GraphQLTestClient } from '../support/client';
import { createTestDatabase } from '../support/ferry';

const MAIN = path.resolve(__dirname, '../../src/main.js');

interface RunningServer {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();
const dataDirs: string[] = [];

function startServer(env: Record<string, string>): RunningServer {
  let output = '';
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, LOG_LEVEL: 'info', FERRY_SHUTDOWN_TIMEOUT_MS: '1000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return { child, output: () => output, exited };
}

async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Waits until the server listens; fails at once, with its output, when it exits instead. */
async function waitUntilListening(server: RunningServer, what: string): Promise<void> {
  await waitFor(() => {
    if (server.child.exitCode !== null) {
      throw new Error(`${what}: the server exited with ${server.child.exitCode} instead of listening:\n${server.output()}`);
    }
    return server.output().includes('Ferry is listening');
  }, what);
}

/** Alive and not a zombie (a dead child not yet reaped by whoever adopted it). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

function postmasterPid(dataDir: string): number | null {
  try {
    return Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
}

async function newDataDir(): Promise<string> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ferry-restart-'));
  dataDirs.push(dataDir);
  return dataDir;
}

async function healthy(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    return response.status === 200;
  } catch {
    return false;
  }
}

const adminToken = () => `ferry_${randomBytes(32).toString('base64url')}`;
const secretsKey = () => randomBytes(32).toString('base64');

/** Kills every server still running, then any PostgreSQL left behind on the test's data folders. */
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dataDir of dataDirs) {
    const pid = postmasterPid(dataDir);
    if (pid && running(pid)) {
      process.kill(pid, 'SIGINT');
      await waitFor(() => !running(pid), `PostgreSQL ${pid} to stop`, 15_000).catch(() => process.kill(pid, 'SIGKILL'));
    }
    await rm(dataDir, { recursive: true, force: true });
  }
});

describe('restarting on the embedded PostgreSQL after a crash', () => {
  it('after kill -9, the next start shuts the orphaned PostgreSQL down, starts again on the same folder and keeps the data', async () => {
    const dataDir = await newDataDir();
    const port = await freePort();
    const token = adminToken();
    const env = {
      PORT: String(port),
      FERRY_PG_PORT: String(await freePort()),
      FERRY_DATA_DIR: dataDir,
      FERRY_ADMIN_TOKEN: token,
    };
    const first = startServer(env);
    await waitUntilListening(first, 'the first start');
    assert.ok(await healthy(port));
    const client = new GraphQLTestClient(`http://127.0.0.1:${port}/graphql`, token);
    await client.ok(CreateOrganizationDocument, { input: { name: 'Survives kill -9' } });
    const orphan = postmasterPid(dataDir);
    assert.ok(orphan, 'the embedded PostgreSQL wrote its postmaster.pid');

    first.child.kill('SIGKILL');
    await first.exited;
    assert.ok(running(orphan), 'the embedded PostgreSQL outlives a Ferry killed with SIGKILL');

    const second = startServer(env);
    await waitUntilListening(second, 'the start after kill -9');
    assert.ok(await healthy(port), '/healthz answers after the restart');
    assert.ok(!running(orphan), 'the orphaned PostgreSQL was shut down');
    assert.notEqual(postmasterPid(dataDir), orphan, 'a new PostgreSQL runs on the folder');
    assert.match(second.output(), /left running by a Ferry process that is gone/);
    const organizations = await client.ok(OrganizationsDocument, {});
    assert.deepEqual(organizations.organizations.nodes.map((o) => o.name), ['Survives kill -9']);

    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0, `exit code after SIGTERM; output:\n${second.output()}`);
    assert.equal(postmasterPid(dataDir), null, 'PostgreSQL stopped with the server');
    assert.ok(!existsSync(path.join(dataDir, 'ferry.pid')), 'the owner file is removed on a clean stop');
  });

  it('refuses a second Ferry on a data folder that a live Ferry uses, naming the folder and that process', async () => {
    const dataDir = await newDataDir();
    const port = await freePort();
    const first = startServer({ PORT: String(port), FERRY_PG_PORT: String(await freePort()), FERRY_DATA_DIR: dataDir });
    await waitUntilListening(first, 'the first Ferry');
    const postgres = postmasterPid(dataDir);

    const second = startServer({ PORT: String(await freePort()), FERRY_PG_PORT: String(await freePort()), FERRY_DATA_DIR: dataDir });
    const code = await second.exited;
    assert.notEqual(code, 0, `the second Ferry must not start:\n${second.output()}`);
    const folder = dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.match(
      second.output(),
      new RegExp(`data folder ${folder} is in use by another running Ferry process \\(PID ${first.child.pid}\\)`),
    );

    assert.ok(await healthy(port), 'the first Ferry still serves');
    assert.equal(postmasterPid(dataDir), postgres, "the first Ferry's PostgreSQL was left alone");
    assert.ok(postgres && running(postgres));
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);
  });
});

describe('several Ferry processes starting at once on a fresh database', () => {
  it('all start: migrations and the admin token bootstrap run under advisory locks, once', async () => {
    const databaseUrl = await createTestDatabase();
    const token = adminToken();
    const key = secretsKey();
    const ports = [await freePort(), await freePort(), await freePort()];
    const dataDir = await newDataDir();
    const servers = ports.map((port) =>
      startServer({
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        FERRY_ADMIN_TOKEN: token,
        FERRY_SECRETS_KEY: key,
        FERRY_DATA_DIR: dataDir,
      }),
    );
    try {
      await Promise.all(servers.map((server, i) => waitUntilListening(server, `server ${i + 1}`)));
      for (const port of ports) assert.ok(await healthy(port), `server on ${port} is healthy`);
      const applied = servers.filter((server) => server.output().includes('applied database migrations'));
      assert.equal(applied.length, 1, 'one process applied the migrations');
      const installed = servers.filter((server) => server.output().includes('installed the platform-admin token'));
      assert.equal(installed.length, 1, 'one process installed FERRY_ADMIN_TOKEN');
      const client = new GraphQLTestClient(`http://127.0.0.1:${ports[0]}/graphql`, token);
      await client.ok(CreateOrganizationDocument, { input: { name: 'Concurrent' } });
    } finally {
      for (const server of servers) server.child.kill('SIGTERM');
      for (const server of servers) await server.exited;
    }
  });
});
