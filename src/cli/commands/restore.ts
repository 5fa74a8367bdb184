import path from 'node:path';
import { parseArgs } from 'node:util';
import { MikroORM } from '@mikro-orm/postgresql';
import { resolveDatabase } from '../../backends';
import { BackupFormatError, readManifest, restoreBackup, RestoreRefusedError, secretsKeyLocation, migrationsToApply } from '../../db/backup';
import { ormConfig } from '../../db/orm';
import { localConfig, say } from './local';

export const help = `usage: ferry restore --from FILE [--allow-undecryptable-secrets]
Restores a backup written by \`ferry backup\` into an EMPTY database (DATABASE_URL, or the embedded
cluster in FERRY_DATA_DIR: a new data folder), in one transaction: applies Ferry's migrations up to
the backup's version, loads every table, sets the sequences and checks the foreign keys. Refused,
changing nothing: a database that already holds data, a backup from a newer Ferry, a damaged file,
and target secrets that the secrets key in use cannot decrypt (put the key that was in use when the
backup was made in place first: FERRY_SECRETS_KEY, FERRY_SECRETS_KEY_FILE or
<FERRY_DATA_DIR>/secrets.key). When that key is lost, --allow-undecryptable-secrets restores anyway;
the targets whose secrets cannot be decrypted must then be deleted and created again. Migrations
newer than the backup are applied when Ferry starts (or by \`ferry migrate\`).`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { from: { type: 'string' }, 'allow-undecryptable-secrets': { type: 'boolean', default: false } } });
  if (!values.from) return process.stderr.write(`${help}\n`), 1;
  const file = path.resolve(values.from);
  const refuse = (message: string) => (process.stderr.write(`ferry restore: ${message}\n`), 1);
  const local = localConfig();
  if (typeof local === 'number') return local;
  try {
    const manifest = await readManifest(file);
    migrationsToApply(manifest, []);
    const key = secretsKeyLocation(local.config);
    if (manifest.sealedSecrets > 0 && !key.present) {
      return refuse(
        `this backup holds encrypted secrets of ${manifest.sealedSecrets} target(s), and there is no secrets key here (${key.where} does not exist). ` +
          'Put the key that was in use when the backup was made in place first (copy it to that file, or set FERRY_SECRETS_KEY or FERRY_SECRETS_KEY_FILE); ' +
          'otherwise Ferry would create a new key, which cannot decrypt them. Nothing was changed.',
      );
    }
    const { url, embedded } = await resolveDatabase(local.config, local.logger, { join: true });
    try {
      const orm = await MikroORM.init(ormConfig(url, local.logger));
      try {
        const summary = await restoreBackup({ orm, databaseUrl: url, file, logger: local.logger, allowUndecryptableSecrets: values['allow-undecryptable-secrets'] });
        const rows = Object.values(summary.rows).reduce((sum, count) => sum + count, 0);
        say(
          `restored ${file} (made ${summary.manifest.createdAt} by Ferry ${summary.manifest.ferryVersion}): ${summary.manifest.tables.length} tables, ${rows} rows, ` +
            `schema at ${summary.manifest.migrations.at(-1)!.name} (${summary.migrationsApplied.length} migrations applied now), ${summary.manifest.sequences.length} sequences set`,
        );
        if (summary.newerMigrations > 0) say(`${summary.newerMigrations} newer migration(s) of this Ferry will be applied when it starts (or run \`ferry migrate\`)`);
        if (summary.undecryptable.length > 0) say(`WARNING: the secrets of ${summary.undecryptable.length} target(s) cannot be decrypted with this key: ${summary.undecryptable.join(', ')}; delete them and create them again with their secrets`);
        else say(`target secrets: ${summary.manifest.sealedSecrets} target(s), all decrypted with ${key.where}`);
        if (summary.manifest.jobs === 'mongodb') say('jobs lived in MongoDB when the backup was made: they are not part of it');
        return 0;
      } finally {
        await orm.close();
      }
    } finally {
      await embedded?.stop();
    }
  } catch (error) {
    if (error instanceof RestoreRefusedError || error instanceof BackupFormatError) return refuse(error.message);
    throw error;
  }
}
