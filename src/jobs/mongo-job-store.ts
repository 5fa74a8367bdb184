import type { MongoBackend } from '@agendajs/mongo-backend';
import type { Collection, Document, Filter, MongoClient, ObjectId } from 'mongodb';
import type { JobListFilter } from './job-queue';
import { JobCursorError, JobState } from './job-queue';
import type { Logger } from '../observability/logger';
import type { JobDepth } from '../observability/metrics';
import {
  DEFAULT_LIST_LIMIT,
  RUN_CLAIM_KEY,
  assertPlainKeys,
  dataFilter,
  definedEntries,
  redactUrl,
  type Clock,
  type JobStore,
  type StoredJob,
} from './job-store';

/** Agenda's default collection name. */
const COLLECTION = 'agendaJobs';
const OBJECT_ID = /^[0-9a-f]{24}$/i;

/** The database named in the URL's path, or `ferry` when the URL names none. */
export function mongoDatabaseName(url: string): string {
  const path = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]*)/.exec(url)?.[1];
  return path ? decodeURIComponent(path) : 'ferry';
}

type ObjectIdClass = typeof ObjectId;

const date = (value: unknown): Date | null => (value instanceof Date ? value : null);

function fromDocument(doc: Document): StoredJob {
  return {
    id: (doc._id as ObjectId).toHexString(),
    name: String(doc.name),
    data: (doc.data as Record<string, unknown> | null) ?? {},
    nextRunAt: date(doc.nextRunAt),
    lockedAt: date(doc.lockedAt),
    lastRunAt: date(doc.lastRunAt),
    lastFinishedAt: date(doc.lastFinishedAt),
    failedAt: date(doc.failedAt),
    failReason: typeof doc.failReason === 'string' ? doc.failReason : null,
    progress: typeof doc.progress === 'number' ? doc.progress : null,
    disabled: doc.disabled === true,
    // ObjectIds grow with creation time: the id is the job's position, newest first.
    cursor: (doc._id as ObjectId).toHexString(),
  };
}

/** The state rules of stateOf() (job-store.ts) as a MongoDB filter. */
function stateFilter(state: JobState, clock: Clock): Filter<Document> {
  const started: Filter<Document> = {
    lockedAt: { $gt: clock.staleBefore },
    $or: [{ nextRunAt: null }, { nextRunAt: { $lte: clock.now } }],
  };
  const finished: Filter<Document> = { disabled: { $ne: true }, nextRunAt: null, lockedAt: null };
  switch (state) {
    case JobState.RUNNING:
      return started;
    case JobState.CANCELLED:
      return { $nor: [started], disabled: true };
    case JobState.QUEUED:
      return { $nor: [started], disabled: { $ne: true }, $or: [{ nextRunAt: { $ne: null } }, { lockedAt: { $ne: null } }] };
    case JobState.FAILED:
      return { ...finished, failedAt: { $ne: null } };
    case JobState.COMPLETED:
      return { ...finished, failedAt: null };
  }
}

const prefixed = (values: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(values).map(([key, value]) => [`data.${key}`, value]));

class MongoJobStore implements JobStore {
  readonly kind = 'mongodb';

  constructor(
    private readonly client: MongoClient,
    private readonly jobs: Collection<Document>,
    private readonly ObjectIdType: ObjectIdClass,
    readonly backend: MongoBackend,
  ) {}

  private objectId(id: string): ObjectId | null {
    return OBJECT_ID.test(id) ? new this.ObjectIdType(id) : null;
  }

  async get(id: string): Promise<StoredJob | null> {
    const _id = this.objectId(id);
    if (!_id) return null;
    const doc = await this.jobs.findOne({ _id });
    return doc ? fromDocument(doc) : null;
  }

  async findWaiting(name: string, match: Record<string, unknown>): Promise<string | null> {
    const doc = await this.jobs.findOne(
      { name, ...prefixed(match), lockedAt: null, nextRunAt: { $ne: null }, disabled: { $ne: true } },
      { sort: { nextRunAt: 1 }, projection: { _id: 1 } },
    );
    return doc ? (doc._id as ObjectId).toHexString() : null;
  }

