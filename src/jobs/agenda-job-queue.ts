import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Agenda, AgendaBackend, Job } from 'agenda';
import type { Logger } from '../observability/logger';
import type { JobDepth } from '../observability/metrics';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { contextOfCarrier, currentTraceCarrier, inSpan } from '../observability/spans';
import type { DefineOptions, EnqueueItem, EnqueueOptions, JobInfo, JobListFilter, JobQueue, JobRunObserver, RunningJob, TakenJob } from './job-queue';
import { RUN_CLAIM_KEY, TRACE_KEY, assertPlainKeys, definedEntries, toJobInfo, withoutBookkeeping, type Clock, type FinishedJobPruning, type JobStore } from './job-store';
import { openMongoJobStore } from './mongo-job-store';
import { openPostgresJobStore } from './postgres-job-store';

export interface JobQueueOptions {
  /** Ferry's PostgreSQL: the jobs live there (table agenda_jobs) unless mongoUrl is given. */
  databaseUrl: string;
  /** MONGODB_URL: keeps the jobs in MongoDB instead. */
  mongoUrl?: string;
  logger: Logger;
  /** How often workers look for due jobs (FERRY_JOB_POLL_MS). Default 1000. */
  processEveryMs?: number;
  /** Default for define(): a job whose worker stops sending heartbeats for this long runs again elsewhere. Default 60 s. */
  lockLifetimeMs?: number;
  /** Shows in the jobs' lastModifiedBy; default `ferry@<host>:<pid>`. */
  name?: string;
  /** How long stop() and stopWorkers() wait for running jobs. Default 10 s. */
  shutdownTimeoutMs?: number;
  /** How long to wait for MongoDB to answer at start-up. Default 5 s. */
  mongoConnectTimeoutMs?: number;
  /** Told when a job of this process starts and ends (the metrics). */
  observer?: JobRunObserver;
}

const DEFAULT_CONCURRENCY = 5;
const DEFAULT_LOCK_LIFETIME_MS = 60_000;
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
const DEFAULT_MONGO_CONNECT_TIMEOUT_MS = 5_000;
/** Agenda's own default for the number of jobs one process runs at once. */
const MIN_MAX_CONCURRENCY = 20;

/**
 * The parts of Agenda's job processor (agenda 6.2.x) used to refill a free slot at once and to
 * release what it locks while stopping. Everything is checked before use: without them the queue
 * still works, it just waits for the next poll.
 */
interface AgendaProcessorInternals {
  isRunning?: boolean;
  jobQueueFilling?: (name: string) => Promise<void>;
  jobProcessing?: () => Promise<void>;
  isJobQueueFilling?: Map<string, boolean>;
  lockedJobs?: Job[];
  runningJobs?: Job[];
}

class LostJobError extends Error {
  constructor(jobId: string, reason: string) {
    super(`Job ${jobId} ${reason}; another worker runs or resumes it.`);
  }
}

/**
 * What a handler sees. It holds the run claim of its job: every write checks the claim, so a
 * worker that lost its job (it stalled past the lock lifetime, or was shut down) stops writing.
 */
class AgendaRunningJob<T> implements RunningJob<T> {
  readonly id: string;
  readonly data: T;
  private readonly pending = new Set<Promise<unknown>>();
  private heartbeat: NodeJS.Timeout | undefined;
  private finished = false;
  /** The handler was told about a cancellation (and so presumably stopped because of it). */
  sawCancel = false;
  private lostReason: string | null = null;
  /** Jobs taken along and not settled yet. */
  private readonly taken = new Set<string>();

  constructor(
    private readonly job: Job,
    private readonly store: JobStore,
    readonly token: string,
    private readonly log: Logger,
    private readonly workerName: string | null = null,
  ) {
    this.id = String(job.attrs._id);
    this.data = withoutBookkeeping((job.attrs.data ?? {}) as Record<string, unknown>) as T;
  }

  saveProgress(percent: number, data?: Partial<T>): Promise<void> {
    return this.track(async () => {
      this.assertHeld();
      if (!Number.isFinite(percent)) throw new TypeError(`Job progress must be a number from 0 to 100, not ${percent}.`);
      const patch = definedEntries((data ?? {}) as Record<string, unknown>);
      assertPlainKeys(patch);
      if (!(await this.store.mergeData(this.id, this.token, patch))) this.lose('was taken over by another worker');
      Object.assign(this.data as Record<string, unknown>, patch);
      await this.job.touch(Math.min(100, Math.max(0, percent)));
    });
  }

