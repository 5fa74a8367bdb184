import type { PostgresBackend } from '@agendajs/postgres-backend';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
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
  type NewJob,
  type StoredJob,
} from './job-store';

/** Agenda's own table (and LISTEN/NOTIFY channel) in Ferry's database. */
const TABLE = 'agenda_jobs';
const CHANNEL = 'agenda_jobs';
/** Serialises schema set-up when a server and workers start at the same time. */
const SCHEMA_LOCK = 'ferry:agenda_jobs:schema';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/**
 * Finished, for retention: not locked (a dead worker's job is resumed, not finished) and either
 * with no next run (completed or failed) or cancelled. Also the predicate of the partial index
 * that serves deleteFinished.
 */
const FINISHED = '(locked_at IS NULL AND (next_run_at IS NULL OR disabled IS TRUE))';

interface JobRow {
  id: string;
  name: string;
  data: Record<string, unknown> | null;
  next_run_at: Date | null;
  locked_at: Date | null;
  last_run_at: Date | null;
  last_finished_at: Date | null;
  failed_at: Date | null;
  fail_reason: string | null;
  progress: number | null;
  disabled: boolean | null;
  /** created_at as PostgreSQL writes it (microseconds and offset kept): the cursor's time. */
  created_at_text?: string;
}

/** A list cursor: the job's creation time (as text, exact) and id, base64url. */
const encodeCursor = (row: JobRow) => Buffer.from(JSON.stringify([row.created_at_text ?? '', row.id]), 'utf8').toString('base64url');

const TIMESTAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?[+-]\d\d(:\d\d){0,2}$/;

function decodeCursor(cursor: string, argument: 'after' | 'before'): [string, string] {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new JobCursorError(argument);
  }
  if (!Array.isArray(value) || value.length !== 2) throw new JobCursorError(argument);
  const [at, id] = value as unknown[];
  if (typeof at !== 'string' || !TIMESTAMP.test(at) || typeof id !== 'string' || !UUID.test(id)) throw new JobCursorError(argument);
  return [at, id];
}

function fromRow(row: JobRow): StoredJob {
  return {
    id: row.id,
    name: row.name,
    data: row.data ?? {},
    nextRunAt: row.next_run_at,
    lockedAt: row.locked_at,
    lastRunAt: row.last_run_at,
    lastFinishedAt: row.last_finished_at,
    failedAt: row.failed_at,
    failReason: row.fail_reason,
    progress: row.progress,
    disabled: row.disabled === true,
    cursor: encodeCursor(row),
  };
}

/** SQL for the state rules of stateOf() (job-store.ts). */
function stateCondition(state: JobState, bind: (value: unknown) => string, clock: Clock): string {
  // Bound only where used: PostgreSQL rejects parameters it cannot type.
  const started = () =>
    `(locked_at IS NOT NULL AND locked_at > ${bind(clock.staleBefore)}::timestamptz` +
    ` AND (next_run_at IS NULL OR next_run_at <= ${bind(clock.now)}::timestamptz))`;
  switch (state) {
    case JobState.RUNNING:
      return started();
    case JobState.CANCELLED:
      return `(NOT ${started()} AND disabled IS TRUE)`;
    case JobState.QUEUED:
      return `(NOT ${started()} AND disabled IS NOT TRUE AND (next_run_at IS NOT NULL OR locked_at IS NOT NULL))`;
    case JobState.FAILED:
      return `(disabled IS NOT TRUE AND next_run_at IS NULL AND locked_at IS NULL AND failed_at IS NOT NULL)`;
    case JobState.COMPLETED:
      return `(disabled IS NOT TRUE AND next_run_at IS NULL AND locked_at IS NULL AND failed_at IS NULL)`;
  }
}

class PostgresJobStore implements JobStore {
  readonly kind = 'postgres';

  constructor(
    private readonly pool: pg.Pool,
    readonly backend: PostgresBackend,
  ) {}

