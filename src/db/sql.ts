import type { Knex } from 'knex';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Runs a statement on the EntityManager's transaction (or the pool) and returns its rows. It goes
 * through knex, not `em.execute`: MikroORM formats the parameters into the SQL text and turns an
 * array into a list (`any('a', 'b')`), whereas knex hands an array to pg as ONE bind parameter,
 * which is what `= any(?::uuid[])` and `unnest(?::text[])` need, whatever the array's length.
 */
export async function sqlRows<T = any>(em: EntityManager, sql: string, params: readonly unknown[] = []): Promise<T[]> {
  const knex: Knex = em.getTransactionContext<Knex.Transaction>() ?? em.getKnex();
  const result = (await knex.raw(sql, params as readonly Knex.RawBinding[])) as { rows: T[] };
  return result.rows;
}
