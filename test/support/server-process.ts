import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../src/db/scratch-database';
import { GraphQLTestClient } from './client';

const MAIN = path.resolve(__dirname, '../../src/main.js');

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A Ferry server in a process of its own (`node dist/src/main.js`), to be killed with SIGKILL. */
export interface ServerProcess {
  child: ChildProcess;
  exited: Promise<unknown>;
  client: GraphQLTestClient;
  output(): string;
}

export async function startServerProcess(databaseUrl: string, adminToken: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      FERRY_ADMIN_TOKEN: adminToken,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      FERRY_RUN_WORKERS: 'true',
      FERRY_JOB_POLL_MS: '100',
      FERRY_AUTH_FAILURES_PER_MINUTE: '1000000',
      FERRY_TARGET_ALLOWED_NETWORKS: '127.0.0.0/8,::1/128',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk) => (output = (output + chunk).slice(-20000)));
  child.stderr!.on('data', (chunk) => (output = (output + chunk).slice(-20000)));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  await waitFor(
    'the server process to listen',
    async () => {
      if (child.exitCode !== null) throw new Error(`the server exited: ${output}`);
      return output.includes('Ferry is listening');
    },
    60000,
    25,
  );
  return { child, exited, client: new GraphQLTestClient(`http://127.0.0.1:${port}/graphql`, adminToken), output: () => output };
}

/** kill -9, and wait until the process is gone. */
export async function killServerProcess(server: ServerProcess): Promise<void> {
  server.child.kill('SIGKILL');
  await server.exited;
}

/** What a `ferry` command line run returned. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

const CLI = path.resolve(__dirname, '../../src/cli/ferry.js');

/** Runs `ferry <args>` as an operator would (the built CLI), with these settings over the environment. */
export async function runFerryCli(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { env: { ...process.env, LOG_LEVEL: '', ...env }, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Stops an embedded PostgreSQL a killed Ferry left running on `dataDir` (nothing when none runs), then removes the folder. */
export async function removeDataDir(dataDir: string): Promise<void> {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 'SIGINT');
    await waitFor('PostgreSQL to stop', async () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 15_000);
  } catch {
    /* not running */
  }
  await rm(dataDir, { recursive: true, force: true });
}
