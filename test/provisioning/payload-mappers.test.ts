import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupType, PersonStatus, RecordStatus } from '../../src/registry/enums';
import { ITEMS_PER_CHUNK } from '../../src/common/chunks';
import {
  addMemberRows,
  addMemberRowsChunked,
  entitlements,
  groupPayloads,
  personPayloads,
  PROVISIONABLE_PERSON_STATUSES,
  servicePayload,
  type GroupMembers,
} from '../../src/provisioning/loading/mappers';
import type {
  GroupRow,
  IdentifierRow,
  MembershipRow,
  PersonRow,
  PersonRowSet,
  RoleRow,
  ServiceRow,
} from '../../src/provisioning/loading/rows';

// Pure mappers from hand-built rows: no PostgreSQL here.

const NOW = new Date('2030-06-15T12:00:00Z');
const PAST = new Date('2030-01-01T00:00:00Z');
const FUTURE = new Date('2031-01-01T00:00:00Z');
const ORG = 'org-1';

const emptySet = (people: PersonRow[]): PersonRowSet => ({
  people,
  names: [],
  emails: [],
  identifiers: [],
  urls: [],
  roles: [],
  addresses: [],
  telephoneNumbers: [],
  adHocAttributes: [],
  cous: [],
  memberships: [],
  groups: [],
  groupIdentifiers: [],
  orgIdentityLinks: [],
  termsAgreements: [],
  terms: [],
  services: [],
});

const person = (id: string, status = PersonStatus.ACTIVE): PersonRow => ({ id, organizationId: ORG, status });
const group = (id: string, over: Partial<GroupRow> = {}): GroupRow => ({
  id,
  organizationId: ORG,
  name: id,
  fullName: `research:${id}`,
  description: null,
  status: RecordStatus.ACTIVE,
  type: GroupType.STANDARD,
  ...over,
});
const membership = (id: string, groupId: string, personId: string, over: Partial<MembershipRow> = {}): MembershipRow => ({
  id,
  groupId,
  personId,
  member: true,
  owner: false,
  validFrom: null,
  validThrough: null,
  ...over,
});
const identifier = (id: string, owner: { personId?: string; groupId?: string }, value = id): IdentifierRow => ({
  id,
  personId: owner.personId ?? null,
  groupId: owner.groupId ?? null,
  type: 'uid',
  value,
  login: false,
});
const role = (id: string, personId: string, over: Partial<RoleRow> = {}): RoleRow => ({
  id,
  personId,
  couId: null,
  status: PersonStatus.ACTIVE,
  affiliation: 'MEMBER',
  title: null,
  o: null,
  ou: null,
  order: 0,
  validFrom: null,
  validThrough: null,
  ...over,
});
const service = (id: string, over: Partial<ServiceRow> = {}): ServiceRow => ({
  id,
  organizationId: ORG,
  name: id,
  description: null,
  shortLabel: null,
  entitlementUri: `urn:${id}`,
  serviceUrl: null,
  groupId: null,
  status: RecordStatus.ACTIVE,
  ...over,
});

