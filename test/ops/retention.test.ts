import 'reflect-metadata';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { CreateProvisioningTargetDocument, OnProvisioningEventsDocument } from '../../src/client/generated/graphql';
import { JobState } from '../../src/jobs/job-queue';
import { Channel } from '../../src/live/channels';
import { createLogger } from '../../src/observability/logger';
import { Pruner, type PruneResult } from '../../src/retention/pruner';
import { RETENTION_JOB } from '../../src/retention/retention.job';
import type { RetentionKind } from '../../src/retention/retention.settings';
import { createOrganization } from '../support/fixtures';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { LiveTestClient, openSubscriptions } from '../support/live-client';


const DAY = 86_400_000;
/** Older than every default age (audit: 365 days). */
const OLD = new Date(Date.now() - 400 * DAY);
const RECENT = new Date(Date.now() - DAY);

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('retention', () => {
  let t: TestFerry;
  let db: pg.Client;
  let organizationId: string;
  let targetId: string;
  /** Written first, before the set-up's own changes: sequences grow with time. */
  const changeLog = { old: [] as string[], recent: [] as string[] };

  const seqs = async (sql: string, params: unknown[] = []) => (await db.query<{ seq: string }>(sql, params)).rows.map((row) => row.seq);

  /** Inserts events dated `at` (without announcing them to subscribers) and returns their seqs. */
  async function insertEvents(count: number, at: Date): Promise<string[]> {
    return seqs(
      `insert into provisioning_event (organization_id, target_id, target_name, subject_type, subject_id, action, outcome, occurred_at)
       select $1, $2, 'directory', 'PERSON', gen_random_uuid(), 'PERSON_UPDATED', 'SUCCEEDED', $3 from generate_series(1, $4)
       returning seq::text as seq`,
      [organizationId, targetId, at, count],
    );
  }

  async function insertChangeLog(count: number, at: Date): Promise<string[]> {
    return seqs(
      `insert into change_log_entry (organization_id, entity_type, entity_id, kind, changed_fields, occurred_at)
       select $1, 'Person', gen_random_uuid(), 'CREATED', '{}', $2 from generate_series(1, $3)
       returning seq::text as seq`,
      [randomUUID(), at, count],
    );
  }

  async function insertAudit(at: Date): Promise<string> {
    const id = uuidv7({ msecs: at.getTime() });
    await db.query(
      `insert into audit_entry (id, occurred_at, token_id, role, organization_id, operation, arguments, outcome, change_seqs)
       values ($1, $2, $3, 'PLATFORM_ADMIN', null, 'fixture', '{}', 'OK', '{}')`,
      [id, at, randomUUID()],
    );
    return id;
  }

  async function insertRun(startedAt: Date, finishedAt: Date | null, differences: number): Promise<string> {
    const id = uuidv7({ msecs: startedAt.getTime() });
    await db.query(
      `insert into reconciliation_run (id, organization_id, target_id, dry_run, status, started_at, finished_at)
       values ($1, $2, $3, false, $4, $5, $6)`,
      [id, organizationId, targetId, finishedAt ? 'COMPLETED' : 'RUNNING', startedAt, finishedAt],
    );
    await db.query(
      `insert into reconciliation_difference (id, run_id, kind, subject_type, label, attributes, fix)
       select gen_random_uuid(), $1, 'MISSING', 'PERSON', 'someone', '{}', 'provision' from generate_series(1, $2)`,
      [id, differences],
    );
    return id;
  }

  interface JobFixture {
    nextRunAt?: Date | null;
    lockedAt?: Date | null;
    lastFinishedAt?: Date | null;
    failedAt?: Date | null;
    disabled?: boolean;
    updatedAt?: Date;
  }

  /** A job row as Agenda leaves it, under a name no worker runs. */
  async function insertJob(job: JobFixture): Promise<string> {
    const { rows } = await db.query<{ id: string }>(
      `insert into agenda_jobs (name, next_run_at, locked_at, last_finished_at, failed_at, disabled, data, created_at, updated_at)
       values ('retention-fixture', $1, $2, $3, $4, $5, '{}', $6, $6) returning id::text`,
      [job.nextRunAt ?? null, job.lockedAt ?? null, job.lastFinishedAt ?? null, job.failedAt ?? null, job.disabled ?? false, job.updatedAt ?? OLD],
    );
    return rows[0].id;
  }

  const exists = async (table: string, key: string, values: string[]) =>
    (await db.query<{ v: string }>(`select ${key}::text as v from ${table} where ${key}::text = any($1::text[]) order by ${key}`, [values])).rows.map((row) => row.v);

  const prune = (options: { onBatch?: (kind: RetentionKind, deleted: number) => void } = {}): Promise<PruneResult> =>
    t.ferry.services.retention()!.pruner.run(options);

  before(async () => {
    // The feed's safety-net poll is off: events inserted here reach subscribers only when announced.
    // Batches of 2, so that every kind below takes several batches.
    t = await startTestFerry({ FERRY_LIVE_POLL_MS: '600000', FERRY_RETENTION_BATCH_SIZE: '2' });
    db = new pg.Client({ connectionString: t.databaseUrl });
    await db.connect();
    changeLog.old = await insertChangeLog(5, OLD);
    changeLog.recent = await insertChangeLog(1, RECENT);
    organizationId = (await createOrganization(t.admin)).id;
    targetId = (
      await t.admin.ok(CreateProvisioningTargetDocument, {
        input: { organizationId, name: 'directory', plugin: 'webhook', mode: 'DISABLED', config: { url: 'http://127.0.0.1:9/hook', secret: 'a-shared-secret-of-32-characters!' } },
      })
    ).createProvisioningTarget.target.id;
  });

  after(async () => {
    await db?.end();
    await t?.stop();
  });

  describe('one run over every kind', () => {
    const fixture = {} as {
      oldEvents: string[];
      recentEvents: string[];
      oldAudit: string[];
      recentAudit: string;
      jobs: Record<string, string>;
      runs: Record<string, string>;
    };
    let result: PruneResult;
    const batches: [RetentionKind, number][] = [];

    before(async () => {
      // Old rows first, then recent ones: keys grow with time, as they do in production.
      fixture.oldEvents = await insertEvents(9, OLD);
      fixture.recentEvents = await insertEvents(2, RECENT);
      // An open notification keeps the events of its first and last failed attempt; a resolved one keeps nothing.
      const notification = `insert into failure_notification (id, organization_id, target_id, target_name, subject_type, subject_id, action, error,
                              first_event_seq, last_event_seq, first_failed_at, last_failed_at, resolved_at, resolved_by_event_seq)
                            values (gen_random_uuid(), $1, $2, 'directory', 'PERSON', gen_random_uuid(), 'PERSON_UPDATED', 'refused', $3, $4, $5, $5, $6, $7)`;
      await db.query(notification, [organizationId, targetId, fixture.oldEvents[2], fixture.oldEvents[3], OLD, null, null]);
      await db.query(notification, [organizationId, targetId, fixture.oldEvents[5], fixture.oldEvents[5], OLD, OLD, fixture.oldEvents[6]]);

      // The change log: the engine stops, and its cursor is set back so that it has consumed only
      // the first two old entries (a consumer lagging behind).
      await t.ferry.services.engine.stop();
      await db.query(`update engine_cursor set seq = $1 where name = 'provisioning'`, [changeLog.old[1]]);
      // The validity sweep's cursor stays at 0: it does not read the change log and holds nothing back.
      assert.deepEqual((await db.query(`select seq::text from engine_cursor where name = 'validity'`)).rows, [{ seq: '0' }]);

      fixture.oldAudit = [await insertAudit(OLD), await insertAudit(OLD), await insertAudit(OLD)];
      fixture.recentAudit = await insertAudit(RECENT);

      fixture.jobs = {
        completedOld: await insertJob({ lastFinishedAt: OLD }),
        failedOld: await insertJob({ lastFinishedAt: OLD, failedAt: OLD }),
        cancelledOld: await insertJob({ nextRunAt: OLD, disabled: true, updatedAt: OLD }),
        completedRecent: await insertJob({ lastFinishedAt: RECENT, updatedAt: RECENT }),
        waiting: await insertJob({ nextRunAt: new Date(Date.now() + DAY), lastFinishedAt: OLD }),
        running: await insertJob({ lockedAt: new Date(), lastFinishedAt: OLD }),
        heldByDeadWorker: await insertJob({ lockedAt: OLD, lastFinishedAt: OLD }),
      };

      fixture.runs = {
        finishedOld: await insertRun(OLD, new Date(OLD.getTime() + 60_000), 5),
        runningOld: await insertRun(new Date(OLD.getTime() + 120_000), null, 1),
        finishedRecent: await insertRun(RECENT, RECENT, 1),
      };

      result = await prune({ onBatch: (kind, deleted) => batches.push([kind, deleted]) });
    });

    it('deletes old provisioning events and keeps recent ones and those an open failure notification refers to', async () => {
      const { oldEvents, recentEvents } = fixture;
      assert.deepEqual(await exists('provisioning_event', 'seq', [...oldEvents, ...recentEvents]), [oldEvents[2], oldEvents[3], ...recentEvents]);
      assert.equal(result.deleted.events, 7);
      // Pruning follows sequence order and stops at the first young event; the tests below write
      // old-dated events after these recent ones, so these go now.
      await db.query('delete from provisioning_event where seq = any($1::bigint[])', [recentEvents]);
    });

    it('deletes finished jobs past their age and never waiting, running or dead-worker jobs', async () => {
      const { jobs } = fixture;
      const left = await exists('agenda_jobs', 'id', Object.values(jobs));
      assert.deepEqual(left.sort(), [jobs.completedRecent, jobs.waiting, jobs.running, jobs.heldByDeadWorker].sort());
      assert.equal(result.deleted.jobs, 3);
    });

    it('deletes old audit entries and keeps recent ones', async () => {
      assert.deepEqual(await exists('audit_entry', 'id', [...fixture.oldAudit, fixture.recentAudit]), [fixture.recentAudit]);
      // The mutations of this test's set-up are audited now: kept.
      assert.ok(Number((await db.query(`select count(*) from audit_entry where operation <> 'fixture'`)).rows[0].count) >= 2);
    });

    it('deletes only change-log entries every cursor has consumed', async () => {
      assert.deepEqual(await exists('change_log_entry', 'seq', [...changeLog.old, ...changeLog.recent]), [...changeLog.old.slice(2), ...changeLog.recent]);
      assert.equal(result.deleted.changeLog, 2);
    });

    it('deletes finished reconciliation runs with their differences and keeps running and recent ones', async () => {
      const { runs } = fixture;
      assert.deepEqual((await exists('reconciliation_run', 'id', Object.values(runs))).sort(), [runs.runningOld, runs.finishedRecent].sort());
      const differences = await db.query<{ run_id: string }>('select run_id::text from reconciliation_difference order by run_id');
      assert.deepEqual(differences.rows.map((row) => row.run_id).sort(), [runs.runningOld, runs.finishedRecent].sort());
      assert.equal(result.deleted.reconciliation, 1);
      assert.equal(result.deleted.reconciliationDifferences, 5);
    });

    it('deletes in batches of at most the batch size, and reports each one', () => {
      assert.ok(result.ran);
      for (const [kind, deleted] of batches) assert.ok(deleted >= 1 && deleted <= 2, `${kind} batch of ${deleted}`);
      const sum = (kind: RetentionKind) => batches.filter(([k]) => k === kind).reduce((n, [, deleted]) => n + deleted, 0);
      assert.equal(sum('events'), 7);
      assert.ok(batches.filter(([k]) => k === 'events').length >= 4, '7 events take at least 4 batches of 2');
      assert.equal(sum('jobs'), 3);
      assert.equal(sum('audit'), 3);
      assert.equal(sum('changeLog'), 2);
      assert.equal(sum('reconciliation'), 1);
    });

    it('deletes nothing more on a second run', async () => {
      const again = await prune();
      assert.deepEqual(again.deleted, { events: 0, jobs: 0, audit: 0, changeLog: 0, reconciliation: 0, reconciliationDifferences: 0 });
    });

    it('runs once at a time: a run while another holds the lock does nothing', async () => {
      const other = new pg.Client({ connectionString: t.databaseUrl });
      await other.connect();
      try {
        await other.query('select pg_advisory_lock($1)', [0x46657250]);
        const skipped = await prune();
        assert.equal(skipped.ran, false);
      } finally {
        await other.end();
      }
      assert.equal((await prune()).ran, true);
    });
  });

  it('keeps old events an open subscription has not read yet, and delivers them', async () => {
    const live = new LiveTestClient(t.ferry.url, t.adminToken);
    // Resuming after the last stored event: its position is that event.
    const [{ last }] = (await db.query<{ last: string }>('select max(seq)::text as last from provisioning_event')).rows;
    const received = await live.subscribed(OnProvisioningEventsDocument, { after: last });
    let closed = false;
    try {
      // Committed after the subscription's position, dated long ago, not yet announced to it.
      const unread = await insertEvents(3, OLD);
      const result = await prune();
      assert.equal(result.deleted.events, 0);
      assert.deepEqual(await exists('provisioning_event', 'seq', unread), unread);
      await db.query('select pg_notify($1, $2)', [Channel.PROVISIONING_EVENTS, unread[2]]);
      const events = await received.take(3);
      assert.deepEqual(events.map((event) => event.provisioningEvents.seq), unread);

      // Delivered and closed: nothing holds them any more.
      await live.close();
      closed = true;
      await waitFor('the subscription to close', async () => (await openSubscriptions(t.ferry.url)) === 0);
      assert.equal((await prune()).deleted.events, 3);
      assert.deepEqual(await exists('provisioning_event', 'seq', unread), []);
    } finally {
      if (!closed) await live.close();
    }
  });

  it('keeps events after an open subscription position read back from the table (a resumed or slow subscriber)', async () => {
    // A stream registered with the feed and not read yet: what a subscriber resuming "after N" is until it reads.
    const old = await insertEvents(4, OLD);
    const feed = t.ferry.services.live['feed']!;
    const principal = { isPlatformAdmin: true, canRead: () => true } as never;
    const stream = feed.subscribe(principal, { organizationId: null }, BigInt(old[1]));
    try {
      await prune();
      assert.deepEqual(await exists('provisioning_event', 'seq', old), old.slice(2), 'events up to its position go, those after it stay');
      await db.query('select pg_notify($1, $2)', [Channel.PROVISIONING_EVENTS, old[3]]);
      const first = await stream.next();
      assert.equal(first.done, false);
      assert.equal(first.value!.seq, old[2]);
    } finally {
      stream.end();
    }
    await prune();
    assert.deepEqual(await exists('provisioning_event', 'seq', old), []);
  });

  it('prunes with its own settings: a batch of 2 over 7 rows deletes them all in 4 batches', async () => {
    const events = await insertEvents(7, OLD);
    const batches: number[] = [];
    const pruner = new Pruner(
      t.ferry.orm,
      null,
      { days: { events: 30, jobs: 0, audit: 0, changeLog: 0, reconciliation: 0 }, intervalMinutes: 60, batchSize: 2 },
      createLogger('silent'),
    );
    const result = await pruner.run({ onBatch: (_kind, deleted) => batches.push(deleted) });
    assert.deepEqual(batches, [2, 2, 2, 1]);
    assert.equal(result.deleted.events, 7);
    assert.deepEqual(await exists('provisioning_event', 'seq', events), []);
  });

  it('runs by hand with `ferry prune`, which prints the counts', async () => {
    const audit = await insertAudit(OLD);
    const doomed = await insertJob({ lastFinishedAt: OLD });
    const cli = path.resolve(__dirname, '../../src/cli/ferry.js');
    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'prune'], {
      env: { ...process.env, LOG_LEVEL: '', DATABASE_URL: t.databaseUrl },
      timeout: 120_000,
    });
    assert.match(stdout, /^pruned: 0 provisioning events, 1 finished jobs, 1 audit entries, 0 change-log entries, 0 reconciliation runs \(0 differences\); \d+ batches in \d+ ms$/m);
    assert.deepEqual(await exists('audit_entry', 'id', [audit]), []);
    assert.deepEqual(await exists('agenda_jobs', 'id', [doomed]), []);
  });

  it('runs as a scheduled job that re-schedules itself one interval later', async () => {
    const waiting = await t.ferry.jobs.list({ name: RETENTION_JOB, state: JobState.QUEUED });
    assert.equal(waiting.length, 1, 'one run is waiting from the start');
    const [first] = waiting;
    const inAnHour = Date.now() + 60 * 60_000;
    assert.ok(Math.abs(first.nextRunAt!.getTime() - inAnHour) < 5 * 60_000, `the first run is an interval away: ${first.nextRunAt?.toISOString()}`);

    const doomed = await insertJob({ lastFinishedAt: OLD });
    await db.query('update agenda_jobs set next_run_at = now() where id = $1', [first.id]);
    await waitFor('the run to complete', async () => (await t.ferry.jobs.get(first.id))?.state === JobState.COMPLETED);
    assert.deepEqual(await exists('agenda_jobs', 'id', [doomed]), [], 'the scheduled run pruned the old job');
    const metrics = await (await fetch(t.ferry.url.replace(/\/graphql$/, '/metrics'))).text();
    assert.match(metrics, /^ferry_retention_pruned_rows_total\{kind="jobs"\} [1-9]\d*$/m, 'the metrics count what it pruned');
    const next = await t.ferry.jobs.list({ name: RETENTION_JOB, state: JobState.QUEUED });
    assert.equal(next.length, 1);
    assert.notEqual(next[0].id, first.id);
    const expected = Date.now() + 60 * 60_000;
    assert.ok(Math.abs(next[0].nextRunAt!.getTime() - expected) < 60_000, `next run in an hour: ${next[0].nextRunAt?.toISOString()}`);
  });
});
