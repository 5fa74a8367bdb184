import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { AddGroupMemberDocument, CreateFolderDocument, CreateGroupDocument, type PersonStatus } from '../../src/client/generated/graphql';
import { SubjectType } from '../../src/provisioning/actions';
import { DEFAULT_MEMBER_PAGE_SIZE, PayloadLoader } from '../../src/provisioning/loading/payload-loader';
import { executorFor, selectPeople, SQL } from '../../src/provisioning/loading/queries';
import { createPerson, groupsByName } from '../api/people-fixtures';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization } from '../support/fixtures';
import { ReferenceMarshaller } from '../support/reference-marshaller';

/**
 * The set-based loader against a real database: its payloads equal those of the per-subject
 * marshaller it replaced (kept in test/support/reference-marshaller.ts as the oracle), a batch costs
 * a number of statements that does not grow with its size, and ids go as one array parameter, so
 * a group of 100,000 members loads.
 */
// A timeout per test, so that a regression fails instead of hanging (an executor that expands the array did hang).
describe('payload loader (set-based, against PostgreSQL)', { timeout: 180_000 }, () => {
  let t: TestFerry;
  let db: pg.Client;
  let organizationId: string;
  const NOW = new Date();
  const clock = () => NOW;
  const day = 86_400_000;
  const past = new Date(NOW.getTime() - 30 * day);
  const future = new Date(NOW.getTime() + 30 * day);
  const personIds: string[] = [];
  let groupIds: string[] = [];
  const serviceIds: string[] = [];
  let rich: string;

  /** Inserts one registry row with the columns every table has; returns its id. */
  async function insert(table: string, columns: Record<string, unknown>): Promise<string> {
    const row = { id: uuidv7(), created_at: NOW, updated_at: NOW, organization_id: organizationId, ...columns };
    const names = Object.keys(row);
    await db.query(
      `insert into "${table}" (${names.map((n) => `"${n}"`).join(', ')}) values (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
      Object.values(row),
    );
    return row.id;
  }

  before(async () => {
    t = await startTestFerry();
    db = new pg.Client({ connectionString: t.databaseUrl });
    await db.connect();
    const organization = await createOrganization(t.admin);
    organizationId = organization.id;
    const folder = (await t.admin.ok(CreateFolderDocument, { input: { organizationId, name: 'research' } })).createFolder.folder;
    const group = async (name: string, status: 'ACTIVE' | 'SUSPENDED' = 'ACTIVE') =>
      (await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name, status } })).createGroup.group.id;
    const staff = await group('staff');
    const physics = await group('physics');
    const dormant = await group('dormant', 'SUSPENDED');

    // People through the API (which also fills the automatic CO:members:* groups).
    const statuses: PersonStatus[] = ['ACTIVE', 'ACTIVE', 'GRACE_PERIOD', 'SUSPENDED', 'EXPIRED', 'LOCKED', 'DELETED', 'PENDING', 'ACTIVE', 'ACTIVE', 'GRACE_PERIOD', 'ACTIVE'];
    for (const [i, status] of statuses.entries()) {
      const person = await createPerson(t.admin, organizationId, {
        status,
        names: [
          { given: `Given${i}`, family: `Family${i}`, type: 'OFFICIAL' },
          ...(i % 2 === 0 ? [{ given: `Pref${i}`, type: 'PREFERRED' as const, primary: i % 4 === 0 }] : []),
        ],
        emailAddresses: i % 3 === 0 ? [] : [{ mail: `p${i}@example.org`, verified: i % 2 === 0 }, { mail: `p${i}@home.example`, type: 'PERSONAL' }],
        identifiers: [
          { type: 'uid', value: `user${i}`, login: true },
          { type: 'eppn', value: `user${i}@example.org` },
          ...(i % 3 === 0 ? [{ type: 'old', value: `old${i}`, status: 'SUSPENDED' as const }] : []),
        ],
      });
      personIds.push(person.id);
    }
    rich = personIds[0];
    for (const [i, personId] of personIds.entries()) {
      if (i % 4 !== 3) await t.admin.ok(AddGroupMemberDocument, { input: { groupId: staff, personId, owner: i % 5 === 0 } });
      if (i % 3 === 0) await t.admin.ok(AddGroupMemberDocument, { input: { groupId: physics, personId, validThrough: i === 9 ? past.toISOString() : null } });
    }
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: dormant, personId: rich } });
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: physics, personId: personIds[1], validFrom: future.toISOString() } });
    groupIds = [...(await groupsByName(t.admin, organizationId)).values()];

    // The rest by SQL: records the API has no short way to make, or refuses (windows in the past).
    const cou = await insert('cou', { name: 'Physics' });
    const nesting = await insert('group_nesting', { group_id: staff, nested_group_id: physics });
    for (const [i, personId] of personIds.entries()) {
      await insert('url', { person_id: personId, url: `https://example.org/~${i}`, type: 'PERSONAL', description: i % 2 ? 'home' : null });
      const roles = [
        await insert('person_role', { person_id: personId, cou_id: i % 2 ? cou : null, status: 'ACTIVE', affiliation: 'STAFF', title: `Title${i}`, o: 'Example', ou: 'R&D', order: 2 }),
        await insert('person_role', { person_id: personId, status: 'GRACE_PERIOD', affiliation: 'FACULTY', order: 1, valid_from: past, valid_through: future }),
        await insert('person_role', { person_id: personId, status: 'SUSPENDED', affiliation: 'STUDENT', order: 0 }),
        await insert('person_role', { person_id: personId, status: 'ACTIVE', affiliation: 'MEMBER', order: 1, valid_through: past }),
      ];
      for (const roleId of roles.slice(0, 3)) {
        await insert('address', { person_id: personId, role_id: roleId, type: 'OFFICE', street: `${i} Main St`, locality: 'Town', postal_code: '12345' });
        await insert('telephone_number', { person_id: personId, role_id: roleId, type: 'OFFICE', country_code: '+1', number: `555-000${i}` });
        await insert('ad_hoc_attribute', { person_id: personId, role_id: roleId, tag: 'badge', value: `B${i}` });
      }
      // A nested row for people already direct members of physics: one membership, OR-ed flags.
      if (i % 3 === 0) await insert('group_membership', { group_id: physics, person_id: personId, nesting_id: nesting, member: false, owner: true });
    }
    const source = await insert('org_identity_source', { name: 'HR', kind: 'file' });
    const aup = await insert('terms_and_conditions', { name: 'AUP', url: 'https://example.org/aup', status: 'ACTIVE' });
    const oldTerms = await insert('terms_and_conditions', { name: 'Old AUP', url: 'https://example.org/old', status: 'SUSPENDED' });
    for (const [i, personId] of personIds.entries()) {
      await insert('org_identity_link', { person_id: personId, source_id: source, source_key: `hr-${i}`, valid_through: i % 2 ? past : null });
      await insert('terms_agreement', { person_id: personId, terms_id: aup, agreed_at: past });
      if (i % 2) await insert('terms_agreement', { person_id: personId, terms_id: oldTerms, agreed_at: past });
    }
    await insert('identifier', { group_id: staff, type: 'gid', value: '5000', status: 'ACTIVE', login: false });
    await insert('identifier', { group_id: staff, type: 'gid-old', value: '4000', status: 'SUSPENDED', login: false });
    serviceIds.push(
      await insert('service', { name: 'Wiki', entitlement_uri: 'urn:wiki', status: 'ACTIVE' }),
      await insert('service', { name: 'Cluster', entitlement_uri: 'urn:cluster', short_label: 'hpc', group_id: physics, status: 'ACTIVE' }),
      await insert('service', { name: 'Staff portal', entitlement_uri: 'urn:staff', group_id: staff, status: 'ACTIVE', service_url: 'https://staff' }),
      await insert('service', { name: 'Retired', entitlement_uri: 'urn:retired', status: 'SUSPENDED' }),
      await insert('service', { name: 'No entitlement', status: 'ACTIVE', description: 'just a link' }),
    );
  });

  after(async () => {
    await db?.end();
    await t?.stop();
  });

  const fork = () => t.ferry.orm.em.fork();

  it('people, groups and services equal what the per-subject marshaller produced', async () => {
    const loader = new PayloadLoader(clock);
    const reference = new ReferenceMarshaller(clock);
    const missing = uuidv7();

    const people = await loader.people(fork(), [...personIds, missing]);
    assert.equal(people.size, personIds.length);
    assert.equal(people.has(missing), false);
    for (const id of personIds) assert.deepStrictEqual(people.get(id), await reference.person(fork(), id), `person ${id}`);
    // The dataset does exercise the rules.
    const richPayload = people.get(rich)!;
    assert.ok(richPayload.roles.length === 2 && richPayload.roles[0].addresses.length === 1, JSON.stringify(richPayload.roles));
    assert.ok(richPayload.memberships.length >= 4 && richPayload.entitlements.length === 3, JSON.stringify(richPayload));
    assert.equal(people.get(personIds[6])!.skeleton, true);

    const groups = await loader.groups(fork(), [...groupIds, missing]);
    assert.equal(groups.size, groupIds.length);
    for (const id of groupIds) assert.deepStrictEqual(groups.get(id), await reference.group(fork(), id), `group ${id}`);
    assert.ok([...groups.values()].some((g) => g.members.some((m) => m.owner && m.member && m.identifiers.length === 2)));

    // Small pages: the keyset pagination yields the same groups.
    const paged = await new PayloadLoader(clock, { memberPageSize: 3 }).groups(fork(), groupIds);
    for (const id of groupIds) assert.deepStrictEqual(paged.get(id), groups.get(id), `group ${id} loaded in pages of 3`);

    const services = await loader.services(fork(), [...serviceIds, missing]);
    assert.equal(services.size, serviceIds.length);
    for (const id of serviceIds) assert.deepStrictEqual(services.get(id), await reference.service(fork(), id), `service ${id}`);

    // The Marshaller every path uses delegates to the loader.
    const marshaller = t.ferry.services.engine.marshaller;
    assert.deepStrictEqual(await marshaller.one(fork(), SubjectType.PERSON, rich), await new ReferenceMarshaller().person(fork(), rich));
  });

  it('sends a number of round trips and statements that does not grow with the batch, ids as one uuid[] value and no IN list', async () => {
    const loader = new PayloadLoader(clock);
    const sent: { sql: string; bindings: unknown[] }[] = [];
    const knexClient = t.ferry.orm.em.getKnex().client;
    const listen = (query: { sql: string; bindings: unknown[] }) => sent.push(query);
    const count = async (ids: string[]) => {
      const before = await t.sqlQueryCount();
      sent.length = 0;
      knexClient.on('query', listen);
      try {
        await loader.people(fork(), ids);
      } finally {
        knexClient.off('query', listen);
      }
      return (await t.sqlQueryCount()) - before;
    };
    const few = await count([rich, personIds[1], personIds[2]]);
    const fewStatements = sent.flatMap(({ sql }) => sql.split(';\n')).length;
    const all = await count(personIds);
    assert.equal(few, all, `3 people took ${few} round trips, ${personIds.length} took ${all}`);
    assert.equal(all, 2, 'the people with their records, then what those records point at');
    assert.equal(sent.length, all);
    const statements = sent.flatMap(({ sql, bindings }) => sql.split(';\n').map((part) => ({ sql: part, bindings })));
    assert.equal(statements.length, fewStatements);
    assert.ok(statements.length <= 17, `${statements.length} statements`);
    for (const { sql, bindings } of statements) {
      assert.doesNotMatch(sql, /\bin\s*\(/i, sql);
      if (bindings.length === 0) {
        // Sent with others in one text: the ids are one checked array literal.
        assert.match(sql, /= any\('\{[0-9a-f,-]+\}'::uuid\[\]\)/, sql);
        assert.ok(Object.values(SQL).includes(sql.replace(/'\{[0-9a-f,-]+\}'/g, '?') as never), `nothing but the ids was written into ${sql}`);
      } else {
        assert.match(sql, /= any\(\$1::uuid\[\]\)/, sql);
        assert.ok(Array.isArray(bindings[0]), 'the ids go as one array parameter');
        assert.equal(bindings.length, 1, `${bindings.length} parameters in ${sql}`);
      }
    }
    for (const statement of Object.values(SQL)) assert.doesNotMatch(statement, /\bin\s*\(/i);
  });

  it('reads inside the caller\'s transaction (its uncommitted rows included)', async () => {
    const loader = new PayloadLoader(clock);
    await fork().transactional(async (tx) => {
      await tx.execute(
        `insert into "url" ("id", "created_at", "updated_at", "organization_id", "person_id", "url", "type") values (?, now(), now(), ?, ?, 'https://uncommitted', 'OFFICIAL')`,
        [uuidv7(), organizationId, rich],
      );
      const person = (await loader.people(tx, [rich])).get(rich)!;
      assert.ok(person.urls.some((u) => u.url === 'https://uncommitted'));
      throw Object.assign(new Error('roll back'), { rollback: true });
    }).catch((error: Error & { rollback?: boolean }) => {
      if (!error.rollback) throw error;
    });
  });

  it('loads a group of 100,000 members in pages, with ids as one array parameter', async () => {
    const folder = (await t.admin.ok(CreateFolderDocument, { input: { organizationId, name: 'huge' } })).createFolder.folder;
    const big = (await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name: 'everyone' } })).createGroup.group.id;
    const size = 100_000;
    // Bulk SQL: people (every tenth suspended), one identifier each, one membership each.
    await db.query(
      `create temporary table bulk as
         select gen_random_uuid() as person_id, gen_random_uuid() as membership_id, n from generate_series(1, $1::int) as n`,
      [size],
    );
    await db.query(
      `insert into "person" ("id", "created_at", "updated_at", "organization_id", "status")
         select person_id, now(), now(), $1, (case when n % 10 = 0 then 'SUSPENDED' else 'ACTIVE' end)::person_status from bulk`,
      [organizationId],
    );
    await db.query(
      `insert into "identifier" ("id", "created_at", "updated_at", "organization_id", "person_id", "type", "value", "status", "login")
         select gen_random_uuid(), now(), now(), $1, person_id, 'uid', 'bulk' || n, 'ACTIVE', true from bulk`,
      [organizationId],
    );
    await db.query(
      `insert into "group_membership" ("id", "created_at", "updated_at", "organization_id", "group_id", "person_id", "member", "owner")
         select membership_id, now(), now(), $1, $2, person_id, true, n = 1 from bulk`,
      [organizationId, big],
    );
    const ids = (await db.query<{ person_id: string }>('select person_id from bulk order by n')).rows.map((r) => r.person_id);

    // 100,000 ids in one statement (far past PostgreSQL's 65,535 bind parameters).
    const rows = await selectPeople(executorFor(fork()), ids);
    assert.equal(rows.length, size);

    // Counted by listening to knex (the server-wide counter also sees background work of the
    // server): round trips made only of the loader's statements, whether bound or written out.
    const normal = (text: string) => text.replace(/\$\d+|\?|'\{[0-9a-f,-]*\}'/g, '');
    const loaderStatements = new Set(Object.values(SQL).map(normal));
    let roundTrips = 0;
    const listen = (query: { sql: string }) => {
      if (query.sql.split(';\n').every((part) => loaderStatements.has(normal(part)))) roundTrips += 1;
    };
    const knexClient = t.ferry.orm.em.getKnex().client;
    knexClient.on('query', listen);
    let payload;
    try {
      payload = (await new PayloadLoader(clock).groups(fork(), [big])).get(big)!;
    } finally {
      knexClient.off('query', listen);
    }
    assert.equal(payload.members.length, size - size / 10, 'suspended people are not members');
    assert.ok(payload.members.every((m) => m.identifiers.length === 1 && m.identifiers[0].value.startsWith('bulk')));
    assert.equal(payload.members.filter((m) => m.owner).length, 1);
    // 1 for the group and its identifiers, 2 per page (the page; its people and their identifiers), and the empty last page.
    assert.equal(roundTrips, 1 + 2 * (size / DEFAULT_MEMBER_PAGE_SIZE) + 1, `${roundTrips} round trips`);
  });
});
