import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateCouDocument,
  CreatePersonDocument,
  DeletePersonDocument,
  PeopleDocument,
  PeopleWithEverythingDocument,
  PersonDocument,
  UpdatePersonDocument,
  AddPersonRoleDocument,
  AddAddressDocument,
  AddTelephoneNumberDocument,
  type PeopleQuery,
  type PersonFilter,
} from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, organizationWithTokens } from '../support/fixtures';
import {
  assertNothingWrittenSince,
  changeLogHead,
  createPerson,
  groupsByName,
  membershipNames,
  personDetails,
} from './people-fixtures';

const MISSING_ID = '00000000-0000-7000-8000-000000000000';

describe('people', () => {
  let t: TestFerry;
  before(async () => {
    t = await startTestFerry();
  });
  after(() => t?.stop());

  describe('createPerson', () => {
    it('creates an ACTIVE person with names, emails and identifiers in one transaction', async () => {
      const organization = await createOrganization(t.admin);
      const data = await t.admin.ok(CreatePersonDocument, {
        input: {
          organizationId: organization.id,
          dateOfBirth: '1815-12-10',
          timezone: 'Europe/London',
          names: [
            { given: 'Augusta', family: 'Byron', type: 'FKA' },
            { given: 'Ada', family: 'Lovelace' },
          ],
          emailAddresses: [{ mail: 'ada@example.org', verified: true }, { mail: 'ada@home.example', type: 'PERSONAL' }],
          identifiers: [{ type: 'uid', value: 'ada' }, { type: 'eppn', value: 'ada@example.org', login: true }],
        },
      });
      const { person, changes } = data.createPerson;
      assert.equal(person.status, 'ACTIVE', 'a person is ACTIVE unless a status is given');
      assert.equal(person.organizationId, organization.id);
      assert.equal(person.dateOfBirth, '1815-12-10');
      assert.equal(person.timezone, 'Europe/London');
      assert.deepEqual(person.names.map((n) => [n.given, n.type, n.primary]), [
        ['Augusta', 'FKA', true],
        ['Ada', 'OFFICIAL', false],
      ]);
      assert.equal(person.primaryName?.given, 'Augusta', 'the first name becomes primary');
      assert.deepEqual(person.emailAddresses.map((e) => [e.mail, e.type, e.verified]), [
        ['ada@example.org', 'OFFICIAL', true],
        ['ada@home.example', 'PERSONAL', false],
      ]);
      assert.deepEqual(person.identifiers.map((i) => [i.type, i.value, i.status, i.login, i.personId]), [
        ['uid', 'ada', 'ACTIVE', false, person.id],
        ['eppn', 'ada@example.org', 'ACTIVE', true, person.id],
      ]);
      const created = changes.filter((c) => c.kind === 'CREATED').map((c) => c.entityType);
      assert.deepEqual(
        [...new Set(created)].sort(),
        ['EmailAddress', 'GroupMembership', 'Identifier', 'Name', 'Person'],
      );
      assert.equal(created.filter((type) => type === 'GroupMembership').length, 2, 'members:all and members:active');
      assert.ok(changes.every((c) => c.personId === person.id && c.organizationId === organization.id));
      // One entry per record, in this order, each naming every field the record was created with
      // (what a consumer of the change log reads), in sequence order.
      assert.deepEqual(
        changes.map((c) => [c.kind, c.entityType, c.changedFields.join(',')]),
        [
          ['CREATED', 'Person', 'organization,status,dateOfBirth,timezone,enrollmentFinishedAt'],
          ['CREATED', 'Name', 'organization,person,type,honorific,given,middle,family,suffix,language,primary'],
          ['CREATED', 'Name', 'organization,person,type,honorific,given,middle,family,suffix,language,primary'],
          ['CREATED', 'EmailAddress', 'organization,person,mail,type,verified'],
          ['CREATED', 'EmailAddress', 'organization,person,mail,type,verified'],
          ['CREATED', 'Identifier', 'organization,person,group,type,value,status,login'],
          ['CREATED', 'Identifier', 'organization,person,group,type,value,status,login'],
          ['CREATED', 'GroupMembership', 'organization,group,person,nesting,member,owner,validFrom,validThrough'],
          ['CREATED', 'GroupMembership', 'organization,group,person,nesting,member,owner,validFrom,validThrough'],
        ],
      );
      const seqs = changes.map((c) => BigInt(c.seq));
      assert.ok(seqs.every((seq, i) => i === 0 || seq === seqs[i - 1] + 1n), 'consecutive sequence numbers');
      assert.deepEqual(
        changes.filter((c) => c.entityType !== 'Person').map((c) => c.entityId),
        [...person.names.map((n) => n.id), ...person.emailAddresses.map((e) => e.id), ...person.identifiers.map((i) => i.id), ...changes.slice(-2).map((c) => c.entityId)],
        'the entries name the records the person has',
      );
    });

    it('lets the caller choose which name is primary, and a status', async () => {
      const organization = await createOrganization(t.admin);
      const person = await createPerson(t.admin, organization.id, {
        status: 'PENDING',
        names: [{ given: 'First' }, { given: 'Chosen', primary: true }],
      });
      assert.equal(person.status, 'PENDING');
      assert.equal(person.primaryName?.given, 'Chosen');
      assert.deepEqual(person.names.map((n) => n.primary), [false, true]);
      const bare = await createPerson(t.admin, organization.id);
      assert.equal(bare.primaryName, null);
      assert.deepEqual(bare.names, []);
    });

    it('rejects bad input, including a bad nested record, without writing anything', async () => {
      const organization = await createOrganization(t.admin);
      const head = await changeLogHead(t);
      const organizationId = organization.id;
      const bad = [
        { organizationId, identifiers: [{ type: 'uid', value: 'ok' }, { type: '1uid', value: 'bad type' }] },
        { organizationId, identifiers: [{ type: 'has space', value: 'x' }] },
        { organizationId, identifiers: [{ type: 'uid', value: '' }] },
        { organizationId, names: [{ given: 'Ada' }], emailAddresses: [{ mail: 'not-an-email' }] },
        { organizationId, names: [{ given: '' }] },
        { organizationId, names: [{ given: ' padded ' }] },
        { organizationId, names: [{ given: 'A', language: 'not a tag' }] },
        { organizationId, names: [{ given: 'A', primary: true }, { given: 'B', primary: true }] },
        { organizationId, dateOfBirth: '2020-02-30' },
        { organizationId, dateOfBirth: '10/12/1815' },
        { organizationId, timezone: 'Mars/Olympus_Mons' },
        { organizationId: 'not-a-uuid' },
      ];
      for (const input of bad) {
        const error = await t.admin.fails('BAD_USER_INPUT', CreatePersonDocument, { input });
        assert.ok(error.message.length > 10, `explains ${JSON.stringify(input)}`);
      }
      await t.admin.fails('NOT_FOUND', CreatePersonDocument, { input: { organizationId: MISSING_ID } });
      await assertNothingWrittenSince(t, head);
    });

    it('refuses an identifier already active in the organisation, writing nothing', async () => {
      const organization = await createOrganization(t.admin);
      await createPerson(t.admin, organization.id, { identifiers: [{ type: 'uid', value: 'taken' }] });
      const head = await changeLogHead(t);
      const error = await t.admin.fails('CONFLICT', CreatePersonDocument, {
        input: { organizationId: organization.id, names: [{ given: 'Second' }], identifiers: [{ type: 'uid', value: 'taken' }] },
      });
      assert.match(error.message, /uid "taken" is already in use/);
      const twice = await t.admin.fails('CONFLICT', CreatePersonDocument, {
        input: { organizationId: organization.id, identifiers: [{ type: 'uid', value: 'dup' }, { type: 'uid', value: 'dup' }] },
      });
      assert.match(twice.message, /given twice/);
      await assertNothingWrittenSince(t, head);
      // The same value is free in another organisation, and as a suspended identifier.
      const other = await createOrganization(t.admin);
      await createPerson(t.admin, other.id, { identifiers: [{ type: 'uid', value: 'taken' }] });
      await createPerson(t.admin, organization.id, { identifiers: [{ type: 'uid', value: 'taken', status: 'SUSPENDED' }] });
    });
  });

  describe('person, updatePerson, deletePerson', () => {
    it('reads a person and reports missing ones as NOT_FOUND', async () => {
      const organization = await createOrganization(t.admin);
      const created = await createPerson(t.admin, organization.id, { names: [{ given: 'Grace', family: 'Hopper' }] });
      const { person } = await t.admin.ok(PersonDocument, { id: created.id });
      assert.equal(person.primaryName?.family, 'Hopper');
      await t.admin.fails('NOT_FOUND', PersonDocument, { id: MISSING_ID });
      await t.admin.fails('NOT_FOUND', PersonDocument, { id: 'nonsense' });
    });

    it('updates status, date of birth and time zone, and can clear the nullable ones', async () => {
      const organization = await createOrganization(t.admin);
      const person = await createPerson(t.admin, organization.id, { dateOfBirth: '1906-12-09', timezone: 'America/New_York' });
      const data = await t.admin.ok(UpdatePersonDocument, { id: person.id, input: { dateOfBirth: '1906-12-10', timezone: null } });
      assert.equal(data.updatePerson.person.dateOfBirth, '1906-12-10');
      assert.equal(data.updatePerson.person.timezone, null);
      const [change] = data.updatePerson.changes;
      assert.equal(change.entityType, 'Person');
      assert.deepEqual([...change.changedFields].sort(), ['dateOfBirth', 'timezone']);
      assert.deepEqual(change.data?.timezone, ['America/New_York', null]);

      const head = await changeLogHead(t);
      await t.admin.fails('BAD_USER_INPUT', UpdatePersonDocument, { id: person.id, input: { status: null } });
      await t.admin.fails('BAD_USER_INPUT', UpdatePersonDocument, { id: person.id, input: { dateOfBirth: 'yesterday' } });
      await t.admin.fails('BAD_USER_INPUT', UpdatePersonDocument, { id: person.id, input: { timezone: 'Nowhere/Special' } });
      await t.admin.fails('NOT_FOUND', UpdatePersonDocument, { id: MISSING_ID, input: { timezone: 'UTC' } });
      await assertNothingWrittenSince(t, head);
    });

    it('deletes a person with all their memberships, each in the change log', async () => {
      const organization = await createOrganization(t.admin);
      const cou = (await t.admin.ok(CreateCouDocument, { input: { organizationId: organization.id, name: 'Chemistry' } })).createCou.cou;
      const person = await createPerson(t.admin, organization.id, { names: [{ given: 'Rosalind' }] });
      await t.admin.ok(AddPersonRoleDocument, { input: { personId: person.id, couId: cou.id } });
      const before = await personDetails(t.admin, person.id);
      assert.equal(before.memberships.length, 4);

      const data = await t.admin.ok(DeletePersonDocument, { id: person.id });
      assert.equal(data.deletePerson.id, person.id);
      const deleted = data.deletePerson.changes.filter((c) => c.kind === 'DELETED');
      const lostMemberships = deleted.filter((c) => c.entityType === 'GroupMembership');
      assert.deepEqual(
        lostMemberships.map((c) => c.entityId).sort(),
        before.memberships.map((m) => m.id).sort(),
        'every membership the person loses is logged',
      );
      assert.ok(lostMemberships.every((c) => c.personId === person.id && c.groupId));
      assert.equal(deleted.at(-1)?.entityType, 'Person');
      await t.admin.fails('NOT_FOUND', PersonDocument, { id: person.id });
      await t.admin.fails('NOT_FOUND', DeletePersonDocument, { id: person.id });
      // The unit can go now: the person's role went with the person.
      const people = await t.admin.ok(PeopleDocument, { organizationId: organization.id });
      assert.equal(people.people.totalCount, 0);
    });
  });

  describe('automatic groups', () => {
    it('puts a new ACTIVE person in members:all and members:active; SUSPENDED leaves only all', async () => {
      const organization = await createOrganization(t.admin);
      const person = await createPerson(t.admin, organization.id, { names: [{ given: 'Alan' }] });
      assert.deepEqual(await membershipNames(t.admin, organization.id, person.id), ['CO:members:active', 'CO:members:all']);

      const suspended = await t.admin.ok(UpdatePersonDocument, { id: person.id, input: { status: 'SUSPENDED' } });
      const removed = suspended.updatePerson.changes.filter((c) => c.entityType === 'GroupMembership');
      assert.deepEqual(removed.map((c) => c.kind), ['DELETED']);
      assert.deepEqual(await membershipNames(t.admin, organization.id, person.id), ['CO:members:all']);

      await t.admin.ok(UpdatePersonDocument, { id: person.id, input: { status: 'GRACE_PERIOD' } });
      assert.deepEqual(await membershipNames(t.admin, organization.id, person.id), ['CO:members:active', 'CO:members:all']);

      const pending = await createPerson(t.admin, organization.id, { status: 'PENDING' });
      assert.deepEqual(await membershipNames(t.admin, organization.id, pending.id), ['CO:members:all']);
    });

    it('follows roles in units: CO:COU:<unit>:members:all and :active', async () => {
      const organization = await createOrganization(t.admin);
      const cou = (await t.admin.ok(CreateCouDocument, { input: { organizationId: organization.id, name: 'Physics' } })).createCou.cou;
      const person = await createPerson(t.admin, organization.id, { names: [{ given: 'Lise' }] });
      const role = (await t.admin.ok(AddPersonRoleDocument, { input: { personId: person.id, couId: cou.id, affiliation: 'FACULTY' } }))
        .addPersonRole;
      assert.equal(role.changes.filter((c) => c.entityType === 'GroupMembership' && c.kind === 'CREATED').length, 2);
      assert.deepEqual(await membershipNames(t.admin, organization.id, person.id), [
        'CO:COU:Physics:members:active',
        'CO:COU:Physics:members:all',
        'CO:members:active',
        'CO:members:all',
      ]);
      await t.admin.ok(UpdatePersonDocument, { id: person.id, input: { status: 'SUSPENDED' } });
      assert.deepEqual(await membershipNames(t.admin, organization.id, person.id), ['CO:COU:Physics:members:all', 'CO:members:all']);
    });
  });

  describe('people filter and pagination', () => {
    it('filters by status, search, group and unit, and pages with a cursor', async () => {
      const organization = await createOrganization(t.admin);
      const organizationId = organization.id;
      const cou = (await t.admin.ok(CreateCouDocument, { input: { organizationId, name: 'Biology' } })).createCou.cou;
      const ada = await createPerson(t.admin, organizationId, {
        names: [{ given: 'Ada', family: 'Lovelace' }],
        emailAddresses: [{ mail: 'countess@example.org' }],
        identifiers: [{ type: 'uid', value: 'al100%_sure' }],
      });
      const grace = await createPerson(t.admin, organizationId, {
        status: 'SUSPENDED',
        names: [{ given: 'Grace', family: 'Hopper' }, { given: 'Amazing', family: 'Grace' }],
        emailAddresses: [{ mail: 'GRACE@navy.example' }],
        identifiers: [{ type: 'uid', value: 'al1000sure' }],
      });
      const barbara = await createPerson(t.admin, organizationId, {
        status: 'PENDING',
        names: [{ given: 'Barbara', family: 'McClintock' }],
      });
      await t.admin.ok(AddPersonRoleDocument, { input: { personId: barbara.id, couId: cou.id } });
      // Someone in another organisation who matches every search must never show up.
      const other = await createOrganization(t.admin);
      await createPerson(t.admin, other.id, { names: [{ given: 'Ada', family: 'Grace' }], emailAddresses: [{ mail: 'ada@example.org' }] });

      const ids = async (filter: PersonFilter | null) => {
        const data = await t.admin.ok(PeopleDocument, { organizationId, filter });
        assert.equal(data.people.totalCount, data.people.nodes.length);
        return data.people.nodes.map((p) => p.id);
      };
      assert.deepEqual(await ids(null), [ada.id, grace.id, barbara.id]);
      assert.deepEqual(await ids({ status: ['SUSPENDED', 'PENDING'] }), [grace.id, barbara.id]);
      assert.deepEqual(await ids({ status: ['ACTIVE'] }), [ada.id]);
      assert.deepEqual(await ids({ search: 'lOVElace' }), [ada.id], 'family name, any case');
      assert.deepEqual(await ids({ search: 'barb' }), [barbara.id], 'given name');
      assert.deepEqual(await ids({ search: 'grace' }), [grace.id], 'one row per person even when several names and the email match');
      assert.deepEqual(await ids({ search: 'countess@' }), [ada.id], 'email address');
      assert.deepEqual(await ids({ search: '100%_' }), [ada.id], '% and _ match literally');
      assert.deepEqual(await ids({ search: 'al1%sure' }), [], 'a % in the search is not a wildcard');
      assert.deepEqual(await ids({ search: 'al1000' }), [grace.id], 'identifier value');
      assert.deepEqual(await ids({ search: 'nobody' }), []);
      assert.deepEqual(await ids({ search: 'a', status: ['SUSPENDED'] }), [grace.id], 'filters combine');
      assert.deepEqual(await ids({ couId: cou.id }), [barbara.id]);
      const groups = await groupsByName(t.admin, organizationId);
      assert.deepEqual(await ids({ groupId: groups.get('CO:members:active')! }), [ada.id]);
      assert.deepEqual(await ids({ groupId: groups.get('CO:members:all')! }), [ada.id, grace.id, barbara.id]);
      assert.deepEqual(await ids({ groupId: groups.get('CO:COU:Biology:members:all')! }), [barbara.id]);
      await t.admin.fails('BAD_USER_INPUT', PeopleDocument, { organizationId, filter: { groupId: 'nope' } });
      await t.admin.fails('BAD_USER_INPUT', PeopleDocument, { organizationId, filter: { search: '' } });

      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page: PeopleQuery = await t.admin.ok(PeopleDocument, { organizationId, first: 2, after });
        assert.equal(page.people.totalCount, 3);
        seen.push(...page.people.nodes.map((p) => p.id));
        if (!page.people.pageInfo.hasNextPage) break;
        after = page.people.pageInfo.endCursor;
      }
      assert.deepEqual(seen, [ada.id, grace.id, barbara.id]);
      await t.admin.fails('BAD_USER_INPUT', PeopleDocument, { organizationId, first: 0 });
      await t.admin.fails('BAD_USER_INPUT', PeopleDocument, { organizationId, after: 'bogus' });
      await t.admin.fails('NOT_FOUND', PeopleDocument, { organizationId: MISSING_ID });
    });
  });

  describe('authorization', () => {
    it('lets admins write, readers read, and hides the organisation from everybody else', async () => {
      const { organization, other, orgAdmin, reader, outsider, anonymous } = await organizationWithTokens(t);
      const person = await createPerson(orgAdmin, organization.id, { names: [{ given: 'By org admin' }] });
      await t.admin.ok(UpdatePersonDocument, { id: person.id, input: { timezone: 'UTC' } });
      await orgAdmin.ok(UpdatePersonDocument, { id: person.id, input: { timezone: 'Europe/Paris' } });
      await reader.ok(PersonDocument, { id: person.id });
      assert.equal((await reader.ok(PeopleDocument, { organizationId: organization.id })).people.totalCount, 1);

      const head = await changeLogHead(t);
      await reader.fails('FORBIDDEN', CreatePersonDocument, { input: { organizationId: organization.id } });
      await reader.fails('FORBIDDEN', UpdatePersonDocument, { id: person.id, input: { timezone: 'UTC' } });
      await reader.fails('FORBIDDEN', DeletePersonDocument, { id: person.id });
      await outsider.fails('NOT_FOUND', PersonDocument, { id: person.id });
      await outsider.fails('NOT_FOUND', PeopleDocument, { organizationId: organization.id });
      await outsider.fails('NOT_FOUND', CreatePersonDocument, { input: { organizationId: organization.id } });
      await outsider.fails('NOT_FOUND', UpdatePersonDocument, { id: person.id, input: { timezone: 'UTC' } });
      await outsider.fails('NOT_FOUND', DeletePersonDocument, { id: person.id });
      await orgAdmin.fails('NOT_FOUND', CreatePersonDocument, { input: { organizationId: other.id } });
      for (const response of [
        await anonymous.request(PersonDocument, { id: person.id }),
        await anonymous.request(CreatePersonDocument, { input: { organizationId: organization.id } }),
      ]) {
        assert.equal(response.status, 401);
        assert.equal(response.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
      }
      await assertNothingWrittenSince(t, head);
      await orgAdmin.ok(DeletePersonDocument, { id: person.id });
    });
  });

  describe('query cost', () => {
    it('lists people with all nested fields in a constant number of SQL statements', async () => {
      const organization = await createOrganization(t.admin);
      const cou = (await t.admin.ok(CreateCouDocument, { input: { organizationId: organization.id, name: 'Bulk' } })).createCou.cou;
      for (let i = 0; i < 90; i++) {
        const person = await createPerson(t.admin, organization.id, {
          names: [{ given: `Given${i}`, family: `Family${i}` }, { given: `Alias${i}` }],
          emailAddresses: [{ mail: `person${i}@example.org` }],
          identifiers: [{ type: 'uid', value: `bulk${i}` }],
        });
        // Every third person gets a role with an address and a phone, so those levels have rows too.
        if (i % 3 === 0) {
          const role = (await t.admin.ok(AddPersonRoleDocument, { input: { personId: person.id, couId: cou.id } })).addPersonRole.personRole;
          await t.admin.ok(AddAddressDocument, { input: { roleId: role.id, street: `${i} Main Street` } });
          await t.admin.ok(AddTelephoneNumberDocument, { input: { roleId: role.id, number: `555 01${i}` } });
        }
      }
      const statementsFor = async (first: number) => {
        const before = await t.sqlQueryCount();
        const data = await t.admin.ok(PeopleWithEverythingDocument, { organizationId: organization.id, first });
        const statements = (await t.sqlQueryCount()) - before;
        const nodes = data.people.nodes;
        assert.equal(nodes.length, first);
        assert.ok(nodes.every((p) => p.names.length === 2 && p.primaryName && p.emailAddresses.length === 1 && p.identifiers.length === 1));
        assert.ok(nodes.every((p) => p.memberships.length >= 2));
        const withRoles = nodes.filter((p) => p.roles.length > 0);
        assert.equal(withRoles.length, first / 3);
        assert.ok(withRoles.every((p) => p.roles[0].addresses.length === 1 && p.roles[0].telephoneNumbers.length === 1));
        return statements;
      };
      // The server's background work (the validity sweep, dispatch) counts too when it happens to run
      // during a read: the fewer of two reads is the read's own.
      const fewest = async (first: number) => Math.min(await statementsFor(first), await statementsFor(first));
      const for30 = await fewest(30);
      const for90 = await fewest(90);
      assert.equal(for90, for30, 'the number of statements must not grow with the page size');
      assert.ok(for30 <= 15, `expected a small constant number of statements, got ${for30}`);
    });
  });
});