  async findWaitingMany(name: string, matches: Record<string, unknown>[]): Promise<(string | null)[]> {
    // One query per match: MongoDB tests run only where MONGODB_URL is set, and this keeps the
    // one shape findWaiting has (its index use is Agenda's).
    const found: (string | null)[] = [];
    for (const match of matches) found.push(await this.findWaiting(name, match));
    return found;
  }

  async claim(id: string, seen: string | null, token: string): Promise<boolean> {
    const _id = this.objectId(id);
    if (!_id) return false;
    const result = await this.jobs.updateOne({ _id, [`data.${RUN_CLAIM_KEY}`]: seen }, { $set: { [`data.${RUN_CLAIM_KEY}`]: token } });
    return result.matchedCount === 1;
  }

  async mergeData(id: string, token: string, patch: Record<string, unknown>): Promise<boolean> {
    assertPlainKeys(patch);
    const _id = this.objectId(id);
    if (!_id) return false;
    const values = definedEntries(patch);
    const filter = { _id, [`data.${RUN_CLAIM_KEY}`]: token };
    const result =
      Object.keys(values).length > 0
        ? await this.jobs.updateOne(filter, { $set: prefixed(values) })
        : { matchedCount: await this.jobs.countDocuments(filter) };
    return result.matchedCount === 1;
  }

  async release(jobs: Array<{ id: string; lockedAt?: Date }>): Promise<void> {
    for (const job of jobs) {
      const _id = this.objectId(job.id);
      if (!_id) continue;
      const held = { _id, lockedAt: job.lockedAt ?? { $ne: null } };
      await this.jobs.updateOne({ ...held, nextRunAt: null }, { $set: { nextRunAt: new Date() } });
      await this.jobs.updateOne(held, { $set: { lockedAt: null } });
    }
  }

  async requestCancel(id: string): Promise<boolean> {
    const _id = this.objectId(id);
    if (!_id) return false;
    const result = await this.jobs.updateOne(
      { _id, $or: [{ nextRunAt: { $ne: null } }, { lockedAt: { $ne: null } }, { disabled: true }] },
      { $set: { disabled: true } },
    );
    return result.matchedCount === 1;
  }

  async deleteFinished(before: Date, limit: number): Promise<number> {
    // As on PostgreSQL: not locked, and completed/failed (no next run) or cancelled; a job that
    // never ran (no lastFinishedAt) is dated by its id's creation time.
    const finished: Filter<Document> = {
      lockedAt: null,
      $and: [
        { $or: [{ nextRunAt: null }, { disabled: true }] },
        { $or: [{ lastFinishedAt: { $lt: before } }, { lastFinishedAt: null, _id: { $lt: this.ObjectIdType.createFromTime(Math.floor(before.getTime() / 1000)) } }] },
      ],
    };
    const ids = (await this.jobs.find(finished, { projection: { _id: 1 }, limit }).toArray()).map((doc) => doc._id);
    if (ids.length === 0) return 0;
    // The filter again: a job re-queued since it was found stays.
    const result = await this.jobs.deleteMany({ _id: { $in: ids }, ...finished });
    return result.deletedCount;
  }

  async withdrawCancel(id: string): Promise<void> {
    const _id = this.objectId(id);
    if (_id) await this.jobs.updateOne({ _id, disabled: true }, { $set: { disabled: false } });
  }

  async list(filter: JobListFilter, clock: Clock): Promise<StoredJob[]> {
    const parts = this.parts(filter, clock);
    // Newest first: _id descending; reading from the end runs the other way.
    if (filter.after !== undefined) parts.push({ _id: { $lt: this.cursorId(filter.after, 'after') } });
    if (filter.before !== undefined) parts.push({ _id: { $gt: this.cursorId(filter.before, 'before') } });
    const docs = await this.jobs
      .find(parts.length > 0 ? { $and: parts } : {})
      .sort({ _id: filter.fromEnd ? 1 : -1 })
      .limit(filter.limit ?? DEFAULT_LIST_LIMIT)
      .toArray();
    return docs.map(fromDocument);
  }

  count(filter: JobListFilter, clock: Clock): Promise<number> {
    const parts = this.parts(filter, clock);
    return this.jobs.countDocuments(parts.length > 0 ? { $and: parts } : {});
  }

