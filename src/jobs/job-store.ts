import type { AgendaBackend } from 'agenda';
import { JobState, type JobInfo, type JobListFilter } from './job-queue';
import type { JobDepth } from '../observability/metrics';

/**
 * Key in a job's data that holds the token of the worker running it. Claiming it atomically at
 * the start of a run is what guarantees one runner per job, even when two workers' Agenda locks
 * overlap (a lock that expired while the job waited in one worker's local queue).
 */
export const RUN_CLAIM_KEY = '__runClaim';

/** Key in a job's data that carries the trace context of what enqueued it (W3C `traceparent`), when traced. */
export const TRACE_KEY = '__trace';

/** A job as both backends store it, with Agenda's optional fields normalised to null. */
export interface StoredJob {
  id: string;
  name: string;
  data: Record<string, unknown>;
  nextRunAt: Date | null;
  lockedAt: Date | null;
  lastRunAt: Date | null;
  lastFinishedAt: Date | null;
  failedAt: Date | null;
  failReason: string | null;
  progress: number | null;
  disabled: boolean;
  /** The job's position in list() order (newest first), as the store reads it back. */
  cursor: string;
}

/** A job for JobStore.insertMany, as Agenda's create() and schedule() would make it. */
export interface NewJob {
  name: string;
  data: Record<string, unknown>;
  priority: number;
  nextRunAt: Date;
}

/**
 * When list() and get() look: a lock older than `staleBefore` belongs to a worker that stopped
 * sending heartbeats (it died), so its job counts as waiting to be resumed, not as running.
 */
export interface Clock {
  now: Date;
  staleBefore: Date;
}

/**
 * The few operations Agenda's repository cannot do atomically, written natively for each
 * backend. Everything else (locking, running, failing) stays Agenda's.
 */
export interface JobStore {
  readonly kind: 'postgres' | 'mongodb';
  /** Agenda's backend on the connection this store opened and checked. */
  readonly backend: AgendaBackend;
  get(id: string): Promise<StoredJob | null>;
  /** The id of a job of this name whose data has these values and that has not started yet. */
  findWaiting(name: string, match: Record<string, unknown>): Promise<string | null>;
  /** findWaiting for many matches in one round trip: the waiting job's id per match, or null. */
  findWaitingMany(name: string, matches: Record<string, unknown>[]): Promise<(string | null)[]>;
  /**
   * Inserts new jobs (type normal, not locked) in one statement and returns their ids in order;
   * absent where the backend saves through Agenda one job at a time. Nothing is announced.
   */
  insertMany?(jobs: NewJob[], lastModifiedBy: string | null): Promise<string[]>;
  /**
   * Taking jobs along (RunningJob.takeAlong); absent on backends that run each job on its own.
   * due: waiting jobs of the name whose data contains `match`, due now, in run-time order.
   * take: locks and claims those still waiting, returns them. touch: refreshes their locks.
   * finish: ends them (completed, or failed with a reason) if this claim still holds them.
   */
  taking?: {
    due(name: string, match: Record<string, unknown>, exceptId: string, limit: number): Promise<{ id: string; data: Record<string, unknown> }[]>;
    take(ids: string[], token: string, lastModifiedBy: string | null): Promise<{ id: string; data: Record<string, unknown> }[]>;
    touch(ids: string[], token: string): Promise<void>;
    finish(results: { id: string; error: string | null }[], token: string): Promise<void>;
  };
  /** Makes `token` the run claim if the claim is still `seen`; false when another worker won. */
  claim(id: string, seen: string | null, token: string): Promise<boolean>;
  /** Merges top-level keys into the data of a job this worker still holds the claim of. */
  mergeData(id: string, token: string, patch: Record<string, unknown>): Promise<boolean>;
  /**
   * Unlocks jobs this worker locked but did not start. A job resumed from a dead worker has no
   * nextRunAt any more: it gets one, or it would look finished and never run. With `lockedAt`,
   * only a lock still equal to it is released (it may have expired and been taken since).
   */
  release(jobs: Array<{ id: string; lockedAt?: Date }>): Promise<void>;
  /** Disables a job that has not finished (or was cancelled before); false otherwise. */
  requestCancel(id: string): Promise<boolean>;
  /**
   * Retention: deletes at most `limit` finished jobs (completed, failed, or cancelled and not
   * running) that finished (or were last changed, when they never ran) before `before`, in one
   * statement; waiting and running jobs, and jobs a dead worker still holds, are never touched.
   * Returns how many went: a caller deletes everything old by calling until it gets less than `limit`.
   */
  deleteFinished(before: Date, limit: number): Promise<number>;
  /** Enables a job again: its run finished without noticing the cancellation, so it did not stop. */
  withdrawCancel(id: string): Promise<void>;
  /** Newest first (fromEnd: oldest first), between the filter's cursors. */
  list(filter: JobListFilter, clock: Clock): Promise<StoredJob[]>;
  count(filter: JobListFilter, clock: Clock): Promise<number>;
  /** Unfinished jobs counted by name and state (stateOf's rules), in one query. */
  depth(clock: Clock): Promise<JobDepth[]>;
  /** Tells workers in other processes about a new job when Agenda's own channel is not up. */
  announce(job: { id: string; name: string; nextRunAt: Date | null; priority: number }): Promise<void>;
  close(): Promise<void>;
}

