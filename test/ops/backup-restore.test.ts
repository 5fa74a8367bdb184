import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { gunzipSync, gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import {
  CreateOrganizationDocument,
  CreatePersonDocument,
  CreateProvisioningTargetDocument,
  PeopleDocument,
  PersonDocument,
  ProvisioningEventsDocument,
  TestProvisioningTargetDocument,
  UpdateNameDocument,
} from '../../src/client/generated/graphql';
import { freePort } from '../../src/db/scratch-database';
import { GraphQLTestClient } from '../support/client';
import { removeDataDir, runFerryCli as ferry, waitFor } from '../support/server-process';
import { startSlapd, type Slapd } from '../support/slapd';

const MAIN = path.resolve(__dirname, '../../src/main.js');

const folders: string[] = [];
const children = new Set<ChildProcess>();

async function dataFolder(): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ferry-backup-'));
  folders.push(dir);
  return { dir, env: { FERRY_DATA_DIR: dir, FERRY_PG_PORT: String(await freePort()), DATABASE_URL: '', FERRY_SECRETS_KEY: '', FERRY_SECRETS_KEY_FILE: '', MONGODB_URL: '' } };
}

interface Server {
  child: ChildProcess;
  client: GraphQLTestClient;
  output(): string;
  stop(): Promise<number | null>;
}

/** `ferry serve` (node dist/src/main.js) on its own embedded data folder. */
async function serve(env: Record<string, string>, adminToken: string): Promise<Server> {
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      PORT: String(port),
      HOST: '127.0.0.1',
      FERRY_ADMIN_TOKEN: adminToken,
      FERRY_SHUTDOWN_TIMEOUT_MS: '1000',
      FERRY_JOB_POLL_MS: '100',
      FERRY_AUTH_FAILURES_PER_MINUTE: '1000000',
      FERRY_TARGET_ALLOWED_NETWORKS: '127.0.0.0/8,::1/128',
      FERRY_PROVISIONING_WAIT_MS: '30000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.stdout!.on('data', (chunk) => (output = (output + chunk).slice(-50_000)));
  child.stderr!.on('data', (chunk) => (output = (output + chunk).slice(-50_000)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => (children.delete(child), resolve(code))));
  await waitFor(
    'the server to listen',
    async () => {
      if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${output}`);
      return output.includes('Ferry is listening');
    },
    60_000,
    50,
  );
  return {
    child,
    client: new GraphQLTestClient(`http://127.0.0.1:${port}/graphql`, adminToken),
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of folders) await removeDataDir(dir);
});

/** Rewrites the manifest line of a backup file (for a backup "from a newer Ferry"). */
function withManifest(file: string, out: string, change: (manifest: Record<string, any>) => void): void {
  const content = gunzipSync(readFileSync(file));
  const first = content.indexOf(10);
  const second = content.indexOf(10, first + 1);
  const manifest = JSON.parse(content.subarray(first + 1, second).toString('utf8'));
  change(manifest);
  writeFileSync(out, gzipSync(Buffer.concat([content.subarray(0, first + 1), Buffer.from(JSON.stringify(manifest)), content.subarray(second)])));
}

/**
 * `ferry backup` and `ferry restore` on the embedded PostgreSQL (which ships no pg_dump): a backup
 * of a running Ferry, restored into a fresh data folder with the same secrets key, serves the same
 * people and provisions with the decrypted target secret; what a restore refuses, and what Ferry
 * says when it runs with the wrong key.
 */
