import { registerEnumType } from 'type-graphql';
import type { JobDepth } from '../observability/metrics';

export enum JobState {
  /** Waiting to run (now or at nextRunAt). */
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(JobState, { name: 'JobState' });

/** A list() cursor this store did not make. */
export class JobCursorError extends Error {
  constructor(readonly argument: 'after' | 'before') {
    super(`The "${argument}" cursor is not one this API returned.`);
  }
}

/** A job as listed through the API, whichever backend stores it. */
export interface JobInfo {
  id: string;
  name: string;
  data: Record<string, unknown>;
  state: JobState;
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  lastFinishedAt: Date | null;
  failReason: string | null;
  /** 0..100, set by long jobs (reprovision all). */
  progress: number | null;
  /** Where the job sits in list(): pass it as JobListFilter.after / before. */
  cursor: string;
}

export interface RunningJob<T> {
  id: string;
  data: T;
  /** Saves progress (0..100) and extra data (e.g. a resume cursor) so a restart can continue. */
  saveProgress(percent: number, data?: Partial<T>): Promise<void>;
  /** True once the job was cancelled through the API: long jobs check it between steps. */
  isCancelled(): Promise<boolean>;
  /**
   * Takes more jobs of this name along with this one, for the handler to run in the same pass:
   * the queue offers up to `limit` due, waiting jobs whose data contains `match`, in run-time
   * order; `accept` says how many of them (a prefix) to take. Taken jobs are locked and claimed
   * for this worker like this one (kept locked while it runs), show as RUNNING, and must be
   * settled with settleTaken(); any left unsettled when the handler ends wait to run again.
   * Backends that cannot (MongoDB) take none: every job then runs on its own.
   */
  takeAlong(match: Partial<T>, limit: number, accept: (due: TakenJob<T>[]) => number): Promise<TakenJob<T>[]>;
  /** Ends taken jobs: COMPLETED, or FAILED with the error as their reason. */
  settleTaken(results: { id: string; error: string | null }[]): Promise<void>;
}

/** A job taken along by a running one (RunningJob.takeAlong). */
export interface TakenJob<T> {
  id: string;
  data: T;
}

export interface DefineOptions {
  /** Jobs of this name run at most this many at once per process. */
  concurrency?: number;
  /** A running job not heard of for this long is considered dead and runs again elsewhere. */
  lockLifetimeMs?: number;
}

export interface EnqueueOptions {
  /**
   * Data fields that identify the job: while a job with the same name and the same values of
   * these fields is waiting (not yet running), enqueue returns that job instead of a new one.
   */
  dedupeOn?: string[];
  /** When to run; now when left out. */
  runAt?: Date;
}

/** One job of an enqueueMany call. */
export interface EnqueueItem<T> {
  data: T;
  /** When to run; now when left out. */
  runAt?: Date;
}

export interface JobListFilter {
  name?: string;
  /** Matches data.organizationId. */
  organizationId?: string;
  /** Matches data.targetId. */
  targetId?: string;
  state?: JobState;
  limit?: number;
  /** Jobs listed after this one's cursor (older; list() is newest first). */
  after?: string;
  /** Jobs listed before this one's cursor (newer). */
  before?: string;
  /** Reads from the end of the list (or from `before`) towards its start: oldest first. */
  fromEnd?: boolean;
}

/** Told when a job starts in this process (how long after its run time) and when it ends. */
export interface JobRunObserver {
  started(name: string, waitedMs: number): void;
  finished(name: string, failed: boolean, ranMs: number): void;
}

/**
 * Ferry's job queue: Agenda on MongoDB (MONGODB_URL) or on PostgreSQL (Ferry's database), one
 * code path, only the backend differs. A handler that throws fails its job; retries are the
 * caller's business (they are target settings, not Agenda's).
 */
export interface JobQueue {
  readonly backend: 'postgres' | 'mongodb';
  define<T>(name: string, handler: (job: RunningJob<T>) => Promise<void>, options?: DefineOptions): void;
  enqueue<T extends Record<string, unknown>>(name: string, data: T, options?: EnqueueOptions): Promise<{ jobId: string; created: boolean }>;
  /**
   * enqueue() for many jobs at once, in order: one dedupe lookup and (on PostgreSQL) one insert
   * for the lot. Requests in the same call for the same job (equal dedupeOn fields) share it.
   */
  enqueueMany<T extends Record<string, unknown>>(name: string, jobs: EnqueueItem<T>[], options?: Pick<EnqueueOptions, 'dedupeOn'>): Promise<{ jobId: string; created: boolean }[]>;
  /** Jobs newest first (fromEnd: oldest first); a cursor that no list() returned throws JobCursorError. */
  list(filter: JobListFilter): Promise<JobInfo[]>;
  /** How many jobs match the filter (its cursors and limit aside). */
  count(filter: JobListFilter): Promise<number>;
  get(jobId: string): Promise<JobInfo | null>;
  /** Jobs by name: due, scheduled for later, running (the metrics; one query). */
  depth(): Promise<JobDepth[]>;
  /** Cancels a waiting job (it will not run) or flags a running one (isCancelled() turns true). */
  cancel(jobId: string): Promise<boolean>;
  /** Starts processing jobs in this process (the server does by default; `npm run worker` too). */
  startWorkers(): Promise<void>;
  /**
   * Stops taking new jobs in this process (running ones finish); enqueue, list and cancel keep
   * working, and startWorkers() resumes. Tests use it to pile up jobs before anything runs.
   */
  stopWorkers(): Promise<void>;
  /** Waits for running jobs to finish (up to a timeout), releases locks, closes connections. */
  stop(): Promise<void>;
}
