import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { applyCopySettings, currentSchema, JOBS_TABLE, listSequences, listTables, migrationsTableName, qualified, quote } from './catalog';
import { FORMAT_VERSION, MAGIC, MAX_FRAME, frameHeader, type BackupManifest, type BackupTrailer } from './format';

export interface BackupOptions {
  databaseUrl: string;
  file: string;
  /** Where the jobs live: with MongoDB they are not in PostgreSQL, so not in the backup. */
  jobs: 'postgresql' | 'mongodb';
  /** Words for the manifest: where the secrets key is (it is never written to the backup). */
  secretsKey: string;
}

export interface BackupSummary {
  file: string;
  bytes: number;
  manifest: BackupManifest;
  rows: Record<string, number>;
}

export class NothingToBackUpError extends Error {}

function ferryVersion(): string {
  try {
    // dist/src/db/backup -> the package root
    return (require('../../../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * Writes a consistent logical snapshot of Ferry's schema to `file`: one REPEATABLE READ READ ONLY
 * transaction (every table as of one moment, while servers and workers keep running), each table
 * streamed with COPY TO STDOUT, sequence values, the migrations applied. Written to a temporary
 * name and renamed when complete, mode 0600 (it holds personal data and token hashes).
 */
export async function writeBackup(options: BackupOptions): Promise<BackupSummary> {
  const client = new pg.Client({ connectionString: options.databaseUrl, application_name: 'ferry-backup' });
  await client.connect();
  const partial = `${options.file}.partial-${process.pid}`;
  try {
    await client.query('begin isolation level repeatable read read only');
    await applyCopySettings(client);
    const schema = await currentSchema(client);
    const tables = await listTables(client, schema);
    const migrationsTable = migrationsTableName();
    if (!tables.some((table) => table.name === migrationsTable)) {
      throw new NothingToBackUpError(`the database holds no Ferry data (no ${migrationsTable} table in schema ${schema}): nothing to back up`);
    }
    const { rows: migrations } = await client.query<{ name: string; executed_at: Date | null }>(
      `select name, executed_at from ${qualified(schema, migrationsTable)} order by id`,
    );
    if (migrations.length === 0) throw new NothingToBackUpError('no migrations were ever applied to this database: nothing to back up');
    const sequences = [];
    for (const name of await listSequences(client, schema)) {
      // Sequences are not transactional: read inside the snapshot they may be ahead of it, never
      // behind (a gap in the numbers after a restore, never a duplicate).
      const { rows } = await client.query<{ last_value: string; is_called: boolean }>(`select last_value::text, is_called from ${qualified(schema, name)}`);
      sequences.push({ name, lastValue: rows[0].last_value, isCalled: rows[0].is_called });
    }
    const [{ version }] = (await client.query<{ version: string }>("select current_setting('server_version') as version")).rows;
    let sealedSecrets = 0;
    if (tables.some((table) => table.name === 'provisioning_target')) {
      const { rows } = await client.query<{ count: string }>(`select count(*)::text as count from ${qualified(schema, 'provisioning_target')} where secrets like 'v1:%'`);
      sealedSecrets = Number(rows[0].count);
    }
    const manifest: BackupManifest = {
      format: 'ferry-backup',
      version: FORMAT_VERSION,
      createdAt: new Date().toISOString(),
      ferryVersion: ferryVersion(),
      postgres: version,
      schema,
      migrations: migrations.map((row) => ({ name: row.name, executedAt: row.executed_at?.toISOString() ?? null })),
      migrationsTable,
      jobs: options.jobs,
      // The migrations table first: a reader learns the schema version before any data.
      tables: [...tables]
        .sort((a, b) => Number(b.name === migrationsTable) - Number(a.name === migrationsTable) || a.name.localeCompare(b.name))
        .map((table) => ({ name: table.name, columns: table.columns })),
      sequences,
      sealedSecrets,
      secretsKey: `not included: target secrets are encrypted with ${options.secretsKey}; back that key up separately`,
    };
    const kinds = new Map(tables.map((table) => [table.name, table.kind]));
    const rows: Record<string, number> = {};

    async function* content(): AsyncGenerator<Buffer> {
      yield Buffer.from(`${MAGIC}\n${JSON.stringify(manifest)}\n`);
      for (const table of manifest.tables) {
        const columns = table.columns.map(quote).join(', ');
        const source = kinds.get(table.name) === 'p' ? `(select ${columns} from ${qualified(schema, table.name)})` : `${qualified(schema, table.name)} (${columns})`;
        const stream = client.query(copyTo(`copy ${source} to stdout`));
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          for (let at = 0; at < chunk.length; at += MAX_FRAME) {
            const piece = chunk.subarray(at, at + MAX_FRAME);
            yield frameHeader(piece.length);
            yield piece;
          }
        }
        rows[table.name] = stream.rowCount;
        yield frameHeader(0);
      }
      const trailer: BackupTrailer = { complete: true, rows };
      yield Buffer.from(`${JSON.stringify(trailer)}\n`);
    }

    await pipeline(Readable.from(content()), createGzip(), createWriteStream(partial, { flags: 'wx', mode: 0o600 }));
    await client.query('commit');
    await rename(partial, options.file);
    return { file: options.file, bytes: (await stat(options.file)).size, manifest, rows };
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Whether the backup has the jobs table (jobs on PostgreSQL). */
export const hasJobs = (manifest: BackupManifest) => manifest.tables.some((table) => table.name === JOBS_TABLE);
