import { localConfig, say, withDatabase } from './local';

export const help = `usage: ferry migrate
Applies the database migrations Ferry's version brings (under a lock: run it from several places
at once and one applies them), then exits. The server and workers also do this when they start.`;

export async function run(): Promise<number> {
  const local = localConfig();
  if (typeof local === 'number') return local;
  const applied = await withDatabase(local, async (orm) => (await orm.getMigrator().getExecutedMigrations()).length);
  say(`the database is up to date (${applied} migrations applied in all)`);
  return 0;
}
