import type { Knex } from 'knex';
import type { EntityManager } from '@mikro-orm/postgresql';

/** The statement last sent on each transaction: statements on one connection go one after the other. */
const inTransaction = new WeakMap<object, Promise<unknown>>();

const ARRAY_ELEMENT_ESCAPE = /[\\"]/g;

/**
 * An array of strings, numbers, booleans and nulls as PostgreSQL's array text (`{"a","b",NULL}`),
 * which is what pg sends for it; null when an element is anything else (pg then converts it).
 * pg builds that text element by element through its general value conversion: 8-20 ms for the
 * nine 4,000-element arrays of one folder's recalculation, against about 2 ms here.
 */
export function arrayParameter(values: readonly unknown[]): string | null {
  const parts = new Array<string>(values.length);
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (value === null || value === undefined) parts[index] = 'NULL';
    else if (typeof value === 'string') parts[index] = `"${value.replace(ARRAY_ELEMENT_ESCAPE, '\\$&')}"`;
    else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') parts[index] = `"${String(value)}"`;
    else return null;
  }
  return `{${parts.join(',')}}`;
}

const bindable = (params: readonly unknown[]): readonly Knex.RawBinding[] =>
  params.map((param) => (Array.isArray(param) ? (arrayParameter(param) ?? param) : param)) as Knex.RawBinding[];

/** Sends one raw query on the EntityManager's transaction (after the statement before it), or on the pool. */
function send<R>(em: EntityManager, sql: string, params: readonly unknown[]): Promise<R> {
  const transaction = em.getTransactionContext<Knex.Transaction>();
  const knex: Knex = transaction ?? em.getKnex();
  const run = async () => (await knex.raw(sql, bindable(params))) as R;
  if (!transaction) return run();
  const previous = inTransaction.get(transaction) ?? Promise.resolve();
  const current = previous.then(run, run);
  inTransaction.set(transaction, current.catch(() => undefined));
  return current;
}

/**
 * Runs a statement on the EntityManager's transaction (or the pool) and returns its rows. It goes
 * through knex, not `em.execute`: MikroORM formats the parameters into the SQL text and turns an
 * array into a list (`any('a', 'b')`), whereas knex hands an array to pg as ONE bind parameter,
 * which is what `= any(?::uuid[])` and `unnest(?::text[])` need, whatever the array's length.
 * Statements on one transaction (e.g. lookups of plugin calls running concurrently in a batch)
 * are sent in turn: a pg connection runs one at a time, and pg 9 refuses to queue them itself.
 */
export async function sqlRows<T = any>(em: EntityManager, sql: string, params: readonly unknown[] = []): Promise<T[]> {
  return (await send<{ rows: T[] }>(em, sql, params)).rows;
}

/**
 * Runs several statements in ONE round trip and returns each one's rows, in order. Without bind
 * parameters, pg sends the text with PostgreSQL's simple query protocol, which runs the
 * statements of one string in turn (in the transaction, or as one implicit transaction on the
 * pool) and answers with a result per statement. The text must therefore carry its values
 * itself: build it with `uuidArrayLiteral`, never with unchecked input.
 */
export async function sqlRowsOfEach(em: EntityManager, statements: readonly string[]): Promise<any[][]> {
  if (statements.length === 0) return [];
  const results = await send<{ rows: any[] } | { rows: any[] }[]>(em, statements.join(';\n'), []);
  return (Array.isArray(results) ? results : [results]).map((result) => result.rows);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A uuid[] as an SQL literal (`'{…}'`), or null if any element is not a UUID: only then can the
 * value be written into a statement's text, as nothing but hex digits and dashes gets in.
 */
export function uuidArrayLiteral(values: unknown): string | null {
  if (!Array.isArray(values) || !values.every((value) => typeof value === 'string' && UUID.test(value))) return null;
  return `'{${values.join(',')}}'`;
}

/** One UUID as an SQL literal (`'…'`), or null if it is not a UUID (see uuidArrayLiteral). */
export function uuidValueLiteral(value: unknown): string | null {
  return typeof value === 'string' && UUID.test(value) ? `'${value}'` : null;
}