  /** Throws rather than answering when this worker no longer holds the job: it must stop either way. */
  isCancelled(): Promise<boolean> {
    return this.track(async () => {
      this.assertHeld();
      const stored = await this.store.get(this.id);
      if (!stored) return true;
      if (stored.data[RUN_CLAIM_KEY] !== this.token) this.lose('was taken over by another worker');
      if (stored.disabled) this.sawCancel = true;
      return stored.disabled;
    });
  }

  takeAlong(match: Partial<T>, limit: number, accept: (due: TakenJob<T>[]) => number): Promise<TakenJob<T>[]> {
    return this.track(async () => {
      this.assertHeld();
      const taking = this.store.taking;
      if (!taking || limit <= 0) return [];
      const due = (await taking.due(this.job.attrs.name, match as Record<string, unknown>, this.id, limit)).map((row) => ({
        id: row.id,
        data: withoutBookkeeping(row.data) as T,
      }));
      const wanted = due.slice(0, Math.max(0, Math.min(due.length, accept(due))));
      const locked = new Set((await taking.take(wanted.map((job) => job.id), this.token, this.workerName)).map((row) => row.id));
      // A prefix only: a job another worker took meanwhile ends it, and what follows waits for its turn.
      const gap = wanted.findIndex((job) => !locked.has(job.id));
      const kept = gap < 0 ? wanted : wanted.slice(0, gap);
      const late = gap < 0 ? [] : wanted.slice(gap).filter((job) => locked.has(job.id));
      if (late.length > 0) await this.store.release(late.map((job) => ({ id: job.id })));
      for (const job of kept) this.taken.add(job.id);
      return kept;
    });
  }

  settleTaken(results: { id: string; error: string | null }[]): Promise<void> {
    return this.track(async () => {
      const mine = results.filter((result) => this.taken.has(result.id));
      if (mine.length === 0) return;
      await this.store.taking!.finish(mine, this.token);
      for (const result of mine) this.taken.delete(result.id);
    });
  }

  /** Refreshes Agenda's lock while the handler runs, so only a dead worker's jobs move elsewhere. */
  startHeartbeat(intervalMs: number): void {
    const beat = () => {
      this.heartbeat = setTimeout(() => {
        void this.track(async () => {
          if (this.finished || this.lostReason) return;
          const stored = await this.store.get(this.id);
          if (stored?.data[RUN_CLAIM_KEY] !== this.token) {
            this.lostReason = 'was taken over by another worker';
            return;
          }
          await this.job.touch(this.job.attrs.progress);
          if (this.taken.size > 0) await this.store.taking?.touch([...this.taken], this.token);
        })
          .catch((error) => this.log.warn({ err: error, jobId: this.id }, 'job heartbeat failed; retrying'))
          .finally(() => {
            if (!this.finished && !this.lostReason) beat();
          });
      }, intervalMs);
    };
    beat();
  }

  /** Called when the handler returned: no write of ours may land after Agenda's final save. */
  async finish(): Promise<void> {
    this.finished = true;
    clearTimeout(this.heartbeat);
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    // Taken jobs the handler did not settle (it failed first) wait to run again.
    if (this.taken.size > 0 && !this.lostReason) {
      await this.store
        .release([...this.taken].map((id) => ({ id })))
        .catch((error) => this.log.warn({ err: error, jobs: [...this.taken] }, 'could not release jobs taken along; they run again once their lock expires'));
      this.taken.clear();
    }
  }

  get isLost(): boolean {
    return this.lostReason !== null;
  }

  /** Called when this worker shuts down with the job still running. */
  abandon(): void {
    this.lostReason = 'was left behind by a worker that shut down';
    clearTimeout(this.heartbeat);
  }

  private lose(reason: string): never {
    this.lostReason = reason;
    throw new LostJobError(this.id, reason);
  }

  private assertHeld(): void {
    if (this.lostReason) throw new LostJobError(this.id, this.lostReason);
  }

  private track<R>(work: () => Promise<R>): Promise<R> {
    const promise = work();
    this.pending.add(promise);
    const forget = () => this.pending.delete(promise);
    promise.then(forget, forget);
    return promise;
  }
}

