import pg from 'pg';
import { ormConfig } from '../orm';

/** What the catalog says about Ferry's schema (the session's current schema, `public` by default). */

export interface Queryable {
  query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
export const qualified = (schema: string, name: string) => `${quote(schema)}.${quote(name)}`;

/** MikroORM's table of applied migrations, as Ferry configures it. */
export function migrationsTableName(): string {
  const migrations = ormConfig('postgresql://localhost/ferry').migrations as { tableName?: string } | undefined;
  return migrations?.tableName ?? 'mikro_orm_migrations';
}

/** The Agenda jobs table that lives in Ferry's database when jobs run on PostgreSQL. */
export const JOBS_TABLE = 'agenda_jobs';
/** The tables Agenda's PostgreSQL backend creates (not Ferry's migrations): jobs and job logs. */
export const AGENDA_TABLES = [JOBS_TABLE, 'agenda_logs'];

/**
 * Session settings under which COPY's text output reads back the same everywhere (what pg_dump
 * sets): ISO dates in UTC, full float precision, hex bytea, UTF-8.
 */
export const COPY_SETTINGS = [
  "set_config('client_encoding', 'UTF8', true)",
  "set_config('DateStyle', 'ISO, YMD', true)",
  "set_config('IntervalStyle', 'postgres', true)",
  "set_config('TimeZone', 'UTC', true)",
  "set_config('extra_float_digits', '3', true)",
  "set_config('bytea_output', 'hex', true)",
  "set_config('standard_conforming_strings', 'on', true)",
];

export async function applyCopySettings(db: Queryable): Promise<void> {
  await db.query(`select ${COPY_SETTINGS.join(', ')}`);
}

export async function currentSchema(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ schema: string | null }>('select current_schema() as schema');
  if (!rows[0].schema) throw new Error('the database session has no current schema (check search_path)');
  return rows[0].schema;
}

/**
 * The tables of `schema` (ordinary and partitioned; partitions are read through their parent),
 * each with its columns in order, generated columns left out.
 */
export async function listTables(db: Queryable, schema: string): Promise<{ name: string; kind: 'r' | 'p'; columns: string[] }[]> {
  const { rows } = await db.query<{ name: string; kind: 'r' | 'p'; columns: string[] }>(
    `select c.relname as name, c.relkind as kind,
            array(select a.attname::text from pg_attribute a
                   where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
                   order by a.attnum) as columns
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind in ('r', 'p') and not c.relispartition
      order by c.relname`,
    [schema],
  );
  return rows;
}

export async function listSequences(db: Queryable, schema: string): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind = 'S' order by c.relname`,
    [schema],
  );
  return rows.map((row) => row.name);
}

export interface ForeignKey {
  table: string;
  name: string;
  definition: string;
}

/** Every foreign key whose table is in `schema`, with its definition to add it back. */
export async function listForeignKeys(db: Queryable, schema: string): Promise<ForeignKey[]> {
  const { rows } = await db.query<ForeignKey>(
    `select t.relname as table, con.conname as name, pg_get_constraintdef(con.oid) as definition
       from pg_constraint con
       join pg_class t on t.oid = con.conrelid
       join pg_namespace n on n.oid = t.relnamespace
      where n.nspname = $1 and con.contype = 'f' and con.conparentid = 0
      order by t.relname, con.conname`,
    [schema],
  );
  return rows;
}
