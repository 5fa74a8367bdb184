import type pg from 'pg';

/**
 * The set-based SQL of retention. Every statement reads at most `limit` index entries and deletes
 * at most `limit` rows, whatever the table's size; the pruner runs each in a short transaction
 * of its own on one connection (pruner.ts).
 */
export type Db = Pick<pg.ClientBase, 'query'>;

/** Larger than any bigint key: "no ceiling". */
export const NO_CEILING = '9223372036854775807';
export const FIRST_UUID = '00000000-0000-0000-0000-000000000000';

/** One batch of a walk: how many rows went, and where the next batch starts (null: the walk is done). */
export interface WalkStep {
  deleted: number;
  next: string | null;
}

/**
 * A log-like table walked from its oldest key: ids and sequences grow with time (bigserial
 * sequences, UUIDv7 ids), so the rows old enough to prune are a prefix. A batch scans the next
 * `limit` keys after `after` (up to `ceiling`), stops at the first row at or after the cutoff
 * (everything later is young too, give or take the few milliseconds between a row's timestamp
 * and its key), and deletes the scanned rows before it that `keep` does not protect.
 */
interface WalkedTable {
  table: string;
  key: string;
  keyType: 'bigint' | 'uuid';
  time: string;
  /** A condition on the scanned key `s.k` that keeps the row although it is old. */
  keep?: string;
}

function walkSql({ table, key, keyType, time, keep }: WalkedTable): string {
  return `
    with scanned as materialized (
      select ${key} as k, ${time} as t from ${table}
       where ${key} > $1::${keyType} and ${key} <= $2::${keyType}
       order by ${key} limit $3
    ), young as (
      select k from scanned where t >= $4::timestamptz order by k limit 1
    ), doomed as (
      select s.k from scanned s
       where (not exists (select 1 from young) or s.k < (select k from young))${keep ? ` and not (${keep})` : ''}
    ), gone as (
      delete from ${table} x using doomed d where x.${key} = d.k returning 1
    )
    select (select count(*) from gone)::int as deleted,
           (select count(*) from scanned)::int as scanned,
           exists (select 1 from young) as stopped,
           (select k::text from scanned order by k desc limit 1) as last`;
}

async function walk(db: Db, sql: string, after: string, ceiling: string, cutoff: Date, limit: number): Promise<WalkStep> {
  const { rows } = await db.query<{ deleted: number; scanned: number; stopped: boolean; last: string | null }>(sql, [after, ceiling, limit, cutoff]);
  const [row] = rows;
  const done = row.stopped || row.scanned < limit || row.last === null;
  return { deleted: row.deleted, next: done ? null : row.last };
}

/** Events an open failure notification refers to, filled once per run (pg_temp, this connection only). */
const KEPT_EVENTS = 'pg_temp.ferry_retention_kept_events';

const EVENTS_SQL = walkSql({
  table: 'provisioning_event',
  key: 'seq',
  keyType: 'bigint',
  time: 'occurred_at',
  keep: `exists (select 1 from ${KEPT_EVENTS} p where p.seq = s.k)`,
});

/**
 * Notes the events that open failure notifications refer to (the first and the last failed
 * attempt): they stay while the notification is open. A notification opened later refers to
 * events of that moment, far younger than any cutoff, so one list per run suffices.
 */
export async function noteKeptEvents(db: Db): Promise<number> {
  await db.query(`create temporary table if not exists ferry_retention_kept_events (seq bigint primary key)`);
  await db.query(`truncate ${KEPT_EVENTS}`);
  const result = await db.query(
    `insert into ${KEPT_EVENTS} (seq)
     select first_event_seq from failure_notification where resolved_at is null
      union
     select last_event_seq from failure_notification where resolved_at is null`,
  );
  return result.rowCount ?? 0;
}

export async function dropKeptEvents(db: Db): Promise<void> {
  await db.query('drop table if exists pg_temp.ferry_retention_kept_events');
}

