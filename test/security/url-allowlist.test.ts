import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateProvisioningTargetDocument, UpdateProvisioningTargetDocument } from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization } from '../support/fixtures';

describe('FERRY_TARGET_URL_ALLOWLIST', () => {
  let t: TestFerry;
  before(async () => {
    t = await startTestFerry({ FERRY_TARGET_URL_ALLOWLIST: 'https://*.example.org, http://127.0.0.1:8080/hooks' });
  });
  after(async () => {
    await t?.stop();
  });

  it('lets SCIM and webhook targets use listed URLs only', async () => {
    const organization = await createOrganization(t.admin);
    const create = (plugin: string, config: Record<string, unknown>) =>
      t.admin.request(CreateProvisioningTargetDocument, { input: { organizationId: organization.id, name: `${plugin}-${Math.random()}`, plugin, config } });
    const secret = 'a-secret-of-at-least-16';
    assert.equal((await create('webhook', { url: 'http://127.0.0.1:8080/hooks/ferry', secret })).errors, undefined);
    assert.equal((await create('scim', { baseUrl: 'https://scim.tenant.example.org/v2', bearerToken: 't' })).errors, undefined);
    for (const [plugin, config] of [
      ['webhook', { url: 'http://127.0.0.1:8080/admin', secret }],
      ['webhook', { url: 'http://169.254.169.254/latest/meta-data', secret }],
      ['webhook', { url: 'http://127.0.0.1:8081/hooks', secret }],
      ['scim', { baseUrl: 'https://example.org.evil.com/v2', bearerToken: 't' }],
      ['scim', { baseUrl: 'http://scim.tenant.example.org/v2', bearerToken: 't' }],
    ] as const) {
      const result = await create(plugin, config);
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', `${JSON.stringify(config)} refused`);
      assert.match(result.errors![0].message, /FERRY_TARGET_URL_ALLOWLIST/);
    }
    const ok = (await create('webhook', { url: 'http://127.0.0.1:8080/hooks', secret })).data!.createProvisioningTarget.target;
    await t.admin.fails('BAD_USER_INPUT', UpdateProvisioningTargetDocument, { id: ok.id, input: { config: { url: 'http://10.0.0.1/hooks' } } });
  });
});
