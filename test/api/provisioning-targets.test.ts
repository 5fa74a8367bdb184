import assert from 'node:assert/strict';
import { open as openSealed } from '../../src/security/secret-box';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import {
  ChangeLogDocument,
  CreateOrgIdentitySourceDocument,
  CreateProvisioningTargetDocument,
  DeleteProvisioningTargetDocument,
  GroupsByNameDocument,
  ProvisioningPluginsDocument,
  ProvisioningTargetDocument,
  ProvisioningTargetsDocument,
  UpdateProvisioningTargetDocument,
  type ChangeLogQuery,
  type CreateProvisioningTargetInput,
} from '../../src/client/generated/graphql';
import type { GraphQLTestClient } from '../support/client';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, organizationWithTokens, uniqueName } from '../support/fixtures';

const PASSWORD = 'Sup3r-S3cret-bind-passw0rd';

/** A valid configuration of the LDAP plugin, secret included. */
const ldapConfig = (overrides: Record<string, unknown> = {}) => ({
  url: 'ldap://ldap.example.org:389',
  bindDn: 'cn=ferry,dc=example,dc=org',
  bindPassword: PASSWORD,
  peopleBaseDn: 'ou=people,dc=example,dc=org',
  ...overrides,
});

describe('provisioning targets', () => {
  let t: TestFerry;
  let db: pg.Client;
  before(async () => {
    t = await startTestFerry();
    db = new pg.Client({ connectionString: t.databaseUrl });
    await db.connect();
  });
  after(async () => {
    await db?.end();
    await t?.stop();
  });

  /** The row as stored; secrets are encrypted at rest, and opened here with the process's key. */
  const storedColumns = async (id: string): Promise<{ config: Record<string, unknown>; secrets: Record<string, string> }> => {
    const rows = await db.query<{ config: Record<string, unknown>; secrets: string }>('select config, secrets from provisioning_target where id = $1', [id]);
    if (rows.rows.length === 0) return undefined as never;
    const { config, secrets } = rows.rows[0];
    assert.ok(secrets.startsWith('v1:'), 'sealed');
    assert.ok(!secrets.includes(PASSWORD) && !secrets.includes('an0ther-Secret'), 'no secret in clear in the database');
    return { config, secrets: JSON.parse(openSealed(secrets)) as Record<string, string> };
  };

  const createTarget = async (client: GraphQLTestClient, input: Partial<CreateProvisioningTargetInput> & { organizationId: string }) => {
    const data = await client.ok(CreateProvisioningTargetDocument, {
      input: { name: uniqueName('target'), plugin: 'ldap', config: ldapConfig(), ...input },
    });
    return data.createProvisioningTarget;
  };

  /** Every change-log entry after `cursor`, paging to the end, and the newest entry's sequence. */
  const readChangeLog = async (cursor: string) => {
    const entries: ChangeLogQuery['changeLog']['nodes'] = [];
    for (;;) {
      const page = (await t.admin.ok(ChangeLogDocument, { after: cursor, first: 500 })).changeLog;
      entries.push(...page.nodes);
      cursor = page.pageInfo.endCursor ?? cursor;
      if (!page.pageInfo.hasNextPage) return { entries, cursor };
    }
  };
  const changeLogCursor = async () => (await readChangeLog('0')).cursor;
  const changesSince = async (cursor: string) => (await readChangeLog(cursor)).entries;

  it('lists the installed plugins with their write-only settings', async () => {
    const { provisioningPlugins } = await t.admin.ok(ProvisioningPluginsDocument);
    const ldap = provisioningPlugins.find((plugin) => plugin.name === 'ldap');
    assert.ok(ldap, 'the LDAP plugin is installed');
    assert.ok(ldap.secretFields.includes('bindPassword'));
  });

  it('creates targets with defaults, after the last one, and lists them in order', async () => {
    const organization = await createOrganization(t.admin);
    const first = await createTarget(t.admin, { organizationId: organization.id, name: 'Directory' });
    assert.equal(first.target.name, 'Directory');
    assert.equal(first.target.plugin, 'ldap');
    assert.equal(first.target.mode, 'AUTOMATIC');
    assert.equal(first.target.retryIntervalSeconds, 900);
    assert.equal(first.target.maxRetries, 3);
    assert.equal(first.target.provisioningGroupId, null);
    assert.equal(first.target.config.peopleBaseDn, 'ou=people,dc=example,dc=org');
    assert.deepEqual(first.target.secretsSet, ['bindPassword']);
    assert.deepEqual(
      first.changes.map((c) => [c.entityType, c.kind, c.entityId]),
      [['ProvisioningTarget', 'CREATED', first.target.id]],
    );

    const second = await createTarget(t.admin, { organizationId: organization.id, mode: 'MANUAL', retryIntervalSeconds: 0, maxRetries: 0 });
    assert.equal(second.target.order, first.target.order + 1, 'a target without an order goes last');
    assert.equal(second.target.retryIntervalSeconds, 0);
    assert.equal(second.target.maxRetries, 0);
    const front = await createTarget(t.admin, { organizationId: organization.id, order: 0 });
    const third = await createTarget(t.admin, { organizationId: organization.id });
    assert.equal(third.target.order, second.target.order + 1);

    const listed = await t.admin.ok(ProvisioningTargetsDocument, { organizationId: organization.id });
    assert.deepEqual(
      listed.provisioningTargets.nodes.map((target) => target.id),
      [front.target.id, first.target.id, second.target.id, third.target.id],
    );
    const manual = await t.admin.ok(ProvisioningTargetsDocument, { organizationId: organization.id, filter: { mode: 'MANUAL' } });
    assert.deepEqual(manual.provisioningTargets.nodes.map((target) => target.id), [second.target.id]);
    const ldap = await t.admin.ok(ProvisioningTargetsDocument, { organizationId: organization.id, filter: { plugin: 'ldap' } });
    assert.equal(ldap.provisioningTargets.nodes.length, 4);
    const none = await t.admin.ok(ProvisioningTargetsDocument, { organizationId: organization.id, filter: { plugin: 'scim' } });
    assert.deepEqual(none.provisioningTargets.nodes, []);
    const other = await createOrganization(t.admin);
    const otherFirst = await createTarget(t.admin, { organizationId: other.id });
    assert.equal(otherFirst.target.order, 1, 'the order counts per organisation');

    const queriesToList = async (organizationId: string) => {
      const before = await t.sqlQueryCount();
      await t.admin.ok(ProvisioningTargetsDocument, { organizationId });
      return (await t.sqlQueryCount()) - before;
    };
    assert.equal(await queriesToList(organization.id), await queriesToList(other.id), 'secretsSet is loaded in one batch');
  });

  it('keeps secrets write-only, and keeps them when an update leaves them out', async () => {
    const organization = await createOrganization(t.admin);
    const cursor = await changeLogCursor();
    const created = await createTarget(t.admin, { organizationId: organization.id });
    const id = created.target.id;
    assert.ok(!('bindPassword' in created.target.config));
    assert.ok(!JSON.stringify(created).includes(PASSWORD), 'the create payload has no secret');
    const stored = await storedColumns(id);
    assert.deepEqual(stored.secrets, { bindPassword: PASSWORD });
    assert.ok(!('bindPassword' in stored.config), 'the secret is not stored with the plain configuration');

    const read = await t.admin.ok(ProvisioningTargetDocument, { id });
    const listed = await t.admin.ok(ProvisioningTargetsDocument, { organizationId: organization.id });
    assert.deepEqual(read.provisioningTarget.secretsSet, ['bindPassword']);
    assert.ok(!JSON.stringify([read, listed]).includes(PASSWORD));

    const moved = await t.admin.ok(UpdateProvisioningTargetDocument, { id, input: { config: { peopleBaseDn: 'ou=staff,dc=example,dc=org' } } });
    assert.equal(moved.updateProvisioningTarget.target.config.peopleBaseDn, 'ou=staff,dc=example,dc=org');
    assert.equal(moved.updateProvisioningTarget.target.config.bindDn, 'cn=ferry,dc=example,dc=org', 'keys left out keep their value');
    assert.deepEqual(moved.updateProvisioningTarget.target.secretsSet, ['bindPassword']);
    assert.deepEqual((await storedColumns(id)).secrets, { bindPassword: PASSWORD }, 'the secret survives an update without it');
    const [configChange] = moved.updateProvisioningTarget.changes;
    assert.deepEqual(configChange.changedFields, ['config']);

    const rotated = await t.admin.ok(UpdateProvisioningTargetDocument, { id, input: { config: { bindPassword: 'an0ther-Secret' } } });
    assert.deepEqual((await storedColumns(id)).secrets, { bindPassword: 'an0ther-Secret' });
    assert.ok(!JSON.stringify(rotated).includes('an0ther-Secret'));

    const cleared = await t.admin.fails('BAD_USER_INPUT', UpdateProvisioningTargetDocument, { id, input: { config: { bindPassword: null } } });
    assert.deepEqual(
      (cleared.extensions?.fields as { field: string }[]).map((f) => f.field),
      ['config.bindPassword'],
      'a required secret cannot be cleared',
    );
    assert.deepEqual((await storedColumns(id)).secrets, { bindPassword: 'an0ther-Secret' });

    await t.admin.ok(DeleteProvisioningTargetDocument, { id });
    const log = JSON.stringify(await changesSince(cursor));
    assert.ok(log.includes(id), 'the target changes are in the change log');
    assert.ok(!log.includes(PASSWORD) && !log.includes('an0ther-Secret'), 'no secret reaches the change log');
  });

  it('merges configuration updates and clears optional keys with null', async () => {
    const organization = await createOrganization(t.admin);
    const { target } = await createTarget(t.admin, {
      organizationId: organization.id,
      config: ldapConfig({ groupBaseDn: 'ou=groups,dc=example,dc=org' }),
    });
    assert.equal(target.config.groupBaseDn, 'ou=groups,dc=example,dc=org');
    const data = await t.admin.ok(UpdateProvisioningTargetDocument, {
      id: target.id,
      input: { config: { groupBaseDn: null }, name: 'Renamed', mode: 'QUEUE', order: 7, retryIntervalSeconds: 60, maxRetries: 10 },
    });
    const updated = data.updateProvisioningTarget.target;
    assert.equal(updated.config.groupBaseDn, null);
    assert.equal(updated.config.url, 'ldap://ldap.example.org:389');
    assert.deepEqual(
      [updated.name, updated.mode, updated.order, updated.retryIntervalSeconds, updated.maxRetries],
      ['Renamed', 'QUEUE', 7, 60, 10],
    );
    assert.equal(data.updateProvisioningTarget.changes.length, 1, 'one update, one change-log entry');
    assert.deepEqual([...data.updateProvisioningTarget.changes[0].changedFields].sort(), [
      'config',
      'maxRetries',
      'mode',
      'name',
      'order',
      'retryIntervalSeconds',
    ]);
  });

  it('rejects invalid configurations with every problem by path, writing nothing', async () => {
    const organization = await createOrganization(t.admin);
    const cursor = await changeLogCursor();
    const error = await t.admin.fails('BAD_USER_INPUT', CreateProvisioningTargetDocument, {
      input: {
        organizationId: organization.id,
        name: 'Broken',
        plugin: 'ldap',
        config: { url: 'http://not-ldap.example.org', bindDn: 'cn=ferry,dc=example,dc=org', bindPassword: PASSWORD },
      },
    });
    const fields = (error.extensions?.fields as { field: string; problems: string[] }[]).map((f) => f.field).sort();
    assert.deepEqual(fields, ['config.peopleBaseDn', 'config.url']);
    assert.match(error.message, /config\.url/);
    assert.ok(!JSON.stringify(error).includes(PASSWORD));
    const problemsOf = async (config: Record<string, unknown>) => {
      const failure = await t.admin.fails('BAD_USER_INPUT', CreateProvisioningTargetDocument, {
        input: { organizationId: organization.id, name: 'Broken', plugin: 'ldap', config },
      });
      return Object.fromEntries((failure.extensions?.fields as { field: string; problems: string[] }[]).map((f) => [f.field, f.problems]));
    };
    assert.deepEqual(Object.keys(await problemsOf(ldapConfig({ bogus: 1 }))), ['config.bogus'], 'unknown settings are named');
    assert.deepEqual(
      Object.keys(await problemsOf(ldapConfig({ personObjectClasses: { eduPerson: 'yes' } }))),
      ['config.personObjectClasses.eduPerson'],
      'nested settings are reported by their full path',
    );
    const both = await problemsOf(ldapConfig({ groupObjectClasses: { groupOfNames: true, posixGroup: true } }));
    assert.match(both['config.groupObjectClasses'][0], /STRUCTURAL/, 'rules across settings are reported too');

    const { target } = await createTarget(t.admin, { organizationId: organization.id });
    const afterCreate = await changeLogCursor();
    const badUpdate = await t.admin.fails('BAD_USER_INPUT', UpdateProvisioningTargetDocument, {
      id: target.id,
      input: { config: { url: 'ftp://x' }, name: 'Should not stick' },
    });
    assert.deepEqual((badUpdate.extensions?.fields as { field: string }[]).map((f) => f.field), ['config.url']);
    const unchanged = await t.admin.ok(ProvisioningTargetDocument, { id: target.id });
    assert.equal(unchanged.provisioningTarget.name, target.name);
    assert.equal(unchanged.provisioningTarget.config.url, 'ldap://ldap.example.org:389');
    assert.deepEqual(await changesSince(afterCreate), [], 'a failed update writes nothing');
    assert.equal((await changesSince(cursor)).length, 1, 'only the valid create was written');
  });

  it('rejects unknown plugins, bad settings and duplicate names', async () => {
    const organization = await createOrganization(t.admin);
    const unknown = await t.admin.fails('BAD_USER_INPUT', CreateProvisioningTargetDocument, {
      input: { organizationId: organization.id, name: 'X', plugin: 'carrier-pigeon', config: {} },
    });
    assert.match(unknown.message, /Unknown plugin "carrier-pigeon"/);
    const base = { organizationId: organization.id, name: 'X', plugin: 'ldap', config: ldapConfig() };
    await t.admin.fails('BAD_USER_INPUT', CreateProvisioningTargetDocument, { input: { ...base, name: '' } });
    await t.admin.fails('BAD_USER_INPUT', CreateProvisioningTargetDocument, { input: { ...base, retryIntervalSeconds: -1 } });
    await t.admin.fails('BAD_USER_INPUT', CreateProvisioningTargetDocument, { input: { ...base, retryIntervalSeconds: 8 * 24 * 3600 } });
    await t.admin.fails('BAD_USER_INPUT', CreateProvisioningTargetDocument, { input: { ...base, maxRetries: 101 } });
    await t.admin.fails('BAD_USER_INPUT', CreateProvisioningTargetDocument, { input: { ...base, order: -1 } });
    const { target } = await createTarget(t.admin, { organizationId: organization.id, name: 'Directory' });
    const duplicate = await t.admin.fails('CONFLICT', CreateProvisioningTargetDocument, { input: { ...base, name: 'Directory' } });
    assert.match(duplicate.message, /already exists/);
    await t.admin.fails('BAD_USER_INPUT', UpdateProvisioningTargetDocument, { id: target.id, input: { name: null } });
    await t.admin.fails('BAD_USER_INPUT', UpdateProvisioningTargetDocument, { id: target.id, input: { maxRetries: null } });
    await t.admin.fails('NOT_FOUND', ProvisioningTargetDocument, { id: '00000000-0000-7000-8000-000000000000' });
    await t.admin.fails('NOT_FOUND', ProvisioningTargetDocument, { id: 'not-a-uuid' });
    const listed = await t.admin.ok(ProvisioningTargetsDocument, { organizationId: organization.id });
    assert.deepEqual(listed.provisioningTargets.nodes.map((x) => x.id), [target.id]);
  });

  it('never changes the plugin of a target', async () => {
    const organization = await createOrganization(t.admin);
    const { target } = await createTarget(t.admin, { organizationId: organization.id });
    const result = await t.admin.request(UpdateProvisioningTargetDocument, {
      id: target.id,
      input: { plugin: 'scim', name: 'Switched' } as never,
    });
    assert.ok(result.errors?.length);
    assert.match(result.errors[0].message, /plugin/);
    const read = await t.admin.ok(ProvisioningTargetDocument, { id: target.id });
    assert.equal(read.provisioningTarget.plugin, 'ldap');
    assert.equal(read.provisioningTarget.name, target.name);
  });

  it('takes the provisioning group and skipped source from the same organisation only', async () => {
    const organization = await createOrganization(t.admin);
    const other = await createOrganization(t.admin);
    const groupOf = async (organizationId: string) =>
      (await t.admin.ok(GroupsByNameDocument, { organizationId })).groups.nodes.find((g) => g.fullName === 'CO:members:active')!.id;
    const sourceOf = async (organizationId: string) =>
      (await t.admin.ok(CreateOrgIdentitySourceDocument, { input: { organizationId, name: uniqueName('hr'), kind: 'sql' } }))
        .createOrgIdentitySource.orgIdentitySource.id;
    const [group, foreignGroup, source, foreignSource] = await Promise.all([
      groupOf(organization.id),
      groupOf(other.id),
      sourceOf(organization.id),
      sourceOf(other.id),
    ]);

    const { target } = await createTarget(t.admin, { organizationId: organization.id, provisioningGroupId: group, skipIfFromSourceId: source });
    assert.equal(target.provisioningGroupId, group);
    assert.equal(target.skipIfFromSourceId, source);
    await t.admin.fails('NOT_FOUND', CreateProvisioningTargetDocument, {
      input: { organizationId: organization.id, name: 'X', plugin: 'ldap', config: ldapConfig(), provisioningGroupId: foreignGroup },
    });
    await t.admin.fails('NOT_FOUND', UpdateProvisioningTargetDocument, { id: target.id, input: { provisioningGroupId: foreignGroup } });
    await t.admin.fails('NOT_FOUND', UpdateProvisioningTargetDocument, { id: target.id, input: { skipIfFromSourceId: foreignSource } });
    await t.admin.fails('NOT_FOUND', UpdateProvisioningTargetDocument, {
      id: target.id,
      input: { provisioningGroupId: '00000000-0000-7000-8000-000000000000' },
    });
    const cleared = await t.admin.ok(UpdateProvisioningTargetDocument, {
      id: target.id,
      input: { provisioningGroupId: null, skipIfFromSourceId: null },
    });
    assert.equal(cleared.updateProvisioningTarget.target.provisioningGroupId, null);
    assert.equal(cleared.updateProvisioningTarget.target.skipIfFromSourceId, null);
  });

  it('enforces roles: admin writes, reader reads without secrets, outsider sees nothing, no token is refused', async () => {
    const { organization, orgAdmin, reader, outsider, anonymous } = await organizationWithTokens(t);
    const created = await createTarget(orgAdmin, { organizationId: organization.id });
    const id = created.target.id;
    await orgAdmin.ok(UpdateProvisioningTargetDocument, { id, input: { mode: 'MANUAL' } });

    const read = await reader.ok(ProvisioningTargetDocument, { id });
    assert.equal(read.provisioningTarget.mode, 'MANUAL');
    assert.deepEqual(read.provisioningTarget.secretsSet, ['bindPassword']);
    const listed = await reader.ok(ProvisioningTargetsDocument, { organizationId: organization.id });
    assert.equal(listed.provisioningTargets.nodes.length, 1);
    assert.ok(!JSON.stringify([read, listed]).includes(PASSWORD));
    await reader.ok(ProvisioningPluginsDocument);
    const input = { organizationId: organization.id, name: 'X', plugin: 'ldap', config: ldapConfig() };
    await reader.fails('FORBIDDEN', CreateProvisioningTargetDocument, { input });
    await reader.fails('FORBIDDEN', UpdateProvisioningTargetDocument, { id, input: { name: 'X' } });
    await reader.fails('FORBIDDEN', DeleteProvisioningTargetDocument, { id });

    await outsider.fails('NOT_FOUND', ProvisioningTargetDocument, { id });
    await outsider.fails('NOT_FOUND', ProvisioningTargetsDocument, { organizationId: organization.id });
    await outsider.fails('NOT_FOUND', CreateProvisioningTargetDocument, { input });
    await outsider.fails('NOT_FOUND', UpdateProvisioningTargetDocument, { id, input: { name: 'X' } });
    await outsider.fails('NOT_FOUND', DeleteProvisioningTargetDocument, { id });

    for (const denied of [
      await anonymous.request(ProvisioningTargetDocument, { id }),
      await anonymous.request(ProvisioningPluginsDocument),
      await anonymous.request(CreateProvisioningTargetDocument, { input }),
    ]) {
      assert.equal(denied.status, 401);
      assert.equal(denied.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
    }
    const unchanged = await t.admin.ok(ProvisioningTargetDocument, { id });
    assert.equal(unchanged.provisioningTarget.name, created.target.name);
    await orgAdmin.ok(DeleteProvisioningTargetDocument, { id });
  });

  it('deletes a target', async () => {
    const organization = await createOrganization(t.admin);
    const { target } = await createTarget(t.admin, { organizationId: organization.id });
    const data = await t.admin.ok(DeleteProvisioningTargetDocument, { id: target.id });
    assert.equal(data.deleteProvisioningTarget.id, target.id);
    assert.deepEqual(
      data.deleteProvisioningTarget.changes.map((c) => [c.entityType, c.kind, c.entityId]),
      [['ProvisioningTarget', 'DELETED', target.id]],
    );
    assert.ok(!JSON.stringify(data).includes(PASSWORD));
    await t.admin.fails('NOT_FOUND', ProvisioningTargetDocument, { id: target.id });
    await t.admin.fails('NOT_FOUND', DeleteProvisioningTargetDocument, { id: target.id });
    assert.equal(await storedColumns(target.id), undefined);
    const listed = await t.admin.ok(ProvisioningTargetsDocument, { organizationId: organization.id });
    assert.deepEqual(listed.provisioningTargets.nodes, []);
  });
});
