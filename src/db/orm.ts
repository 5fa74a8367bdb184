import { MikroORM, defineConfig, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
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

/** Connects, applies the checked-in migrations and counts SQL statements for `/metrics`. */
export async function openDatabase(clientUrl: string, logger: Logger, metrics?: Metrics): Promise<MikroORM> {
  const orm = await MikroORM.init(ormConfig(clientUrl, logger));
  const applied = await orm.getMigrator().up();
  if (applied.length > 0) logger.info({ migrations: applied.map((m) => m.name) }, 'applied database migrations');
  if (metrics) orm.em.getKnex().client.on('query', () => metrics.sqlQueries.inc());
  return orm;
}