  async get(id: string): Promise<StoredJob | null> {
    if (!UUID.test(id)) return null;
    const { rows } = await this.pool.query<JobRow>(`SELECT *, created_at::text AS created_at_text FROM "${TABLE}" WHERE id = $1`, [id]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async findWaiting(name: string, match: Record<string, unknown>): Promise<string | null> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id FROM "${TABLE}"
        WHERE name = $1 AND data @> $2::jsonb
          AND locked_at IS NULL AND next_run_at IS NOT NULL AND disabled IS NOT TRUE
        ORDER BY next_run_at LIMIT 1`,
      [name, JSON.stringify(match)],
    );
    return rows[0]?.id ?? null;
  }

  async findWaitingMany(name: string, matches: Record<string, unknown>[]): Promise<(string | null)[]> {
    if (matches.length === 0) return [];
    // The earliest waiting job per match; the GIN index on data serves each containment test.
    const { rows } = await this.pool.query<{ ord: string; id: string }>(
      `SELECT DISTINCT ON (m.ord) m.ord, j.id
         FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS m(match, ord)
         JOIN "${TABLE}" j ON j.name = $1 AND j.data @> m.match
          AND j.locked_at IS NULL AND j.next_run_at IS NOT NULL AND j.disabled IS NOT TRUE
        ORDER BY m.ord, j.next_run_at`,
      [name, JSON.stringify(matches)],
    );
    const found: (string | null)[] = matches.map(() => null);
    for (const row of rows) found[Number(row.ord) - 1] = row.id;
    return found;
  }

  async insertMany(jobs: NewJob[], lastModifiedBy: string | null): Promise<string[]> {
    if (jobs.length === 0) return [];
    const ids = jobs.map(() => randomUUID());
    // The columns Agenda's own insert of a normal job writes; the rest keep their defaults.
    await this.pool.query(
      `INSERT INTO "${TABLE}" (id, name, priority, next_run_at, type, data, disabled, fork, last_modified_by)
       SELECT j.id, j.name, j.priority, j.next_run_at, 'normal', j.data, false, false, $2
         FROM jsonb_to_recordset($1::jsonb) AS j(id uuid, name text, priority int, next_run_at timestamptz, data jsonb)`,
      [JSON.stringify(jobs.map((job, i) => ({ id: ids[i], name: job.name, priority: job.priority, next_run_at: job.nextRunAt.toISOString(), data: job.data }))), lastModifiedBy],
    );
    return ids;
  }

  readonly taking: NonNullable<JobStore['taking']> = {
    due: async (name, match, exceptId, limit) => {
      const { rows } = await this.pool.query<{ id: string; data: Record<string, unknown> }>(
        `SELECT id, data FROM "${TABLE}"
          WHERE name = $1 AND data @> $2::jsonb AND id <> $3
            AND locked_at IS NULL AND next_run_at <= NOW() AND disabled IS NOT TRUE
          ORDER BY next_run_at, priority DESC LIMIT $4`,
        [name, JSON.stringify(match), exceptId, limit],
      );
      return rows;
    },
    take: async (ids, token, lastModifiedBy) => {
      if (ids.length === 0) return [];
      // What Agenda writes when it locks and starts a job, and the run claim, for each one still waiting.
      const { rows } = await this.pool.query<{ id: string; data: Record<string, unknown> }>(
        `UPDATE "${TABLE}" SET locked_at = NOW(), last_run_at = NOW(), last_modified_by = $3,
                data = jsonb_set(COALESCE(data, '{}'::jsonb), '{${RUN_CLAIM_KEY}}', to_jsonb($2::text))
          WHERE id = ANY($1::uuid[]) AND locked_at IS NULL AND next_run_at <= NOW() AND disabled IS NOT TRUE
          RETURNING id, data`,
        [ids, token, lastModifiedBy],
      );
      return rows;
    },
    touch: async (ids, token) => {
      if (ids.length === 0) return;
      await this.pool.query(`UPDATE "${TABLE}" SET locked_at = NOW() WHERE id = ANY($1::uuid[]) AND data ->> '${RUN_CLAIM_KEY}' = $2`, [ids, token]);
    },
    finish: async (results, token) => {
      if (results.length === 0) return;
      // As Agenda ends a one-off job: no next run, unlocked, finished now, failures counted. A
      // cancel that came while it ran did not stop it (nobody looked): it ran to its end.
      await this.pool.query(
        `UPDATE "${TABLE}" j SET locked_at = NULL, next_run_at = NULL, last_finished_at = NOW(), disabled = FALSE,
                failed_at = CASE WHEN r.error IS NULL THEN j.failed_at ELSE NOW() END,
                fail_reason = COALESCE(r.error, j.fail_reason),
                fail_count = CASE WHEN r.error IS NULL THEN j.fail_count ELSE COALESCE(j.fail_count, 0) + 1 END
           FROM unnest($1::uuid[], $2::text[]) AS r(id, error)
          WHERE j.id = r.id AND j.data ->> '${RUN_CLAIM_KEY}' = $3`,
        [results.map((r) => r.id), results.map((r) => r.error), token],
      );
    },
  };

  async claim(id: string, seen: string | null, token: string): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE "${TABLE}" SET data = jsonb_set(COALESCE(data, '{}'::jsonb), '{${RUN_CLAIM_KEY}}', to_jsonb($3::text))
        WHERE id = $1 AND (data ->> '${RUN_CLAIM_KEY}') IS NOT DISTINCT FROM $2`,
      [id, seen, token],
    );
    return result.rowCount === 1;
  }

