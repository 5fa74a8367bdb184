import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Logger } from '../../observability/logger';
import { isSealed, open } from '../../security/secret-box';
import { migrationsList } from '../migrations';
import { withMigrationLock } from '../orm';
import { AGENDA_TABLES, applyCopySettings, currentSchema, JOBS_TABLE, listForeignKeys, listSequences, listTables, migrationsTableName, qualified, quote, type Queryable } from './catalog';
import { BackupFormatError, ByteReader, parseManifest, type BackupManifest, type BackupTrailer } from './format';

/** The restore was refused before anything changed (a non-empty database, a newer backup, ...). */
export class RestoreRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreRefusedError';
  }
}

function openBackup(file: string): { reader: ByteReader; close(): void } {
  const input = createReadStream(file);
  const gunzip = createGunzip();
  input.on('error', (error) => gunzip.destroy(error));
  input.pipe(gunzip);
  const source = (async function* () {
    try {
      for await (const chunk of gunzip) yield chunk as Buffer;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EACCES') throw new Error(`Cannot read ${file}: ${(error as Error).message}`);
      throw new BackupFormatError(file, `it is damaged or truncated (${(error as Error).message})`);
    }
  })();
  return { reader: new ByteReader(source, file), close: () => (input.destroy(), gunzip.destroy()) };
}

/** The manifest of a backup file, read without touching any database. */
export async function readManifest(file: string): Promise<BackupManifest> {
  const backup = openBackup(file);
  try {
    const magic = await backup.reader.line('the file header');
    return parseManifest(file, magic, await backup.reader.line('the manifest'));
  } finally {
    backup.close();
  }
}

/**
 * The migrations to apply to a database holding `applied` so that it is at the backup's version;
 * refused when the backup comes from a newer Ferry or the database is at another version.
 */
export function migrationsToApply(manifest: BackupManifest, applied: string[]): string[] {
  const known = migrationsList.map((migration) => migration.name);
  const wanted = manifest.migrations.map((migration) => migration.name);
  const unknown = wanted.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new RestoreRefusedError(
      `This backup was made by a newer Ferry (${manifest.ferryVersion}): its schema has migration(s) this Ferry does not know (${unknown.join(', ')}). ` +
        'Restore it with that version of Ferry or a later one.',
    );
  }
  if (wanted.some((name, i) => known[i] !== name)) {
    throw new RestoreRefusedError(`The migrations recorded in this backup (${wanted.join(', ')}) are not a beginning of this Ferry's migrations: it cannot be restored by this version.`);
  }
  if (applied.some((name, i) => wanted[i] !== name)) {
    throw new RestoreRefusedError(
      `The database's schema (${applied.length} migrations, the last ${applied.at(-1)}) is newer than or differs from the backup's (${wanted.length}, the last ${wanted.at(-1)}). ` +
        'Restore into a new, empty database.',
    );
  }
  return wanted.slice(applied.length);
}

export interface RestoreOptions {
  orm: MikroORM;
  databaseUrl: string;
  file: string;
  logger: Logger;
  /** Restore even when the secrets key in use cannot decrypt the backup's target secrets. */
  allowUndecryptableSecrets?: boolean;
}

export interface RestoreSummary {
  manifest: BackupManifest;
  rows: Record<string, number>;
  migrationsApplied: string[];
  /** Migrations this Ferry has beyond the backup's: applied when Ferry starts (or `ferry migrate`). */
  newerMigrations: number;
  /** Names of targets whose secrets the key in use cannot decrypt (only with allowUndecryptableSecrets). */
  undecryptable: string[];
}

async function tablesHoldingRows(db: Queryable, schema: string, tables: string[]): Promise<string[]> {
  const holding: string[] = [];
  for (const table of tables) {
    const { rows } = await db.query<{ any: boolean }>(`select exists (select 1 from ${qualified(schema, table)}) as any`);
    if (rows[0].any) holding.push(table);
  }
  return holding;
}

/**
 * Creates the Agenda tables (jobs and job logs, their indexes and trigger) with Agenda's own schema
 * code, as Ferry's job store does at start, but on this transaction's connection.
 */
async function createAgendaTables(client: pg.ClientBase): Promise<void> {
  const { PostgresBackend } = await import('@agendajs/postgres-backend');
  const pool = { connect: async () => ({ query: (sql: string) => client.query(sql), release() {} }) };
  await new PostgresBackend({ pool: pool as unknown as pg.Pool, tableName: JOBS_TABLE, ensureSchema: true, disableNotifications: true }).connect();
}