describe('backup and restore', () => {
  let slapd: Slapd;
  let workDir: string;
  let backupFile: string;
  let source: { dir: string; env: Record<string, string> };
  let restored: { dir: string; env: Record<string, string> };
  let organizationId: string;
  let targetId: string;
  let people: string;
  const adminToken = `ferry_${randomBytes(32).toString('base64url')}`;
  const uids = ['ada', 'grace', 'edsger'];

  before(async () => {
    slapd = await startSlapd();
    workDir = await mkdtemp(path.join(os.tmpdir(), 'ferry-backup-files-'));
    folders.push(workDir);
    backupFile = path.join(workDir, 'ferry.backup');
  });
  after(async () => {
    await slapd?.dispose();
  });

  it('is listed by ferry --help, and each command explains itself, the key included', async () => {
    const overview = await ferry(['--help'], {});
    assert.match(overview.stdout, /^ {2}backup /m);
    assert.match(overview.stdout, /^ {2}restore /m);
    const backup = await ferry(['backup', '--help'], {});
    assert.equal(backup.code, 0);
    assert.match(backup.stdout, /^usage: ferry backup --out FILE/);
    assert.match(backup.stdout, /does NOT contain the secrets key/);
    const restore = await ferry(['restore', '--help'], {});
    assert.equal(restore.code, 0);
    assert.match(restore.stdout, /^usage: ferry restore --from FILE/);
    assert.match(restore.stdout, /EMPTY database/);
    const missing = await ferry(['restore'], {});
    assert.equal(missing.code, 1, 'no --from');
    assert.match(missing.stderr, /^usage: ferry restore/);
  });

  it('backs up a running Ferry, and a restore into a new data folder with the same key serves and provisions the same data', async () => {
    const ou = `backup-${randomBytes(3).toString('hex')}`;
    const base = `ou=${ou},${slapd.suffix}`;
    people = `ou=people,${base}`;
    await slapd.client().add(base, { objectClass: ['organizationalUnit'], ou });
    await slapd.client().add(people, { objectClass: ['organizationalUnit'], ou: 'people' });

    source = await dataFolder();
    const first = await serve(source.env, adminToken);
    const admin = first.client;
    organizationId = (await admin.ok(CreateOrganizationDocument, { input: { name: 'backed-up' } })).createOrganization.organization.id;
    targetId = (
      await admin.ok(CreateProvisioningTargetDocument, {
        input: { organizationId, name: 'directory', plugin: 'ldap', mode: 'AUTOMATIC', config: { url: slapd.url, bindDn: slapd.bindDn, bindPassword: slapd.bindPassword, peopleBaseDn: people } },
      })
    ).createProvisioningTarget.target.id;
    for (const uid of uids) {
      await admin.ok(CreatePersonDocument, {
        input: { organizationId, status: 'ACTIVE', names: [{ given: uid, family: 'Before' }], emailAddresses: [{ mail: `${uid}@example.org`, type: 'OFFICIAL' }], identifiers: [{ type: 'uid', value: uid }] },
      });
    }
    for (const uid of uids) await waitFor(`${uid} in slapd`, () => slapd.entry(`uid=${uid},${people}`), 30_000);

    // While the server runs: the command joins its embedded cluster.
    const backup = await ferry(['backup', '--out', backupFile], source.env);
    assert.equal(backup.code, 0, `${backup.stdout}\n${backup.stderr}`);
    assert.match(backup.stdout, /^backup written to .*ferry\.backup \(\d+ KB\): \d+ tables, \d+ rows, schema at Migration\d+_\w+ \(\d+ migrations\)/m);
    assert.match(backup.stdout, /^jobs: in PostgreSQL, included$/m);
    assert.ok(
      backup.stdout.includes(`the secrets key is NOT in this backup: target secrets (1 target(s)) are encrypted with the key in ${path.join(source.dir, 'secrets.key')}. Back that key up separately`),
      backup.stdout,
    );
    const again = await ferry(['backup', '--out', backupFile], source.env);
    assert.equal(again.code, 1, 'an existing file is not replaced without --force');
    assert.match(again.stderr, /exists; choose another name or pass --force/);
    assert.equal(await first.stop(), 0, first.output());

    // A new, empty data folder: without the key the restore refuses and touches nothing.
    restored = await dataFolder();
    const keyless = await ferry(['restore', '--from', backupFile], restored.env);
    assert.equal(keyless.code, 1, keyless.stdout);
    assert.match(keyless.stderr, /holds encrypted secrets of 1 target\(s\), and there is no secrets key here \(the key in .*secrets\.key does not exist\)/);
    assert.ok(!existsSync(path.join(restored.dir, 'pg')), 'no database was created');

    copyFileSync(path.join(source.dir, 'secrets.key'), path.join(restored.dir, 'secrets.key'));
    const restore = await ferry(['restore', '--from', backupFile], restored.env);
    assert.equal(restore.code, 0, `${restore.stdout}\n${restore.stderr}`);
    assert.match(restore.stdout, /^restored .*: \d+ tables, \d+ rows, schema at Migration\d+_\w+ \(\d+ migrations applied now\), \d+ sequences set$/m);
    assert.match(restore.stdout, /^target secrets: 1 target\(s\), all decrypted with the key in /m);

    // Into a database that holds data: refused, nothing changed (counted below).
    const twice = await ferry(['restore', '--from', backupFile], restored.env);
    assert.equal(twice.code, 1, twice.stdout);
    assert.match(twice.stderr, /ferry restore: The database already holds data \(rows in .*\): a backup is restored only into an empty database\. Nothing was changed\./);

    const second = await serve(restored.env, adminToken);
    try {
      const client = second.client;
      const found = (await client.ok(PeopleDocument, { organizationId, first: 50 })).people;
      assert.equal(found.totalCount, uids.length, 'the people, once each');
      assert.deepEqual(found.nodes.map((person) => person.primaryName?.given).sort(), [...uids].sort());
      const history = (await client.ok(ProvisioningEventsDocument, { organizationId, targetId })) as { provisioningEvents: { nodes?: unknown[]; totalCount?: number } };
      assert.ok(JSON.stringify(history).includes('SUCCEEDED'), 'the provisioning history came along');

      // The target's bind password was decrypted with the restored key: Test connection binds.
      const test = (await client.ok(TestProvisioningTargetDocument, { targetId })).testProvisioningTarget;
      assert.equal(test.ok, true, test.detail);
      assert.equal(test.detail, `bound to ${slapd.url} as ${slapd.bindDn}; peopleBaseDn exist`);

      // A change provisions: an updated name, and a new person.
      const ada = found.nodes.find((person) => person.primaryName?.given === 'ada')!;
      const name = (await client.ok(PersonDocument, { id: ada.id })).person!.primaryName!;
      await client.ok(UpdateNameDocument, { id: name.id, input: { family: 'Restored' } });
      await waitFor('the new family name in slapd', async () => (await slapd.entry(`uid=ada,${people}`))?.get('sn')[0] === 'Restored', 30_000);
      await client.ok(CreatePersonDocument, {
        input: { organizationId, status: 'ACTIVE', names: [{ given: 'Barbara', family: 'Liskov' }], identifiers: [{ type: 'uid', value: 'barbara' }] },
      });
      const barbara = await waitFor('barbara in slapd', () => slapd.entry(`uid=barbara,${people}`), 30_000);
      assert.deepEqual(barbara.get('cn'), ['Barbara Liskov']);
    } finally {
      assert.equal(await second.stop(), 0, second.output());
    }
  });

  it('runs with a wrong secrets key, and says that the target secrets cannot be decrypted', async () => {
    const wrongKey = randomBytes(32).toString('base64');
    const server = await serve({ ...restored.env, FERRY_SECRETS_KEY: wrongKey }, adminToken);
    try {
      // Reading the people needs no secret; Test connection does, and says why it cannot.
      assert.equal((await server.client.ok(PeopleDocument, { organizationId, first: 50 })).people.totalCount, uids.length + 1);
      const refused = await server.client.fails('CONFLICT', TestProvisioningTargetDocument, { targetId });
      assert.match(refused.message, /^Cannot decrypt a stored target secret: this process uses a different secrets key than the one that wrote it\./);
      assert.match(refused.message, /FERRY_SECRETS_KEY, FERRY_SECRETS_KEY_FILE or <FERRY_DATA_DIR>\/secrets\.key/, 'names where the key comes from');
      // ferry doctor beside it says the same, as its own check, and tests no target with that key.
      const doctor = await ferry(['doctor'], { ...restored.env, FERRY_SECRETS_KEY: wrongKey });
      assert.equal(doctor.code, 1, doctor.stdout + doctor.stderr);
      assert.match(doctor.stdout, /^ok +database: /m);
      assert.match(doctor.stdout, /^FAIL +secrets key: Cannot decrypt a stored target secret/m);
      assert.doesNotMatch(doctor.stdout, /target "directory"/);
      const right = await ferry(['doctor'], restored.env);
      assert.match(right.stdout, /^ok +secrets key: decrypts the secrets of 1 target\(s\)$/m, right.stdout);
    } finally {
      assert.equal(await server.stop(), 0, server.output());
    }
  });

  it('refuses a damaged backup, a wrong key and a newer backup, and leaves the database empty', async () => {
    const target = await dataFolder();
    // A truncated file: refused in the middle of the load, the transaction rolled back.
    const whole = readFileSync(backupFile);
    const truncated = path.join(workDir, 'truncated.backup');
    writeFileSync(truncated, whole.subarray(0, whole.length - 200));
    writeFileSync(path.join(target.dir, 'secrets.key'), `${randomBytes(32).toString('base64')}\n`);
    const damaged = await ferry(['restore', '--from', truncated], target.env);
    assert.equal(damaged.code, 1, damaged.stdout);
    assert.match(damaged.stderr, /truncated\.backup is not a usable Ferry backup: .*(damaged or truncated|truncated)/);

    // The key in that folder is not the one that sealed the backup's secrets.
    const wrong = await ferry(['restore', '--from', backupFile], target.env);
    assert.equal(wrong.code, 1, wrong.stdout);
    assert.match(wrong.stderr, /The secrets key in use cannot decrypt the secrets of 1 target\(s\) in this backup \(directory\).*Nothing was restored/);

    // A backup from a newer Ferry: an unknown migration.
    const newer = path.join(workDir, 'newer.backup');
    withManifest(backupFile, newer, (manifest) => manifest.migrations.push({ name: 'Migration29991231000000_future', executedAt: null }));
    const future = await ferry(['restore', '--from', newer], target.env);
    assert.equal(future.code, 1, future.stdout);
    assert.match(future.stderr, /This backup was made by a newer Ferry .*Migration29991231000000_future/);

    // None of these left anything behind: with the right key the same database takes the backup.
    copyFileSync(path.join(source.dir, 'secrets.key'), path.join(target.dir, 'secrets.key'));
    const restore = await ferry(['restore', '--from', backupFile], target.env);
    assert.equal(restore.code, 0, `${restore.stdout}\n${restore.stderr}`);
  });

  it('restores with a lost key only when told to, and names the targets whose secrets are lost', async () => {
    const target = await dataFolder();
    writeFileSync(path.join(target.dir, 'secrets.key'), `${randomBytes(32).toString('base64')}\n`);
    const restore = await ferry(['restore', '--from', backupFile, '--allow-undecryptable-secrets'], target.env);
    assert.equal(restore.code, 0, `${restore.stdout}\n${restore.stderr}`);
    assert.match(restore.stdout, /^WARNING: the secrets of 1 target\(s\) cannot be decrypted with this key: directory; delete them and create them again/m);
  });

  it('restores into an external PostgreSQL (DATABASE_URL) as a role that is not a superuser', async () => {
    const base = process.env.FERRY_TEST_POSTGRES_URL;
    assert.ok(base, 'run with node dist/test/run.js');
    const suffix = randomBytes(4).toString('hex');
    const role = `ferry_restore_${suffix}`;
    const password = randomBytes(12).toString('hex');
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    try {
      await admin.query(`create role ${role} login nosuperuser password '${password}'`);
      await admin.query(`create database ${role} owner ${role}`);
    } finally {
      await admin.end();
    }
    const url = new URL(base);
    url.username = role;
    url.password = password;
    url.pathname = `/${role}`;
    const keyFile = path.join(workDir, 'copied.key');
    copyFileSync(path.join(source.dir, 'secrets.key'), keyFile);
    const env = { ...(await dataFolder()).env, DATABASE_URL: url.toString(), FERRY_SECRETS_KEY_FILE: keyFile };
    const restore = await ferry(['restore', '--from', backupFile], env);
    assert.equal(restore.code, 0, `${restore.stdout}\n${restore.stderr}`);
    assert.match(restore.stdout, /^target secrets: 1 target\(s\), all decrypted with the key in .*copied\.key \(FERRY_SECRETS_KEY_FILE\)$/m);
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      const { rows } = await client.query<{ superuser: boolean; people: number; fks: number }>(
        `select (select rolsuper from pg_roles where rolname = current_user) as superuser, (select count(*)::int from person) as people,
                (select count(*)::int from pg_constraint where contype = 'f' and connamespace = 'public'::regnamespace) as fks`,
      );
      assert.deepEqual([rows[0].superuser, rows[0].people], [false, uids.length]);
      assert.ok(rows[0].fks > 10, 'the foreign keys are back');
    } finally {
      await client.end();
    }
    // A backup of it through DATABASE_URL holds the same data, byte for byte (all but the manifest).
    const copy = path.join(workDir, 'external.backup');
    const again = await ferry(['backup', '--out', copy], env);
    assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
    const data = (file: string) => {
      const content = gunzipSync(readFileSync(file));
      return content.subarray(content.indexOf(10, content.indexOf(10) + 1) + 1);
    };
    assert.ok(data(copy).equals(data(backupFile)), 'the same tables, rows and values');
  });
});
