import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ChangeLogDocument,
  CouDocument,
  CreateCouDocument,
  DeleteCouDocument,
  DeleteOrganizationDocument,
  OrganizationDocument,
  OrganizationsDocument,
  UpdateCouDocument,
  UpdateOrganizationDocument,
  CreateOrganizationDocument,
  GroupsByNameDocument,
  type OrganizationsQuery,
} from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, organizationWithTokens, uniqueName } from '../support/fixtures';

describe('organisations and units', () => {
  let t: TestFerry;
  before(async () => {
    t = await startTestFerry();
  });
  after(() => t?.stop());

  /** The sequence of the newest change-log entry (reading on from `after`, paging to the end). */
  async function changeLogHead(after = '0'): Promise<string> {
    let cursor = after;
    for (;;) {
      const page = (await t.admin.ok(ChangeLogDocument, { after: cursor, first: 500 })).changeLog;
      cursor = page.pageInfo.endCursor ?? cursor;
      if (!page.pageInfo.hasNextPage) return cursor;
    }
  }

  it('creates an organisation with its automatic groups, in one change-log transaction', async () => {
    const name = uniqueName('acme');
    const data = await t.admin.ok(CreateOrganizationDocument, { input: { name, description: 'Acme Corp' } });
    const { organization, changes } = data.createOrganization;
    assert.equal(organization.name, name);
    assert.equal(organization.status, 'ACTIVE');
    const groups = await t.admin.ok(GroupsByNameDocument, { organizationId: organization.id });
    assert.deepEqual(
      groups.groups.nodes.map((g) => [g.fullName, g.type]).sort(),
      [
        ['CO:admins', 'ADMINS'],
        ['CO:members:active', 'MEMBERS_ACTIVE'],
        ['CO:members:all', 'MEMBERS_ALL'],
      ],
    );
    assert.deepEqual(changes[0].entityType, 'Organization');
    assert.equal(changes.filter((c) => c.entityType === 'Group').length, 3);
    const seqs = changes.map((c) => BigInt(c.seq));
    assert.deepEqual([...seqs].sort((a, b) => (a < b ? -1 : 1)), seqs, 'sequences are increasing');
    assert.ok(changes.every((c) => c.organizationId === organization.id));
  });

  it('updates and reports the changed fields with before and after values', async () => {
    const organization = await createOrganization(t.admin);
    const data = await t.admin.ok(UpdateOrganizationDocument, { id: organization.id, input: { description: 'new', status: 'SUSPENDED' } });
    assert.equal(data.updateOrganization.organization.status, 'SUSPENDED');
    const [change] = data.updateOrganization.changes;
    assert.equal(change.kind, 'UPDATED');
    assert.deepEqual([...change.changedFields].sort(), ['description', 'status']);
    assert.deepEqual(change.data?.status, ['ACTIVE', 'SUSPENDED']);
  });

  it('rejects bad input without writing anything', async () => {
    const before = await changeLogHead();
    await t.admin.fails('BAD_USER_INPUT', CreateOrganizationDocument, { input: { name: '' } });
    await t.admin.fails('BAD_USER_INPUT', CreateOrganizationDocument, { input: { name: 'x'.repeat(200) } });
    await t.admin.fails('BAD_USER_INPUT', CreateOrganizationDocument, { input: { name: 'bad\u0007bell' } });
    const existing = await createOrganization(t.admin);
    const afterCreate = await changeLogHead(before);
    const conflict = await t.admin.fails('CONFLICT', CreateOrganizationDocument, { input: { name: existing.name } });
    assert.match(conflict.message, /already exists/);
    const afterConflict = await t.admin.ok(ChangeLogDocument, { after: afterCreate, first: 500 });
    assert.equal(afterConflict.changeLog.nodes.length, 0, 'a failed mutation writes no change-log entry');
    await t.admin.fails('NOT_FOUND', OrganizationDocument, { id: '00000000-0000-7000-8000-000000000000' });
    await t.admin.fails('NOT_FOUND', OrganizationDocument, { id: 'not-a-uuid' });
  });

  it('pages through organisations with a cursor', async () => {
    for (let i = 0; i < 3; i++) await createOrganization(t.admin);
    const seen: string[] = [];
    let after: string | null | undefined = null;
    for (;;) {
      const page: OrganizationsQuery = await t.admin.ok(OrganizationsDocument, { first: 2, after });
      seen.push(...page.organizations.nodes.map((o) => o.id));
      if (!page.organizations.pageInfo.hasNextPage) break;
      after = page.organizations.pageInfo.endCursor;
    }
    assert.equal(new Set(seen).size, seen.length, 'no organisation twice');
    const total = (await t.admin.ok(OrganizationsDocument, { first: 1 })).organizations.totalCount;
    assert.equal(seen.length, total);
    await t.admin.fails('BAD_USER_INPUT', OrganizationsDocument, { first: 0 });
    await t.admin.fails('BAD_USER_INPUT', OrganizationsDocument, { first: 10, after: 'bogus' });
  });

  it('nests units, keeps their automatic groups named after them, and refuses cycles', async () => {
    const organization = await createOrganization(t.admin);
    const parent = (await t.admin.ok(CreateCouDocument, { input: { organizationId: organization.id, name: 'Research' } })).createCou.cou;
    const child = (await t.admin.ok(CreateCouDocument, { input: { organizationId: organization.id, name: 'Physics', parentId: parent.id } })).createCou.cou;
    assert.equal(child.parentId, parent.id);
    const names = async () =>
      (await t.admin.ok(GroupsByNameDocument, { organizationId: organization.id })).groups.nodes.map((g) => g.fullName).sort();
    assert.ok((await names()).includes('CO:COU:Physics:members:active'));
    await t.admin.ok(UpdateCouDocument, { id: child.id, input: { name: 'Astrophysics' } });
    const renamed = await names();
    assert.ok(renamed.includes('CO:COU:Astrophysics:members:all'));
    assert.ok(!renamed.some((n) => n.includes('Physics:') && !n.includes('Astro')));
    const cycle = await t.admin.fails('BAD_USER_INPUT', UpdateCouDocument, { id: parent.id, input: { parentId: child.id } });
    assert.match(cycle.message, /inside itself/);
    await t.admin.fails('CONFLICT', DeleteCouDocument, { id: parent.id });
    await t.admin.ok(DeleteCouDocument, { id: child.id });
    assert.ok(!(await names()).some((n) => n.includes('Astrophysics')));
    await t.admin.fails('NOT_FOUND', CouDocument, { id: child.id });
  });

  it('enforces roles: platform admin, organisation admin, reader, outsider, no token', async () => {
    const { organization, orgAdmin, reader, outsider, anonymous } = await organizationWithTokens(t);
    // Reading
    await orgAdmin.ok(OrganizationDocument, { id: organization.id });
    await reader.ok(OrganizationDocument, { id: organization.id });
    await outsider.fails('NOT_FOUND', OrganizationDocument, { id: organization.id });
    const anon = await anonymous.request(OrganizationDocument, { id: organization.id });
    assert.equal(anon.status, 401);
    assert.equal(anon.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
    const visible = await outsider.ok(OrganizationsDocument, { first: 100 });
    assert.ok(!visible.organizations.nodes.some((o) => o.id === organization.id));
    assert.equal(visible.organizations.totalCount, 1);
    // Writing
    await orgAdmin.ok(UpdateOrganizationDocument, { id: organization.id, input: { description: 'by org admin' } });
    await reader.fails('FORBIDDEN', UpdateOrganizationDocument, { id: organization.id, input: { description: 'x' } });
    await outsider.fails('NOT_FOUND', UpdateOrganizationDocument, { id: organization.id, input: { description: 'x' } });
    await orgAdmin.fails('FORBIDDEN', CreateOrganizationDocument, { input: { name: uniqueName('nope') } });
    await orgAdmin.fails('FORBIDDEN', DeleteOrganizationDocument, { id: organization.id });
    await reader.fails('FORBIDDEN', CreateCouDocument, { input: { organizationId: organization.id, name: 'U' } });
    await outsider.fails('NOT_FOUND', CreateCouDocument, { input: { organizationId: organization.id, name: 'U' } });
    await orgAdmin.ok(CreateCouDocument, { input: { organizationId: organization.id, name: 'U' } });
    // The change log is per organisation
    await outsider.fails('NOT_FOUND', ChangeLogDocument, { organizationId: organization.id });
    await orgAdmin.fails('FORBIDDEN', ChangeLogDocument, {});
    const log = await reader.ok(ChangeLogDocument, { organizationId: organization.id, first: 500 });
    assert.ok(log.changeLog.nodes.length > 0);
    assert.ok(log.changeLog.nodes.every((e) => e.organizationId === organization.id));
  });

  it('deletes an organisation with everything in it', async () => {
    const organization = await createOrganization(t.admin);
    const data = await t.admin.ok(DeleteOrganizationDocument, { id: organization.id });
    assert.equal(data.deleteOrganization.changes[0].kind, 'DELETED');
    await t.admin.fails('NOT_FOUND', OrganizationDocument, { id: organization.id });
  });
});
