import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AddGroupMemberDocument,
  AddIdentifierDocument,
  ChangeLogDocument,
  CreateFolderDocument,
  CreateGroupDocument,
  CreatePersonDocument,
  DeletePersonDocument,
  DeleteGroupDocument,
  GroupDocument,
  GroupsDocument,
  GroupsWithMembersDocument,
  NestGroupDocument,
  RemoveGroupMemberDocument,
  UnnestGroupDocument,
  UpdateGroupMembershipDocument,
  UpdatePersonDocument,
  type ChangeFieldsFragment,
  type ChangeLogQuery,
  type PersonStatus,
} from '../../src/client/generated/graphql';
import type { GraphQLTestClient } from '../support/client';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, organizationWithTokens } from '../support/fixtures';

const MISSING = '00000000-0000-7000-8000-000000000000';
const HOUR = 3600_000;
const inHours = (hours: number) => new Date(Date.now() + hours * HOUR).toISOString();

async function person(client: GraphQLTestClient, organizationId: string, given = 'Ada', status: PersonStatus = 'ACTIVE') {
  const data = await client.ok(CreatePersonDocument, { input: { organizationId, status, names: [{ given, family: 'Tester' }] } });
  return data.createPerson.person.id;
}

/** A folder of its own and a group in it for every name given. */
async function groups(client: GraphQLTestClient, organizationId: string, ...names: string[]) {
  const folder = (await client.ok(CreateFolderDocument, { input: { organizationId, name: `F${Math.random().toString(36).slice(2, 8)}` } })).createFolder.folder;
  const ids: string[] = [];
  for (const name of names) ids.push((await client.ok(CreateGroupDocument, { input: { folderId: folder.id, name } })).createGroup.group.id);
  return ids;
}

async function add(client: GraphQLTestClient, groupId: string, personId: string, extra: { owner?: boolean; member?: boolean; validFrom?: string | null; validThrough?: string | null } = {}) {
  return (await client.ok(AddGroupMemberDocument, { input: { groupId, personId, ...extra } })).addGroupMember;
}

async function nest(client: GraphQLTestClient, groupId: string, nestedGroupId: string) {
  return (await client.ok(NestGroupDocument, { input: { groupId, nestedGroupId } })).nestGroup;
}

async function view(client: GraphQLTestClient, id: string) {
  return (await client.ok(GroupDocument, { id })).group;
}

const memberIds = async (client: GraphQLTestClient, groupId: string) => (await view(client, groupId)).members.map((m) => m.id).sort();

async function logCursor(client: GraphQLTestClient, organizationId: string): Promise<string> {
  let cursor: string | null = null;
  for (;;) {
    const page: ChangeLogQuery = await client.ok(ChangeLogDocument, { organizationId, after: cursor, first: 500 });
    cursor = page.changeLog.pageInfo.endCursor ?? cursor;
    if (!page.changeLog.pageInfo.hasNextPage) return cursor ?? '0';
  }
}

async function assertNothingLogged(client: GraphQLTestClient, organizationId: string, cursor: string) {
  const page = await client.ok(ChangeLogDocument, { organizationId, after: cursor, first: 500 });
  assert.deepEqual(page.changeLog.nodes, [], 'a failed mutation writes no change-log entry');
}

/** [kind, groupId, personId] of the membership entries, sorted, to compare as a set. */
const membershipChanges = (changes: ChangeFieldsFragment[]) =>
  changes
    .filter((c) => c.entityType === 'GroupMembership')
    .map((c) => [c.kind, c.groupId, c.personId])
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

