import type { Knex } from 'knex';
import type { EntityManager } from '@mikro-orm/postgresql';

/** The statement last sent on each transaction: statements on one connection go one after the other. */
const inTransaction = new WeakMap<object, Promise<unknown>>();

/**
 * Runs a statement on the EntityManager's transaction (or the pool) and returns its rows. It goes
 * through knex, not `em.execute`: MikroORM formats the parameters into the SQL text and turns an
 * array into a list (`any('a', 'b')`), whereas knex hands an array to pg as ONE bind parameter,
 * which is what `= any(?::uuid[])` and `unnest(?::text[])` need, whatever the array's length.
 * Statements on one transaction (e.g. lookups of plugin calls running concurrently in a batch)
 * are sent in turn: a pg connection runs one at a time, and pg 9 refuses to queue them itself.
 */
export async function sqlRows<T = any>(em: EntityManager, sql: string, params: readonly unknown[] = []): Promise<T[]> {
  const transaction = em.getTransactionContext<Knex.Transaction>();
  const knex: Knex = transaction ?? em.getKnex();
  const run = async () => ((await knex.raw(sql, params as readonly Knex.RawBinding[])) as { rows: T[] }).rows;
  if (!transaction) return run();
  const previous = inTransaction.get(transaction) ?? Promise.resolve();
  const current = previous.then(run, run);
  inTransaction.set(transaction, current.catch(() => undefined));
  return current;
}