/**
 * Restores a backup into an empty database, all in one transaction: the migrations up to the
 * backup's version (the server's own migrator), each table loaded with COPY FROM STDIN, the
 * sequences set, the foreign keys checked, the target secrets tried with the key in use. Holds the
 * migration lock throughout, so that a Ferry starting meanwhile waits and then finds the data.
 *
 * Foreign keys are dropped before loading and added back after it (which checks every row, as
 * pg_restore does), rather than `session_replication_role = replica`: that needs a superuser,
 * while dropping and adding constraints needs only the owner of the tables, which the restoring
 * role is since its migrations just created them. User triggers are disabled while loading (the
 * owner may), so that no trigger writes rows of its own.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreSummary> {
  const { orm, file, logger } = options;
  const manifest = await readManifest(file);
  if (manifest.migrationsTable !== migrationsTableName()) {
    throw new BackupFormatError(file, `its migrations table is ${manifest.migrationsTable}, Ferry's is ${migrationsTableName()}`);
  }
  migrationsToApply(manifest, []);
  const connection = orm.em.getConnection();
  let createdMigrationsTable = false;
  try {
    return await withMigrationLock(options.databaseUrl, logger, () =>
      connection.transactional(async (trx) => {
        // The connection of this transaction: knex hands a transaction's own connection out.
        const client = (await (trx as unknown as { client: { acquireConnection(): Promise<pg.ClientBase> } }).client.acquireConnection()) as pg.ClientBase;
        await applyCopySettings(client);
        const schema = await currentSchema(client);
        if (schema !== manifest.schema) logger.warn({ from: manifest.schema, to: schema }, 'restoring into another schema than the backup was taken from');

        // 1. Only into an empty database: no rows in any table (an empty schema, or one that
        //    `ferry migrate` created, is fine), and not at a newer version than the backup.
        const existing = await listTables(client, schema);
        const hadMigrationsTable = existing.some((table) => table.name === manifest.migrationsTable);
        createdMigrationsTable = !hadMigrationsTable;
        const holding = await tablesHoldingRows(client, schema, existing.map((table) => table.name).filter((name) => name !== manifest.migrationsTable));
        if (holding.length > 0) {
          throw new RestoreRefusedError(
            `The database already holds data (rows in ${holding.slice(0, 5).join(', ')}${holding.length > 5 ? `, and ${holding.length - 5} more tables` : ''}): ` +
              'a backup is restored only into an empty database. Nothing was changed. Use a new FERRY_DATA_DIR (embedded PostgreSQL) or a new, empty database (DATABASE_URL).',
          );
        }
        const applied = hadMigrationsTable
          ? (await client.query<{ name: string }>(`select name from ${qualified(schema, manifest.migrationsTable)} order by id`)).rows.map((row) => row.name)
          : [];
        const pending = migrationsToApply(manifest, applied);

        // 2. The schema at the backup's version, by the migrator the server uses.
        if (pending.length > 0) await orm.getMigrator().up({ migrations: pending, transaction: trx });
        let tables = await listTables(client, schema);
        if (manifest.tables.some((table) => AGENDA_TABLES.includes(table.name) && !tables.some((existing) => existing.name === table.name))) {
          await createAgendaTables(client);
          tables = await listTables(client, schema);
        }
        const columnsOf = new Map(tables.map((table) => [table.name, new Set(table.columns)]));
        for (const table of manifest.tables) {
          const columns = columnsOf.get(table.name);
          if (!columns) throw new BackupFormatError(file, `its table ${table.name} is not part of Ferry's schema at the backup's version`);
          const missing = table.columns.filter((column) => !columns.has(column));
          if (missing.length > 0) throw new BackupFormatError(file, `table ${table.name} has columns the schema lacks (${missing.join(', ')})`);
        }
        const sequences = new Set(await listSequences(client, schema));
        const strange = manifest.sequences.filter((sequence) => !sequences.has(sequence.name));
        if (strange.length > 0) throw new BackupFormatError(file, `its sequences ${strange.map((s) => s.name).join(', ')} are not part of Ferry's schema`);

        // 3. Load: foreign keys off (added back below), user triggers off, the tables emptied of
        //    whatever the migrations seeded, then COPY FROM STDIN, table by table.
        const foreignKeys = await listForeignKeys(client, schema);
        for (const fk of foreignKeys) await client.query(`alter table ${qualified(schema, fk.table)} drop constraint ${quote(fk.name)}`);
        for (const table of manifest.tables) await client.query(`alter table ${qualified(schema, table.name)} disable trigger user`);
        await client.query(`truncate ${manifest.tables.map((table) => qualified(schema, table.name)).join(', ')}`);

        const backup = openBackup(file);
        const rows: Record<string, number> = {};
        try {
          await backup.reader.line('the file header');
          await backup.reader.line('the manifest');
          for (const table of manifest.tables) {
            const copy = client.query(copyFrom(`copy ${qualified(schema, table.name)} (${table.columns.map(quote).join(', ')}) from stdin`));
            await pipeline(Readable.from(backup.reader.frames(table.name)), copy);
            rows[table.name] = copy.rowCount;
          }
          let trailer: BackupTrailer;
          try {
            trailer = JSON.parse(await backup.reader.line('the trailer')) as BackupTrailer;
          } catch (error) {
            if (error instanceof BackupFormatError) throw error;
            throw new BackupFormatError(file, 'its trailer is not JSON');
          }
          if (trailer.complete !== true) throw new BackupFormatError(file, 'its trailer does not say it is complete');
          for (const table of manifest.tables) {
            if (trailer.rows[table.name] !== rows[table.name]) {
              throw new BackupFormatError(file, `table ${table.name} should have ${trailer.rows[table.name]} rows, ${rows[table.name]} were read`);
            }
          }
          if (!(await backup.reader.atEnd())) throw new BackupFormatError(file, 'something follows its trailer');
        } finally {
          backup.close();
        }

        // 4. Sequences, triggers, foreign keys (checked against every row now).
        for (const sequence of manifest.sequences) {
          await client.query('select setval($1::regclass, $2::bigint, $3)', [qualified(schema, sequence.name), sequence.lastValue, sequence.isCalled]);
        }
        for (const table of manifest.tables) await client.query(`alter table ${qualified(schema, table.name)} enable trigger user`);
        for (const fk of foreignKeys) {
          try {
            await client.query(`alter table ${qualified(schema, fk.table)} add constraint ${quote(fk.name)} ${fk.definition}`);
          } catch (error) {
            throw new BackupFormatError(file, `its data breaks the foreign key ${fk.name} of ${fk.table}: ${(error as Error).message}`);
          }
        }

        // 5. The target secrets must open with the key in use, else Ferry could not provision.
        const undecryptable: string[] = [];
        if (manifest.tables.some((table) => table.name === 'provisioning_target')) {
          const { rows: targets } = await client.query<{ name: string; secrets: string }>(`select name, secrets from ${qualified(schema, 'provisioning_target')} order by name`);
          for (const target of targets) {
            if (!isSealed(target.secrets)) continue;
            try {
              open(target.secrets);
            } catch {
              undecryptable.push(target.name);
            }
          }
        }
        if (undecryptable.length > 0 && !options.allowUndecryptableSecrets) {
          throw new RestoreRefusedError(
            `The secrets key in use cannot decrypt the secrets of ${undecryptable.length} target(s) in this backup (${undecryptable.slice(0, 5).join(', ')}): ` +
              'it is not the key that was in use when the backup was made. Nothing was restored. Put that key in place (FERRY_SECRETS_KEY, FERRY_SECRETS_KEY_FILE, ' +
              'or <FERRY_DATA_DIR>/secrets.key) and run the restore again. If that key is lost, --allow-undecryptable-secrets restores anyway; those targets ' +
                'then cannot provision until they are deleted and created again with their secrets.',
          );
        }
        return {
          manifest,
          rows,
          migrationsApplied: pending,
          newerMigrations: migrationsList.length - manifest.migrations.length,
          undecryptable,
        };
      }),
    );
  } catch (error) {
    // The migrator creates its own table outside the transaction: leave the database as it was.
    if (createdMigrationsTable) {
      await connection
        .execute(`do $$ begin if to_regclass('${quote(manifest.migrationsTable)}') is not null
                  and not exists (select 1 from ${quote(manifest.migrationsTable)}) then drop table ${quote(manifest.migrationsTable)}; end if; end $$`)
        .catch(() => undefined);
    }
    throw error;
  }
}