/**
 * The state rules, shared by list() filters (translated to SQL and MongoDB queries by the
 * stores) and by the mapping of each job:
 * - RUNNING: held by a live worker and due (a job locked ahead of its run time still waits);
 * - CANCELLED: otherwise, disabled (cancel disables; a running job stays RUNNING until it stops);
 * - QUEUED: otherwise, still to run (nextRunAt set), or left by a dead worker (stale lock);
 * - FAILED / COMPLETED: finished, with or without a failure.
 */
export function stateOf(job: StoredJob, clock: Clock): JobState {
  const started =
    job.lockedAt !== null &&
    job.lockedAt > clock.staleBefore &&
    (job.nextRunAt === null || job.nextRunAt <= clock.now);
  if (started) return JobState.RUNNING;
  if (job.disabled) return JobState.CANCELLED;
  if (job.nextRunAt !== null || job.lockedAt !== null) return JobState.QUEUED;
  return job.failedAt !== null ? JobState.FAILED : JobState.COMPLETED;
}

/** A job queue that can prune its finished jobs (JobStore.deleteFinished, through the queue). */
export interface FinishedJobPruning {
  deleteFinished(before: Date, limit: number): Promise<number>;
}

export function prunesFinishedJobs(queue: object): queue is FinishedJobPruning {
  return typeof (queue as Partial<FinishedJobPruning>).deleteFinished === 'function';
}

export function withoutBookkeeping(data: Record<string, unknown>): Record<string, unknown> {
  if (!(RUN_CLAIM_KEY in data) && !(TRACE_KEY in data)) return data;
  const { [RUN_CLAIM_KEY]: _claim, [TRACE_KEY]: _trace, ...rest } = data;
  return rest;
}

export function toJobInfo(job: StoredJob, clock: Clock): JobInfo {
  const state = stateOf(job, clock);
  return {
    id: job.id,
    name: job.name,
    data: withoutBookkeeping(job.data),
    state,
    nextRunAt: state === JobState.QUEUED ? job.nextRunAt : null,
    lastRunAt: job.lastRunAt,
    lastFinishedAt: job.lastFinishedAt,
    failReason: state === JobState.FAILED ? job.failReason : null,
    progress: job.progress,
    cursor: job.cursor,
  };
}

/** The fields list() filters data on: JobListFilter's organizationId and targetId. */
export function dataFilter(filter: JobListFilter): Record<string, string> {
  const match: Record<string, string> = {};
  if (filter.organizationId !== undefined) match.organizationId = filter.organizationId;
  if (filter.targetId !== undefined) match.targetId = filter.targetId;
  return match;
}

export const DEFAULT_LIST_LIMIT = 100;

/** A connection string fit for logs and error messages: the password is replaced. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/]*)@/i, (_match, scheme: string, userInfo: string) => {
    const colon = userInfo.indexOf(':');
    return `${scheme}${colon < 0 ? userInfo : `${userInfo.slice(0, colon)}:***`}@`;
  });
}

/** Top-level data keys that both backends can write one by one. */
export function assertPlainKeys(patch: Record<string, unknown>): void {
  for (const key of Object.keys(patch)) {
    if (key === '' || key.startsWith('$') || key.includes('.') || key === RUN_CLAIM_KEY || key === TRACE_KEY) {
      throw new Error(`Job data key "${key}" cannot be saved: keys must not be empty, start with $, contain dots or be ${RUN_CLAIM_KEY}.`);
    }
  }
}

export function definedEntries(patch: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
}
