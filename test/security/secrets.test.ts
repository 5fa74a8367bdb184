import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startFerry, type Ferry } from '../../src/app';
import {
  CreatePersonWithOutcomesDocument,
  CreateProvisioningTargetDocument,
  ProvisioningTargetDocument,
  UpdateProvisioningTargetDocument,
} from '../../src/client/generated/graphql';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/observability/logger';
import { GraphQLTestClient } from '../support/client';
import { LOOPBACK_NETWORKS, createTestDatabase } from '../support/ferry';
import { createOrganization } from '../support/fixtures';

const BIND_PASSWORD = `bind-${randomBytes(12).toString('hex')}`;
const SCIM_TOKEN = `scim-${randomBytes(12).toString('hex')}`;
const WEBHOOK_SECRET = `hook-${randomBytes(12).toString('hex')}`;

describe('target secrets: encrypted at rest, never returned, never logged', () => {
  let ferry: Ferry;
  let admin: GraphQLTestClient;
  let databaseUrl: string;
  let logs = '';
  before(async () => {
    databaseUrl = await createTestDatabase();
    const adminToken = `ferry_${randomBytes(32).toString('base64url')}`;
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      FERRY_ADMIN_TOKEN: adminToken,
      FERRY_SECRETS_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'trace',
      FERRY_TARGET_ALLOWED_NETWORKS: LOOPBACK_NETWORKS,
    });
    const capture = new Writable({
      write(chunk, _encoding, done) {
        logs += String(chunk);
        done();
      },
    });
    ferry = await startFerry(config, createLogger('trace', capture));
    admin = new GraphQLTestClient(ferry.url, adminToken);
  });
  after(async () => {
    await ferry?.stop();
  });

  it('keeps LDAP, SCIM and webhook secrets sealed in the database, out of the API and out of trace-level logs', async () => {
    const organization = await createOrganization(admin);
    // Unreachable endpoints: every attempt fails and logs its error, the path where secrets leak most.
    const targets = [
      { plugin: 'ldap', config: { url: 'ldap://127.0.0.1:1', bindDn: 'cn=admin,dc=x', bindPassword: BIND_PASSWORD, peopleBaseDn: 'ou=people,dc=x' } },
      { plugin: 'scim', config: { baseUrl: 'http://127.0.0.1:1/scim/v2', bearerToken: SCIM_TOKEN } },
      { plugin: 'webhook', config: { url: 'http://127.0.0.1:1/hook', secret: WEBHOOK_SECRET } },
    ];
    const ids: string[] = [];
    for (const [index, target] of targets.entries()) {
      const created = await admin.ok(CreateProvisioningTargetDocument, { input: { organizationId: organization.id, name: `t${index}`, ...target } });
      ids.push(created.createProvisioningTarget.target.id);
      assert.ok(created.createProvisioningTarget.target.secretsSet.length === 1);
    }
    await admin.ok(CreatePersonWithOutcomesDocument, { input: { organizationId: organization.id, names: [{ given: 'Ada' }], identifiers: [{ type: 'uid', value: 'ada' }] } });
    await admin.ok(UpdateProvisioningTargetDocument, { id: ids[0], input: { config: { bindPassword: `${BIND_PASSWORD}-2` } } });

    const secrets = [BIND_PASSWORD, SCIM_TOKEN, WEBHOOK_SECRET];
    // The API: every field of every target, and the change log.
    for (const id of ids) {
      const read = JSON.stringify(await admin.ok(ProvisioningTargetDocument, { id }));
      for (const secret of secrets) assert.ok(!read.includes(secret), 'no secret in the API');
    }
    // The database, byte for byte.
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const dump = JSON.stringify((await db.query('select * from provisioning_target')).rows) + JSON.stringify((await db.query('select * from change_log_entry')).rows);
      for (const secret of secrets) assert.ok(!dump.includes(secret), 'no secret in clear in the database');
      const sealed = (await db.query<{ secrets: string }>('select secrets from provisioning_target')).rows;
      assert.ok(sealed.every((row) => row.secrets.startsWith('v1:')));
    } finally {
      await db.end();
    }
    // The logs, at trace level, after failures on every target.
    assert.ok(logs.includes('provisioning failed'), 'the failures were logged (the test looked at real log lines)');
    for (const secret of secrets) assert.ok(!logs.includes(secret), `no secret in the logs (${secret.slice(0, 5)}...)`);
  });
});
