import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateProvisioningTargetDocument, UpdateProvisioningTargetDocument } from '../../src/client/generated/graphql';
import { TestProvisioningTargetDocument } from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { clientWithRole, createOrganization, uniqueName } from '../support/fixtures';
import { startScimServer, type ScimServer } from '../support/scim-server';
import { startSlapd, type Slapd } from '../support/slapd';

/** "Test connection" against a real slapd and a real SCIM server: what works, what fails, and why. */
describe('test connection', () => {
  let t: TestFerry;
  let slapd: Slapd;
  let scim: ScimServer;
  before(async () => {
    slapd = await startSlapd();
    scim = await startScimServer();
    t = await startTestFerry();
  });
  after(async () => {
    await t?.stop();
    await scim?.close();
    await slapd?.dispose();
  });

  async function target(organizationId: string, plugin: string, config: Record<string, unknown>) {
    const { createProvisioningTarget } = await t.admin.ok(CreateProvisioningTargetDocument, {
      input: { organizationId, name: uniqueName(plugin), plugin, mode: 'MANUAL', config },
    });
    return createProvisioningTarget.target;
  }

  it('binds to LDAP with the saved settings on a connection of its own, and says what is wrong', async () => {
    const organization = await createOrganization(t.admin);
    const ou = uniqueName('test');
    const base = `ou=${ou},${slapd.suffix}`;
    await slapd.client().add(base, { objectClass: ['organizationalUnit'], ou });
    const ldap = await target(organization.id, 'ldap', { url: slapd.url, bindDn: slapd.bindDn, bindPassword: slapd.bindPassword, peopleBaseDn: base });
    const ok = (await t.admin.ok(TestProvisioningTargetDocument, { targetId: ldap.id })).testProvisioningTarget;
    assert.equal(ok.ok, true, ok.detail);
    assert.equal(ok.detail, `bound to ${slapd.url} as ${slapd.bindDn}; peopleBaseDn exist`);

    await t.admin.ok(UpdateProvisioningTargetDocument, { id: ldap.id, input: { config: { bindPassword: 'wrong' } } });
    const refused = (await t.admin.ok(TestProvisioningTargetDocument, { targetId: ldap.id })).testProvisioningTarget;
    assert.equal(refused.ok, false);
    assert.match(refused.detail, /invalidCredentials/);

    await t.admin.ok(UpdateProvisioningTargetDocument, { id: ldap.id, input: { config: { bindPassword: slapd.bindPassword, peopleBaseDn: `ou=missing,${slapd.suffix}` } } });
    const missing = (await t.admin.ok(TestProvisioningTargetDocument, { targetId: ldap.id })).testProvisioningTarget;
    assert.equal(missing.ok, false);
    assert.equal(missing.detail, `peopleBaseDn ou=missing,${slapd.suffix} does not exist on ${slapd.url}`);
  });

  it('reads one page of SCIM /Users, refuses a wrong token, and leaves webhooks alone', async () => {
    const organization = await createOrganization(t.admin);
    const scimTarget = await target(organization.id, 'scim', { baseUrl: scim.url, bearerToken: scim.token });
    const before = scim.requests.length;
    const ok = (await t.admin.ok(TestProvisioningTargetDocument, { targetId: scimTarget.id })).testProvisioningTarget;
    assert.equal(ok.ok, true, ok.detail);
    assert.match(ok.detail, /\/Users answers with \d+ users/);
    assert.deepEqual(scim.requests.slice(before).map((request) => request.method), ['GET'], 'reads only');

    await t.admin.ok(UpdateProvisioningTargetDocument, { id: scimTarget.id, input: { config: { bearerToken: 'not-the-token' } } });
    const refused = (await t.admin.ok(TestProvisioningTargetDocument, { targetId: scimTarget.id })).testProvisioningTarget;
    assert.equal(refused.ok, false);
    assert.match(refused.detail, /401/);

    const webhook = await target(organization.id, 'webhook', { url: 'http://127.0.0.1:9/hook', secret: 'a-secret-of-sixteen-chars' });
    const unsupported = (await t.admin.ok(TestProvisioningTargetDocument, { targetId: webhook.id })).testProvisioningTarget;
    assert.deepEqual([unsupported.ok, unsupported.supported], [false, false]);

    const reader = await clientWithRole(t, 'ORG_READER', organization.id);
    await reader.client.fails('FORBIDDEN', TestProvisioningTargetDocument, { targetId: scimTarget.id });
  });
});
