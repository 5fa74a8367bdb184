import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { CreateProvisioningTargetDocument, ViewerDocument } from '../../src/client/generated/graphql';
import { freePort } from '../../src/db/scratch-database';
import { startTestFerry, LOOPBACK_NETWORKS, type TestFerry } from '../support/ferry';
import { createOrganization } from '../support/fixtures';
import { runFerryCli as ferry } from '../support/server-process';
import { startSlapd, type Slapd } from '../support/slapd';

const STALE = path.resolve(__dirname, '../../../src/tools/build-if-stale.cjs');

/** The `ferry` command line an operator runs: help, migrate, token create, doctor, and build-once. */
describe('the ferry command line', () => {
  let t: TestFerry;
  let slapd: Slapd;
  before(async () => {
    slapd = await startSlapd();
    t = await startTestFerry();
  });
  after(async () => {
    await t?.stop();
    await slapd?.dispose();
  });

  it('lists its commands and explains each with --help', async () => {
    const overview = await ferry(['--help']);
    assert.equal(overview.code, 0);
    for (const command of ['serve', 'worker', 'migrate', 'token', 'doctor', 'backup', 'restore', 'prune', 'import', 'export']) {
      assert.match(overview.stdout, new RegExp(`^  ${command} `, 'm'));
      const help = await ferry([command, '--help']);
      assert.equal(help.code, 0, `${command} --help`);
      assert.match(help.stdout, /^usage: ferry /);
    }
    const unknown = await ferry(['frobnicate']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
  });

  it('migrates, and creates tokens in the database that the API then accepts', async () => {
    const env = { DATABASE_URL: t.databaseUrl };
    const migrated = await ferry(['migrate'], env);
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.match(migrated.stdout, /the database is up to date \(\d+ migrations applied in all\)/);

    const organization = await createOrganization(t.admin);
    const refused = await ferry(['token', 'create', '--role', 'ORG_ADMIN'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /needs an organisation \(--organization\)/);
    const unknownRole = await ferry(['token', 'create', '--role', 'ROOT'], env);
    assert.equal(unknownRole.code, 1);
    assert.match(unknownRole.stderr, /--role must be one of/);

    const created = await ferry(['token', 'create', '--role', 'ORG_ADMIN', '--organization', organization.id, '--name', 'deploy'], env);
    assert.equal(created.code, 0, created.stderr);
    const secret = created.stdout.trim();
    assert.match(secret, /^ferry_\S+$/);
    const { viewer } = await t.as(secret).ok(ViewerDocument);
    assert.deepEqual([viewer.role, viewer.organizationId], ['ORG_ADMIN', organization.id]);
  });

  it('doctor checks the database and every target, and says in words what is wrong', async () => {
    const organization = await createOrganization(t.admin, 'doctor-org');
    const base = `ou=doctor,${slapd.suffix}`;
    await slapd.client().add(base, { objectClass: ['organizationalUnit'], ou: 'doctor' });
    const target = (name: string, url: string) =>
      t.admin.ok(CreateProvisioningTargetDocument, {
        input: { organizationId: organization.id, name, plugin: 'ldap', mode: 'MANUAL', config: { url, bindDn: slapd.bindDn, bindPassword: slapd.bindPassword, peopleBaseDn: base, timeoutMs: 2000 } },
      });
    await target('good-directory', slapd.url);
    await target('dead-directory', `ldap://127.0.0.1:${await freePort()}`);
    await t.admin.ok(CreateProvisioningTargetDocument, {
      input: { organizationId: organization.id, name: 'hook', plugin: 'webhook', mode: 'MANUAL', config: { url: 'http://127.0.0.1:9/hook', secret: 'a-secret-of-sixteen-chars' } },
    });

    const report = await ferry(['doctor'], { DATABASE_URL: t.databaseUrl, FERRY_TARGET_ALLOWED_NETWORKS: LOOPBACK_NETWORKS });
    assert.equal(report.code, 1, `${report.stdout}\n${report.stderr}`);
    const lines = report.stdout.split('\n');
    assert.ok(lines.some((line) => /^ok {4}database: PostgreSQL \d+.* migrations up to date$/.test(line)), report.stdout);
    assert.ok(lines.includes(`ok    target "good-directory" (ldap, manual, organisation doctor-org): bound to ${slapd.url} as ${slapd.bindDn}; peopleBaseDn exist`), report.stdout);
    assert.ok(lines.some((line) => /^FAIL {2}target "dead-directory" \(ldap, manual, organisation doctor-org\): .*(ECONNREFUSED|refused|connect)/i.test(line)), report.stdout);
    assert.ok(lines.some((line) => /^skip {2}target "hook" .*cannot test a connection without sending data/.test(line)), report.stdout);
    assert.match(report.stdout, /^1 check\(s\) failed$/m);

    const badConfig = await ferry(['doctor'], { DATABASE_URL: t.databaseUrl, FERRY_JOB_POLL_MS: 'often' });
    assert.equal(badConfig.code, 2);
    assert.match(badConfig.stderr, /FERRY_JOB_POLL_MS/);
  });

  it('npm start builds only when a source is newer than the last build', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'ferry-stale-'));
    mkdirSync(path.join(root, 'src', 'tools'), { recursive: true });
    mkdirSync(path.join(root, 'dist'));
    copyFileSync(STALE, path.join(root, 'src', 'tools', 'build-if-stale.cjs'));
    const check = async () => {
      try {
        await promisify(execFile)(process.execPath, [path.join(root, 'src', 'tools', 'build-if-stale.cjs'), '--check']);
        return 0;
      } catch (error) {
        return (error as { code: number }).code;
      }
    };
    writeFileSync(path.join(root, 'src', 'app.ts'), 'export {};\n');
    assert.equal(await check(), 3, 'no build yet');
    writeFileSync(path.join(root, 'dist', '.build-stamp'), 'now\n');
    const past = new Date(Date.now() - 60_000);
    utimesSync(path.join(root, 'src', 'app.ts'), past, past);
    utimesSync(path.join(root, 'src', 'tools', 'build-if-stale.cjs'), past, past);
    assert.equal(await check(), 0, 'the build is current');
    writeFileSync(path.join(root, 'src', 'app.ts'), 'export const changed = true;\n');
    assert.equal(await check(), 3, 'a source changed after the build');
  });
});