const sorted = (...rows: (string | null)[][]) => rows.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe('group memberships and nesting', () => {
  let t: TestFerry;
  before(async () => {
    t = await startTestFerry();
  });
  after(() => t?.stop());

  it('adds, updates and removes direct members and owners', async () => {
    const { id: orgId } = await createOrganization(t.admin);
    const [team] = await groups(t.admin, orgId, 'team');
    const ada = await person(t.admin, orgId, 'Ada');
    const bob = await person(t.admin, orgId, 'Bob');

    const added = await add(t.admin, team, ada);
    assert.deepEqual(
      { ...added.membership, id: undefined },
      { id: undefined, groupId: team, personId: ada, nestingId: null, member: true, owner: false, validFrom: null, validThrough: null },
    );
    assert.deepEqual(
      added.changes.map((c) => [c.entityType, c.kind, c.entityId, c.groupId, c.personId]),
      [['GroupMembership', 'CREATED', added.membership.id, team, ada]],
    );
    const ownerOnly = await add(t.admin, team, bob, { member: false, owner: true });
    assert.equal(ownerOnly.membership.owner, true);

    let group = await view(t.admin, team);
    assert.deepEqual(group.members.map((m) => m.id), [ada]);
    assert.deepEqual(group.owners.map((m) => m.id), [bob]);
    assert.deepEqual(group.memberships.map((m) => [m.person.id, m.group.id, m.nesting]), [[ada, team, null], [bob, team, null]]);

    const updated = (await t.admin.ok(UpdateGroupMembershipDocument, { id: ownerOnly.membership.id, input: { member: true } })).updateGroupMembership;
    assert.equal(updated.membership.member, true);
    assert.deepEqual(updated.changes.map((c) => [c.kind, c.changedFields, c.data?.member]), [['UPDATED', ['member'], [false, true]]]);
    group = await view(t.admin, team);
    assert.deepEqual(group.members.map((m) => m.id).sort(), [ada, bob].sort());

    const byMember = await t.admin.ok(GroupsDocument, { organizationId: orgId, filter: { memberPersonId: bob, type: 'STANDARD' } });
    assert.deepEqual(byMember.groups.nodes.map((g) => g.id), [team]);

    const removed = (await t.admin.ok(RemoveGroupMemberDocument, { id: added.membership.id })).removeGroupMember;
    assert.equal(removed.id, added.membership.id);
    assert.deepEqual(removed.changes.map((c) => [c.entityType, c.kind, c.groupId, c.personId]), [['GroupMembership', 'DELETED', team, ada]]);
    assert.deepEqual(await memberIds(t.admin, team), [bob]);
    await t.admin.fails('NOT_FOUND', RemoveGroupMemberDocument, { id: added.membership.id });
    await t.admin.fails('NOT_FOUND', UpdateGroupMembershipDocument, { id: added.membership.id, input: { owner: true } });
  });

  it('rejects bad memberships without writing anything', async () => {
    const { id: orgId } = await createOrganization(t.admin);
    const other = await createOrganization(t.admin);
    const [team] = await groups(t.admin, orgId, 'team');
    const ada = await person(t.admin, orgId);
    const stranger = await person(t.admin, other.id);
    const { membership } = await add(t.admin, team, ada);
    const cursor = await logCursor(t.admin, orgId);

    const duplicate = await t.admin.fails('CONFLICT', AddGroupMemberDocument, { input: { groupId: team, personId: ada, owner: true } });
    assert.match(duplicate.message, /already has a direct membership/);
    const neither = await t.admin.fails('BAD_USER_INPUT', UpdateGroupMembershipDocument, { id: membership.id, input: { member: false } });
    assert.match(neither.message, /member, an owner, or both/);
    const bob = await person(t.admin, orgId, 'Bob');
    const cursorAfterBob = await logCursor(t.admin, orgId);
    await t.admin.fails('BAD_USER_INPUT', AddGroupMemberDocument, { input: { groupId: team, personId: bob, member: false, owner: false } });
    const window = await t.admin.fails('BAD_USER_INPUT', AddGroupMemberDocument, {
      input: { groupId: team, personId: bob, validFrom: inHours(2), validThrough: inHours(1) },
    });
    assert.match(window.message, /validFrom must not be after validThrough/);
    await t.admin.fails('BAD_USER_INPUT', UpdateGroupMembershipDocument, { id: membership.id, input: { validFrom: inHours(5), validThrough: inHours(4) } });
    await t.admin.fails('BAD_USER_INPUT', UpdateGroupMembershipDocument, { id: membership.id, input: { member: null } });
    await t.admin.fails('BAD_USER_INPUT', AddGroupMemberDocument, { input: { groupId: team, personId: bob, validFrom: 'yesterday' } });
    await t.admin.fails('BAD_USER_INPUT', AddGroupMemberDocument, { input: { groupId: 'team', personId: bob } });
    const foreign = await t.admin.fails('BAD_USER_INPUT', AddGroupMemberDocument, { input: { groupId: team, personId: stranger } });
    assert.match(foreign.message, /different organisations/);
    await t.admin.fails('NOT_FOUND', AddGroupMemberDocument, { input: { groupId: team, personId: MISSING } });
    await t.admin.fails('NOT_FOUND', AddGroupMemberDocument, { input: { groupId: MISSING, personId: bob } });
    await assertNothingLogged(t.admin, orgId, cursorAfterBob);
    assert.ok(cursor <= cursorAfterBob);
    assert.deepEqual(await memberIds(t.admin, team), [ada]);
  });

  it('honours validity windows', async () => {
    const { id: orgId } = await createOrganization(t.admin);
    const [team] = await groups(t.admin, orgId, 'team');
    const [past, current, future, open] = [await person(t.admin, orgId, 'Past'), await person(t.admin, orgId, 'Now'), await person(t.admin, orgId, 'Later'), await person(t.admin, orgId, 'Open')];
    await add(t.admin, team, past, { validThrough: inHours(-1) });
    await add(t.admin, team, current, { validFrom: inHours(-1), validThrough: inHours(1) });
    const tomorrow = inHours(24);
    const later = await add(t.admin, team, future, { validFrom: tomorrow });
    await add(t.admin, team, open, { owner: true, validFrom: tomorrow });
    assert.equal(new Date(later.membership.validFrom!).getTime(), new Date(tomorrow).getTime(), 'the window is kept');

    const group = await view(t.admin, team);
    assert.equal(group.memberships.length, 4, 'every row is listed');
    assert.deepEqual(group.members.map((m) => m.id), [current], 'only rows valid now make members');
    assert.deepEqual(group.owners, [], 'owners are subject to the window too');
    const futureGroups = await t.admin.ok(GroupsDocument, { organizationId: orgId, filter: { memberPersonId: future } });
    assert.ok(!futureGroups.groups.nodes.some((g) => g.id === team));

    const opened = (await t.admin.ok(UpdateGroupMembershipDocument, { id: later.membership.id, input: { validFrom: null } })).updateGroupMembership;
    assert.equal(opened.membership.validFrom, null);
    assert.deepEqual(opened.changes[0].changedFields, ['validFrom']);
    assert.deepEqual(await memberIds(t.admin, team), [current, future].sort());
    const nowGroups = await t.admin.ok(GroupsDocument, { organizationId: orgId, filter: { memberPersonId: future } });
    assert.ok(nowGroups.groups.nodes.some((g) => g.id === team));
  });

  it('passes members of nested groups on, transitively, and takes them back', async () => {
    const { id: orgId } = await createOrganization(t.admin);
    const [a, b, c] = await groups(t.admin, orgId, 'A', 'B', 'C');
    const ada = await person(t.admin, orgId, 'Ada');
    const bob = await person(t.admin, orgId, 'Bob');
    const cy = await person(t.admin, orgId, 'Cy');
    const adaInA = await add(t.admin, a, ada);
    await add(t.admin, b, cy);

    // B into C first: Cy reaches C.
    const bInC = await nest(t.admin, c, b);
    assert.deepEqual({ groupId: bInC.nesting.groupId, nestedGroupId: bInC.nesting.nestedGroupId }, { groupId: c, nestedGroupId: b });
    assert.deepEqual(bInC.changes[0].entityType, 'GroupNesting');
    assert.deepEqual(bInC.changes[0].groupId, c);
    assert.deepEqual(membershipChanges(bInC.changes), [['CREATED', c, cy]]);

    // A into B: Ada reaches B and, through B, C. Each materialised row is in the change log.
    const aInB = await nest(t.admin, b, a);
    assert.deepEqual(membershipChanges(aInB.changes), sorted(['CREATED', b, ada], ['CREATED', c, ada]));
    assert.deepEqual(await memberIds(t.admin, b), [ada, cy].sort());
    assert.deepEqual(await memberIds(t.admin, c), [ada, cy].sort());
    const cView = await view(t.admin, c);
    assert.deepEqual(cView.nestedGroups.map((g) => g.id), [b]);
    assert.deepEqual(cView.nestings.map((n) => n.id), [bInC.nesting.id]);
    const adaRowInC = cView.memberships.find((m) => m.personId === ada)!;
    assert.equal(adaRowInC.nestingId, bInC.nesting.id, 'the row in C comes from the B nesting');
    assert.equal(adaRowInC.nesting?.nestedGroup.fullName.endsWith(':B'), true);
    assert.deepEqual((await view(t.admin, a)).nestedIn.map((n) => n.groupId), [b]);
    const adaGroups = await t.admin.ok(GroupsDocument, { organizationId: orgId, filter: { memberPersonId: ada, type: 'STANDARD' } });
    assert.deepEqual(adaGroups.groups.nodes.map((g) => g.id), [a, b, c]);

    // Derived rows follow their source and cannot be edited themselves.
    const cursor = await logCursor(t.admin, orgId);
    const edit = await t.admin.fails('BAD_USER_INPUT', UpdateGroupMembershipDocument, { id: adaRowInC.id, input: { owner: true } });
    assert.match(edit.message, /comes from nested group .*:B/);
    await t.admin.fails('BAD_USER_INPUT', RemoveGroupMemberDocument, { id: adaRowInC.id });
    await assertNothingLogged(t.admin, orgId, cursor);

    // A new member of A appears in B and C; a window travels with it.
    const bobInA = await add(t.admin, a, bob, { validThrough: inHours(-1) });
    assert.deepEqual(membershipChanges(bobInA.changes), sorted(['CREATED', a, bob], ['CREATED', b, bob], ['CREATED', c, bob]));
    const bobRowInC = (await view(t.admin, c)).memberships.find((m) => m.personId === bob)!;
    assert.equal(bobRowInC.validThrough, bobInA.membership.validThrough);
    assert.deepEqual(await memberIds(t.admin, c), [ada, cy].sort(), 'an expired membership does not count in the parents either');
    const reopened = (await t.admin.ok(UpdateGroupMembershipDocument, { id: bobInA.membership.id, input: { validThrough: null } })).updateGroupMembership;
    assert.deepEqual(
      reopened.changes.filter((c) => c.entityType === 'GroupMembership').map((c) => [c.groupId, c.changedFields]).sort(),
      [[a, ['validThrough']], [b, ['validThrough']], [c, ['validThrough']]].sort(),
    );
    assert.deepEqual(await memberIds(t.admin, c), [ada, bob, cy].sort());

    // Becoming owner only in A ends the membership in the parents.
    const ownerOnly = (await t.admin.ok(UpdateGroupMembershipDocument, { id: bobInA.membership.id, input: { member: false, owner: true } })).updateGroupMembership;
    assert.deepEqual(membershipChanges(ownerOnly.changes), sorted(['DELETED', b, bob], ['DELETED', c, bob], ['UPDATED', a, bob]));
    assert.deepEqual((await view(t.admin, b)).owners, [], 'ownership is not inherited');

    // Removing Ada from A removes her from B and C.
    const removed = (await t.admin.ok(RemoveGroupMemberDocument, { id: adaInA.membership.id })).removeGroupMember;
    assert.deepEqual(membershipChanges(removed.changes), sorted(['DELETED', a, ada], ['DELETED', b, ada], ['DELETED', c, ada]));
    assert.deepEqual(await memberIds(t.admin, c), [cy]);

    // Unnesting B from C removes what B contributed to C, and nothing else.
    await add(t.admin, a, ada);
    await add(t.admin, c, bob);
    const unnested = (await t.admin.ok(UnnestGroupDocument, { id: bInC.nesting.id })).unnestGroup;
    assert.equal(unnested.id, bInC.nesting.id);
    assert.deepEqual(membershipChanges(unnested.changes), sorted(['DELETED', c, ada], ['DELETED', c, cy]));
    assert.ok(unnested.changes.some((c) => c.entityType === 'GroupNesting' && c.kind === 'DELETED' && c.entityId === bInC.nesting.id));
    assert.deepEqual(await memberIds(t.admin, c), [bob]);
    assert.deepEqual(await memberIds(t.admin, b), [ada, cy].sort(), 'B keeps what A gives it');
    assert.deepEqual((await view(t.admin, c)).nestedGroups, []);
    await t.admin.fails('NOT_FOUND', UnnestGroupDocument, { id: bInC.nesting.id });
  });

  it("passes one person's change through nestings reading only that person's rows, whatever the groups' size", async () => {
    const { id: orgId } = await createOrganization(t.admin);
    const [inner, outer, top] = await groups(t.admin, orgId, 'Inner', 'Outer', 'Top');
    const others = [await person(t.admin, orgId, 'Ann'), await person(t.admin, orgId, 'Ben')];
    for (const other of others) await add(t.admin, inner, other);
    await nest(t.admin, outer, inner);
    await nest(t.admin, top, outer);
    const ada = await person(t.admin, orgId, 'Ada');
    // Every statement that reads memberships while Ada joins and leaves: each must be about her.
    const reads: string[] = [];
    const listener = (query: { sql: string }) => {
      if (/from "group_membership"/i.test(query.sql)) reads.push(query.sql);
    };
    const knex = t.ferry.orm.em.getKnex();
    knex.on('query', listener);
    try {
      const added = await add(t.admin, inner, ada);
      assert.deepEqual(await memberIds(t.admin, top), [...others, ada].sort(), 'she reaches the top group through both nestings');
      await t.admin.ok(RemoveGroupMemberDocument, { id: added.membership.id });
      assert.deepEqual(await memberIds(t.admin, top), [...others].sort(), 'and leaves it again; the others stay');
    } finally {
      knex.off('query', listener);
    }
    const propagation = reads.filter((sql) => /"nesting_id" = |"member" = true/.test(sql));
    assert.ok(propagation.length > 0, 'the nestings were re-derived');
    assert.deepEqual(propagation.filter((sql) => !/"person_id" = /.test(sql)), [], "no read of a nesting's or a group's whole membership");
  });

  it('keeps diamonds right: a member removed at the bottom leaves every group above', async () => {
    const { id: orgId } = await createOrganization(t.admin);
    const [bottom, left, right, top, apex] = await groups(t.admin, orgId, 'bottom', 'left', 'right', 'top', 'apex');
    const ada = await person(t.admin, orgId);
    await nest(t.admin, left, bottom);
    await nest(t.admin, right, bottom);
    await nest(t.admin, top, left);
    await nest(t.admin, top, right);
    await nest(t.admin, apex, top);
    const { membership } = await add(t.admin, bottom, ada);
    for (const id of [left, right, top, apex]) assert.deepEqual(await memberIds(t.admin, id), [ada]);
    const apexRows = (await view(t.admin, apex)).memberships;
    assert.equal(apexRows.length, 1, 'one row per nesting, however many paths lead there');
    await t.admin.ok(UpdateGroupMembershipDocument, { id: membership.id, input: { validThrough: inHours(-1) } });
    assert.deepEqual(await memberIds(t.admin, apex), [], 'a changed window reaches the apex along both paths');
    const removed = (await t.admin.ok(RemoveGroupMemberDocument, { id: membership.id })).removeGroupMember;
    for (const id of [bottom, left, right, top, apex]) assert.deepEqual((await view(t.admin, id)).memberships, [], `no row left in ${id}`);
    assert.equal(removed.changes.filter((c) => c.kind === 'DELETED').length, 6, 'bottom, left, right, top twice (one per path), apex');
  });

  it('refuses cycles, duplicates and foreign groups', async () => {
    const { id: orgId } = await createOrganization(t.admin);
    const other = await createOrganization(t.admin);
    const [a, b, c] = await groups(t.admin, orgId, 'A', 'B', 'C');
    const [foreign] = await groups(t.admin, other.id, 'X');
    await nest(t.admin, b, a);
    await nest(t.admin, c, b);
    const cursor = await logCursor(t.admin, orgId);
    const cycle = await t.admin.fails('BAD_USER_INPUT', NestGroupDocument, { input: { groupId: a, nestedGroupId: c } });
    assert.match(cycle.message, /would make a cycle/);
    await t.admin.fails('BAD_USER_INPUT', NestGroupDocument, { input: { groupId: b, nestedGroupId: c } });
    await t.admin.fails('BAD_USER_INPUT', NestGroupDocument, { input: { groupId: a, nestedGroupId: b } });
    const self = await t.admin.fails('BAD_USER_INPUT', NestGroupDocument, { input: { groupId: a, nestedGroupId: a } });
    assert.match(self.message, /in itself/);
    const duplicate = await t.admin.fails('CONFLICT', NestGroupDocument, { input: { groupId: b, nestedGroupId: a } });
    assert.match(duplicate.message, /already nested/);
    await t.admin.fails('BAD_USER_INPUT', NestGroupDocument, { input: { groupId: a, nestedGroupId: foreign } });
    await t.admin.fails('NOT_FOUND', NestGroupDocument, { input: { groupId: a, nestedGroupId: MISSING } });
    await t.admin.fails('BAD_USER_INPUT', NestGroupDocument, { input: { groupId: a, nestedGroupId: 'x' } });
    await assertNothingLogged(t.admin, orgId, cursor);
    // Nesting across (not around) the chain is fine.
    await nest(t.admin, c, a);
  });

  it('a person created while a group nests an automatic group is a member of that group too, by the nesting', async () => {
    const { id: orgId } = await createOrganization(t.admin);
    const automatic = async (fullName: string) =>
      (await t.admin.ok(GroupsDocument, { organizationId: orgId, filter: { search: fullName } })).groups.nodes.find((group) => group.fullName === fullName)!.id;
    const [everyone, active] = [await automatic('CO:members:all'), await automatic('CO:members:active')];
    const [staff, working] = await groups(t.admin, orgId, 'staff', 'working');
    await nest(t.admin, staff, everyone);
    await nest(t.admin, working, active);
    const ada = await person(t.admin, orgId);
    const sam = await person(t.admin, orgId, 'Sam', 'SUSPENDED');
    assert.deepEqual(await memberIds(t.admin, staff), [ada, sam].sort(), 'everyone created joins the group nesting CO:members:all');
    assert.deepEqual(await memberIds(t.admin, working), [ada], 'only the active person joins the group nesting CO:members:active');
  });

  it('deleting a group removes its memberships, nestings and identifiers, and its members from the parents', async () => {
    const { id: orgId } = await createOrganization(t.admin);
    const [child, parent, grandparent] = await groups(t.admin, orgId, 'child', 'parent', 'grandparent');
    const ada = await person(t.admin, orgId);
    const bob = await person(t.admin, orgId, 'Bob');
    const adaInChild = await add(t.admin, child, ada);
    await add(t.admin, parent, bob);
    const childInParent = await nest(t.admin, parent, child);
    const parentInGrandparent = await nest(t.admin, grandparent, parent);
    const identifier = (await t.admin.ok(AddIdentifierDocument, { input: { groupId: child, type: 'gidNumber', value: '5001' } })).addIdentifier.identifier;
    assert.deepEqual((await view(t.admin, child)).identifiers.map((i) => [i.id, i.type, i.value]), [[identifier.id, 'gidNumber', '5001']]);
    assert.deepEqual(await memberIds(t.admin, grandparent), [ada, bob].sort());
    const rowsBefore = new Map<string, string>();
    for (const id of [child, parent, grandparent]) for (const m of (await view(t.admin, id)).memberships) if (m.personId === ada) rowsBefore.set(m.id, id);

    const deleted = (await t.admin.ok(DeleteGroupDocument, { id: child })).deleteGroup;
    const deletedIds = (type: string) => deleted.changes.filter((c) => c.entityType === type && c.kind === 'DELETED').map((c) => c.entityId).sort();
    assert.deepEqual(deletedIds('GroupMembership'), [...rowsBefore.keys()].sort(), 'every row of Ada that came from the child');
    assert.ok(rowsBefore.has(adaInChild.membership.id));
    assert.deepEqual(deletedIds('GroupNesting'), [childInParent.nesting.id]);
    assert.deepEqual(deletedIds('Identifier'), [identifier.id]);
    assert.deepEqual(deletedIds('Group'), [child]);
    assert.equal(deleted.changes.at(-1)?.entityType, 'Group', 'the group goes last');

    await t.admin.fails('NOT_FOUND', GroupDocument, { id: child });
    assert.deepEqual(await memberIds(t.admin, parent), [bob]);
    assert.deepEqual(await memberIds(t.admin, grandparent), [bob]);
    assert.deepEqual((await view(t.admin, parent)).nestedGroups, []);
    assert.deepEqual((await view(t.admin, grandparent)).nestings.map((n) => n.id), [parentInGrandparent.nesting.id]);

    // Deleting a group that is nested elsewhere and nests others.
    const [low, mid, high] = await groups(t.admin, orgId, 'low', 'mid', 'high');
    await add(t.admin, low, ada);
    await nest(t.admin, mid, low);
    await nest(t.admin, high, mid);
    const midDeleted = (await t.admin.ok(DeleteGroupDocument, { id: mid })).deleteGroup;
    assert.deepEqual(membershipChanges(midDeleted.changes), sorted(['DELETED', mid, ada], ['DELETED', high, ada]));
    assert.equal(midDeleted.changes.filter((c) => c.entityType === 'GroupNesting').length, 2);
    assert.deepEqual(await memberIds(t.admin, high), []);
    assert.deepEqual(await memberIds(t.admin, low), [ada]);

    // Deleting a person takes them out of every group, derived rows included, each logged.
    await nest(t.admin, high, low);
    const personDeleted = (await t.admin.ok(DeletePersonDocument, { id: ada })).deletePerson;
    const adaRows = membershipChanges(personDeleted.changes).filter(([, groupId]) => groupId === low || groupId === high);
    assert.deepEqual(adaRows, sorted(['DELETED', low, ada], ['DELETED', high, ada]));
    assert.deepEqual((await view(t.admin, high)).memberships, []);
  });

  it('leaves the members groups to Ferry and lets admins fill the admins group', async () => {
    const { id: orgId } = await createOrganization(t.admin);
    const automatic = (await t.admin.ok(GroupsDocument, { organizationId: orgId, filter: { search: 'CO:' } })).groups.nodes;
    const byType = (type: string) => automatic.find((g) => g.type === type)!.id;
    const [all, active, admins] = [byType('MEMBERS_ALL'), byType('MEMBERS_ACTIVE'), byType('ADMINS')];
    const ada = await person(t.admin, orgId, 'Ada', 'ACTIVE');
    const pending = await person(t.admin, orgId, 'Pat', 'PENDING');
    assert.deepEqual(await memberIds(t.admin, active), [ada]);
    assert.deepEqual(await memberIds(t.admin, all), [ada, pending].sort());
    const adaInAll = (await view(t.admin, all)).memberships.find((m) => m.personId === ada)!;
    const [team] = await groups(t.admin, orgId, 'team');

    const cursor = await logCursor(t.admin, orgId);
    const addToAll = await t.admin.fails('BAD_USER_INPUT', AddGroupMemberDocument, { input: { groupId: all, personId: pending } });
    assert.match(addToAll.message, /maintained by Ferry/);
    await t.admin.fails('BAD_USER_INPUT', AddGroupMemberDocument, { input: { groupId: active, personId: pending } });
    await t.admin.fails('BAD_USER_INPUT', UpdateGroupMembershipDocument, { id: adaInAll.id, input: { owner: true } });
    await t.admin.fails('BAD_USER_INPUT', RemoveGroupMemberDocument, { id: adaInAll.id });
    await t.admin.fails('BAD_USER_INPUT', NestGroupDocument, { input: { groupId: active, nestedGroupId: team } });
    await assertNothingLogged(t.admin, orgId, cursor);

    const admin = await add(t.admin, admins, pending, { owner: true });
    assert.equal(admin.membership.groupId, admins);
    await t.admin.ok(UpdateGroupMembershipDocument, { id: admin.membership.id, input: { owner: false } });

    // An automatic group nested in a standard one: its changes flow on.
    await nest(t.admin, team, active);
    assert.deepEqual(await memberIds(t.admin, team), [ada]);
    const suspended = (await t.admin.ok(UpdatePersonDocument, { id: ada, input: { status: 'SUSPENDED' } })).updatePerson;
    assert.deepEqual(
      membershipChanges(suspended.changes).filter(([, groupId]) => groupId === active || groupId === team),
      sorted(['DELETED', active, ada], ['DELETED', team, ada]),
    );
    assert.deepEqual(await memberIds(t.admin, team), []);
    await t.admin.ok(UpdatePersonDocument, { id: pending, input: { status: 'ACTIVE' } });
    assert.deepEqual(await memberIds(t.admin, team), [pending]);
  });

  it('enforces roles on memberships and nestings', async () => {
    const { organization, other, orgAdmin, reader, outsider, anonymous } = await organizationWithTokens(t);
    const orgId = organization.id;
    const [a, b] = await groups(orgAdmin, orgId, 'A', 'B');
    const ada = await person(orgAdmin, orgId);
    const { membership } = await add(orgAdmin, a, ada);
    await orgAdmin.ok(UpdateGroupMembershipDocument, { id: membership.id, input: { owner: true } });
    const { nesting } = await nest(orgAdmin, b, a);
    assert.deepEqual(await memberIds(reader, b), [ada]);

    const cursor = await logCursor(t.admin, orgId);
    await reader.fails('FORBIDDEN', AddGroupMemberDocument, { input: { groupId: b, personId: ada } });
    await reader.fails('FORBIDDEN', UpdateGroupMembershipDocument, { id: membership.id, input: { owner: false } });
    await reader.fails('FORBIDDEN', RemoveGroupMemberDocument, { id: membership.id });
    await reader.fails('FORBIDDEN', NestGroupDocument, { input: { groupId: a, nestedGroupId: b } });
    await reader.fails('FORBIDDEN', UnnestGroupDocument, { id: nesting.id });
    await outsider.fails('NOT_FOUND', AddGroupMemberDocument, { input: { groupId: b, personId: ada } });
    await outsider.fails('NOT_FOUND', UpdateGroupMembershipDocument, { id: membership.id, input: { owner: false } });
    await outsider.fails('NOT_FOUND', RemoveGroupMemberDocument, { id: membership.id });
    await outsider.fails('NOT_FOUND', NestGroupDocument, { input: { groupId: a, nestedGroupId: b } });
    await outsider.fails('NOT_FOUND', UnnestGroupDocument, { id: nesting.id });
    await outsider.fails('NOT_FOUND', GroupDocument, { id: a });
    // The outsider's own group cannot take in this organisation's people or groups either.
    const [outsiderGroup] = await groups(outsider, other.id, 'theirs');
    await outsider.fails('NOT_FOUND', AddGroupMemberDocument, { input: { groupId: outsiderGroup, personId: ada } });
    await outsider.fails('NOT_FOUND', NestGroupDocument, { input: { groupId: outsiderGroup, nestedGroupId: a } });
    for (const response of [
      await anonymous.request(AddGroupMemberDocument, { input: { groupId: b, personId: ada } }),
      await anonymous.request(RemoveGroupMemberDocument, { id: membership.id }),
      await anonymous.request(NestGroupDocument, { input: { groupId: a, nestedGroupId: b } }),
      await anonymous.request(UnnestGroupDocument, { id: nesting.id }),
    ]) {
      assert.equal(response.status, 401);
      assert.equal(response.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
    }
    await assertNothingLogged(t.admin, orgId, cursor);

    await orgAdmin.ok(UnnestGroupDocument, { id: nesting.id });
    await orgAdmin.ok(RemoveGroupMemberDocument, { id: membership.id });
  });

  it('loads nested fields of a whole page in a constant number of SQL statements', async () => {
    const { id: orgId } = await createOrganization(t.admin);
    const ids = await groups(t.admin, orgId, 'g1', 'g2', 'g3', 'g4', 'g5', 'g6', 'g7', 'g8');
    const people = [await person(t.admin, orgId, 'P1'), await person(t.admin, orgId, 'P2')];
    for (const [i, id] of ids.entries()) {
      await add(t.admin, id, people[i % 2], { owner: true });
      if (i > 0) await nest(t.admin, id, ids[i - 1]);
    }
    const statements = async (first: number) => {
      const before = await t.sqlQueryCount();
      const data = await t.admin.ok(GroupsWithMembersDocument, { organizationId: orgId, filter: { type: 'STANDARD' }, first });
      assert.equal(data.groups.nodes.length, first);
      assert.ok(data.groups.nodes.every((g) => g.folder?.id && g.members.length > 0));
      return (await t.sqlQueryCount()) - before;
    };
    await statements(2);
    assert.equal(await statements(8), await statements(2), 'eight groups cost what two cost');
  });
});