  async mergeData(id: string, token: string, patch: Record<string, unknown>): Promise<boolean> {
    assertPlainKeys(patch);
    const result = await this.pool.query(
      `UPDATE "${TABLE}" SET data = COALESCE(data, '{}'::jsonb) || $3::jsonb
        WHERE id = $1 AND data ->> '${RUN_CLAIM_KEY}' = $2`,
      [id, token, JSON.stringify(definedEntries(patch))],
    );
    return result.rowCount === 1;
  }

  async release(jobs: Array<{ id: string; lockedAt?: Date }>): Promise<void> {
    for (const job of jobs) {
      if (!UUID.test(job.id)) continue;
      await this.pool.query(
        `UPDATE "${TABLE}" SET locked_at = NULL, next_run_at = COALESCE(next_run_at, NOW())
          WHERE id = $1 AND locked_at IS NOT NULL AND ($2::timestamptz IS NULL OR locked_at = $2::timestamptz)`,
        [job.id, job.lockedAt ?? null],
      );
    }
  }

  async requestCancel(id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const result = await this.pool.query(
      `UPDATE "${TABLE}" SET disabled = TRUE
        WHERE id = $1 AND (next_run_at IS NOT NULL OR locked_at IS NOT NULL OR disabled IS TRUE)`,
      [id],
    );
    return result.rowCount === 1;
  }

  async deleteFinished(before: Date, limit: number): Promise<number> {
    // The pick locks its rows (skipping rows a worker is writing) and rechecks the conditions on
    // their latest version, so a job re-queued meanwhile is left alone. It is a materialized CTE:
    // as an `IN (subquery)` the planner may run the LIMIT subquery more than once, and with SKIP
    // LOCKED each run can pick other rows (more than `limit` deleted).
    const result = await this.pool.query(
      `WITH picked AS MATERIALIZED (
         SELECT id FROM "${TABLE}"
          WHERE ${FINISHED} AND COALESCE(last_finished_at, updated_at) < $1::timestamptz
          LIMIT $2 FOR UPDATE SKIP LOCKED)
       DELETE FROM "${TABLE}" j USING picked WHERE j.id = picked.id AND ${FINISHED}`,
      [before, limit],
    );
    return result.rowCount ?? 0;
  }

  async withdrawCancel(id: string): Promise<void> {
    await this.pool.query(`UPDATE "${TABLE}" SET disabled = FALSE WHERE id = $1 AND disabled IS TRUE`, [id]);
  }

  async list(filter: JobListFilter, clock: Clock): Promise<StoredJob[]> {
    const { conditions, params, bind } = this.conditions(filter, clock);
    // Newest first: (created_at, id) descending; reading from the end runs the other way.
    if (filter.after !== undefined) {
      const [at, id] = decodeCursor(filter.after, 'after');
      conditions.push(`(created_at, id) < (${bind(at)}::timestamptz, ${bind(id)}::uuid)`);
    }
    if (filter.before !== undefined) {
      const [at, id] = decodeCursor(filter.before, 'before');
      conditions.push(`(created_at, id) > (${bind(at)}::timestamptz, ${bind(id)}::uuid)`);
    }
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const direction = filter.fromEnd ? 'ASC' : 'DESC';
    const limit = bind(filter.limit ?? DEFAULT_LIST_LIMIT);
    const { rows } = await this.pool.query<JobRow>(
      `SELECT *, created_at::text AS created_at_text FROM "${TABLE}" ${where} ORDER BY created_at ${direction}, id ${direction} LIMIT ${limit}`,
      params,
    );
    return rows.map(fromRow);
  }

  async count(filter: JobListFilter, clock: Clock): Promise<number> {
    const { conditions, params } = this.conditions(filter, clock);
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const { rows } = await this.pool.query<{ count: number }>(`SELECT count(*)::int AS count FROM "${TABLE}" ${where}`, params);
    return rows[0].count;
  }

  /** The filter's conditions (name, data, state) in SQL, with their parameters. */
  private conditions(filter: JobListFilter, clock: Clock) {
    const params: unknown[] = [];
    const bind = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    const conditions: string[] = [];
    if (filter.name !== undefined) conditions.push(`name = ${bind(filter.name)}`);
    const match = dataFilter(filter);
    if (Object.keys(match).length > 0) conditions.push(`data @> ${bind(JSON.stringify(match))}::jsonb`);
    if (filter.state !== undefined) conditions.push(stateCondition(filter.state, bind, clock));
    return { conditions, params, bind };
  }