describe('payload mappers (pure)', () => {
  it('people whose status is not provisionable get a skeleton, whatever rows they have; missing people no entry', () => {
    const rows = emptySet([person('p1', PersonStatus.DELETED), person('p2', PersonStatus.PENDING)]);
    rows.names.push({ id: 'n1', personId: 'p1', type: 'OFFICIAL', honorific: null, given: 'Ada', middle: null, family: null, suffix: null, language: null, primary: true });
    const payloads = personPayloads(rows, NOW);
    assert.deepEqual([...payloads.keys()], ['p1', 'p2']);
    const p1 = payloads.get('p1')!;
    assert.equal(p1.skeleton, true);
    assert.deepEqual(p1.names, []);
    assert.equal(p1.primaryName, null);
    assert.equal(p1.status, PersonStatus.DELETED);
    assert.equal(payloads.get('p3'), undefined);
    for (const status of [PersonStatus.ACTIVE, PersonStatus.EXPIRED, PersonStatus.GRACE_PERIOD, PersonStatus.LOCKED, PersonStatus.SUSPENDED]) {
      assert.ok(PROVISIONABLE_PERSON_STATUSES.has(status));
      assert.equal(personPayloads(emptySet([person('x', status)]), NOW).get('x')!.skeleton, false, status);
    }
  });

  it('names, emails, identifiers and urls keep the row order, per person; the primary name is the flagged one or the first', () => {
    const rows = emptySet([person('p1'), person('p2')]);
    const name = (id: string, personId: string, given: string, primary = false) => ({
      id, personId, type: 'OFFICIAL', honorific: null, given, middle: null, family: 'X', suffix: null, language: null, primary,
    });
    rows.names.push(name('n1', 'p1', 'First'), name('n2', 'p2', 'Other'), name('n3', 'p1', 'Second', true));
    rows.emails.push({ id: 'e1', personId: 'p2', mail: 'b@x', type: 'OFFICIAL', verified: true }, { id: 'e2', personId: 'p1', mail: 'a@x', type: 'PERSONAL', verified: false });
    rows.identifiers.push(identifier('i1', { personId: 'p1' }, 'one'), identifier('i2', { personId: 'p1' }, 'two'));
    rows.urls.push({ id: 'u1', personId: 'p1', url: 'https://a', type: 'OFFICIAL', description: null });
    const payloads = personPayloads(rows, NOW);
    const p1 = payloads.get('p1')!;
    assert.deepEqual(p1.names.map((n) => n.given), ['First', 'Second']);
    assert.equal(p1.primaryName?.given, 'Second');
    assert.equal(payloads.get('p2')!.primaryName?.given, 'Other', 'no primary flag: the first name');
    assert.deepEqual(p1.emailAddresses, [{ mail: 'a@x', type: 'PERSONAL', verified: false }]);
    assert.deepEqual(p1.identifiers.map((i) => i.value), ['one', 'two']);
    assert.deepEqual(p1.urls, [{ url: 'https://a', type: 'OFFICIAL', description: null }]);
    assert.deepEqual(payloads.get('p2')!.identifiers, []);
  });

  it('roles: Active or Grace Period and valid now, in row order, with their cou name and own addresses, phones, attributes', () => {
    const rows = emptySet([person('p1')]);
    rows.roles.push(
      role('r1', 'p1', { order: 0, couId: 'c1' }),
      role('r2', 'p1', { order: 1, status: PersonStatus.SUSPENDED }),
      role('r3', 'p1', { order: 2, validFrom: FUTURE }),
      role('r4', 'p1', { order: 3, validThrough: PAST }),
      role('r5', 'p1', { order: 4, status: PersonStatus.GRACE_PERIOD, validFrom: PAST, validThrough: FUTURE, couId: 'unknown-cou' }),
    );
    rows.cous.push({ id: 'c1', name: 'Physics' });
    const address = (id: string, roleId: string) => ({
      id, personId: 'p1', roleId, type: 'OFFICE', street: id, room: null, locality: null, state: null, postalCode: null, country: null, language: null,
    });
    rows.addresses.push(address('a1', 'r5'), address('a2', 'r1'), address('a3', 'r1'));
    rows.telephoneNumbers.push({ id: 't1', personId: 'p1', roleId: 'r1', type: 'OFFICE', countryCode: '+1', areaCode: null, number: '555', extension: null });
    rows.adHocAttributes.push({ id: 'h1', personId: 'p1', roleId: 'r5', tag: 'k', value: 'v' });
    const p1 = personPayloads(rows, NOW).get('p1')!;
    assert.deepEqual(p1.roles.map((r) => r.id), ['r1', 'r5']);
    assert.deepEqual(p1.roles[0].cou, { id: 'c1', name: 'Physics' });
    assert.deepEqual(p1.roles[1].cou, { id: 'unknown-cou', name: '' });
    assert.deepEqual(p1.roles[0].addresses.map((a) => a.street), ['a2', 'a3']);
    assert.deepEqual(p1.roles[1].addresses.map((a) => a.street), ['a1']);
    assert.deepEqual(p1.roles[0].telephoneNumbers, [{ type: 'OFFICE', countryCode: '+1', areaCode: null, number: '555', extension: null }]);
    assert.deepEqual(p1.roles[0].adHocAttributes, []);
    assert.deepEqual(p1.roles[1].adHocAttributes, [{ tag: 'k', value: 'v' }]);
    assert.deepEqual(p1.roles[1].validFrom, PAST);
  });

  it('memberships: nested rows merge per group (member/owner OR-ed), validity and group status count, MEMBERS_ALL always stays', () => {
    const rows = emptySet([person('active'), person('suspended', PersonStatus.SUSPENDED)]);
    rows.groups.push(
      group('g1'),
      group('g2', { status: RecordStatus.SUSPENDED }),
      group('g3'),
      group('all', { type: GroupType.MEMBERS_ALL, fullName: 'CO:members:all' }),
      group('activeMembers', { type: GroupType.MEMBERS_ACTIVE, fullName: 'CO:members:active' }),
    );
    rows.groupIdentifiers.push(identifier('gi1', { groupId: 'g1' }, 'g1-a'), identifier('gi2', { groupId: 'g1' }, 'g1-b'));
    rows.memberships.push(
      membership('m1', 'g1', 'active', { member: false, owner: true }),
      membership('m2', 'g2', 'active'),
      membership('m3', 'g1', 'active', { member: true, owner: false }),
      membership('m4', 'g3', 'active', { validThrough: PAST }),
      membership('m5', 'g1', 'active', { member: false, owner: false, validFrom: FUTURE }),
      membership('m6', 'all', 'active', { validThrough: PAST }),
      membership('m7', 'all', 'suspended', { validThrough: PAST }),
      membership('m8', 'activeMembers', 'suspended'),
      membership('m9', 'g1', 'suspended'),
    );
    const payloads = personPayloads(rows, NOW);
    const active = payloads.get('active')!;
    assert.deepEqual(
      active.memberships.map((m) => [m.groupId, m.member, m.owner]),
      [
        ['g1', true, true],
        ['all', true, false],
      ],
    );
    assert.deepEqual(active.memberships[0].groupIdentifiers.map((i) => i.value), ['g1-a', 'g1-b']);
    assert.equal(active.memberships[1].groupName, 'CO:members:all');
    const suspended = payloads.get('suspended')!;
    assert.deepEqual(suspended.memberships.map((m) => m.groupId), ['all'], 'a suspended person keeps only the all-members group');
  });

  it('org identity links valid now; terms agreements of ACTIVE terms only, in agreement order', () => {
    const rows = emptySet([person('p1', PersonStatus.LOCKED)]);
    rows.orgIdentityLinks.push(
      { id: 'l1', personId: 'p1', sourceId: 's1', sourceKey: 'k1', validFrom: null, validThrough: null },
      { id: 'l2', personId: 'p1', sourceId: 's1', sourceKey: 'k2', validFrom: FUTURE, validThrough: null },
      { id: 'l3', personId: 'p1', sourceId: 's2', sourceKey: 'k3', validFrom: PAST, validThrough: NOW },
    );
    rows.termsAgreements.push(
      { id: 'a1', personId: 'p1', termsId: 't2', agreedAt: PAST },
      { id: 'a2', personId: 'p1', termsId: 't1', agreedAt: NOW },
      { id: 'a3', personId: 'p1', termsId: 'gone', agreedAt: NOW },
    );
    rows.terms.push({ id: 't1', name: 'AUP', url: 'https://aup', status: RecordStatus.ACTIVE }, { id: 't2', name: 'Old', url: 'https://old', status: RecordStatus.SUSPENDED });
    const p1 = personPayloads(rows, NOW).get('p1')!;
    assert.deepEqual(p1.orgIdentityLinks, [
      { sourceId: 's1', sourceKey: 'k1' },
      { sourceId: 's2', sourceKey: 'k3' },
    ]);
    assert.deepEqual(p1.termsAgreements, [{ termsId: 't1', name: 'AUP', url: 'https://aup', agreedAt: NOW }]);
    assert.deepEqual(p1.entitlements, [], 'a locked person has no entitlements');
  });

  it('entitlements: only for Active / Grace Period people, services with no group or a group they are a member (not just owner) of', () => {
    const rows = emptySet([person('p1'), person('p2', PersonStatus.GRACE_PERIOD), person('p3', PersonStatus.EXPIRED), { id: 'p4', organizationId: 'org-2', status: PersonStatus.ACTIVE }]);
    rows.groups.push(group('g1'), group('g2'));
    rows.memberships.push(membership('m1', 'g1', 'p1'), membership('m2', 'g2', 'p1', { member: false, owner: true }), membership('m3', 'g1', 'p3'));
    rows.services.push(
      service('open'),
      service('g1-only', { groupId: 'g1', shortLabel: 'G1' }),
      service('g2-only', { groupId: 'g2' }),
      service('elsewhere', { organizationId: 'org-2' }),
    );
    const payloads = personPayloads(rows, NOW);
    assert.deepEqual(payloads.get('p1')!.entitlements, [
      { serviceId: 'open', name: 'open', shortLabel: null, entitlementUri: 'urn:open' },
      { serviceId: 'g1-only', name: 'g1-only', shortLabel: 'G1', entitlementUri: 'urn:g1-only' },
    ]);
    assert.deepEqual(payloads.get('p2')!.entitlements.map((e) => e.serviceId), ['open']);
    assert.deepEqual(payloads.get('p3')!.entitlements, []);
    assert.deepEqual(payloads.get('p4')!.entitlements.map((e) => e.serviceId), ['elsewhere'], 'services of the person\'s own organisation');
    assert.deepEqual(
      entitlements([service('off', { status: RecordStatus.SUSPENDED }), service('no-uri', { entitlementUri: null })], []),
      [],
      'suspended services and services without an entitlement URI never count',
    );
  });

  it('group members: rows valid now of Active / Grace Period people, merged per person, with their own identifiers', () => {
    const people = [person('a'), person('b', PersonStatus.GRACE_PERIOD), person('c', PersonStatus.SUSPENDED), person('d')];
    const rows = [
      membership('m1', 'g1', 'b', { member: false, owner: true }),
      membership('m2', 'g1', 'a'),
      membership('m3', 'g1', 'b', { member: true }),
      membership('m4', 'g1', 'c'),
      membership('m5', 'g1', 'd', { validFrom: FUTURE }),
      membership('m6', 'g2', 'a', { owner: true }),
    ];
    const identifiers = [identifier('i1', { personId: 'a' }, 'a1'), identifier('i2', { personId: 'b' }, 'b1'), identifier('i3', { personId: 'a' }, 'a2')];
    const payloads = groupPayloads(
      [group('g1', { description: 'd' }), group('g2'), group('g3')],
      [identifier('gi', { groupId: 'g1' }, 'gid')],
      rows,
      people,
      identifiers,
      NOW,
    );
    const g1 = payloads.get('g1')!;
    assert.deepEqual(g1.members, [
      { personId: 'b', member: true, owner: true, identifiers: [{ type: 'uid', value: 'b1', login: false }] },
      {
        personId: 'a',
        member: true,
        owner: false,
        identifiers: [
          { type: 'uid', value: 'a1', login: false },
          { type: 'uid', value: 'a2', login: false },
        ],
      },
    ]);
    assert.deepEqual(
      { ...g1, members: [] },
      {
        subjectType: 'GROUP',
        id: 'g1',
        organizationId: ORG,
        name: 'research:g1',
        extension: 'g1',
        description: 'd',
        status: RecordStatus.ACTIVE,
        groupType: GroupType.STANDARD,
        identifiers: [{ type: 'uid', value: 'gid', login: false }],
        members: [],
      },
    );
    assert.deepEqual(payloads.get('g2')!.members.map((m) => [m.personId, m.owner]), [['a', true]]);
    assert.deepEqual(payloads.get('g3')!.members, []);
    assert.notEqual(g1.members[1].identifiers, payloads.get('g2')!.members[0].identifiers, 'each member gets its own list');
  });

  it('group members folded page by page equal the members folded at once (a later page merges into an earlier member)', () => {
    const people = [person('a'), person('b')];
    const rows = [membership('m1', 'g1', 'a'), membership('m2', 'g1', 'b', { member: false }), membership('m3', 'g1', 'a', { owner: true }), membership('m4', 'g1', 'b', { member: false, owner: true })];
    const identifiers = [identifier('i1', { personId: 'a' }), identifier('i2', { personId: 'b' })];
    const atOnce = addMemberRows(new Map(), rows, people, identifiers, NOW);
    const paged: GroupMembers = new Map();
    addMemberRows(paged, rows.slice(0, 2), people, identifiers, NOW);
    // The second page's people are members already: the loader does not read them again.
    addMemberRows(paged, rows.slice(2), [], [], NOW);
    assert.deepEqual([...paged.get('g1')!.values()], [...atOnce.get('g1')!.values()]);
    assert.deepEqual([...paged.get('g1')!.values()].map((m) => [m.personId, m.member, m.owner]), [
      ['a', true, true],
      ['b', false, true],
    ]);
  });

  it('a page of a huge group folds in chunks, pausing between them, into the members folded at once', () => {
    const size = ITEMS_PER_CHUNK * 2 + 100;
    const ids = Array.from({ length: size }, (_, index) => `p${index}`);
    const people = ids.map((id, index) => person(id, index % 5 === 0 ? PersonStatus.SUSPENDED : PersonStatus.ACTIVE));
    // The last rows repeat people of the first chunk as owners: they merge into those members.
    const rows = [
      ...ids.map((id, index) => membership(`m${index}`, 'g1', id)),
      ...ids.slice(0, 50).map((id, index) => membership(`o${index}`, 'g1', id, { owner: true })),
    ];
    const identifiers = ids.map((id) => identifier(`i-${id}`, { personId: id }));
    const atOnce = addMemberRows(new Map(), rows, people, identifiers, NOW);
    const work = addMemberRowsChunked(new Map(), rows, people, identifiers, NOW);
    let pauses = 0;
    let step = work.next();
    for (; !step.done; step = work.next()) pauses += 1;
    assert.equal(pauses, 2, `${rows.length} rows in chunks of ${ITEMS_PER_CHUNK}`);
    assert.deepEqual(step.value, atOnce);
    const members = [...step.value.get('g1')!.values()];
    assert.equal(members.length, size - size / 5, 'suspended people are not members');
    assert.deepEqual(members.filter((m) => m.owner).map((m) => m.personId), ids.slice(0, 50).filter((_, index) => index % 5 !== 0));
  });

  it('services map every column', () => {
    assert.deepEqual(servicePayload(service('s', { description: 'x', serviceUrl: 'https://s', groupId: 'g', status: RecordStatus.SUSPENDED })), {
      subjectType: 'SERVICE',
      id: 's',
      organizationId: ORG,
      name: 's',
      description: 'x',
      shortLabel: null,
      entitlementUri: 'urn:s',
      serviceUrl: 'https://s',
      groupId: 'g',
      status: RecordStatus.SUSPENDED,
    });
  });
});