/** Provisioning events older than the cutoff, up to `ceiling` (the replay floor), except the kept ones. */
export function pruneEvents(db: Db, after: string, ceiling: string, cutoff: Date, limit: number): Promise<WalkStep> {
  return walk(db, EVENTS_SQL, after, ceiling, cutoff, limit);
}

/**
 * engine_cursor rows that do not follow the change log by sequence: the validity sweep's cursor
 * (dispatcher.ts) keeps only a time and stays at 0. Any other cursor, including one added later,
 * holds the change log back until it has consumed it.
 */
export const CURSORS_NOT_ON_THE_CHANGE_LOG = ['validity'];

/**
 * The highest change-log sequence every consumer is past: the lowest cursor (0 while there is
 * none: nothing was consumed), and below the change of any provisioning work still pending.
 */
export async function changeLogCeiling(db: Db): Promise<string> {
  const { rows } = await db.query<{ ceiling: string }>(
    `select least(
       coalesce((select min(seq) from engine_cursor where name <> all($1::text[])), 0),
       (select min(change_seq) - 1 from provisioning_work where change_seq is not null)
     )::text as ceiling`,
    [CURSORS_NOT_ON_THE_CHANGE_LOG],
  );
  return rows[0].ceiling;
}

const CHANGE_LOG_SQL = walkSql({ table: 'change_log_entry', key: 'seq', keyType: 'bigint', time: 'occurred_at' });

/** Change-log entries older than the cutoff and at or below the consumers' ceiling. */
export function pruneChangeLog(db: Db, after: string, ceiling: string, cutoff: Date, limit: number): Promise<WalkStep> {
  return walk(db, CHANGE_LOG_SQL, after, ceiling, cutoff, limit);
}

const AUDIT_SQL = walkSql({ table: 'audit_entry', key: 'id', keyType: 'uuid', time: 'occurred_at' });

/** Audit entries older than the cutoff (ids are UUIDv7: time order). */
export function pruneAudit(db: Db, after: string, cutoff: Date, limit: number): Promise<WalkStep> {
  return walk(db, AUDIT_SQL, after, 'ffffffff-ffff-ffff-ffff-ffffffffffff', cutoff, limit);
}

/**
 * The next reconciliation runs after `after` that finished before the cutoff, walking ids
 * (UUIDv7) until a run started at or after the cutoff. Runs still RUNNING are passed over.
 */
export async function oldReconciliationRuns(db: Db, after: string, cutoff: Date, limit: number): Promise<{ ids: string[]; next: string | null }> {
  const { rows } = await db.query<{ id: string; young: boolean; finished: boolean }>(
    `select id::text, started_at >= $3::timestamptz as young, finished_at < $3::timestamptz as finished
       from reconciliation_run where id > $1::uuid order by id limit $2`,
    [after, limit, cutoff],
  );
  const stop = rows.findIndex((row) => row.young);
  const old = stop < 0 ? rows : rows.slice(0, stop);
  const done = stop >= 0 || rows.length < limit;
  return { ids: old.filter((row) => row.finished).map((row) => row.id), next: done ? null : rows[rows.length - 1].id };
}

/** At most `limit` differences of these runs (their children: a run may have thousands). */
export async function pruneDifferences(db: Db, runIds: string[], limit: number): Promise<number> {
  const result = await db.query(
    `with picked as materialized (select id from reconciliation_difference where run_id = any($1::uuid[]) limit $2)
     delete from reconciliation_difference d using picked where d.id = picked.id`,
    [runIds, limit],
  );
  return result.rowCount ?? 0;
}

/** The runs themselves, once their differences are gone (still finished before the cutoff). */
export async function pruneRuns(db: Db, runIds: string[], cutoff: Date): Promise<number> {
  const result = await db.query(`delete from reconciliation_run where id = any($1::uuid[]) and finished_at < $2::timestamptz`, [runIds, cutoff]);
  return result.rowCount ?? 0;
}
