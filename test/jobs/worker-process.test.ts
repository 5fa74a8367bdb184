import 'reflect-metadata';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createJobQueue } from '../../src/jobs/agenda-job-queue';
import { JobState } from '../../src/jobs/job-queue';
import { createLogger } from '../../src/observability/logger';
import { PROVISION_JOB } from '../../src/provisioning/queued-provisioning';
import { createTestDatabase } from '../support/ferry';
import { waitFor } from './job-queue-contract';

const WORKER = path.resolve(__dirname, '../../src/worker.js');

interface RunningWorker {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startWorker(env: Record<string, string>): RunningWorker {
  let output = '';
  const child = spawn(process.execPath, [WORKER], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('the worker process (npm run worker)', () => {
  it('refuses to start with a clear message when MONGODB_URL cannot be reached', async () => {
    const worker = startWorker({ DATABASE_URL: await createTestDatabase(), MONGODB_URL: 'mongodb://127.0.0.1:1/ferry', LOG_LEVEL: 'warn' });
    const code = await worker.exited;
    assert.equal(code, 1, `exit code; output:\n${worker.output()}`);
    assert.match(worker.output(), /Ferry worker failed to start: Cannot use MongoDB for the job queue \(MONGODB_URL=mongodb:\/\/127\.0\.0\.1:1\/ferry\): connect ECONNREFUSED 127\.0\.0\.1:1/);
    assert.doesNotMatch(worker.output(), /UnhandledPromiseRejection|unhandled/i);
  });

  it('runs queued jobs without serving the API, serves /healthz and /metrics on its own port, and stops on SIGTERM', async () => {
    const databaseUrl = await createTestDatabase();
    const worker = startWorker({ DATABASE_URL: databaseUrl, FERRY_JOB_POLL_MS: '100', LOG_LEVEL: 'info', PORT: '1', FERRY_WORKER_PORT: '0' });
    const api = await createJobQueue({ databaseUrl, logger: createLogger('silent') });
    try {
      await waitFor('the worker to start', () => worker.output().includes('Ferry worker is running'), 30000);
      assert.doesNotMatch(worker.output(), /Ferry is listening/);
      // A provisioning job for a target that no longer exists completes without doing anything.
      const { jobId } = await api.enqueue(PROVISION_JOB, {
        organizationId: randomUUID(),
        targetId: randomUUID(),
        subjectType: 'PERSON',
        subjectId: randomUUID(),
        action: 'PERSON_UPDATED',
        changeSeq: null,
        attempt: 1,
        snapshot: null,
      });
      const done = await waitFor('the worker to run the job', async () => {
        const job = await api.get(jobId);
        return job && (job.state === JobState.COMPLETED || job.state === JobState.FAILED) && job;
      });
      assert.equal(done.state, JobState.COMPLETED, `failReason: ${done.failReason}\n${worker.output()}`);

      const port = Number(/"port":(\d+),[^\n]*Ferry worker is running/.exec(worker.output())?.[1]);
      assert.ok(port > 0, `the worker logs its port:\n${worker.output()}`);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok', database: 'reachable', jobs: 'running', backend: 'postgres' });
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(metrics, new RegExp(`^ferry_job_duration_seconds_count\\{name="${PROVISION_JOB}",outcome="completed"\\} 1$`, 'm'), 'the job it ran is counted');
      assert.match(metrics, new RegExp(`^ferry_job_wait_seconds_count\\{name="${PROVISION_JOB}"\\} 1$`, 'm'), 'and its wait');
      assert.match(metrics, /^ferry_changelog_lag_entries 0$/m, 'the dispatch lag is read from the database');
      assert.match(metrics, /^process_cpu_seconds_total /m, "and Node's process metrics under their standard names");
      assert.equal((await fetch(`http://127.0.0.1:${port}/graphql`)).status, 404, 'no API on the worker');

      worker.child.kill('SIGTERM');
      assert.equal(await worker.exited, 0, `exit code after SIGTERM; output:\n${worker.output()}`);
      assert.match(worker.output(), /Ferry worker stopped/);
    } finally {
      worker.child.kill('SIGKILL');
      await api.stop();
    }
  });
});
