import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreatePersonDocument,
  CreateProvisioningTargetDocument,
  DeletePersonDocument,
  ProvisioningJobsDocument,
  UpdateNameDocument,
  type ProvisioningMode,
} from '../../src/client/generated/graphql';
import { allEvents } from '../support/events';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, uniqueName } from '../support/fixtures';
import { startSlapd, type Slapd } from '../support/slapd';

describe('queued provisioning into a slapd that goes away and comes back', () => {
  let t: TestFerry;
  let slapd: Slapd;
  before(async () => {
    slapd = await startSlapd();
    t = await startTestFerry({ FERRY_JOB_POLL_MS: '100' });
  });
  after(async () => {
    await t?.stop();
    await slapd?.dispose();
  });

  async function branch() {
    const ou = uniqueName('q');
    const base = `ou=${ou},${slapd.suffix}`;
    await slapd.client().add(base, { objectClass: ['organizationalUnit'], ou });
    await slapd.client().add(`ou=people,${base}`, { objectClass: ['organizationalUnit'], ou: 'people' });
    return `ou=people,${base}`;
  }

  async function ldapTarget(organizationId: string, mode: ProvisioningMode, peopleBaseDn: string) {
    return (
      await t.admin.ok(CreateProvisioningTargetDocument, {
        input: {
          organizationId,
          name: `${mode}-${uniqueName('t')}`,
          plugin: 'ldap',
          mode,
          retryIntervalSeconds: 1,
          maxRetries: 20,
          config: { url: slapd.url, bindDn: slapd.bindDn, bindPassword: slapd.bindPassword, peopleBaseDn, timeoutMs: 2000 },
        },
      })
    ).createProvisioningTarget.target;
  }

  it('waits and retries while slapd is down, then converges to the registry with nothing lost', async () => {
    const organization = await createOrganization(t.admin);
    const queueDn = await branch();
    const onErrorDn = await branch();
    await ldapTarget(organization.id, 'QUEUE', queueDn);
    await ldapTarget(organization.id, 'QUEUE_ON_ERROR', onErrorDn);

    await slapd.stop();
    const person = async (uid: string, family: string) =>
      (
        await t.admin.ok(CreatePersonDocument, {
          input: { organizationId: organization.id, names: [{ given: 'Test', family }], identifiers: [{ type: 'uid', value: uid }] },
        })
      ).createPerson.person;
    const ada = await person('ada', 'Byron');
    const bob = await person('bob', 'Builder');
    const eve = await person('eve', 'Eavesdropper');
    await t.admin.ok(UpdateNameDocument, { id: ada.names[0].id, input: { family: 'Lovelace' } });
    await t.admin.ok(DeletePersonDocument, { id: eve.id });

    // While slapd is down: failures are retryable and retries are scheduled, nothing is lost.
    const pending = await allEvents(t.admin, { organizationId: organization.id });
    assert.ok(pending.some((e) => e.outcome === 'RETRY_SCHEDULED' && e.retryable));
    assert.ok(!pending.some((e) => e.outcome === 'FAILED' && !e.retryable), 'no failure was taken as permanent');
    assert.ok((await t.admin.ok(ProvisioningJobsDocument, { organizationId: organization.id, state: 'QUEUED' })).provisioningJobs.nodes.length > 0);
    await slapd.restart();
    const expected = (base: string) => [`uid=ada,${base}`, `uid=bob,${base}`].sort();
    const deadline = Date.now() + 30000;
    for (;;) {
      const queued = (await t.admin.ok(ProvisioningJobsDocument, { organizationId: organization.id, state: 'QUEUED' })).provisioningJobs.nodes;
      const [q, e] = await Promise.all([slapd.childDns(queueDn), slapd.childDns(onErrorDn)]);
      if (queued.length === 0 && JSON.stringify(q.sort()) === JSON.stringify(expected(queueDn)) && JSON.stringify(e.sort()) === JSON.stringify(expected(onErrorDn))) break;
      if (Date.now() > deadline) assert.fail(`did not converge: queued=${queued.length} queue=${q} onError=${e}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    for (const base of [queueDn, onErrorDn]) {
      assert.deepEqual((await slapd.entry(`uid=ada,${base}`))?.get('sn'), ['Lovelace'], 'the latest name arrived');
      assert.deepEqual((await slapd.entry(`uid=bob,${base}`))?.get('sn'), ['Builder']);
      assert.equal(await slapd.entry(`uid=eve,${base}`), null, 'the deleted person never appeared (or was removed)');
    }
    assert.ok(bob);
  });
});
