import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, it } from 'node:test';
import { JobCursorError, JobState, type JobInfo, type JobQueue, type RunningJob } from '../../src/jobs/job-queue';

/** Opens a queue on the backend under test; every queue of one test shares one store. */
export type OpenQueue = (options?: { lockLifetimeMs?: number; shutdownTimeoutMs?: number }) => Promise<JobQueue>;

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const uniqueName = (base: string) => `${base}-${randomBytes(3).toString('hex')}`;

async function stateOf(queue: JobQueue, jobId: string): Promise<JobInfo> {
  const job = await queue.get(jobId);
  assert.ok(job, `job ${jobId} exists`);
  return job;
}

/** The behaviour every backend must show; `open` is read when a test runs. */
export function jobQueueContract(open: () => OpenQueue): void {
  const opened: JobQueue[] = [];
  const queue = async (options?: Parameters<OpenQueue>[0]) => {
    const created = await open()(options);
    opened.push(created);
    return created;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((q) => q.stop()));
  });

  it('runs a job with its data and lists it as COMPLETED with its run times', async () => {
    const jobs = await queue();
    const name = uniqueName('echo');
    const seen: Array<{ id: string; data: unknown }> = [];
    jobs.define<{ organizationId: string; value: number }>(name, async (job) => {
      seen.push({ id: job.id, data: { ...job.data } });
    });
    await jobs.startWorkers();
    const before = new Date();
    const { jobId, created } = await jobs.enqueue(name, { organizationId: 'org-1', value: 42 });
    assert.equal(created, true);
    const done = await waitFor('the job to complete', async () => {
      const job = await jobs.get(jobId);
      return job?.state === JobState.COMPLETED && job;
    });
    assert.deepEqual(seen, [{ id: jobId, data: { organizationId: 'org-1', value: 42 } }]);
    assert.equal(done.name, name);
    assert.deepEqual(done.data, { organizationId: 'org-1', value: 42 }, 'no bookkeeping leaks into the data');
    assert.equal(done.failReason, null);
    assert.equal(done.nextRunAt, null);
    assert.ok(done.lastRunAt && done.lastRunAt >= new Date(before.getTime() - 1000));
    assert.ok(done.lastFinishedAt && done.lastFinishedAt >= done.lastRunAt);
    const listed = await jobs.list({ organizationId: 'org-1', name });
    assert.deepEqual(listed.map((j) => [j.id, j.state]), [[jobId, JobState.COMPLETED]]);
  });

  it('dedupes on the given fields while a job waits, not once it runs or has run', async () => {
    const jobs = await queue();
    const name = uniqueName('dedupe');
    const release = deferred();
    const ran: Array<{ targetId: string; version: number }> = [];
    jobs.define<{ targetId: string; version: number }>(name, async (job) => {
      ran.push({ ...job.data });
      await release.promise;
    });
    const dedupeOn = ['targetId'];
    const first = await jobs.enqueue(name, { targetId: 't1', version: 1 }, { dedupeOn });
    const again = await jobs.enqueue(name, { targetId: 't1', version: 2 }, { dedupeOn });
    const other = await jobs.enqueue(name, { targetId: 't2', version: 1 }, { dedupeOn });
    const undeduped = await jobs.enqueue(name, { targetId: 't1', version: 3 });
    assert.equal(first.created, true);
    assert.deepEqual(again, { jobId: first.jobId, created: false });
    assert.equal(other.created, true);
    assert.notEqual(other.jobId, first.jobId);
    assert.equal(undeduped.created, true, 'without dedupeOn every enqueue creates a job');
    assert.notEqual(undeduped.jobId, first.jobId);
    await jobs.cancel(undeduped.jobId);

    await jobs.startWorkers();
    await waitFor('the first job to run', () => ran.some((data) => data.version === 1));
    assert.equal((await stateOf(jobs, first.jobId)).state, JobState.RUNNING);
    const whileRunning = await jobs.enqueue(name, { targetId: 't1', version: 4 }, { dedupeOn });
    assert.equal(whileRunning.created, true, 'a running job is not waiting any more');
    assert.notEqual(whileRunning.jobId, first.jobId);
    release.resolve();
    await waitFor('all jobs to finish', async () => {
      const states = await Promise.all([first.jobId, other.jobId, whileRunning.jobId].map(async (id) => (await jobs.get(id))?.state));
      return states.every((state) => state === JobState.COMPLETED);
    });
    const afterRun = await jobs.enqueue(name, { targetId: 't1', version: 5 }, { dedupeOn });
    assert.equal(afterRun.created, true, 'a finished job is not waiting');
    await waitFor('the last job to finish', async () => (await jobs.get(afterRun.jobId))?.state === JobState.COMPLETED);
    assert.deepEqual(
      ran.filter((data) => data.targetId === 't1').map((data) => data.version),
      [1, 4, 5],
      'the coalesced request ran once, with the data of the job it joined',
    );
  });

  it('dedupes concurrent identical requests in one process into one job', async () => {
    const jobs = await queue();
    const name = uniqueName('burst');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => jobs.enqueue(name, { targetId: 'same', i }, { dedupeOn: ['targetId'] })),
    );
    assert.equal(results.filter((r) => r.created).length, 1);
    assert.equal(new Set(results.map((r) => r.jobId)).size, 1);
  });

  it('lets a running job take due jobs along (PostgreSQL): a prefix of the matching ones, each run once and ended as settled', async () => {
    const jobs = await queue();
    const name = uniqueName('along');
    type Data = { group: string; version: number; stop?: boolean; fail?: boolean };
    const runs: Array<{ version: number; took: number[] }> = [];
    const taking = jobs.backend === 'postgres';
    const seenRunning: JobState[] = [];
    jobs.define<Data>(
      name,
      async (job) => {
        const taken = await job.takeAlong({ group: job.data.group }, 10, (due) => {
          const stop = due.findIndex((candidate) => candidate.data.stop);
          return stop < 0 ? due.length : stop;
        });
        for (const t of taken) seenRunning.push((await jobs.get(t.id))!.state);
        // Cancelled while it runs, taken along: nobody looks, so it runs to its end (COMPLETED, not CANCELLED).
        for (const t of taken) if (t.data.version === 5) assert.equal(await jobs.cancel(t.id), true);
        runs.push({ version: job.data.version, took: taken.map((t) => t.data.version) });
        await job.settleTaken(taken.map((t) => ({ id: t.id, error: t.data.fail ? `version ${t.data.version} failed` : null })));
      },
      { concurrency: 1 },
    );
    const now = Date.now();
    const ids = (
      await jobs.enqueueMany<Data>(name, [
        { data: { group: 'g', version: 1 }, runAt: new Date(now) },
        { data: { group: 'g', version: 2, fail: true }, runAt: new Date(now + 1) },
        { data: { group: 'h', version: 3 }, runAt: new Date(now + 2) },
        { data: { group: 'g', version: 4, stop: true }, runAt: new Date(now + 3) },
        { data: { group: 'g', version: 5 }, runAt: new Date(now + 4) },
      ])
    ).map((r) => r.jobId);
    await jobs.startWorkers();
    await waitFor('every job to end', async () => {
      const states = await Promise.all(ids.map(async (id) => (await jobs.get(id))?.state));
      return states.every((state) => state === JobState.COMPLETED || state === JobState.FAILED);
    });
    const ran = runs.flatMap((run) => [run.version, ...run.took]).sort();
    assert.deepEqual(ran, [1, 2, 3, 4, 5], 'each job ran exactly once, on its own or taken along');
    const states = await Promise.all(ids.map(async (id) => jobs.get(id)));
    if (taking) {
      assert.deepEqual(runs, [
        { version: 1, took: [2] },
        { version: 3, took: [] },
        { version: 4, took: [5] },
      ]);
      assert.deepEqual(seenRunning, [JobState.RUNNING, JobState.RUNNING], 'taken jobs show as running');
      assert.deepEqual(states.map((job) => job!.state), [JobState.COMPLETED, JobState.FAILED, JobState.COMPLETED, JobState.COMPLETED, JobState.COMPLETED]);
      assert.equal(states[1]!.failReason, 'version 2 failed');
      assert.ok(states[4]!.lastRunAt && states[4]!.lastFinishedAt, 'a taken job has its run times');
    } else {
      assert.deepEqual(runs.map((run) => run.took), [[], [], [], [], []], 'this backend runs every job on its own');
    }

    // A handler that ends without settling what it took (it failed first) leaves those jobs to run again.
    const second = uniqueName('along-unsettled');
    const handled: number[] = [];
    jobs.define<Data>(
      second,
      async (job) => {
        handled.push(job.data.version);
        const taken = await job.takeAlong({ group: 'k' }, 10, (due) => due.length);
        if (taken.length > 0) throw new Error('failed before settling');
      },
      { concurrency: 1 },
    );
    await jobs.stopWorkers();
    const [head, follower] = await jobs.enqueueMany<Data>(second, [
      { data: { group: 'k', version: 1 }, runAt: new Date(Date.now()) },
      { data: { group: 'k', version: 2 }, runAt: new Date(Date.now() + 1) },
    ]);
    await jobs.startWorkers();
    await waitFor('both jobs to end', async () => {
      const ended = await Promise.all([head, follower].map(async (r) => (await jobs.get(r.jobId))?.state));
      return ended.every((state) => state === JobState.COMPLETED || state === JobState.FAILED) && ended;
    });
    assert.deepEqual(handled, [1, 2], 'the job taken along and left unsettled ran again on its own');
    assert.equal((await jobs.get(head.jobId))!.state, taking ? JobState.FAILED : JobState.COMPLETED);
    assert.equal((await jobs.get(follower.jobId))!.state, JobState.COMPLETED);
  });

  it('enqueues many jobs in one call: each runs once, deduped against waiting jobs and within the call, in run-time order', async () => {
    const jobs = await queue();
    const name = uniqueName('many');
    const ran: Array<{ targetId: string; version: number }> = [];
    jobs.define<{ targetId: string; version: number }>(name, async (job) => {
      ran.push({ targetId: job.data.targetId, version: job.data.version });
    }, { concurrency: 1 });
    const dedupeOn = ['targetId'];
    const waiting = await jobs.enqueue(name, { targetId: 't0', version: 0 }, { dedupeOn });
    const now = Date.now();
    const results = await jobs.enqueueMany(
      name,
      [
        { data: { targetId: 't2', version: 1 }, runAt: new Date(now + 2) },
        { data: { targetId: 't0', version: 1 } },
        { data: { targetId: 't1', version: 1 }, runAt: new Date(now + 1) },
        { data: { targetId: 't2', version: 2 } },
        { data: { targetId: 't3', version: 1 }, runAt: new Date(now + 3) },
      ],
      { dedupeOn },
    );
    assert.deepEqual(results.map((r) => r.created), [true, false, true, false, true]);
    assert.equal(results[1].jobId, waiting.jobId, 'joined the job already waiting');
    assert.equal(results[3].jobId, results[0].jobId, 'joined the job created earlier in the same call');
    assert.equal(new Set([waiting.jobId, results[0].jobId, results[2].jobId, results[4].jobId]).size, 4);
    const queued = await jobs.list({ name, state: JobState.QUEUED });
    assert.equal(queued.length, 4, 'listed like any other job');
    assert.deepEqual(await jobs.enqueueMany(name, []), []);

    await jobs.startWorkers();
    await waitFor('the jobs to finish', () => ran.length >= 4 && ran);
    await sleep(200);
    assert.deepEqual(
      ran.map((data) => data.targetId),
      ['t0', 't1', 't2', 't3'],
      'each job ran once, in run-time order, with the data it was created with',
    );
    assert.deepEqual(ran.map((data) => data.version), [0, 1, 1, 1]);
    for (const id of [waiting.jobId, results[0].jobId, results[2].jobId, results[4].jobId]) {
      assert.equal((await jobs.get(id))?.state, JobState.COMPLETED);
    }
  });

  it('holds a job with runAt in the future until then', async () => {
    const jobs = await queue();
    const name = uniqueName('later');
    let ranAt: Date | null = null;
    jobs.define(name, async () => {
      ranAt = new Date();
    });
    await jobs.startWorkers();
    const runAt = new Date(Date.now() + 1500);
    const { jobId } = await jobs.enqueue(name, { organizationId: 'org-later' }, { runAt });
    await sleep(700);
    const waiting = await stateOf(jobs, jobId);
    assert.equal(ranAt, null, 'not run before runAt');
    assert.equal(waiting.state, JobState.QUEUED);
    assert.equal(waiting.nextRunAt?.getTime(), runAt.getTime());
    assert.deepEqual((await jobs.list({ name, state: JobState.QUEUED })).map((j) => j.id), [jobId]);
    await waitFor('the job to complete', async () => (await jobs.get(jobId))?.state === JobState.COMPLETED);
    assert.ok(ranAt! >= runAt, `ran at ${ranAt!.toISOString()}, not before ${runAt.toISOString()}`);
  });

  it('cancels a waiting job: it never runs and is listed as CANCELLED', async () => {
    const jobs = await queue();
    const name = uniqueName('cancel-waiting');
    const ran: string[] = [];
    jobs.define(name, async (job) => {
      ran.push(job.id);
    });
    const doomed = await jobs.enqueue(name, { organizationId: 'org-c' });
    const kept = await jobs.enqueue(name, { organizationId: 'org-c' });
    assert.equal(await jobs.cancel(doomed.jobId), true);
    assert.equal(await jobs.cancel(doomed.jobId), true, 'cancelling twice is harmless');
    await jobs.startWorkers();
    await waitFor('the other job to complete', async () => (await jobs.get(kept.jobId))?.state === JobState.COMPLETED);
    await sleep(400);
    assert.deepEqual(ran, [kept.jobId]);
    const cancelled = await stateOf(jobs, doomed.jobId);
    assert.equal(cancelled.state, JobState.CANCELLED);
    assert.equal(cancelled.nextRunAt, null);
    assert.deepEqual((await jobs.list({ name, state: JobState.CANCELLED })).map((j) => j.id), [doomed.jobId]);
    assert.deepEqual((await jobs.list({ name, state: JobState.COMPLETED })).map((j) => j.id), [kept.jobId]);
    const dedupeAfterCancel = await jobs.enqueue(name, { organizationId: 'org-c' }, { dedupeOn: ['organizationId'] });
    assert.equal(dedupeAfterCancel.created, true, 'a cancelled job is not waiting');

    assert.equal(await jobs.cancel(kept.jobId), false, 'a finished job cannot be cancelled');
    assert.equal((await stateOf(jobs, kept.jobId)).state, JobState.COMPLETED);
    assert.equal(await jobs.cancel('no-such-job'), false);
    assert.equal(await jobs.get('no-such-job'), null);
  });

  it('flags a running job as cancelled; it stops at its next check and is CANCELLED', async () => {
    const jobs = await queue();
    const name = uniqueName('cancel-running');
    const steps: number[] = [];
    let sawCancel = false;
    jobs.define(name, async (job: RunningJob<Record<string, unknown>>) => {
      for (let step = 1; step <= 200; step++) {
        if (await job.isCancelled()) {
          sawCancel = true;
          return;
        }
        steps.push(step);
        await job.saveProgress(step / 2);
        await sleep(25);
      }
    });
    await jobs.startWorkers();
    const { jobId } = await jobs.enqueue(name, { organizationId: 'org-r' });
    await waitFor('the job to make progress', () => steps.length >= 3);
    const running = await stateOf(jobs, jobId);
    assert.equal(running.state, JobState.RUNNING);
    assert.ok(running.progress !== null && running.progress > 0, `progress ${running.progress}`);
    assert.deepEqual((await jobs.list({ name, state: JobState.RUNNING })).map((j) => j.id), [jobId]);
    assert.equal(await jobs.cancel(jobId), true);
    await waitFor('the handler to see the cancellation', () => sawCancel);
    assert.ok(steps.length < 200, 'the job stopped early');
    const cancelled = await waitFor('the job to be CANCELLED', async () => {
      const job = await jobs.get(jobId);
      return job?.state === JobState.CANCELLED && job;
    });
    assert.ok(cancelled.lastFinishedAt);
  });

  it('lists a running job that never looked at its cancellation as COMPLETED: it did not stop', async () => {
    const jobs = await queue();
    const name = uniqueName('cancel-ignored');
    const started = deferred();
    const release = deferred();
    jobs.define(name, async () => {
      started.resolve();
      await release.promise;
    });
    await jobs.startWorkers();
    const { jobId } = await jobs.enqueue(name, {});
    await started.promise;
    assert.equal(await jobs.cancel(jobId), true);
    assert.equal((await stateOf(jobs, jobId)).state, JobState.RUNNING, 'a flagged job runs until it stops');
    release.resolve();
    await waitFor('the job to finish', async () => (await jobs.get(jobId))?.state === JobState.COMPLETED);
  });

  it('keeps a failed job with its reason and does not retry it', async () => {
    const jobs = await queue();
    const name = uniqueName('failing');
    let runs = 0;
    jobs.define(name, async () => {
      runs++;
      throw new Error('target unreachable: connection refused');
    });
    await jobs.startWorkers();
    const { jobId } = await jobs.enqueue(name, { organizationId: 'org-f', targetId: 'target-f' });
    const failed = await waitFor('the job to fail', async () => {
      const job = await jobs.get(jobId);
      return job?.state === JobState.FAILED && job;
    });
    assert.equal(failed.failReason, 'target unreachable: connection refused');
    assert.ok(failed.lastFinishedAt);
    await sleep(500);
    assert.equal(runs, 1, "Agenda's own retries are off");
    const listed = await jobs.list({ targetId: 'target-f', state: JobState.FAILED });
    assert.deepEqual(listed.map((j) => [j.id, j.failReason]), [[jobId, 'target unreachable: connection refused']]);
    assert.deepEqual(await jobs.list({ targetId: 'target-f', state: JobState.COMPLETED }), []);
  });

  it('lists newest first, filtered by organization, target, name and state, with limit and skip', async () => {
    const jobs = await queue();
    const name = uniqueName('listing');
    const other = uniqueName('listing-other');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await jobs.enqueue(name, { organizationId: 'org-l', targetId: i % 2 === 0 ? 'even' : 'odd', i })).jobId);
      await sleep(5);
    }
    const foreign = (await jobs.enqueue(name, { organizationId: 'org-other', targetId: 'even' })).jobId;
    const otherName = (await jobs.enqueue(other, { organizationId: 'org-l', targetId: 'even' })).jobId;
    const newestFirst = [...ids].reverse();
    assert.deepEqual((await jobs.list({ organizationId: 'org-l', name })).map((j) => j.id), newestFirst);
    // Keyset pages: after a job's cursor (older ones), before one (newer), and from the end (oldest first).
    const [newest] = await jobs.list({ organizationId: 'org-l', name, limit: 1 });
    const page = await jobs.list({ organizationId: 'org-l', name, limit: 2, after: newest.cursor });
    assert.deepEqual(page.map((j) => j.id), newestFirst.slice(1, 3));
    assert.deepEqual((await jobs.list({ organizationId: 'org-l', name, limit: 2, after: page[1].cursor })).map((j) => j.id), newestFirst.slice(3, 5));
    assert.deepEqual((await jobs.list({ organizationId: 'org-l', name, before: page[0].cursor })).map((j) => j.id), [ids[4]]);
    assert.deepEqual((await jobs.list({ organizationId: 'org-l', name, limit: 2, fromEnd: true })).map((j) => j.id), ids.slice(0, 2));
    assert.deepEqual((await jobs.list({ organizationId: 'org-l', name, fromEnd: true, after: page[1].cursor })).map((j) => j.id), ids.slice(0, 2));
    assert.deepEqual((await jobs.list({ organizationId: 'org-l', name, fromEnd: true, before: page[1].cursor })).map((j) => j.id), [ids[3], ids[4]]);
    assert.equal(await jobs.count({ organizationId: 'org-l', name }), 5);
    assert.equal(await jobs.count({ organizationId: 'org-l', targetId: 'even' }), 4);
    await assert.rejects(jobs.list({ organizationId: 'org-l', after: 'not-a-cursor' }), JobCursorError);
    assert.deepEqual((await jobs.list({ organizationId: 'org-l', targetId: 'even', name })).map((j) => j.id), [ids[4], ids[2], ids[0]]);
    assert.deepEqual((await jobs.list({ organizationId: 'org-l', targetId: 'even' })).map((j) => j.id), [otherName, ids[4], ids[2], ids[0]]);
    assert.deepEqual((await jobs.list({ organizationId: 'org-other' })).map((j) => j.id), [foreign]);
    const queued = await jobs.list({ organizationId: 'org-l', name, state: JobState.QUEUED });
    assert.equal(queued.length, 5);
    assert.ok(queued.every((j) => j.state === JobState.QUEUED && j.nextRunAt instanceof Date && j.progress === null));
    assert.deepEqual(await jobs.list({ organizationId: 'org-l', name, state: JobState.RUNNING }), []);
  });

  it('saves progress and data, and resumes a job left running by a stopped worker from its saved cursor', async () => {
    const lockLifetimeMs = 1200;
    const first = await queue({ lockLifetimeMs, shutdownTimeoutMs: 200 });
    const name = uniqueName('resumable');
    const checkpoint = deferred();
    const never = deferred();
    let lateWrite: Promise<void> | null = null;
    first.define<{ organizationId: string; cursor?: number; total: number }>(name, async (job) => {
      assert.equal(job.data.cursor, undefined);
      await job.saveProgress(40, { cursor: 2 });
      assert.equal(job.data.cursor, 2, 'the running job sees its own saved data');
      checkpoint.resolve();
      await never.promise;
      lateWrite = job.saveProgress(60, { cursor: 3 });
      await lateWrite;
    });
    await first.startWorkers();
    const { jobId } = await first.enqueue(name, { organizationId: 'org-resume', total: 5 });
    await checkpoint.promise;
    const saved = await stateOf(first, jobId);
    assert.equal(saved.state, JobState.RUNNING);
    assert.equal(saved.progress, 40);
    assert.deepEqual(saved.data, { organizationId: 'org-resume', total: 5, cursor: 2 });

    const stoppedAt = Date.now();
    await first.stop();
    assert.ok(Date.now() - stoppedAt < 2000, 'stop() waits for running jobs only up to its timeout');

    const second = await queue({ lockLifetimeMs });
    const resumed: Array<{ cursor?: number; total: number }> = [];
    second.define<{ organizationId: string; cursor?: number; total: number }>(name, async (job) => {
      resumed.push({ cursor: job.data.cursor, total: job.data.total });
      await job.saveProgress(100, { cursor: 5 });
    });
    await second.startWorkers();
    const done = await waitFor('the job to be resumed and completed', async () => {
      const job = await second.get(jobId);
      return job?.state === JobState.COMPLETED && job;
    });
    assert.deepEqual(resumed, [{ cursor: 2, total: 5 }]);
    assert.equal(done.progress, 100);
    assert.equal(done.data.cursor, 5);

    never.resolve();
    await waitFor('the abandoned handler to try a late write', () => lateWrite !== null);
    await assert.rejects(lateWrite!, /another worker/);
    assert.equal((await second.get(jobId))?.data.cursor, 5, 'the abandoned handler wrote nothing');
  });

  it('never runs one job in two workers: 50 jobs on two queue instances run exactly once each', async () => {
    const a = await queue();
    const b = await queue();
    const name = uniqueName('shared');
    const runs = new Map<number, string[]>();
    const concurrent = { a: 0, b: 0 };
    const peak = { a: 0, b: 0 };
    for (const [label, jobs] of [['a', a], ['b', b]] as const) {
      jobs.define<{ n: number }>(
        name,
        async (job) => {
          concurrent[label]++;
          peak[label] = Math.max(peak[label], concurrent[label]);
          runs.set(job.data.n, [...(runs.get(job.data.n) ?? []), label]);
          await sleep(Math.floor(Math.random() * 30));
          concurrent[label]--;
        },
        { concurrency: 3 },
      );
    }
    const ids = await Promise.all(Array.from({ length: 50 }, (_, n) => a.enqueue(name, { n }).then((r) => r.jobId)));
    await Promise.all([a.startWorkers(), b.startWorkers()]);
    await waitFor(
      'all 50 jobs to complete',
      async () => (await a.list({ name, state: JobState.COMPLETED, limit: 100 })).length === 50,
      30000,
    );
    await sleep(300);
    assert.equal(new Set(ids).size, 50);
    assert.equal(runs.size, 50);
    const repeated = [...runs.entries()].filter(([, by]) => by.length !== 1);
    assert.deepEqual(repeated, [], 'each job ran exactly once');
    assert.ok(peak.a <= 3 && peak.b <= 3, `concurrency per process stays at 3 (peaks ${peak.a}, ${peak.b})`);
  });

  it('stopWorkers() lets jobs pile up and startWorkers() resumes; a stopped queue refuses work', async () => {
    const jobs = await queue();
    const name = uniqueName('pause');
    const ran: string[] = [];
    jobs.define(name, async (job) => {
      ran.push(job.id);
    });
    await jobs.startWorkers();
    await jobs.stopWorkers();
    const { jobId } = await jobs.enqueue(name, {});
    await sleep(400);
    assert.deepEqual(ran, []);
    assert.equal((await stateOf(jobs, jobId)).state, JobState.QUEUED);
    await jobs.startWorkers();
    await waitFor('the job to run after restart', () => ran.length === 1);
    await jobs.stop();
    await assert.rejects(jobs.enqueue(name, {}), /stopped/);
  });
}
