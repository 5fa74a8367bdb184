import 'reflect-metadata';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import pg from 'pg';
import { createJobQueue } from '../../src/jobs/agenda-job-queue';
import { JobState } from '../../src/jobs/job-queue';
import { redactUrl } from '../../src/jobs/job-store';
import { createLogger } from '../../src/observability/logger';
import { createTestDatabase } from '../support/ferry';
import { jobQueueContract, sleep, waitFor, type OpenQueue } from './job-queue-contract';

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

describe('job queue on PostgreSQL (Agenda, in Ferry\'s database)', () => {
  let databaseUrl: string;
  before(async () => {
    databaseUrl = await createTestDatabase();
  });
  const open: OpenQueue = (options) =>
    createJobQueue({ databaseUrl, logger, processEveryMs: 100, lockLifetimeMs: options?.lockLifetimeMs ?? 3000, shutdownTimeoutMs: options?.shutdownTimeoutMs ?? 3000 });

  jobQueueContract(() => open);

  it('reports the PostgreSQL backend and keeps its jobs in agenda_jobs', async () => {
    const jobs = await open();
    try {
      assert.equal(jobs.backend, 'postgres');
      const { jobId } = await jobs.enqueue('table-check', { organizationId: 'org-t' });
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query('SELECT name, data FROM agenda_jobs WHERE id = $1', [jobId]);
        assert.deepEqual(rows, [{ name: 'table-check', data: { organizationId: 'org-t' } }]);
      } finally {
        await client.end();
      }
    } finally {
      await jobs.stop();
    }
  });

  it('stops a handler whose job was taken over by another worker from writing', async () => {
    const jobs = await open();
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      let outcome: string | null = null;
      let tookOver = false;
      jobs.define('taken-over', async (job) => {
        await job.saveProgress(10, { cursor: 1 });
        await waitFor('the takeover', () => tookOver);
        try {
          await job.saveProgress(20, { cursor: 2 });
          outcome = 'wrote';
        } catch (error) {
          outcome = (error as Error).message;
        }
        await assert.rejects(job.isCancelled(), /taken over by another worker/);
      });
      await jobs.startWorkers();
      const { jobId } = await jobs.enqueue('taken-over', {});
      await waitFor('the first checkpoint', async () => (await jobs.get(jobId))?.data.cursor === 1);
      // What a second worker does when it resumes a job whose lock expired: it claims the run.
      await client.query(`UPDATE agenda_jobs SET data = jsonb_set(data, '{__runClaim}', '"other-worker"') WHERE id = $1`, [jobId]);
      tookOver = true;
      await waitFor('the handler to finish', () => outcome);
      assert.match(outcome!, /taken over by another worker/);
      assert.equal((await jobs.get(jobId))?.data.cursor, 1, 'the second write did not land');
    } finally {
      await client.end();
      await jobs.stop();
    }
  });

  it('announces jobs enqueued by a process without workers, so another process runs them at once', async () => {
    const api = await createJobQueue({ databaseUrl, logger, processEveryMs: 60_000 });
    const worker = await createJobQueue({ databaseUrl, logger, processEveryMs: 60_000 });
    try {
      let ranAt = 0;
      worker.define('announced', async () => {
        ranAt = Date.now();
      });
      await worker.startWorkers();
      await sleep(300); // the first poll has passed; only a notification wakes the worker now
      const enqueuedAt = Date.now();
      const { jobId } = await api.enqueue('announced', {});
      await waitFor('the job to run', () => ranAt > 0, 5000);
      assert.ok(ranAt - enqueuedAt < 2000, `ran ${ranAt - enqueuedAt} ms after enqueue`);
      await waitFor('the job to complete', async () => (await api.get(jobId))?.state === JobState.COMPLETED);
    } finally {
      await Promise.all([api.stop(), worker.stop()]);
    }
  });

  it('fails with a clear message, without the password, when the database cannot be reached', async () => {
    const unreachable = 'postgres://ferry:s3cret@127.0.0.1:1/ferry';
    await assert.rejects(createJobQueue({ databaseUrl: unreachable, logger }), (error: Error) => {
      assert.match(error.message, /The job queue cannot use PostgreSQL at postgres:\/\/ferry:\*\*\*@127\.0\.0\.1:1\/ferry/);
      assert.doesNotMatch(error.message, /s3cret/);
      return true;
    });
  });

  it('redacts passwords in connection strings', () => {
    assert.equal(redactUrl('mongodb://user:p%40ss@h1:27017,h2:27017/ferry?replicaSet=rs'), 'mongodb://user:***@h1:27017,h2:27017/ferry?replicaSet=rs');
    assert.equal(redactUrl('mongodb+srv://user@cluster.example.net/ferry'), 'mongodb+srv://user@cluster.example.net/ferry');
    assert.equal(redactUrl('mongodb://127.0.0.1:1/ferry'), 'mongodb://127.0.0.1:1/ferry');
  });
});
