import { MikroORM, defineConfig, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import pg from 'pg';
import { ChangeLogSubscriber } from '../changelog/change-log.subscriber';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { entities } from './entities';
import { migrationsList } from './migrations';

export function ormConfig(clientUrl: string, logger?: Logger): Options {
  return defineConfig({
    clientUrl,
    entities,
    extensions: [Migrator],
    subscribers: [new ChangeLogSubscriber()],
    allowGlobalContext: false,
    forceUtcTimezone: true,
    pool: { min: 1, max: 20 },
    migrations: {
      migrationsList,
      pathTs: 'src/db/migrations',
      path: 'src/db/migrations',
      emit: 'ts',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
    // Agenda's job tables live in the same database but are Agenda's: never part of a migration diff.
    schemaGenerator: { skipTables: ['agenda_jobs', 'agenda_logs'] },
    debug: false,
    logger: (message) => logger?.debug({ component: 'mikro-orm' }, message),
  });
}

/** Session advisory lock held while migrations run ("FerM"), so that processes starting together take turns. */
export const MIGRATION_LOCK = 0x4665724d;

/**
 * Runs `work` while holding {@link MIGRATION_LOCK} on a connection of its own. Ferry processes
 * started at the same moment on a fresh database would otherwise all create the same tables and
 * all but one fail (`duplicate key value violates unique constraint "pg_type_..."`); with the
 * lock, the first applies the migrations and the others find nothing left to do.
 */
export async function withMigrationLock<T>(clientUrl: string, logger: Logger, work: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: clientUrl, application_name: 'ferry-migrations' });
  // A connection dropped while waiting or holding the lock is reported by the query that fails.
  client.on('error', (error) => logger.warn({ err: error }, 'the migration lock connection failed'));
  await client.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK]);
    if (!rows[0].locked) {
      logger.info('another Ferry process is applying database migrations; waiting for it');
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    }
    try {
      return await work();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    }
  } finally {
    // Closing the session releases the lock in any case.
    await client.end().catch(() => undefined);
  }
}

/** Connects, applies the checked-in migrations and counts SQL statements for `/metrics`. */
export async function openDatabase(clientUrl: string, logger: Logger, metrics?: Metrics): Promise<MikroORM> {
  const orm = await MikroORM.init(ormConfig(clientUrl, logger));
  try {
    const applied = await withMigrationLock(clientUrl, logger, () => orm.getMigrator().up());
    if (applied.length > 0) logger.info({ migrations: applied.map((m) => m.name) }, 'applied database migrations');
  } catch (error) {
    await orm.close().catch(() => undefined);
    throw error;
  }
  if (metrics) orm.em.getKnex().client.on('query', () => metrics.sqlQueries.inc());
  return orm;
}
