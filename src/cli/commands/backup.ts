import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveDatabase } from '../../backends';
import { hasJobs, NothingToBackUpError, secretsKeyLocation, writeBackup } from '../../db/backup';
import { localConfig, say } from './local';

export const help = `usage: ferry backup --out FILE [--force]
Writes a consistent snapshot of Ferry's PostgreSQL data to FILE (gzip): every table of Ferry's
schema as of one moment (one REPEATABLE READ transaction; servers and workers keep running), the
Agenda jobs when they live in PostgreSQL, the sequences and the migrations applied. Uses the
database the way the server does (DATABASE_URL, or the embedded cluster in FERRY_DATA_DIR). No
pg_dump needed. --force replaces an existing FILE.
The backup does NOT contain the secrets key that encrypts target secrets (FERRY_SECRETS_KEY,
FERRY_SECRETS_KEY_FILE or <FERRY_DATA_DIR>/secrets.key): back it up separately. Restore with
\`ferry restore --from FILE\`.`;

const kb = (bytes: number) => (bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, force: { type: 'boolean', default: false } } });
  if (!values.out) return process.stderr.write(`${help}\n`), 1;
  const file = path.resolve(values.out);
  if (existsSync(file) && !values.force) {
    process.stderr.write(`ferry backup: ${file} exists; choose another name or pass --force to replace it\n`);
    return 1;
  }
  const local = localConfig();
  if (typeof local === 'number') return local;
  // Before resolveDatabase, which creates a key when there is none.
  const key = secretsKeyLocation(local.config);
  const { url, embedded } = await resolveDatabase(local.config, local.logger, { join: true });
  try {
    const summary = await writeBackup({ databaseUrl: url, file, jobs: local.config.MONGODB_URL ? 'mongodb' : 'postgresql', secretsKey: key.where });
    const { manifest } = summary;
    const rows = Object.values(summary.rows).reduce((sum, count) => sum + count, 0);
    say(
      `backup written to ${file} (${kb(summary.bytes)}): ${manifest.tables.length} tables, ${rows} rows, ` +
        `schema at ${manifest.migrations.at(-1)!.name} (${manifest.migrations.length} migrations), from PostgreSQL ${manifest.postgres}`,
    );
    say(
      hasJobs(manifest)
        ? 'jobs: in PostgreSQL, included'
        : local.config.MONGODB_URL
          ? 'jobs: in MongoDB (MONGODB_URL), NOT included: queued and scheduled jobs are not in this backup'
          : 'jobs: no jobs table yet',
    );
    say(
      `the secrets key is NOT in this backup: target secrets (${manifest.sealedSecrets} target(s)) are encrypted with ${key.where}. ` +
        'Back that key up separately, and keep it apart from the backup files: a restore needs it to decrypt them.',
    );
    return 0;
  } catch (error) {
    if (error instanceof NothingToBackUpError) {
      process.stderr.write(`ferry backup: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await embedded?.stop();
  }
}
