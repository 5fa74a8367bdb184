import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { startFerry, type Ferry } from '../../../src/app';
import { loadConfig } from '../../../src/config/config';
import { freePort } from '../../../src/db/scratch-database';
import { createLogger } from '../../../src/observability/logger';
import { BenchClient } from './graphql';
import { waitUntil } from './measure';

const MAIN = path.resolve(__dirname, '../../../src/main.js');

/** A fresh database in the benchmark's PostgreSQL cluster: every scenario starts empty. */
export async function createDatabase(clusterUrl: string, prefix: string): Promise<string> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: clusterUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(clusterUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(clusterUrl: string, databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const client = new pg.Client({ connectionString: clusterUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

const newAdminToken = () => `ferry_${randomBytes(32).toString('base64url')}`;

const quietEnv = (databaseUrl: string, token: string, port: number, env: Record<string, string>) => ({
  PORT: String(port),
  HOST: '127.0.0.1',
  DATABASE_URL: databaseUrl,
  FERRY_ADMIN_TOKEN: token,
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
  FERRY_SHUTDOWN_TIMEOUT_MS: '2000',
  // The bench's receivers and directory listen on loopback.
  FERRY_TARGET_ALLOWED_NETWORKS: '127.0.0.0/8,::1/128',
  ...env,
});

export interface FerryProcess {
  client: BenchClient;
  /** Its GraphQL endpoint (`/metrics` and `/healthz` beside it). */
  url: string;
  pid: number;
  /** What the process printed (warnings and errors only, at the default log level). */
  output(): string;
  /** `error` with the end of what Ferry printed, so that a crash explains itself. */
  explain(error: unknown): Error;
  stop(): Promise<void>;
}

/**
 * Ferry as `npm start` runs it, in a child process, so that its memory can be read from /proc
 * apart from the benchmark's own (the baselines and the seeding run in this process).
 */
export async function spawnFerry(databaseUrl: string, env: Record<string, string> = {}): Promise<FerryProcess> {
  const token = newAdminToken();
  const port = await freePort();
  let output = '';
  // BENCH_PROFILE_DIR: a V8 CPU profile of each Ferry process, written when it stops.
  const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, MAIN], {
    env: { ...process.env, ...quietEnv(databaseUrl, token, port, env) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk) => (output = (output + chunk).slice(-20000)));
  child.stderr!.on('data', (chunk) => (output = (output + chunk).slice(-20000)));
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      exitCode = code;
      output += `\n[Ferry exited with code ${code} (signal ${signal})]\n`;
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}/graphql`;
  try {
    await waitUntil(
      'Ferry to answer /healthz',
      async () => {
        if (exitCode !== undefined) throw new Error(`Ferry exited with code ${exitCode}:\n${output}`);
        try {
          return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
        } catch {
          return false;
        }
      },
      { timeoutMs: 60000, intervalMs: 100 },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const client = new BenchClient(url, token);
  return {
    client,
    url,
    pid: child.pid!,
    output: () => output,
    explain(error) {
      const message = error instanceof Error ? error.message : String(error);
      return new Error(`${message}\n--- Ferry's output (last 4,000 characters) ---\n${output.slice(-4000)}`, { cause: error });
    },
    async stop() {
      client.close();
      if (exitCode !== undefined) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15000);
      await exited;
      clearTimeout(killer);
    },
  };
}

export interface InProcessFerry {
  ferry: Ferry;
  client: BenchClient;
  stop(): Promise<void>;
}

/** Ferry in this process, for scenarios that call its services directly (as the tests do). */
export async function startInProcessFerry(databaseUrl: string, env: Record<string, string> = {}): Promise<InProcessFerry> {
  const token = newAdminToken();
  const config = loadConfig(quietEnv(databaseUrl, token, 0, env));
  const ferry = await startFerry(config, createLogger(config.LOG_LEVEL));
  const client = new BenchClient(ferry.url, token);
  return {
    ferry,
    client,
    async stop() {
      client.close();
      await ferry.stop();
    },
  };
}
