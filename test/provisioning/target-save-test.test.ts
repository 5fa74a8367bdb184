import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateProvisioningTargetCheckedDocument,
  CreateProvisioningTargetDocument,
  ProvisioningTargetDocument,
  UpdateProvisioningTargetCheckedDocument,
} from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, uniqueName } from '../support/fixtures';
import { startHangingServer } from '../support/hanging-targets';
import { startScimServer, type ScimServer } from '../support/scim-server';
import { startSlapd, type Slapd } from '../support/slapd';

/**
 * Saving a target runs "Test connection" with what was saved and returns it as a warning: a wrong
 * bind password is reported at once (with slapd's reason) instead of at the first Reprovision All,
 * and the target is saved either way.
 */
describe('connection test when a target is saved', () => {
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

  async function create(organizationId: string, plugin: string, config: Record<string, unknown>, mode: 'MANUAL' | 'DISABLED' = 'MANUAL') {
    return (await t.admin.ok(CreateProvisioningTargetCheckedDocument, { input: { organizationId, name: uniqueName(plugin), plugin, mode, config } }))
      .createProvisioningTarget;
  }

  it('warns about a wrong LDAP bind password with slapd\'s reason, saves the target anyway, and says ok once it is right', async () => {
    const organization = await createOrganization(t.admin);
    const ou = uniqueName('save');
    const base = `ou=${ou},${slapd.suffix}`;
    await slapd.client().add(base, { objectClass: ['organizationalUnit'], ou });

    const wrong = await create(organization.id, 'ldap', { url: slapd.url, bindDn: slapd.bindDn, bindPassword: 'not-the-password', peopleBaseDn: base });
    assert.ok(wrong.connectionTest, 'an LDAP target is tested');
    assert.equal(wrong.connectionTest.ok, false);
    assert.match(wrong.connectionTest.detail, /invalidCredentials/, 'slapd\'s reason');
    assert.equal(wrong.changes.length, 1, 'saved: the change is committed');
    const stored = (await t.admin.ok(ProvisioningTargetDocument, { id: wrong.target.id })).provisioningTarget;
    assert.equal(stored.name, wrong.target.name);
    assert.deepEqual(stored.secretsSet, ['bindPassword'], 'the wrong password is saved: the test warns, it does not refuse');

    const fixed = (await t.admin.ok(UpdateProvisioningTargetCheckedDocument, { id: wrong.target.id, input: { config: { bindPassword: slapd.bindPassword } } }))
      .updateProvisioningTarget;
    assert.deepEqual(fixed.connectionTest && { ok: fixed.connectionTest.ok, detail: fixed.connectionTest.detail }, {
      ok: true,
      detail: `bound to ${slapd.url} as ${slapd.bindDn}; peopleBaseDn exist`,
    });

    // An update that changes no connection setting is tested too (the saved configuration as a whole).
    const renamed = (await t.admin.ok(UpdateProvisioningTargetCheckedDocument, { id: wrong.target.id, input: { name: uniqueName('renamed') } })).updateProvisioningTarget;
    assert.equal(renamed.connectionTest?.ok, true);

    // Disabled: nothing runs against it, so nothing is tested.
    const disabled = (await t.admin.ok(UpdateProvisioningTargetCheckedDocument, { id: wrong.target.id, input: { mode: 'DISABLED' } })).updateProvisioningTarget;
    assert.equal(disabled.connectionTest, null);
    const createdDisabled = await create(organization.id, 'ldap', { url: slapd.url, bindDn: slapd.bindDn, bindPassword: 'wrong', peopleBaseDn: base }, 'DISABLED');
    assert.equal(createdDisabled.connectionTest, null);
  });

  it('tests SCIM against the real SCIM server (ServiceProviderConfig is not enough: it reads /Users with the token)', async () => {
    const organization = await createOrganization(t.admin);
    const good = await create(organization.id, 'scim', { baseUrl: scim.url, bearerToken: scim.token });
    assert.equal(good.connectionTest?.ok, true, good.connectionTest?.detail);
    assert.match(good.connectionTest?.detail ?? '', /\/Users answers with \d+ users/);

    const refused = (await t.admin.ok(UpdateProvisioningTargetCheckedDocument, { id: good.target.id, input: { config: { bearerToken: 'not-the-token' } } }))
      .updateProvisioningTarget;
    assert.equal(refused.connectionTest?.ok, false);
    assert.match(refused.connectionTest?.detail ?? '', /401/);
  });

  it('does not test a webhook (it cannot without sending data), and runs no test when the payload does not ask for one', async () => {
    const organization = await createOrganization(t.admin);
    const webhook = await create(organization.id, 'webhook', { url: 'http://127.0.0.1:9/hook', secret: 'a-secret-of-sixteen-chars' });
    assert.equal(webhook.connectionTest, null);

    const before = scim.requests.length;
    await t.admin.ok(CreateProvisioningTargetDocument, {
      input: { organizationId: organization.id, name: uniqueName('scim'), plugin: 'scim', mode: 'MANUAL', config: { baseUrl: scim.url, bearerToken: scim.token } },
    });
    assert.equal(scim.requests.length, before, 'a save whose payload leaves connectionTest out does not reach the target');
  });

  it('never hangs a save on a dead target: the test is cut at a few seconds whatever the target\'s timeout', async () => {
    const hanging = await startHangingServer();
    try {
      const organization = await createOrganization(t.admin);
      const started = Date.now();
      const saved = await create(organization.id, 'ldap', { url: hanging.url, bindDn: slapd.bindDn, bindPassword: 'x', peopleBaseDn: slapd.suffix, timeoutMs: 120_000 });
      const tookMs = Date.now() - started;
      assert.equal(saved.connectionTest?.ok, false);
      assert.match(saved.connectionTest?.detail ?? '', /no result within 5000 ms/);
      assert.ok(tookMs < 9000, `the save took ${tookMs} ms`);
      assert.ok((await t.admin.ok(ProvisioningTargetDocument, { id: saved.target.id })).provisioningTarget, 'saved');
    } finally {
      await hanging.close();
    }
  });
});