  async depth(clock: Clock): Promise<JobDepth[]> {
    // The unfinished jobs only (a partial index holds them): finished ones have neither a run time nor a lock.
    const { rows } = await this.pool.query<{ name: string; due: number; scheduled: number; running: number; oldest_due_seconds: number }>(
      `WITH unfinished AS (
         SELECT name, next_run_at, disabled IS TRUE AS disabled,
                (locked_at IS NOT NULL AND locked_at > $2::timestamptz AND (next_run_at IS NULL OR next_run_at <= $1::timestamptz)) AS started
           FROM "${TABLE}" WHERE next_run_at IS NOT NULL OR locked_at IS NOT NULL)
       SELECT name,
              count(*) FILTER (WHERE NOT started AND NOT disabled AND (next_run_at IS NULL OR next_run_at <= $1::timestamptz))::int AS due,
              count(*) FILTER (WHERE NOT started AND NOT disabled AND next_run_at > $1::timestamptz)::int AS scheduled,
              count(*) FILTER (WHERE started)::int AS running,
              coalesce(extract(epoch FROM $1::timestamptz - min(next_run_at) FILTER (WHERE NOT started AND NOT disabled AND next_run_at <= $1::timestamptz)), 0)::float8 AS oldest_due_seconds
         FROM unfinished GROUP BY name ORDER BY name`,
      [clock.now, clock.staleBefore],
    );
    return rows.map((row) => ({ name: row.name, due: row.due, scheduled: row.scheduled, running: row.running, oldestDueSeconds: Math.max(0, row.oldest_due_seconds) }));
  }

  async announce(job: { id: string; name: string; nextRunAt: Date | null; priority: number }): Promise<void> {
    // Agenda publishes itself once its channel is up (when this process runs workers).
    if (this.backend.notificationChannel?.state === 'connected') return;
    const payload = JSON.stringify({
      jobId: job.id,
      jobName: job.name,
      nextRunAt: job.nextRunAt?.toISOString() ?? null,
      priority: job.priority,
      timestamp: new Date().toISOString(),
    });
    await this.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * Opens the job queue's own pool on Ferry's database and lets Agenda create its table there.
 * The pool is checked first so that a bad URL is reported here, not as an unhandled rejection
 * inside Agenda.
 */
export async function openPostgresJobStore(databaseUrl: string, logger: Logger): Promise<JobStore> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10, application_name: 'ferry-jobs' });
  // Idle connections die when PostgreSQL restarts or terminates them (57P01); without this
  // listener that error would crash the process.
  pool.on('error', (error) => logger.warn({ err: error }, 'a job queue database connection failed; it will be replaced'));
  try {
    const { PostgresBackend } = await import('@agendajs/postgres-backend');
    const backend = new PostgresBackend({ pool, tableName: TABLE, channelName: CHANNEL, ensureSchema: true });
    backend.notificationChannel?.on('error', (error: Error) =>
      logger.warn({ err: error }, 'job notifications (LISTEN/NOTIFY) failed; reconnecting, polling meanwhile'),
    );
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [SCHEMA_LOCK]);
      await backend.connect();
      // list() filters on data and sorts by creation; Agenda's own indexes serve the workers.
      await client.query(`CREATE INDEX IF NOT EXISTS "${TABLE}_data_idx" ON "${TABLE}" USING gin (data jsonb_path_ops)`);
      await client.query(`CREATE INDEX IF NOT EXISTS "${TABLE}_created_at_idx" ON "${TABLE}" (created_at DESC, id DESC)`);
      // Retention (deleteFinished) finds old finished jobs without reading the rest.
      await client.query(
        `CREATE INDEX IF NOT EXISTS "${TABLE}_finished_idx" ON "${TABLE}" ((COALESCE(last_finished_at, updated_at))) WHERE ${FINISHED}`,
      );
      // depth() (the queue metrics) reads the unfinished jobs only.
      await client.query(`CREATE INDEX IF NOT EXISTS "${TABLE}_unfinished_idx" ON "${TABLE}" (name) WHERE next_run_at IS NOT NULL OR locked_at IS NOT NULL`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    return new PostgresJobStore(pool, backend);
  } catch (error) {
    await pool.end().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`The job queue cannot use PostgreSQL at ${redactUrl(databaseUrl)}: ${reason}`, { cause: error });
  }
}
