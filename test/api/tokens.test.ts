import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import {
  ApiTokensDocument,
  CreateApiTokenDocument,
  OrganizationDocument,
  RevokeApiTokenDocument,
  ViewerDocument,
} from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { clientWithRole, createOrganization, organizationWithTokens } from '../support/fixtures';

describe('API tokens', () => {
  let t: TestFerry;
  before(async () => {
    t = await startTestFerry();
  });
  after(() => t?.stop());

  it('shows the secret once and stores only a hash of it', async () => {
    const organization = await createOrganization(t.admin);
    const created = await clientWithRole(t, 'ORG_ADMIN', organization.id);
    assert.match(created.secret, /^ferry_[A-Za-z0-9_-]{43}$/);
    assert.equal(created.token.prefix, created.secret.slice(0, 12));
    const viewer = await created.client.ok(ViewerDocument);
    assert.deepEqual(viewer.viewer, { tokenId: created.token.id, role: 'ORG_ADMIN', organizationId: organization.id });

    const db = new pg.Client({ connectionString: t.databaseUrl });
    await db.connect();
    try {
      const rows = await db.query('select * from api_token where id = $1', [created.token.id]);
      const stored = JSON.stringify(rows.rows[0]);
      assert.ok(!stored.includes(created.secret.slice(6)), 'the secret itself is not in the database');
      assert.match(rows.rows[0].secret_hash, /^[0-9a-f]{64}$/);
    } finally {
      await db.end();
    }
    const listed = await t.admin.ok(ApiTokensDocument, { organizationId: organization.id });
    assert.deepEqual(listed.apiTokens.nodes.map((token) => token.id), [created.token.id]);
    assert.ok(!JSON.stringify(listed).includes(created.secret));
  });

  it('revokes a token at once', async () => {
    const organization = await createOrganization(t.admin);
    const { client, token } = await clientWithRole(t, 'ORG_READER', organization.id);
    await client.ok(OrganizationDocument, { id: organization.id });
    const revoked = await t.admin.ok(RevokeApiTokenDocument, { id: token.id });
    assert.ok(revoked.revokeApiToken.revokedAt);
    const denied = await client.request(OrganizationDocument, { id: organization.id });
    assert.equal(denied.status, 401);
    assert.equal(denied.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
  });

  it('lets organisation admins manage their own organisation\'s tokens only', async () => {
    const { organization, other, orgAdmin, reader, outsider, anonymous } = await organizationWithTokens(t);
    const mine = await orgAdmin.ok(CreateApiTokenDocument, { input: { name: 'ci', role: 'ORG_READER', organizationId: organization.id } });
    await orgAdmin.fails('FORBIDDEN', CreateApiTokenDocument, { input: { name: 'root', role: 'PLATFORM_ADMIN' } });
    await orgAdmin.fails('NOT_FOUND', CreateApiTokenDocument, { input: { name: 'x', role: 'ORG_ADMIN', organizationId: other.id } });
    await reader.fails('FORBIDDEN', CreateApiTokenDocument, { input: { name: 'x', role: 'ORG_READER', organizationId: organization.id } });
    await reader.fails('FORBIDDEN', ApiTokensDocument, { organizationId: organization.id });
    await orgAdmin.fails('FORBIDDEN', ApiTokensDocument, {});
    await outsider.fails('NOT_FOUND', RevokeApiTokenDocument, { id: mine.createApiToken.token.id });
    await reader.fails('FORBIDDEN', RevokeApiTokenDocument, { id: mine.createApiToken.token.id });
    const anon = await anonymous.request(CreateApiTokenDocument, { input: { name: 'x', role: 'ORG_READER', organizationId: organization.id } });
    assert.equal(anon.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
    const viewer = await orgAdmin.ok(ViewerDocument);
    const platformTokenId = (await t.admin.ok(ViewerDocument)).viewer.tokenId;
    await orgAdmin.fails('NOT_FOUND', RevokeApiTokenDocument, { id: platformTokenId });
    await orgAdmin.ok(RevokeApiTokenDocument, { id: mine.createApiToken.token.id });
    assert.equal(viewer.viewer.role, 'ORG_ADMIN');
  });

  it('rejects invalid token requests with clear errors', async () => {
    await t.admin.fails('BAD_USER_INPUT', CreateApiTokenDocument, { input: { name: '', role: 'ORG_ADMIN', organizationId: null } });
    const needsOrg = await t.admin.fails('BAD_USER_INPUT', CreateApiTokenDocument, { input: { name: 'x', role: 'ORG_ADMIN' } });
    assert.match(needsOrg.message, /needs an organisation/);
    const organization = await createOrganization(t.admin);
    await t.admin.fails('BAD_USER_INPUT', CreateApiTokenDocument, { input: { name: 'x', role: 'PLATFORM_ADMIN', organizationId: organization.id } });
    await t.admin.fails('NOT_FOUND', RevokeApiTokenDocument, { id: '00000000-0000-7000-8000-000000000000' });
    for (const header of ['Bearer nope', 'Bearer ferry_wrong', 'Basic abc', '']) {
      const response = await fetch(t.ferry.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: header },
        body: JSON.stringify({ query: '{ viewer { role } }' }),
      });
      assert.equal(response.status, 401, header);
    }
  });
});