/** Agenda sees a backend that is already connected: our stores connect (and report errors) first. */
function preconnected(store: JobStore): AgendaBackend {
  const { backend } = store;
  // Agenda's unlockJobs() (on stop) would leave a resumed job with neither lock nor run time,
  // which looks finished and never runs; the store's release() gives it a run time.
  const repository = new Proxy(backend.repository, {
    get(target, property) {
      if (property === 'unlockJobs') return (ids: unknown[]) => store.release(ids.map((id) => ({ id: String(id) })));
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    name: backend.name,
    repository,
    notificationChannel: backend.notificationChannel,
    logger: backend.logger,
    ownsConnection: false,
    connect: async () => undefined,
    // The store closes its own connection, after the workers have stopped.
    disconnect: async () => undefined,
  };
}

class AgendaJobQueue implements JobQueue, FinishedJobPruning {
  private readonly definitions = new Map<string, { concurrency: number; lockLifetimeMs: number }>();
  /** Jobs whose handler this process has entered and Agenda has not completed yet. */
  private readonly active = new Map<Job, AgendaRunningJob<unknown> | null>();
  private readonly enqueueLocks = new Map<string, Promise<unknown>>();
  private workersRunning = false;
  private stopped = false;

  constructor(
    private readonly agenda: Agenda,
    private readonly store: JobStore,
    private readonly log: Logger,
    private readonly lockLifetimeMs: number,
    private readonly shutdownTimeoutMs: number,
    private readonly observer: JobRunObserver | undefined,
  ) {
    agenda.on('error', (error: Error) => {
      if (this.stopped) log.debug({ err: error }, 'job processor error during shutdown');
      else log.error({ err: error }, 'job processor error');
    });
    agenda.on('fail', (error: Error | string, job: Job | { jobId: string; jobName: string }, remote?: boolean) => {
      if (remote) return;
      const local = job as Job;
      log.warn({ job: local.attrs.name, jobId: String(local.attrs._id), reason: error instanceof Error ? error.message : error }, 'job failed');
    });
    agenda.on('complete', (job: Job, remote?: boolean) => {
      if (remote) return;
      this.active.delete(job);
      this.refill(job.attrs.name);
    });
  }

  get backend(): 'postgres' | 'mongodb' {
    return this.store.kind;
  }

  define<T>(name: string, handler: (job: RunningJob<T>) => Promise<void>, options: DefineOptions = {}): void {
    const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    const lockLifetimeMs = options.lockLifetimeMs ?? this.lockLifetimeMs;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`Job ${name}: concurrency must be a positive integer.`);
    this.definitions.set(name, { concurrency, lockLifetimeMs });
    // lockLimit = concurrency: a worker only locks jobs it can start at once, so no locked job
    // waits in its local queue until the lock expires (and others take it meanwhile). The
    // handler is a one-argument function: Agenda treats two arguments as callback style.
    this.agenda.define(name, (job: Job) => this.run(job, handler as (job: RunningJob<unknown>) => Promise<void>, lockLifetimeMs), {
      concurrency,
      lockLimit: concurrency,
      lockLifetime: lockLifetimeMs,
    });
  }

  private async run(job: Job, handler: (job: RunningJob<unknown>) => Promise<void>, lockLifetimeMs: number): Promise<void> {
    this.active.set(job, null);
    const id = String(job.attrs._id);
    const data = (job.attrs.data ?? {}) as Record<string, unknown>;
    const seen = typeof data[RUN_CLAIM_KEY] === 'string' ? (data[RUN_CLAIM_KEY] as string) : null;
    const token = randomUUID();
    if (!(await this.store.claim(id, seen, token))) {
      this.log.warn({ job: job.attrs.name, jobId: id }, 'job was claimed by another worker; not running it twice');
      return;
    }
    const running = new AgendaRunningJob<unknown>(job, this.store, token, this.log, this.agenda.attrs.name || null);
    if (await running.isCancelled()) {
      this.log.info({ job: job.attrs.name, jobId: id }, 'job was cancelled before it started');
      return;
    }
    this.active.set(job, running);
    running.startHeartbeat(Math.max(50, Math.floor(lockLifetimeMs / 3)));
    // A span of its own, in the trace of whatever enqueued it (when that was traced).
    const carried = data[TRACE_KEY];
    const parent = carried ? contextOfCarrier(carried) : ROOT_CONTEXT;
    await inSpan(`ferry.job ${job.attrs.name}`, { 'ferry.job.id': id, 'ferry.job.name': job.attrs.name }, () => this.runHandler(job, id, running, handler), parent);
  }

  private async runHandler(job: Job, id: string, running: AgendaRunningJob<unknown>, handler: (job: RunningJob<unknown>) => Promise<void>): Promise<void> {
    const started = Date.now();
    const due = job.attrs.nextRunAt ? new Date(job.attrs.nextRunAt).getTime() : started;
    this.observer?.started(job.attrs.name, started - due);
    let failed = true;
    try {
      await handler(running);
      failed = false;
    } finally {
      this.observer?.finished(job.attrs.name, failed, Date.now() - started);
      await running.finish();
      // A cancel the handler never looked at did not stop it: the run is COMPLETED (or FAILED),
      // not CANCELLED.
      if (!running.sawCancel && !running.isLost) {
        await this.store.withdrawCancel(id).catch((error) => this.log.warn({ err: error, jobId: id }, 'could not record that the job ran to its end'));
      }
    }
  }

  async enqueue<T extends Record<string, unknown>>(name: string, data: T, options: EnqueueOptions = {}): Promise<{ jobId: string; created: boolean }> {
    return (await this.enqueueMany(name, [{ data, runAt: options.runAt }], { dedupeOn: options.dedupeOn }))[0];
  }

  async enqueueMany<T extends Record<string, unknown>>(
    name: string,
    jobs: EnqueueItem<T>[],
    options: Pick<EnqueueOptions, 'dedupeOn'> = {},
  ): Promise<{ jobId: string; created: boolean }[]> {
    this.assertOpen();
    if (jobs.length === 0) return [];
    const fields = [...(options.dedupeOn ?? [])].sort();
    for (const { data } of jobs) {
      if (RUN_CLAIM_KEY in data) throw new Error(`Job ${name}: data must not contain ${RUN_CLAIM_KEY}.`);
      for (const field of fields) {
        if (data[field] === undefined) throw new Error(`Job ${name}: dedupe field "${field}" is missing from the job data.`);
      }
    }
    const now = new Date();
    if (fields.length === 0) {
      return (await this.createMany(name, jobs.map((job) => ({ data: job.data, runAt: job.runAt ?? now })))).map((jobId) => ({ jobId, created: true }));
    }
    const keyed = jobs.map((job) => ({ job, key: JSON.stringify(Object.fromEntries(fields.map((field) => [field, job.data[field]]))) }));
    const keys = [...new Set(keyed.map(({ key }) => key))];
    // One process never races itself into two identical jobs; across processes two may be
    // created at the same instant, which only costs a duplicate run.
    return this.serialised(
      keys.map((key) => `${name}\u0000${key}`),
      async () => {
        const matches = keys.map((key) => JSON.parse(key) as Record<string, unknown>);
        // One request: the plain lookup (its plan is the index's; the many-match join's is not as direct).
        const waiting = matches.length === 1 ? [await this.store.findWaiting(name, matches[0])] : await this.store.findWaitingMany(name, matches);
        const jobIdOf = new Map<string, string>();
        keys.forEach((key, i) => waiting[i] && jobIdOf.set(key, waiting[i]));
        // Of the requests for the same job in this call, the first one creates it.
        const toCreate = new Map<string, EnqueueItem<T>>();
        for (const { job, key } of keyed) if (!jobIdOf.has(key) && !toCreate.has(key)) toCreate.set(key, job);
        const created = await this.createMany(name, [...toCreate.values()].map((job) => ({ data: job.data, runAt: job.runAt ?? now })));
        [...toCreate.keys()].forEach((key, i) => jobIdOf.set(key, created[i]));
        return keyed.map(({ job, key }) => ({ jobId: jobIdOf.get(key)!, created: toCreate.get(key) === job }));
      },
    );
  }

  /** New jobs in one statement where the store can (then one wake-up for the workers), else one by one. */
  private async createMany(name: string, requested: { data: Record<string, unknown>; runAt: Date }[]): Promise<string[]> {
    if (requested.length === 0) return [];
    // The trace under way (a mutation's) travels with the job, so that its run joins it.
    const carrier = currentTraceCarrier();
    const jobs: { data: Record<string, unknown>; runAt: Date }[] = carrier ? requested.map((job) => ({ ...job, data: { ...job.data, [TRACE_KEY]: carrier } })) : requested;
    if (!this.store.insertMany) {
      const ids: string[] = [];
      for (const job of jobs) ids.push(await this.create(name, job.data, job.runAt));
      return ids;
    }
    const priority = this.agenda.definitions[name]?.priority ?? 0;
    const ids = await this.store.insertMany(
      jobs.map((job) => ({ name, data: job.data, priority, nextRunAt: job.runAt })),
      this.agenda.attrs.name || null,
    );
    const soonest = jobs.reduce((a, b) => (b.runAt < a.runAt ? b : a));
    await this.announce({ id: ids[jobs.indexOf(soonest)], name, nextRunAt: soonest.runAt, priority });
    return ids;
  }

  private async create(name: string, data: Record<string, unknown>, runAt: Date): Promise<string> {
    const job = this.agenda.create(name, data);
    job.schedule(runAt);
    // save() publishes on Agenda's channel when it is up; announce() covers the other case.
    await job.save();
    const id = String(job.attrs._id);
    await this.store
      .announce({ id, name, nextRunAt: job.attrs.nextRunAt, priority: job.attrs.priority })
      .catch((error) => this.log.warn({ err: error, jobId: id }, 'could not announce the new job; workers will find it when they poll'));
    return id;
  }

  /** Wakes the workers (of every process) for a job saved outside Agenda's save(). */
  private async announce(job: { id: string; name: string; nextRunAt: Date; priority: number }): Promise<void> {
    try {
      // Exactly one of the two speaks: Agenda publishes only on a connected channel, the store only without one.
      await this.agenda.publishJobNotification({ attrs: { _id: job.id, name: job.name, nextRunAt: job.nextRunAt, priority: job.priority } } as unknown as Job);
      await this.store.announce(job);
    } catch (error) {
      this.log.warn({ err: error, jobId: job.id }, 'could not announce the new jobs; workers will find them when they poll');
    }
  }

  /** Runs work once every earlier call holding any of these keys has ended. */
  private serialised<R>(keys: string[], work: () => Promise<R>): Promise<R> {
    const previous = Promise.all(keys.map((key) => this.enqueueLocks.get(key) ?? Promise.resolve()));
    const result = previous.then(work, work);
    const tail = result.catch(() => undefined);
    for (const key of keys) this.enqueueLocks.set(key, tail);
    void tail.then(() => {
      for (const key of keys) if (this.enqueueLocks.get(key) === tail) this.enqueueLocks.delete(key);
    });
    return result;
  }

  async list(filter: JobListFilter): Promise<JobInfo[]> {
    this.assertOpen();
    const clock = this.clock();
    return (await this.store.list(filter, clock)).map((job) => toJobInfo(job, clock));
  }

  async count(filter: JobListFilter): Promise<number> {
    this.assertOpen();
    return this.store.count(filter, this.clock());
  }

  async get(jobId: string): Promise<JobInfo | null> {
    this.assertOpen();
    const job = await this.store.get(jobId);
    return job ? toJobInfo(job, this.clock()) : null;
  }

  async depth(): Promise<JobDepth[]> {
    return this.store.depth(this.clock());
  }

  /** Retention: JobStore.deleteFinished (FinishedJobPruning, job-store.ts). */
  async deleteFinished(before: Date, limit: number): Promise<number> {
    this.assertOpen();
    return this.store.deleteFinished(before, limit);
  }

  async cancel(jobId: string): Promise<boolean> {
    this.assertOpen();
    return this.store.requestCancel(jobId);
  }

  async startWorkers(): Promise<void> {
    this.assertOpen();
    if (this.workersRunning) return;
    const total = [...this.definitions.values()].reduce((sum, definition) => sum + definition.concurrency, 0);
    // Every job a worker locks must be able to start at once (see define()).
    this.agenda.maxConcurrency(Math.max(MIN_MAX_CONCURRENCY, total));
    await this.agenda.start();
    this.workersRunning = true;
    this.log.info({ backend: this.backend, jobs: [...this.definitions.keys()] }, 'job workers started');
  }

  async stopWorkers(): Promise<void> {
    if (!this.workersRunning) return;
    this.workersRunning = false;
    const processor = this.processor();
    // Agenda's stop() releases the jobs this worker locked but has not started; running ones
    // go on and are waited for below.
    await this.agenda.stop(false);
    await this.releaseLateLocks(processor);
    await this.waitForActiveJobs();
  }

  /**
   * A poll already under way when stop() ran still locks jobs afterwards, and nothing would run
   * or release them until their lock expired: release them once the poll is over.
   */
  private async releaseLateLocks(processor: AgendaProcessorInternals | undefined): Promise<void> {
    if (!processor?.isJobQueueFilling || !processor.lockedJobs || !processor.runningJobs) return;
    const filling = processor.isJobQueueFilling;
    const deadline = Date.now() + this.shutdownTimeoutMs;
    while (filling.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const running = new Set(processor.runningJobs);
    const idle = processor.lockedJobs.filter((job) => !running.has(job) && job.attrs.lockedAt);
    await this.store.release(idle.map((job) => ({ id: String(job.attrs._id), lockedAt: job.attrs.lockedAt })));
  }

  private processor(): AgendaProcessorInternals | undefined {
    return (this.agenda as unknown as { jobProcessor?: AgendaProcessorInternals }).jobProcessor;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.stopWorkers();
    this.stopped = true;
    const left = [...this.active.values()].filter((running) => running !== null);
    if (left.length > 0) {
      this.log.warn(
        { jobs: left.map((running) => running.id), timeoutMs: this.shutdownTimeoutMs },
        'jobs still running at shutdown; another worker resumes them once their lock expires',
      );
      // No more heartbeats: the locks expire and another worker resumes these jobs.
      for (const running of left) running.abandon();
    }
    await this.store.close();
  }

  private async waitForActiveJobs(): Promise<boolean> {
    const deadline = Date.now() + this.shutdownTimeoutMs;
    while (this.active.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return this.active.size === 0;
  }

  /** A slot became free: lock the next due job now rather than at the next poll. */
  private refill(name: string): void {
    if (!this.workersRunning) return;
    const processor = this.processor();
    const { jobQueueFilling, jobProcessing } = processor ?? {};
    if (!processor || typeof jobQueueFilling !== 'function' || typeof jobProcessing !== 'function') return;
    setImmediate(() => {
      if (!this.workersRunning || processor.isRunning === false) return;
      jobQueueFilling
        .call(processor, name)
        .then(() => jobProcessing.call(processor))
        .catch((error) => this.log.warn({ err: error, job: name }, 'could not look for the next job; the next poll will'));
    });
  }

  private clock(): Clock {
    const now = new Date();
    const longest = Math.max(this.lockLifetimeMs, ...[...this.definitions.values()].map((d) => d.lockLifetimeMs));
    return { now, staleBefore: new Date(now.getTime() - longest) };
  }

  private assertOpen(): void {
    if (this.stopped) throw new Error('The job queue was stopped.');
  }
}

/**
 * Agenda 6 on MongoDB (mongoUrl) or on Ferry's PostgreSQL: one code path, only the store and
 * backend differ. Agenda's retries are off (no backoff is defined) and finished jobs are kept,
 * so the API can list their history.
 */
export async function createJobQueue(options: JobQueueOptions): Promise<JobQueue> {
  const log = options.logger.child({ component: 'job-queue' });
  const store = options.mongoUrl
    ? await openMongoJobStore(options.mongoUrl, log, options.mongoConnectTimeoutMs ?? DEFAULT_MONGO_CONNECT_TIMEOUT_MS)
    : await openPostgresJobStore(options.databaseUrl, log);
  try {
    const { Agenda } = await import('agenda');
    const lockLifetimeMs = options.lockLifetimeMs ?? DEFAULT_LOCK_LIFETIME_MS;
    const agenda = new Agenda({
      backend: preconnected(store),
      name: options.name ?? `ferry@${os.hostname()}:${process.pid}`,
      processEvery: options.processEveryMs ?? 1000,
      defaultConcurrency: DEFAULT_CONCURRENCY,
      defaultLockLifetime: lockLifetimeMs,
      removeOnComplete: false,
    });
    await agenda.ready;
    return new AgendaJobQueue(agenda, store, log, lockLifetimeMs, options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS, options.observer);
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
}
