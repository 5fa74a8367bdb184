import { MikroORM } from '@mikro-orm/postgresql';
import { MongoClient } from 'mongodb';
import { resolveDatabase } from '../../backends';
import { ormConfig } from '../../db/orm';
import { sqlRows } from '../../db/sql';
import { Organization } from '../../registry/organizations/organization.entity';
import { ProvisioningTarget } from '../../provisioning/provisioning-target.entity';
import { createServices } from '../../services';
import { localConfig, say, type Local } from './local';

export const help = `usage: ferry doctor
Checks what Ferry needs and says in words what is wrong: the configuration, the database (reachable,
migrations applied), the job backend, and every target that is not disabled (Test connection,
reading only). Writes nothing (an embedded PostgreSQL that no server runs is started for the check
and stopped again). Exit code 0 when all is well, 1 when something is wrong, 2 for an invalid
configuration.`;

interface Check {
  ok: boolean;
  what: string;
  detail: string;
}

const where = (url: string) => {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return 'an unreadable URL';
  }
};

export async function run(): Promise<number> {
  const local = localConfig();
  if (typeof local === 'number') return local;
  const checks: Check[] = [];
  const report = (check: Check) => {
    checks.push(check);
    say(`${check.ok ? 'ok  ' : 'FAIL'}  ${check.what}: ${check.detail}`);
  };
  report({ ok: true, what: 'configuration', detail: `valid; database ${local.config.DATABASE_URL ? `at ${where(local.config.DATABASE_URL)}` : `embedded in ${local.config.dataDir}`}; jobs on ${local.config.MONGODB_URL ? 'MongoDB' : 'PostgreSQL'}` });
  await database(local, report);
  const failed = checks.filter((check) => !check.ok).length;
  say(failed === 0 ? 'all checks passed' : `${failed} check(s) failed`);
  return failed === 0 ? 0 : 1;
}

async function database(local: Local, report: (check: Check) => void): Promise<void> {
  let resolved: Awaited<ReturnType<typeof resolveDatabase>>;
  try {
    resolved = await resolveDatabase(local.config, local.logger, { join: true });
  } catch (error) {
    report({ ok: false, what: 'database', detail: (error as Error).message });
    return;
  }
  let orm: MikroORM | null = null;
  try {
    orm = await MikroORM.init(ormConfig(resolved.url, local.logger));
    const [{ version }] = await sqlRows<{ version: string }>(orm.em.fork(), "select current_setting('server_version') as version");
    const pending = await orm.getMigrator().getPendingMigrations();
    report({
      ok: pending.length === 0,
      what: 'database',
      detail: `PostgreSQL ${version} at ${where(resolved.url)} (${resolved.embedded ? 'embedded, started for this check' : 'reachable'})` +
        (pending.length === 0 ? ', migrations up to date' : `, ${pending.length} migration(s) not applied: run \`ferry migrate\` (or start the server)`),
    });
    await jobBackend(local, report);
    if (pending.length === 0 && (await secretsKey(orm, report))) await targets(orm, local, report);
  } catch (error) {
    report({ ok: false, what: 'database', detail: `cannot use ${where(resolved.url)}: ${(error as Error).message}` });
  } finally {
    await orm?.close().catch(() => undefined);
    await resolved.embedded?.stop();
  }
}

/**
 * Whether this process's secrets key (FERRY_SECRETS_KEY, FERRY_SECRETS_KEY_FILE or the data
 * folder's secrets.key) decrypts the stored target secrets: a restore with another key, or a
 * worker given a different one, shows here rather than as every target failing. Targets are
 * tested only when it does.
 */
async function secretsKey(orm: MikroORM, report: (check: Check) => void): Promise<boolean> {
  const [{ count }] = await sqlRows<{ count: number }>(orm.em.fork(), 'select count(*)::int as count from provisioning_target');
  try {
    // Loading the secrets decrypts them (EncryptedJsonType): one wrong key fails on the first.
    await orm.em.fork().find(ProvisioningTarget, {}, { fields: ['id', 'secrets'] });
    report({ ok: true, what: 'secrets key', detail: count === 0 ? 'no stored target secrets yet' : `decrypts the secrets of ${count} target(s)` });
    return true;
  } catch (error) {
    report({ ok: false, what: 'secrets key', detail: (error as Error).message });
    return false;
  }
}

async function jobBackend(local: Local, report: (check: Check) => void): Promise<void> {
  if (!local.config.MONGODB_URL) {
    report({ ok: true, what: 'job backend', detail: "PostgreSQL (the same database; set MONGODB_URL for MongoDB)" });
    return;
  }
  const client = new MongoClient(local.config.MONGODB_URL, { serverSelectionTimeoutMS: 5000 });
  try {
    await client.connect();
    await client.db().command({ ping: 1 });
    report({ ok: true, what: 'job backend', detail: `MongoDB at ${where(local.config.MONGODB_URL)} answers` });
  } catch (error) {
    report({ ok: false, what: 'job backend', detail: `MongoDB at ${where(local.config.MONGODB_URL)}: ${(error as Error).message}` });
  } finally {
    await client.close().catch(() => undefined);
  }
}

async function targets(orm: MikroORM, local: Local, report: (check: Check) => void): Promise<void> {
  const services = createServices({ orm, logger: local.logger, allowedNetworks: local.config.FERRY_TARGET_ALLOWED_NETWORKS, urlAllowlist: local.config.FERRY_TARGET_URL_ALLOWLIST });
  const em = orm.em.fork();
  const organizations = new Map((await em.find(Organization, {})).map((organization) => [organization.id, organization.name]));
  const nameOf = (target: ProvisioningTarget) => organizations.get(target.organization.id) ?? target.organization.id;
  const all = (await em.find(ProvisioningTarget, {}, { orderBy: { order: 'asc', id: 'asc' } })).sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
  if (all.length === 0) say('      no targets');
  try {
    for (const target of all) {
      const what = `target "${target.name}" (${target.plugin}, ${target.mode.toLowerCase()}, organisation ${nameOf(target)})`;
      if (target.mode === 'DISABLED') {
        say(`skip  ${what}: disabled`);
        continue;
      }
      const test = await services.reconciliation.testTarget(em, target);
      if (!test.supported) say(`skip  ${what}: ${test.detail}`);
      else report({ ok: test.ok, what, detail: test.detail });
    }
  } finally {
    await Promise.all(services.plugins.list().map((plugin) => plugin.closeAll?.()));
  }
}