  private parts(filter: JobListFilter, clock: Clock): Filter<Document>[] {
    const parts: Filter<Document>[] = [];
    if (filter.name !== undefined) parts.push({ name: filter.name });
    const match = dataFilter(filter);
    if (Object.keys(match).length > 0) parts.push(prefixed(match));
    if (filter.state !== undefined) parts.push(stateFilter(filter.state, clock));
    return parts;
  }

  private cursorId(cursor: string, argument: 'after' | 'before'): ObjectId {
    if (!OBJECT_ID.test(cursor)) throw new JobCursorError(argument);
    return new this.ObjectIdType(cursor);
  }

  async depth(clock: Clock): Promise<JobDepth[]> {
    const started = { $and: [{ $gt: ['$lockedAt', clock.staleBefore] }, { $or: [{ $eq: [{ $ifNull: ['$nextRunAt', null] }, null] }, { $lte: ['$nextRunAt', clock.now] }] }] };
    const waiting = { $and: [{ $not: [started] }, { $ne: ['$disabled', true] }] };
    const due = { $and: [waiting, { $or: [{ $eq: [{ $ifNull: ['$nextRunAt', null] }, null] }, { $lte: ['$nextRunAt', clock.now] }] }] };
    const scheduled = { $and: [waiting, { $gt: ['$nextRunAt', clock.now] }] };
    const rows = await this.jobs
      .aggregate([
        { $match: { $or: [{ nextRunAt: { $ne: null } }, { lockedAt: { $ne: null } }] } },
        {
          $group: {
            _id: '$name',
            due: { $sum: { $cond: [due, 1, 0] } },
            scheduled: { $sum: { $cond: [scheduled, 1, 0] } },
            running: { $sum: { $cond: [started, 1, 0] } },
            oldestDue: { $min: { $cond: [{ $and: [due, { $ne: [{ $ifNull: ['$nextRunAt', null] }, null] }] }, '$nextRunAt', null] } },
          },
        },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    return rows.map((row) => ({
      name: String(row._id),
      due: row.due as number,
      scheduled: row.scheduled as number,
      running: row.running as number,
      oldestDueSeconds: row.oldestDue instanceof Date ? Math.max(0, (clock.now.getTime() - row.oldestDue.getTime()) / 1000) : 0,
    }));
  }

  async announce(): Promise<void> {
    // Agenda on MongoDB polls (a change stream would need a replica set): nothing to announce.
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/**
 * Connects to MONGODB_URL and checks it answers before Agenda sees it: Agenda would turn a bad
 * URL into an unhandled rejection and never become ready.
 */
export async function openMongoJobStore(url: string, logger: Logger, connectTimeoutMs: number): Promise<JobStore> {
  const { MongoBackend, MongoClient, ObjectId: ObjectIdType } = await import('@agendajs/mongo-backend');
  const where = `MONGODB_URL=${redactUrl(url)}`;
  let client: MongoClient;
  try {
    client = new MongoClient(url, { serverSelectionTimeoutMS: connectTimeoutMs, connectTimeoutMS: connectTimeoutMs, appName: 'ferry-jobs' });
  } catch (error) {
    throw new Error(`Invalid ${where}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  try {
    await client.connect();
    const db = client.db(mongoDatabaseName(url));
    await db.command({ ping: 1 });
    const backend = new MongoBackend({ mongo: db, collection: COLLECTION });
    await backend.connect();
    const jobs = db.collection(COLLECTION);
    // list() filters on these and sorts newest first; Agenda's own index serves the workers.
    await jobs.createIndex({ 'data.organizationId': 1, _id: -1 }, { name: 'ferry_organization_jobs' });
    await jobs.createIndex({ 'data.targetId': 1, _id: -1 }, { name: 'ferry_target_jobs' });
    logger.info({ mongodb: redactUrl(url) }, 'job queue on MongoDB');
    return new MongoJobStore(client, jobs, ObjectIdType, backend);
  } catch (error) {
    await client.close().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot use MongoDB for the job queue (${where}): ${reason}`, { cause: error });
  }
}
