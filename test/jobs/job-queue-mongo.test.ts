import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { createJobQueue } from '../../src/jobs/agenda-job-queue';
import { mongoDatabaseName } from '../../src/jobs/mongo-job-store';
import { createLogger } from '../../src/observability/logger';
import { jobQueueContract, sleep, type OpenQueue } from './job-queue-contract';

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const MONGODB_URL = process.env.MONGODB_URL;
/** The MongoDB path never touches PostgreSQL; this only fills the required option. */
const UNUSED_POSTGRES = 'postgres://unused@127.0.0.1:1/unused';

/** MONGODB_URL with its database replaced by a throwaway one, keeping host list and options. */
function withDatabase(url: string, database: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?]+)(?:\/[^?]*)?(\?.*)?$/.exec(url);
  assert.ok(match, `MONGODB_URL is not a MongoDB connection string: ${url}`);
  return `${match[1]}/${database}${match[2] ?? ''}`;
}

describe('job queue on MongoDB (Agenda, MONGODB_URL)', () => {
  if (!MONGODB_URL) {
    console.log('skipped: no MONGODB_URL (set it to run the job queue tests against MongoDB)');
    it.skip('skipped: no MONGODB_URL: the MongoDB job queue tests need a MongoDB server', () => undefined);
    return;
  }
  const mongoUrl = withDatabase(MONGODB_URL, `ferry_test_${randomBytes(6).toString('hex')}`);
  after(async () => {
    const client = await MongoClient.connect(mongoUrl, { serverSelectionTimeoutMS: 5000 });
    try {
      await client.db(mongoDatabaseName(mongoUrl)).dropDatabase();
    } finally {
      await client.close();
    }
  });
  const open: OpenQueue = (options) =>
    createJobQueue({
      databaseUrl: UNUSED_POSTGRES,
      mongoUrl,
      logger,
      processEveryMs: 100,
      lockLifetimeMs: options?.lockLifetimeMs ?? 3000,
      shutdownTimeoutMs: options?.shutdownTimeoutMs ?? 3000,
    });

  it('reports the MongoDB backend', async () => {
    const jobs = await open();
    try {
      assert.equal(jobs.backend, 'mongodb');
    } finally {
      await jobs.stop();
    }
  });

  jobQueueContract(() => open);
});

describe('job queue with an unreachable MONGODB_URL', () => {
  it('rejects within seconds with a message naming MONGODB_URL and the host, and no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      const started = Date.now();
      await assert.rejects(
        createJobQueue({ databaseUrl: UNUSED_POSTGRES, mongoUrl: 'mongodb://ferry:s3cret@127.0.0.1:1/ferry', logger, mongoConnectTimeoutMs: 1500 }),
        (error: Error) => {
          assert.match(error.message, /MONGODB_URL=mongodb:\/\/ferry:\*\*\*@127\.0\.0\.1:1\/ferry/);
          assert.match(error.message, /127\.0\.0\.1:1/);
          assert.doesNotMatch(error.message, /s3cret/, 'the password stays out of the message');
          return true;
        },
      );
      assert.ok(Date.now() - started < 5000, `gave up after ${Date.now() - started} ms`);
      await sleep(300);
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', record);
    }
  });

  it('takes the database from the URL, or ferry when it names none', () => {
    assert.equal(mongoDatabaseName('mongodb://h1:27017,h2:27017/jobs?replicaSet=rs'), 'jobs');
    assert.equal(mongoDatabaseName('mongodb+srv://user:pw@cluster.example.net/?retryWrites=true'), 'ferry');
    assert.equal(mongoDatabaseName('mongodb://127.0.0.1'), 'ferry');
  });
});
