import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gql } from 'graphql-tag';
import {
  CreatePersonDocument,
  CreateProvisioningTargetDocument,
  UpdatePersonDocument,
  UpdateProvisioningTargetDocument,
} from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { organizationWithTokens } from '../support/fixtures';
import { recordingPlugin } from '../support/recording-plugin';

const AUDIT_LOG = gql`
  query AuditLog($organizationId: ID, $first: Int) {
    auditLog(organizationId: $organizationId, first: $first) {
      totalCount
      nodes { tokenId role organizationId operation arguments outcome occurredAt changes { entityType kind data } }
    }
  }
`;

describe('the audit log', () => {
  let t: TestFerry;
  before(async () => {
    t = await startTestFerry({}, { plugins: [recordingPlugin().plugin] });
  });
  after(async () => {
    await t?.stop();
  });

  it('records who changed what and when, with before and after, secrets redacted, for the organisation admins', async () => {
    const { organization, orgAdmin, reader, outsider } = await organizationWithTokens(t);
    const person = (await orgAdmin.ok(CreatePersonDocument, { input: { organizationId: organization.id, names: [{ given: 'Ada' }] } })).createPerson.person;
    await orgAdmin.ok(UpdatePersonDocument, { id: person.id, input: { timezone: 'Europe/Paris' } });
    const target = (
      await orgAdmin.ok(CreateProvisioningTargetDocument, {
        input: { organizationId: organization.id, name: 'rec', plugin: 'recorder', config: { apiKey: 'very-secret-api-key' } },
      })
    ).createProvisioningTarget.target;
    await reader.request(UpdateProvisioningTargetDocument, { id: target.id, input: { name: 'renamed' } });

    const log = await orgAdmin.request(AUDIT_LOG as never, { first: 100 } as never);
    assert.equal(log.errors, undefined, JSON.stringify(log.errors));
    const nodes = (log.data as { auditLog: { nodes: { operation: string; outcome: string; role: string; arguments: unknown; changes: { entityType: string; kind: string; data: Record<string, unknown> | null }[] }[] } }).auditLog.nodes;
    const operations = nodes.map((n) => `${n.operation} ${n.role} ${n.outcome}`);
    assert.deepEqual(operations.filter((o) => !o.startsWith('createApiToken')), [
      'createOrganization PLATFORM_ADMIN OK',
      'createPerson ORG_ADMIN OK',
      'updatePerson ORG_ADMIN OK',
      'createProvisioningTarget ORG_ADMIN OK',
      'updateProvisioningTarget ORG_READER FORBIDDEN',
    ]);
    const update = nodes.find((n) => n.operation === 'updatePerson')!;
    const personChange = update.changes.find((c) => c.entityType === 'Person')!;
    assert.deepEqual(personChange.data?.timezone, [null, 'Europe/Paris'], 'before and after');
    const created = nodes.find((n) => n.operation === 'createProvisioningTarget')!;
    assert.ok(!JSON.stringify(nodes).includes('very-secret-api-key'), 'secrets are redacted');
    assert.equal((created.arguments as { input: { config: { apiKey: string } } }).input.config.apiKey, '[redacted]');

    assert.equal((await reader.request(AUDIT_LOG as never, {} as never)).errors?.[0]?.extensions?.code, 'FORBIDDEN');
    const foreign = await outsider.request(AUDIT_LOG as never, { organizationId: organization.id } as never);
    assert.equal(foreign.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    const own = await outsider.request(AUDIT_LOG as never, {} as never);
    assert.ok(!JSON.stringify(own.data).includes(person.id), "another organisation's admin does not see these entries");
  });
});
