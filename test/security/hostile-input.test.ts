import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { MAX_PAGE_SIZE } from '../../src/common/pagination';
import { MAX_RDN_VALUE_BYTES, rdnValueBytes } from '../../src/plugins/ldap/dn';
import fc from 'fast-check';
import { parse, type GraphQLFormattedError } from 'graphql';
import { Attribute } from 'ldapts';
import { ChangeLogDocument, CreateFolderDocument, CreateGroupDocument, PeopleDocument, ProvisioningTargetsDocument } from '../../src/client/generated/graphql';
import type { GraphQLResponse } from '../support/client';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization } from '../support/fixtures';
import { startScimServer, type ScimServer, type StoredResource } from '../support/scim-server';
import { startSlapd, type Slapd } from '../support/slapd';
import {
  caseVariant,
  firstRdn,
  freshener,
  hostileAround,
  hostileFragment,
  hostileText,
  isCalendarDate,
  isValidFreeText,
  isValidLabel,
  ldapCleaned,
  LDAP_FRAGMENTS,
  LONE_SURROGATES,
  MARK,
  mostlyLabels,
  SCIM_FRAGMENTS,
} from './arbitraries';

/**
 * Ferry's promise for hostile input, checked with random and malicious values (fast-check):
 * (1) every error carries a stable code, never INTERNAL_SERVER_ERROR;
 * (2) a failed mutation leaves nothing behind: no change-log entry, no record, nothing on a target;
 * (3) an accepted value reaches the real slapd and the real SCIM servers verbatim (a DN's RDN value
 *     round-trips), and never matches, changes or deletes another person's or group's entry.
 * A failure prints fast-check's seed, the counterexample and the assertion that failed.
 */

// ---------------------------------------------------------------------------------------------
// Documents that ask for `provisioning`: that makes a mutation wait until the targets have been
// written, so slapd and the SCIM servers can be read right after it returns.

type Vars = Record<string, unknown>;
const doc = <R>(source: string) => parse(source) as unknown as TypedDocumentNode<R, Vars>;

interface Outcome {
  targetName: string;
  subjectType: string;
  subjectId: string;
  action: string;
  outcome: string;
  error: string | null;
}
const OUTCOME = 'provisioning { targetName subjectType subjectId action outcome error }';

interface PersonRead {
  id: string;
  dateOfBirth: string | null;
  timezone: string | null;
  names: { id: string; given: string; family: string | null; primary: boolean }[];
  emailAddresses: { id: string; mail: string }[];
  identifiers: { id: string; type: string; value: string }[];
}
const PERSON = 'id dateOfBirth timezone names { id given family primary } emailAddresses { id mail } identifiers { id type value }';
interface GroupRead {
  id: string;
  fullName: string;
  description: string | null;
}

const CreatePerson = doc<{ createPerson: { person: PersonRead; provisioning: Outcome[] } }>(
  `mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { ${PERSON} } ${OUTCOME} } }`,
);
const UpdatePerson = doc<{ updatePerson: { person: PersonRead } }>(
  `mutation($id: ID!, $input: UpdatePersonInput!) { updatePerson(id: $id, input: $input) { person { ${PERSON} } ${OUTCOME} } }`,
);
const DeletePerson = doc<{ deletePerson: { id: string; provisioning: Outcome[] } }>(`mutation($id: ID!) { deletePerson(id: $id) { id ${OUTCOME} } }`);
const ReadPerson = doc<{ person: PersonRead | null }>(`query($id: ID!) { person(id: $id) { ${PERSON} } }`);
const AddName = doc<{ addName: { provisioning: Outcome[] } }>(`mutation($input: AddNameInput!) { addName(input: $input) { name { id } ${OUTCOME} } }`);
const AddEmailAddress = doc<{ addEmailAddress: { provisioning: Outcome[] } }>(
  `mutation($input: AddEmailAddressInput!) { addEmailAddress(input: $input) { emailAddress { id } ${OUTCOME} } }`,
);
const AddIdentifier = doc<{ addIdentifier: { provisioning: Outcome[] } }>(
  `mutation($input: AddIdentifierInput!) { addIdentifier(input: $input) { identifier { id } ${OUTCOME} } }`,
);
const UpdateIdentifier = doc<{ updateIdentifier: { provisioning: Outcome[] } }>(
  `mutation($id: ID!, $input: UpdateIdentifierInput!) { updateIdentifier(id: $id, input: $input) { identifier { id } ${OUTCOME} } }`,
);
const CreateFolder = doc<{ createFolder: { folder: { id: string; name: string } } }>(
  `mutation($input: CreateFolderInput!) { createFolder(input: $input) { folder { id name } } }`,
);
const CreateGroup = doc<{ createGroup: { group: GroupRead; provisioning: Outcome[] } }>(
  `mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id fullName description } ${OUTCOME} } }`,
);
const UpdateGroup = doc<{ updateGroup: { group: GroupRead; provisioning: Outcome[] } }>(
  `mutation($id: ID!, $input: UpdateGroupInput!) { updateGroup(id: $id, input: $input) { group { id fullName description } ${OUTCOME} } }`,
);
const AddGroupMember = doc<{ addGroupMember: { membership: { id: string; validFrom: string | null; validThrough: string | null } } }>(
  `mutation($input: AddGroupMemberInput!) { addGroupMember(input: $input) { membership { id validFrom validThrough } ${OUTCOME} } }`,
);
const RemoveGroupMember = doc<{ removeGroupMember: { id: string } }>(`mutation($id: ID!) { removeGroupMember(id: $id) { id ${OUTCOME} } }`);
const CreateTarget = doc<{ createProvisioningTarget: { target: { id: string } } }>(
  `mutation($input: CreateProvisioningTargetInput!) { createProvisioningTarget(input: $input) { target { id } } }`,
);
const DeleteTarget = doc<{ deleteProvisioningTarget: { id: string } }>(`mutation($id: ID!) { deleteProvisioningTarget(id: $id) { id } }`);
const SetGroupProvisioning = doc<{ setGroupProvisioning: { assignment: { metadata: unknown } } }>(
  `mutation($input: SetGroupProvisioningInput!) { setGroupProvisioning(input: $input) { assignment { id metadata } } }`,
);
const ChangeLogCursor = doc<{ changeLog: { pageInfo: { endCursor: string | null; hasNextPage: boolean } } }>(
  `query($after: String, $first: Int) { changeLog(after: $after, first: $first) { pageInfo { endCursor hasNextPage } } }`,
);
const SearchPeople = doc<{ people: { nodes: { names: { given: string; family: string | null }[]; emailAddresses: { mail: string }[]; identifiers: { value: string }[] }[] } }>(
  `query($organizationId: ID!, $search: String) { people(organizationId: $organizationId, filter: { search: $search }, first: 500) { nodes { names { given family } emailAddresses { mail } identifiers { value } } } }`,
);
const SearchGroups = doc<{ groups: { nodes: { fullName: string }[] } }>(
  `query($organizationId: ID!, $search: String) { groups(organizationId: $organizationId, filter: { search: $search }, first: 500) { nodes { fullName } } }`,
);
const SearchFolders = doc<{ folders: { nodes: { fullName: string }[] } }>(
  `query($organizationId: ID!, $search: String) { folders(organizationId: $organizationId, filter: { search: $search }, first: 500) { nodes { fullName } } }`,
);

// ---------------------------------------------------------------------------------------------

/** Bounded runs; the report carries the assertion that failed next to the seed and the counterexample. */
const runs = <T>(numRuns: number, examples: T[] = []) => ({ numRuns, includeErrorInReport: true, examples });

const STABLE_CODES = new Set(['BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT', 'FORBIDDEN']);

function assertStableErrors(errors: readonly GraphQLFormattedError[], sent: unknown): void {
  for (const error of errors) {
    const code = error.extensions?.code;
    assert.ok(
      typeof code === 'string' && STABLE_CODES.has(code),
      `an error without a stable code (${String(code)}): ${JSON.stringify(error)}\nsent: ${JSON.stringify(sent)}`,
    );
    assert.ok(error.message.length > 10, `the error should explain the problem: ${JSON.stringify(error)}`);
  }
}

/** The data, or null once it is checked that the request failed with one of `codes`. */
function settle<T>(response: GraphQLResponse<T>, sent: unknown, codes: readonly string[]): T | null {
  if (response.errors?.length) {
    assertStableErrors(response.errors, sent);
    const code = response.errors[0].extensions?.code as string;
    assert.ok(codes.includes(code), `expected ${codes.join(' or ')}, got ${JSON.stringify(response.errors)}\nsent: ${JSON.stringify(sent)}`);
    return null;
  }
  assert.ok(response.data, `no data and no errors for ${JSON.stringify(sent)}`);
  return response.data;
}

const BY_NAME = 'saas-by-name';

/**
 * Asserts that every target took the change. One refusal is the SCIM server's own limit, not
 * Ferry's: SCIMMY 1.3 cannot read the `\"` escape (RFC 7644 3.4.2.2, JSON strings) that Ferry
 * puts in a filter, so the target that looks Users and Groups up by name cannot look up a value
 * with a double quote. Returns whether that happened, so callers skip that target's read-back.
 */
function assertDelivered(provisioning: readonly Outcome[], subjectId: string, sentValues: readonly string[] = []): { byNameRefusedFilter: boolean } {
  assert.ok(
    provisioning.some((event) => event.subjectId === subjectId),
    `no provisioning event for ${subjectId}: ${JSON.stringify(provisioning)}`,
  );
  let byNameRefusedFilter = false;
  for (const event of provisioning) {
    if (event.outcome !== 'FAILED') continue;
    const scimmyFilterLimit = event.targetName === BY_NAME && /invalidFilter/.test(event.error ?? '') && sentValues.some((value) => value.includes('"'));
    assert.ok(scimmyFilterLimit, `${event.targetName} ${event.action} of ${event.subjectType} failed: ${event.error}`);
    byNameRefusedFilter = true;
  }
  return { byNameRefusedFilter };
}

/**
 * LDAP's mail attribute is an IA5String (ASCII, RFC 4524): an internationalised address (RFC 6531)
 * may be left out of the entry, but never altered, and never keep the person's entry from being written.
 */
function assertLdapMail(values: string[], mail: string | undefined): void {
  if (mail === undefined) return assert.deepEqual(values, []);
  const expected = /^[\x00-\x7f]*$/.test(mail) ? [[mail]] : [[mail], []];
  assert.ok(expected.some((candidate) => JSON.stringify(candidate) === JSON.stringify(values)), `slapd holds mail ${JSON.stringify(values)} for ${JSON.stringify(mail)}`);
}

const scimUserView = (user: StoredResource | undefined) =>
  user && {
    userName: user.userName,
    externalId: user.externalId,
    givenName: user.name?.givenName,
    familyName: user.name?.familyName,
    displayName: user.displayName,
    emails: (user.emails ?? []).map((email: { value: string }) => email.value),
  };

describe('hostile input: stable errors, no partial writes, escaped data on slapd and SCIM', () => {
  let t: TestFerry;
  let slapd: Slapd;
  /** Finds Users and Groups by externalId (Ferry's ids): hostile values never appear in a filter. */
  let scim: ScimServer;
  /** Finds them by userName and displayName: the hostile values themselves are sent as filters. */
  let scimByName: ScimServer;
  let organizationId: string;
  let branchDn: string;
  let peopleDn: string;
  let groupsDn: string;
  let victims: { people: { id: string; uid: string; dn: string }[]; groupDn: string; groupFullName: string };
  const outsiderDn = () => `uid=outsider,${peopleDn}`;
  const servers = () => [scim, scimByName];

  const lowerCased = (dns: string[]) => new Set(dns.map((dn) => dn.toLowerCase()));

  /** Every entry of the branch, with entryCSN so that even a rewrite of the same values shows. */
  async function ldapSnapshot(): Promise<Map<string, string>> {
    const { searchEntries } = await slapd.client().search(branchDn, { scope: 'sub', attributes: ['*', 'entryCSN'] });
    return new Map(searchEntries.map((entry) => [entry.dn.toLowerCase(), JSON.stringify(entry)]));
  }

  function scimSnapshot(): string {
    const sorted = (resources: Map<string, StoredResource>) => [...resources.values()].sort((a, b) => a.id.localeCompare(b.id));
    return JSON.stringify(servers().map((server) => ({ users: sorted(server.users), groups: sorted(server.groups) })));
  }

  /** The victims and the outsiders as slapd and both SCIM servers hold them, meta.revision and entryCSN included. */
  async function victimSnapshot(): Promise<string> {
    const ldap = await ldapSnapshot();
    const dns = [...victims.people.map((person) => person.dn), victims.groupDn, outsiderDn(), `cn=outsiders,${groupsDn}`];
    return JSON.stringify({
      ldap: dns.map((dn) => ldap.get(dn.toLowerCase()) ?? `missing ${dn}`),
      scim: servers().map((server) => [
        ...victims.people.map((person) => server.userBy('externalId', person.id) ?? 'missing'),
        server.userBy('userName', 'outsider') ?? 'missing',
        server.groupBy('displayName', victims.groupFullName) ?? 'missing',
        server.groupBy('displayName', 'outsiders') ?? 'missing',
      ]),
    });
  }

  let knownSeq = '0';
  async function latestChangeSeq(): Promise<string> {
    for (;;) {
      const page = (await t.admin.ok(ChangeLogCursor, { after: knownSeq, first: 500 })).changeLog;
      knownSeq = page.pageInfo.endCursor ?? knownSeq;
      if (!page.pageInfo.hasNextPage) return knownSeq;
    }
  }

  /** Captures what a failed mutation must leave as it was; the returned function checks it. */
  async function untouchedCheck(): Promise<(sent: unknown) => Promise<void>> {
    const seq = await latestChangeSeq();
    const ldap = await ldapSnapshot();
    const scimBefore = scimSnapshot();
    const people = (await t.admin.ok(PeopleDocument, { organizationId, first: 1 })).people.totalCount;
    return async (sent) => {
      const changes = (await t.admin.ok(ChangeLogDocument, { after: seq, first: 10 })).changeLog.nodes;
      assert.deepEqual(changes, [], `a failed mutation wrote change-log entries; sent ${JSON.stringify(sent)}`);
      assert.equal((await t.admin.ok(PeopleDocument, { organizationId, first: 1 })).people.totalCount, people, 'a failed mutation left a person');
      assert.deepEqual(await ldapSnapshot(), ldap, `a failed mutation changed slapd; sent ${JSON.stringify(sent)}`);
      assert.equal(scimSnapshot(), scimBefore, `a failed mutation changed a SCIM server; sent ${JSON.stringify(sent)}`);
    };
  }

  /** Asserts that slapd names the entry with exactly `value` as its only RDN value, directly under `parentDn`. */
  function assertRdn(dn: string, attribute: string, value: string, parentDn: string): void {
    const { assertions, rest } = firstRdn(dn);
    assert.equal(assertions.length, 1, `the RDN of ${JSON.stringify(dn)} has ${assertions.length} values (an unescaped "+")`);
    assert.equal(assertions[0].attribute.toLowerCase(), attribute);
    assert.equal(assertions[0].value, value, `the RDN value of ${JSON.stringify(dn)} does not round-trip`);
    assert.equal(rest.toLowerCase().replace(/\s/g, ''), parentDn.toLowerCase().replace(/\s/g, ''), `${JSON.stringify(dn)} escaped its parent`);
  }

  /** The one DN that appeared under `parentDn` since `before`. */
  async function newChild(parentDn: string, before: Set<string>): Promise<string> {
    const added = (await slapd.childDns(parentDn)).filter((dn) => !before.has(dn.toLowerCase()));
    assert.equal(added.length, 1, `expected one new entry under ${parentDn}, found ${JSON.stringify(added)}`);
    return added[0];
  }

  const newResources = (resources: Map<string, StoredResource>, before: Set<string>) => [...resources.values()].filter((resource) => !before.has(resource.id));

  before(async () => {
    [slapd, scim, scimByName] = await Promise.all([startSlapd(), startScimServer(), startScimServer()]);
    t = await startTestFerry();
    organizationId = (await createOrganization(t.admin)).id;

    branchDn = `ou=hostile,${slapd.suffix}`;
    peopleDn = `ou=people,${branchDn}`;
    groupsDn = `ou=groups,${branchDn}`;
    const client = slapd.client();
    await client.add(branchDn, { objectClass: 'organizationalUnit', ou: 'hostile' });
    await client.add(peopleDn, { objectClass: 'organizationalUnit', ou: 'people' });
    await client.add(groupsDn, { objectClass: 'organizationalUnit', ou: 'groups' });
    // Entries Ferry never wrote: a wildcard or an injected filter must not reach them either.
    await client.add(outsiderDn(), [
      new Attribute({ type: 'objectClass', values: ['inetOrgPerson'] }),
      new Attribute({ type: 'uid', values: ['outsider'] }),
      new Attribute({ type: 'cn', values: ['Outsider'] }),
      new Attribute({ type: 'sn', values: ['Outsider'] }),
    ]);
    await client.add(`cn=outsiders,${groupsDn}`, { objectClass: 'groupOfNames', cn: 'outsiders', member: outsiderDn() });
    for (const server of servers()) {
      server.seedUser({ userName: 'outsider', displayName: 'Outsider', active: true });
      server.seedGroup({ displayName: 'outsiders' });
    }

    const ldapConfig = {
      url: slapd.url,
      bindDn: slapd.bindDn,
      bindPassword: slapd.bindPassword,
      peopleBaseDn: peopleDn,
      groupBaseDn: groupsDn,
      timeoutMs: 5000,
      // Every group gets an entry at once, so group names reach slapd without members.
      emptyGroupPolicy: 'placeholder',
      placeholderMemberDn: `cn=placeholder,${slapd.suffix}`,
    };
    await t.admin.ok(CreateTarget, { input: { organizationId, name: 'directory', plugin: 'ldap', config: ldapConfig } });
    await t.admin.ok(CreateTarget, { input: { organizationId, name: 'saas', plugin: 'scim', config: { baseUrl: scim.url, bearerToken: scim.token } } });
    await t.admin.ok(CreateTarget, {
      input: {
        organizationId,
        name: BY_NAME,
        plugin: 'scim',
        config: { baseUrl: scimByName.url, bearerToken: scimByName.token, userMatchAttribute: 'userName', groupMatchAttribute: 'displayName' },
      },
    });

    const people = [];
    for (const [uid, given] of [
      ['victim-ada', 'Ada'],
      ['victim-bob', 'Bob'],
    ]) {
      const created = (
        await t.admin.ok(CreatePerson, {
          input: { organizationId, names: [{ given, family: 'Victim' }], emailAddresses: [{ mail: `${uid}@victim.example` }], identifiers: [{ type: 'uid', value: uid }] },
        })
      ).createPerson;
      assertDelivered(created.provisioning, created.person.id);
      people.push({ id: created.person.id, uid, dn: `uid=${uid},${peopleDn}` });
    }
    const folder = (await t.admin.ok(CreateFolderDocument, { input: { organizationId, name: 'victims' } })).createFolder.folder;
    const group = (await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name: 'staff' } })).createGroup.group;
    await t.admin.ok(AddGroupMember, { input: { groupId: group.id, personId: people[0].id } });
    victims = { people, groupDn: `cn=victims:staff,${groupsDn}`, groupFullName: 'victims:staff' };
    for (const person of people) assert.ok(await slapd.entry(person.dn), `victim ${person.uid} is in slapd`);
    assert.ok(await slapd.entry(victims.groupDn), 'the victim group is in slapd');
    for (const server of servers()) assert.equal(server.groupBy('displayName', 'victims:staff')?.members?.length, 1, 'the victim group is on the SCIM server');
  });

  after(async () => {
    await t?.stop();
    await Promise.all([scim?.close(), scimByName?.close()]);
    await slapd?.dispose();
  });

  // -------------------------------------------------------------------------------------------

  it('createPerson: hostile names, uids and addresses are refused with BAD_USER_INPUT and leave nothing, or arrive verbatim', async () => {
    const fresh = freshener('p');
    // ASCII addresses: internationalised ones have a property of their own.
    const mail = fc.oneof(
      fc.constantFrom("o'brien@example.org", 'a+tag@example.org', '"quoted local"@example.org', 'x*y@example.org', 'a=b#c@example.org', '{a}|~@example.org', '"a\\"b"@example.org'),
      fc
        .tuple(hostileText(3), fc.constantFrom('example.org', 'xn--bcher-kva.example', '[127.0.0.1]', 'localhost'))
        .map(([local, domain]) => `${local}@${domain}`)
        .filter((address) => /^[\x00-\x7f]*$/.test(address)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({ given: mostlyLabels(128, hostileAround()), family: mostlyLabels(128, hostileText(4)), uid: mostlyLabels(512, hostileAround()), mail: fc.option(mail, { nil: undefined }) }),
        async (sample) => {
          const { family, mail } = sample;
          const given = fresh(sample.given);
          const uid = fresh(sample.uid);
          const input = { organizationId, names: [{ given, family }], emailAddresses: mail === undefined ? [] : [{ mail }], identifiers: [{ type: 'uid', value: uid }] };
          const labelsValid = isValidLabel(given, 128) && isValidLabel(family, 128) && isValidLabel(uid, 512);
          const unchanged = await untouchedCheck();
          const victimsBefore = await victimSnapshot();
          const childrenBefore = lowerCased(await slapd.childDns(peopleDn));
          const usersBefore = servers().map((server) => new Set(server.users.keys()));

          const response = await t.admin.request(CreatePerson, { input });
          const data = settle(response, input, ['BAD_USER_INPUT']);
          if (!data) {
            // With valid labels, only the address may be what was refused.
            const fields = (response.errors![0].extensions?.fields ?? []) as { field: string }[];
            assert.ok(!labelsValid || (mail !== undefined && fields.every((field) => field.field.includes('emailAddresses'))), `valid labels were refused: ${JSON.stringify(response.errors)}`);
            return unchanged(input);
          }
          assert.ok(labelsValid, `Ferry accepted a value its rules forbid: ${JSON.stringify(input)}`);
          const { person, provisioning } = data.createPerson;
          assert.deepEqual(
            { given: person.names[0].given, family: person.names[0].family, uid: person.identifiers[0].value, mail: person.emailAddresses[0]?.mail },
            { given, family, uid, mail },
            'the registry altered a value',
          );
          const { byNameRefusedFilter } = assertDelivered(provisioning, person.id, [uid]);

          const dn = await newChild(peopleDn, childrenBefore);
          assertRdn(dn, 'uid', uid, peopleDn);
          const entry = (await slapd.entry(dn))!;
          assert.deepEqual(
            { uid: entry.get('uid'), givenName: entry.get('givenName'), sn: entry.get('sn'), cn: entry.get('cn') },
            { uid: [uid], givenName: [given], sn: [family], cn: [`${given} ${family}`] },
            'slapd holds other values than Ferry was given',
          );
          assertLdapMail(entry.get('mail'), mail);

          const expected = { userName: uid, externalId: person.id, givenName: given, familyName: family, displayName: `${given} ${family}`, emails: mail === undefined ? [] : [mail] };
          servers().forEach((server, index) => {
            const users = newResources(server.users, usersBefore[index]);
            if (server === scimByName && byNameRefusedFilter) return assert.equal(users.length, 0);
            assert.deepEqual(users.map(scimUserView), [expected], `the SCIM server ${index} holds other values than Ferry was given`);
          });
          assert.equal(await victimSnapshot(), victimsBefore, 'creating a person changed another entry');
        },
      ),
      runs(50),
    );
  });

  it('addName, addEmailAddress and addIdentifier: hostile values on an existing person are refused without trace, or arrive verbatim', async () => {
    const fresh = freshener('a');
    const identifierType = fc.oneof(
      { weight: 3, arbitrary: fc.constant('uid') },
      { weight: 2, arbitrary: hostileText(3) },
      { weight: 1, arbitrary: fc.constantFrom('uid)(cn=*', 'uid,cn', 'eppn', 'x'.repeat(65), 'Uid', 'u-i.d_1') },
    );
    const change = fc.oneof(
      fc.record({ kind: fc.constant('name' as const), given: mostlyLabels(128, hostileAround()), family: mostlyLabels(128, hostileText(3)) }),
      fc.record({
        kind: fc.constant('mail' as const),
        local: hostileAround(2).filter((local) => /^[\x00-\x7f]*$/.test(local)),
        domain: fc.constantFrom('example.org', 'ex*ample.org', 'example.org)(x', '[::1]'),
      }),
      fc.record({ kind: fc.constant('identifier' as const), type: identifierType, value: mostlyLabels(512, hostileAround()) }),
    );

    await fc.assert(
      fc.asyncProperty(change, async (sample) => {
        // A new person per run, so that a counterexample does not depend on earlier runs.
        const subjectUid = fresh(`subject-${MARK}`);
        const subject = (
          await t.admin.ok(CreatePerson, { input: { organizationId, names: [{ given: 'Sub', family: 'Ject' }], identifiers: [{ type: 'uid', value: subjectUid }] } })
        ).createPerson;
        assertDelivered(subject.provisioning, subject.person.id);
        const subjectId = subject.person.id;
        const subjectDn = `uid=${subjectUid},${peopleDn}`;
        const users = () => servers().map((server) => server.userBy('externalId', subjectId)!);

        const unchanged = await untouchedCheck();
        const victimsBefore = await victimSnapshot();
        const entryBefore = (await slapd.entry(subjectDn))!;

        if (sample.kind === 'name') {
          const given = fresh(sample.given);
          const input = { personId: subjectId, given, family: sample.family, primary: true };
          const data = settle(await t.admin.request(AddName, { input }), input, ['BAD_USER_INPUT']);
          const valid = isValidLabel(given, 128) && isValidLabel(sample.family, 128);
          assert.equal(!!data, valid, `${valid ? 'refused' : 'accepted'} ${JSON.stringify(input)}`);
          if (!data) return unchanged(input);
          assertDelivered(data.addName.provisioning, subjectId);
          const entry = (await slapd.entry(subjectDn))!;
          assert.deepEqual([entry.get('givenName'), entry.get('sn'), entry.get('cn')], [[given], [sample.family], [`${given} ${sample.family}`]]);
          for (const user of users()) assert.deepEqual([user.name?.givenName, user.name?.familyName], [given, sample.family]);
        } else if (sample.kind === 'mail') {
          const mail = `${fresh(sample.local)}@${sample.domain}`;
          const input = { personId: subjectId, mail };
          const data = settle(await t.admin.request(AddEmailAddress, { input }), input, ['BAD_USER_INPUT']);
          if (!data) return unchanged(input);
          assertDelivered(data.addEmailAddress.provisioning, subjectId);
          assertLdapMail((await slapd.entry(subjectDn))!.get('mail'), mail);
          for (const user of users()) assert.deepEqual(scimUserView(user)!.emails, [mail], 'the SCIM User holds the address verbatim');
        } else {
          const value = fresh(sample.value);
          const input = { personId: subjectId, type: sample.type, value };
          const data = settle(await t.admin.request(AddIdentifier, { input }), input, ['BAD_USER_INPUT']);
          const valid = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/.test(sample.type) && isValidLabel(value, 512);
          assert.equal(!!data, valid, `${valid ? 'refused' : 'accepted'} ${JSON.stringify(input)}`);
          if (!data) return unchanged(input);
          assertDelivered(data.addIdentifier.provisioning, subjectId);
          const entry = await slapd.entry(subjectDn);
          assert.ok(entry, 'the subject keeps its DN: the first uid names the entry');
          const isUid = sample.type.toLowerCase() === 'uid';
          assert.deepEqual(entry.sorted('uid'), [...entryBefore.get('uid'), ...(isUid ? [value] : [])].sort(), 'a second uid arrives verbatim next to the first');
          for (const user of users()) assert.equal(user.userName, subjectUid, 'the userName stays the first uid');
        }
        assert.equal(await victimSnapshot(), victimsBefore, 'changing one person changed another entry');
      }),
      runs(30),
    );
  });

  it('filter- and DN-shaped uids never reach another entry when a person is created, renamed and deleted', async () => {
    const attack = (victim: string) =>
      fc.oneof(
        fc.constantFrom(
          '*',
          'a)(uid=*',
          '*)(|(uid=*',
          `*)(uid=${victim}`,
          `${victim})(uid=*`,
          `${victim}*`,
          `*${victim}`,
          `${victim},ou=people`,
          `uid=${victim},${peopleDn}`,
          `${victim}+cn=x`,
          `#${victim}`,
          `\\${victim}`,
          `${victim}\\`,
          `${victim}\\,`,
          `"${victim}"`,
          `${victim}" or userName eq "${victim}`,
          `x" or userName eq "${victim}`,
          `x") or (userName eq "${victim}`,
          `x" or userName pr or userName eq "x`,
          `${victim}\\"`,
          `x or userName eq ${victim}`,
          `${victim} or userName pr`,
          '\\u0022 or userName pr',
        ),
        fc
          .tuple(fc.array(fc.constantFrom(...LDAP_FRAGMENTS, ...SCIM_FRAGMENTS), { minLength: 1, maxLength: 3 }), fc.array(hostileFragment, { maxLength: 3 }))
          .map(([before, after]) => `${before.join('')}${victim}${after.join('')}`),
      );
    const victimUid = fc.constantFrom('victim-ada', 'victim-bob', 'outsider');

    await fc.assert(
      fc.asyncProperty(victimUid.chain((victim) => fc.tuple(attack(victim), attack(victim))), async ([first, second]) => {
        const victimsBefore = await victimSnapshot();
        const childrenBefore = lowerCased(await slapd.childDns(peopleDn));
        const usersBefore = servers().map((server) => server.users.size);
        const unchanged = await untouchedCheck();

        const input = { organizationId, names: [{ given: 'Mallory', family: 'Attacker' }], identifiers: [{ type: 'uid', value: first }] };
        const created = settle(await t.admin.request(CreatePerson, { input }), input, ['BAD_USER_INPUT']);
        assert.equal(!!created, isValidLabel(first, 512), `${JSON.stringify(first)} was ${created ? 'accepted' : 'refused'}`);
        if (!created) return unchanged(input);
        const mallory = created.createPerson.person;
        // Shrinking replays values: an attacker left behind by a failed run would make the next one a conflict.
        let removed = false;
        try {
          const { byNameRefusedFilter } = assertDelivered(created.createPerson.provisioning, mallory.id, [first]);
          assertRdn(await newChild(peopleDn, childrenBefore), 'uid', first, peopleDn);
          assert.equal(scim.userBy('externalId', mallory.id)?.userName, first, 'the SCIM User has the uid verbatim');
          assert.equal(scimByName.userBy('externalId', mallory.id)?.userName, byNameRefusedFilter ? undefined : first, 'a new User by name, nobody adopted');
          assert.deepEqual(servers().map((server) => server.users.size), [usersBefore[0] + 1, usersBefore[1] + (byNameRefusedFilter ? 0 : 1)]);
          assert.equal(await victimSnapshot(), victimsBefore, `creating uid ${JSON.stringify(first)} changed another entry`);

          // A rename is a modrdn on slapd and a userName PATCH on SCIM.
          const rename = { id: mallory.identifiers[0].id, input: { value: second } };
          const renamed = settle(await t.admin.request(UpdateIdentifier, rename), rename, ['BAD_USER_INPUT']);
          assert.equal(!!renamed, isValidLabel(second, 512), `renaming to ${JSON.stringify(second)}`);
          if (renamed && first !== second) {
            const { byNameRefusedFilter: refusedAgain } = assertDelivered(renamed.updateIdentifier.provisioning, mallory.id, [first, second]);
            const children = await slapd.childDns(peopleDn);
            assert.equal(children.length, childrenBefore.size + 1, 'the rename moved the entry, it did not copy it');
            assertRdn(await newChild(peopleDn, childrenBefore), 'uid', second, peopleDn);
            assert.equal(scim.userBy('externalId', mallory.id)?.userName, second);
            if (!refusedAgain) assert.equal(scimByName.userBy('externalId', mallory.id)?.userName, second);
          }
          assert.equal(await victimSnapshot(), victimsBefore, `renaming to ${JSON.stringify(second)} changed another entry`);

          const deleted = await t.admin.ok(DeletePerson, { id: mallory.id });
          removed = true;
          assertDelivered(deleted.deletePerson.provisioning, mallory.id);
          assert.deepEqual(lowerCased(await slapd.childDns(peopleDn)), childrenBefore, "the delete removed exactly the attacker's entry");
          for (const server of servers()) assert.equal(server.userBy('externalId', mallory.id), undefined, "the attacker's User is gone");
          assert.deepEqual(servers().map((server) => server.users.size), usersBefore);
          assert.equal(await victimSnapshot(), victimsBefore, `deleting uid ${JSON.stringify(second)} changed another entry`);
        } finally {
          if (!removed) await t.admin.request(DeletePerson, { id: mallory.id });
        }
      }),
      runs(25),
    );
  });

  it("createFolder, createGroup and updateGroup: hostile names and descriptions are refused without trace, or arrive verbatim as the group's cn and displayName", async () => {
    const fresh = freshener('g');
    const description = fc.option(fc.oneof(hostileText(6), fc.constantFrom('line one\nline two', '\ttabbed\r\n', '  padded  ', 'x'.repeat(4001))), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(
        // Short segments: slapd's limit on a DN's length has a property of its own (the length limits below).
        fc.record({ folder: mostlyLabels(255, hostileAround(2)), group: mostlyLabels(255, hostileAround(2)), description, renamed: mostlyLabels(255, hostileAround(2)) }),
        async (sample) => {
          const { description } = sample;
          const [folder, group, renamed] = [fresh(sample.folder), fresh(sample.group), fresh(sample.renamed)];
          const victimsBefore = await victimSnapshot();
          let unchanged = await untouchedCheck();
          const folderInput = { organizationId, name: folder };
          const createdFolder = settle(await t.admin.request(CreateFolder, { input: folderInput }), folderInput, ['BAD_USER_INPUT']);
          const folderValid = isValidLabel(folder, 255) && !folder.includes(':');
          assert.equal(!!createdFolder, folderValid, `folder ${JSON.stringify(folder)} was ${createdFolder ? 'accepted' : 'refused'}`);
          if (!createdFolder) return unchanged(folderInput);
          assert.equal(createdFolder.createFolder.folder.name, folder);

          const groupsBefore = lowerCased(await slapd.childDns(groupsDn));
          const scimGroupsBefore = servers().map((server) => new Set(server.groups.keys()));
          unchanged = await untouchedCheck();
          const groupInput = { folderId: createdFolder.createFolder.folder.id, name: group, description };
          const createdGroup = settle(await t.admin.request(CreateGroup, { input: groupInput }), groupInput, ['BAD_USER_INPUT']);
          const groupValid = isValidLabel(group, 255) && !group.includes(':') && (description === undefined || isValidFreeText(description, 4000));
          assert.equal(!!createdGroup, groupValid, `group ${JSON.stringify(groupInput)} was ${createdGroup ? 'accepted' : 'refused'}`);
          if (!createdGroup) return unchanged(groupInput);

          const fullName = `${folder}:${group}`;
          const created = createdGroup.createGroup.group;
          assert.deepEqual([created.fullName, created.description], [fullName, description ?? null], 'the registry altered a value');
          const { byNameRefusedFilter } = assertDelivered(createdGroup.createGroup.provisioning, created.id, [fullName]);
          const dn = await newChild(groupsDn, groupsBefore);
          assertRdn(dn, 'cn', fullName, groupsDn);
          const entry = (await slapd.entry(dn))!;
          assert.deepEqual(entry.get('cn'), [fullName]);
          const cleaned = description === undefined ? '' : ldapCleaned(description);
          assert.deepEqual(entry.get('description'), cleaned ? [cleaned] : [], 'the description arrives as documented (line breaks as "$", trimmed)');
          servers().forEach((server, index) => {
            const added = newResources(server.groups, scimGroupsBefore[index]).map((scimGroup) => [scimGroup.displayName, scimGroup.externalId]);
            assert.deepEqual(added, server === scimByName && byNameRefusedFilter ? [] : [[fullName, created.id]], `SCIM server ${index}`);
          });
          assert.equal(await victimSnapshot(), victimsBefore, `creating group ${JSON.stringify(fullName)} changed another entry`);

          unchanged = await untouchedCheck();
          const update = { id: created.id, input: { name: renamed } };
          const updated = settle(await t.admin.request(UpdateGroup, update), update, ['BAD_USER_INPUT']);
          assert.equal(!!updated, isValidLabel(renamed, 255) && !renamed.includes(':'), `rename to ${JSON.stringify(renamed)}`);
          if (!updated) return unchanged(update);
          const newFullName = `${folder}:${renamed}`;
          const { byNameRefusedFilter: refusedAgain } = assertDelivered(updated.updateGroup.provisioning, created.id, [fullName, newFullName]);
          const children = await slapd.childDns(groupsDn);
          assert.equal(children.length, groupsBefore.size + 1, 'the rename moved the group entry, it did not copy it');
          const moved = await newChild(groupsDn, groupsBefore);
          assertRdn(moved, 'cn', newFullName, groupsDn);
          assert.deepEqual((await slapd.entry(moved))!.get('cn'), [newFullName]);
          assert.equal(scim.groupBy('externalId', created.id)?.displayName, newFullName);
          if (!refusedAgain) assert.equal(scimByName.groupBy('externalId', created.id)?.displayName, newFullName);
          assert.equal(await victimSnapshot(), victimsBefore, `renaming a group to ${JSON.stringify(newFullName)} changed another entry`);
        },
      ),
      runs(40),
    );
  });

  it("values at the registry's length limits (a uid of 512 characters, group names of 255 per segment) reach SCIM whole, and slapd whole or refused with the reason", async () => {
    const fresh = freshener('n');
    // Characters that DN escaping lengthens (one to three bytes each), and multi-byte UTF-8.
    const filler = fc.constantFrom('a', '*', ',', '=', '+', '\\', '\u00e9', '\u4e2d');
    // From the marker's length (6) up to the limit, the limit itself often.
    const lengthOf = (limit: number) => fc.oneof(fc.integer({ min: 6, max: limit }), fc.constant(limit));
    type Limit = { kind: 'uid' | 'group'; length: number; char: string };
    const limits: fc.Arbitrary<Limit> = fc.oneof(
      fc.record({ kind: fc.constant('uid' as const), length: lengthOf(512), char: filler }),
      fc.record({ kind: fc.constant('group' as const), length: lengthOf(255), char: filler }),
    );
    await fc.assert(
      fc.asyncProperty(
        limits,
        async ({ kind, length, char }) => {
          const value = `${fresh(MARK)}${char.repeat(length - 6)}`;
          // Past what OpenLDAP can index for one RDN, the directory target fails with the reason
          // (and writes nothing); SCIM still gets the value whole.
          const tooLongForLdap = (rdnValue: string) => rdnValueBytes(rdnValue) > MAX_RDN_VALUE_BYTES;
          const expectLdapRefusal = (provisioning: readonly Outcome[], subjectId: string) => {
            const ldap = provisioning.filter((e) => e.subjectId === subjectId && e.targetName === 'directory');
            assert.ok(ldap.length > 0 && ldap.every((e) => e.outcome === 'FAILED' && /too long for the directory/.test(e.error ?? '')), JSON.stringify(ldap));
          };
          if (kind === 'uid') {
            const childrenBefore = lowerCased(await slapd.childDns(peopleDn));
            const input = { organizationId, names: [{ given: 'Long', family: 'Name' }], identifiers: [{ type: 'uid', value }] };
            const created = (await t.admin.ok(CreatePerson, { input })).createPerson;
            if (tooLongForLdap(value)) {
              expectLdapRefusal(created.provisioning, created.person.id);
              assert.deepEqual(lowerCased(await slapd.childDns(peopleDn)), childrenBefore, 'nothing written to the directory');
            } else {
              assertDelivered(created.provisioning, created.person.id, [value]);
              assertRdn(await newChild(peopleDn, childrenBefore), 'uid', value, peopleDn);
            }
            assert.equal(scim.userBy('externalId', created.person.id)?.userName, value);
            await t.admin.ok(DeletePerson, { id: created.person.id });
          } else {
            const folder = (await t.admin.ok(CreateFolder, { input: { organizationId, name: value } })).createFolder.folder;
            const groupsBefore = lowerCased(await slapd.childDns(groupsDn));
            const created = (await t.admin.ok(CreateGroup, { input: { folderId: folder.id, name: value } })).createGroup;
            if (tooLongForLdap(`${value}:${value}`)) {
              expectLdapRefusal(created.provisioning, created.group.id);
              assert.deepEqual(lowerCased(await slapd.childDns(groupsDn)), groupsBefore, 'nothing written to the directory');
            } else {
              assertDelivered(created.provisioning, created.group.id, [created.group.fullName]);
              assertRdn(await newChild(groupsDn, groupsBefore), 'cn', `${value}:${value}`, groupsDn);
            }
            assert.equal(scim.groupBy('externalId', created.group.id)?.displayName, `${value}:${value}`);
          }
        },
      ),
      runs<[Limit]>(15, [[{ kind: 'uid', length: 512, char: ',' }], [{ kind: 'group', length: 255, char: '=' }]]),
    );
  });

  it('an internationalised email address (RFC 6531) is refused, or provisioned: verbatim on SCIM, verbatim or left out on LDAP', async () => {
    const fresh = freshener('i');
    const local = fc.oneof(fc.constantFrom('\u00fc', '\u7528\u6237', 'J\u00f6rg.M\u00fcller', '\u0438\u0432\u0430\u043d'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }));
    const domain = fc.constantFrom('example.org', 'b\u00fccher.example', '\u4f8b\u5b50.\u5e7f\u544a');
    await fc.assert(
      fc.asyncProperty(local, domain, async (localPart, domainPart) => {
        const mail = `${localPart}.${fresh(MARK)}@${domainPart}`;
        const uid = fresh(`intl-${MARK}`);
        const input = { organizationId, names: [{ given: 'Intl', family: 'Mail' }], emailAddresses: [{ mail }], identifiers: [{ type: 'uid', value: uid }] };
        const unchanged = await untouchedCheck();
        const data = settle(await t.admin.request(CreatePerson, { input }), input, ['BAD_USER_INPUT']);
        if (!data) return unchanged(input);
        const { person, provisioning } = data.createPerson;
        assertDelivered(provisioning, person.id);
        assertLdapMail((await slapd.entry(`uid=${uid},${peopleDn}`))?.get('mail') ?? ['(no entry)'], mail);
        for (const server of servers()) assert.deepEqual(scimUserView(server.userBy('externalId', person.id))?.emails, [mail]);
      }),
      runs(10, [['\u00fc', 'example.org']]),
    );
  });

  it('invalid dates, unknown enum values, wrong types and unknown ids are refused with a stable code and write nothing', async () => {
    const sandbox = (
      await t.admin.ok(CreatePerson, { input: { organizationId, names: [{ given: 'Sand', family: 'Box' }], identifiers: [{ type: 'uid', value: 'sandbox' }] } })
    ).createPerson.person;
    const sandboxFolder = (await t.admin.ok(CreateFolderDocument, { input: { organizationId, name: 'sandbox' } })).createFolder.folder;
    const sandboxGroup = (await t.admin.ok(CreateGroupDocument, { input: { folderId: sandboxFolder.id, name: 'dates' } })).createGroup.group;

    const operations: Record<string, TypedDocumentNode<unknown, Vars>> = { UpdatePerson, AddName, CreatePerson, AddGroupMember, ChangeLogCursor };
    /** refuse: must fail with one of `codes`; accept: must succeed and pass `check`; either: one or the other. */
    type Case = { operation: string; variables: Vars; expect: 'refuse' | 'accept' | 'either'; codes: string[]; check?: (data: any) => Promise<void> | void };
    const instant = (value: string | null | undefined) => (value == null ? null : new Date(value).getTime());

    const dateOfBirthCase = (dateOfBirth: string): Case => ({
      operation: 'UpdatePerson',
      variables: { id: sandbox.id, input: { dateOfBirth } },
      // Years before 1000 may be refused (validator.js drops the year's leading zeros when it checks); an impossible date must be.
      expect: !isCalendarDate(dateOfBirth) || Number(dateOfBirth.slice(0, 4)) === 0 ? 'refuse' : Number(dateOfBirth.slice(0, 4)) >= 1000 ? 'accept' : 'either',
      codes: ['BAD_USER_INPUT'],
      check: (data) => assert.equal(data.updatePerson.person.dateOfBirth, dateOfBirth, 'the date of birth read back differs'),
    });
    const timezoneCase = (timezone: string): Case => ({
      operation: 'UpdatePerson',
      variables: { id: sandbox.id, input: { timezone } },
      expect: /\p{Cc}/u.test(timezone) || timezone === '' || timezone.length > 64 ? 'refuse' : 'either',
      codes: ['BAD_USER_INPUT'],
      check: (data) => assert.equal(data.updatePerson.person.timezone, timezone, 'the time zone read back differs'),
    });
    const statusCase = (status: unknown): Case => ({ operation: 'UpdatePerson', variables: { id: sandbox.id, input: { status } }, expect: 'refuse', codes: ['BAD_USER_INPUT'] });
    const nameFieldCase = (field: string, value: unknown): Case => ({
      operation: 'AddName',
      variables: { input: { personId: sandbox.id, given: 'Typed', [field]: value } },
      // null is "left out" for the optional fields.
      expect: (value === null && field !== 'given') || (field === 'primary' && typeof value === 'boolean') ? 'either' : 'refuse',
      codes: ['BAD_USER_INPUT'],
    });
    const unknownIdCase = (id: unknown, which: 'person' | 'organization'): Case => ({
      operation: which === 'person' ? 'AddName' : 'CreatePerson',
      variables: which === 'person' ? { input: { personId: id, given: 'Nobody' } } : { input: { organizationId: id, names: [{ given: 'Nobody' }] } },
      expect: 'refuse',
      codes: ['BAD_USER_INPUT', 'NOT_FOUND'],
    });
    const namesCase = (names: unknown): Case => ({
      operation: 'CreatePerson',
      variables: { input: { organizationId, names } },
      // No names at all (null or an empty list) is allowed.
      expect: names === null || (Array.isArray(names) && names.length === 0) ? 'either' : 'refuse',
      codes: ['BAD_USER_INPUT'],
    });
    const membershipCase = (validFrom: string | undefined, validThrough: string | undefined): Case => ({
      operation: 'AddGroupMember',
      variables: { input: { groupId: sandboxGroup.id, personId: sandbox.id, validFrom, validThrough } },
      expect: [validFrom, validThrough].some((value) => value !== undefined && Number.isNaN(Date.parse(value))) ? 'refuse' : 'either',
      codes: ['BAD_USER_INPUT'],
      check: async (data) => {
        const { membership } = data.addGroupMember;
        assert.deepEqual([instant(membership.validFrom), instant(membership.validThrough)], [instant(validFrom), instant(validThrough)], 'the validity window read back differs');
        await t.admin.ok(RemoveGroupMember, { id: membership.id });
      },
    });
    const changeLogCase = (after: string, first: number): Case => {
      const wellFormed = /^\d{1,19}$/.test(after) && Number.isInteger(first) && first >= 1 && first <= MAX_PAGE_SIZE;
      // A cursor past any sequence number may be refused or answered with an empty page.
      return { operation: 'ChangeLogCursor', variables: { after, first }, expect: wellFormed ? (BigInt(after) < 2n ** 63n ? 'accept' : 'either') : 'refuse', codes: ['BAD_USER_INPUT'] };
    };

    const dateText = fc.oneof(
      fc.constantFrom('2024-02-30', '2023-02-29', '2024-13-01', '2024-00-10', '0001-01-01', '9999-12-31', '1970-01-01', '2024-1-1', '24-01-01', '2024-01-01T00:00:00Z', '2024/01/01', '', ' 2024-01-01', '99999-01-01', '-2024-01-01', '\u0662\u0660\u0662\u0664-01-01'),
      fc.date({ min: new Date(Date.UTC(-3000, 0, 1)), max: new Date(Date.UTC(12000, 0, 1)), noInvalidDate: true }).map((date) => date.toISOString().slice(0, 10)),
      hostileText(3),
    );
    const dateTime = fc.oneof(
      fc.constantFrom('2024-02-30T00:00:00Z', '2024-01-01T25:00:00Z', '2024-01-01', '0000-01-01T00:00:00Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '+275760-09-13T00:00:00.000Z', '1e10', '', 'now', '2024-01-01T00:00:00+99:00', '2024-01-01T00:00:00.123456789Z'),
      fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
      hostileText(2),
    );
    const wrongType = fc.oneof(
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 2 }),
      fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
    );
    const id = fc.oneof(fc.uuid(), hostileText(2), fc.integer(), fc.constantFrom('00000000-0000-0000-0000-000000000000', `${sandbox.id} `, `${sandbox.id}' or '1'='1`, `${sandbox.id}%`));
    const cases: fc.Arbitrary<Case> = fc.oneof(
      dateText.map(dateOfBirthCase),
      fc.oneof(fc.constantFrom('Europe/Paris', 'UTC', 'Etc/GMT+5', 'Mars/Olympus', 'europe/paris', '../../etc/passwd', 'America/Argentina/ComodRivadavia'), hostileText(2)).map(timezoneCase),
      fc.oneof(fc.constantFrom('active', 'DELETED ', 'ACTIVE\u0000', 'SUSPENDED,ACTIVE', '__typename', 'ACTIVE"}'), hostileText(2), wrongType).map(statusCase),
      fc.tuple(fc.constantFrom('given', 'family', 'type', 'primary', 'language'), wrongType).map(([field, value]) => nameFieldCase(field, value)),
      fc.tuple(id, fc.constantFrom('person' as const, 'organization' as const)).map(([unknown, which]) => unknownIdCase(unknown, which)),
      fc.oneof(wrongType, fc.constant(Array.from({ length: 51 }, (_, index) => ({ given: `n${index}` })))).map(namesCase),
      fc.tuple(fc.option(dateTime, { nil: undefined }), fc.option(dateTime, { nil: undefined })).map(([from, through]) => membershipCase(from, through)),
      fc
        .tuple(fc.oneof(fc.constantFrom('-1', '0', '9223372036854775807', '1e3', '0x10', ' 1', '1 '), hostileText(2)), fc.oneof(fc.integer(), fc.constant(2 ** 31), fc.integer({ min: 1, max: 1000 })))
        .map(([after, first]) => changeLogCase(after, first)),
    );
    // Edges that random generation finds only now and then.
    const examples: [Case][] = [
      [dateOfBirthCase('0000-01-01')],
      [dateOfBirthCase('2024-01-01\u0000')],
      [timezoneCase('Europe/Paris\u0000')],
      [statusCase('ACTIVE\u0000')],
      [membershipCase('+999999-01-01T00:00:00Z', undefined)],
      [membershipCase('2030-01-01T00:00:00Z', '2020-01-01T00:00:00Z')],
      [changeLogCase('9223372036854775808', 1)],
      [changeLogCase('9999999999999999999', 1)],
      [changeLogCase('0', MAX_PAGE_SIZE)],
      [changeLogCase('0', MAX_PAGE_SIZE + 1)],
    ];

    await fc.assert(
      fc.asyncProperty(cases, async ({ operation, variables, expect, codes, check }) => {
        const unchanged = await untouchedCheck();
        const before = (await t.admin.ok(ReadPerson, { id: sandbox.id })).person;
        const response = await t.admin.request(operations[operation], variables);
        if (response.errors?.length) {
          assertStableErrors(response.errors, variables);
          assert.notEqual(expect, 'accept', `refused ${JSON.stringify(variables)}: ${JSON.stringify(response.errors)}`);
          const code = response.errors[0].extensions?.code as string;
          assert.ok(codes.includes(code), `expected ${codes.join(' or ')}, got ${code} for ${JSON.stringify(variables)}`);
          assert.deepEqual((await t.admin.ok(ReadPerson, { id: sandbox.id })).person, before, 'a refused change altered the person');
          return unchanged(variables);
        }
        assert.notEqual(expect, 'refuse', `accepted ${JSON.stringify(variables)}`);
        await check?.(response.data);
      }),
      runs(150, examples),
    );
  });

  it('a mutation that fails late (an identifier in use, given twice, or one nested value too many) writes nothing anywhere', async () => {
    const fresh = freshener('l');
    const validLabel = hostileAround(3).filter((value) => isValidLabel(value.split(MARK).join('l0000q'), 128));
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          names: fc.array(fc.record({ given: validLabel, family: validLabel }), { minLength: 1, maxLength: 4 }),
          uids: fc.array(validLabel, { minLength: 0, maxLength: 3 }),
          clash: fc.constantFrom('victim', 'twice', 'victim-other-type', 'too-many'),
          position: fc.nat(),
        }),
        async (sample) => {
          const { clash, position } = sample;
          const names = sample.names.map((name) => ({ given: fresh(name.given), family: fresh(name.family) }));
          const identifiers = sample.uids.map((value) => ({ type: 'uid', value: fresh(value) }));
          const at = position % (identifiers.length + 1);
          if (clash === 'victim') identifiers.splice(at, 0, { type: 'uid', value: 'victim-bob' });
          if (clash === 'victim-other-type') identifiers.splice(at, 0, { type: 'uid', value: 'victim-ada' }, { type: 'eppn', value: 'ok' });
          if (clash === 'twice') identifiers.splice(at, 0, { type: 'uid', value: 'dup-value' }, { type: 'uid', value: 'dup-value' });
          const input = {
            organizationId,
            names: clash === 'too-many' ? [...names, ...Array.from({ length: 50 }, (_, index) => ({ given: `extra${index}` }))] : names,
            identifiers,
          };
          const unchanged = await untouchedCheck();
          const victimsBefore = await victimSnapshot();
          const response = await t.admin.request(CreatePerson, { input });
          assert.equal(settle(response, input, clash === 'too-many' ? ['BAD_USER_INPUT'] : ['CONFLICT']), null, 'the clash was not noticed');
          await unchanged(input);
          assert.equal((await t.admin.ok(PeopleDocument, { organizationId, filter: { search: names[0].given } })).people.totalCount, 0);
          assert.equal(await victimSnapshot(), victimsBefore);
        },
      ),
      runs(30),
    );
  });

  it('search filters with LIKE, SQL and control characters never fail internally and find only what contains the term', async () => {
    const term = fc.oneof(
      fc.constantFrom('%', '_', '\\', '%\\', "'", "' or '1'='1", '--', '[a-z]', '.*', '*', 'victim%', 'victim_ada', 'vic\\tim', '\u0000', 'a\u0000b', '\ud800', 'x'.repeat(300)),
      hostileText(3),
    );
    const contains = (values: (string | null | undefined)[], search: string) =>
      values.some((value) => !!value && (value.toLowerCase().includes(search.toLowerCase()) || value.toUpperCase().includes(search.toUpperCase())));
    await fc.assert(
      fc.asyncProperty(term, fc.constantFrom('people' as const, 'groups' as const, 'folders' as const), async (search, kind) => {
        const variables = { organizationId, search };
        const document = kind === 'people' ? SearchPeople : kind === 'groups' ? SearchGroups : SearchFolders;
        const response = await t.admin.request(document as TypedDocumentNode<any, Vars>, variables);
        if (response.errors?.length) {
          assertStableErrors(response.errors, { kind, ...variables });
          return assert.equal(response.errors[0].extensions?.code, 'BAD_USER_INPUT');
        }
        // Case folding outside ASCII differs between PostgreSQL and JavaScript; only ASCII terms are compared.
        if (!/^[\x20-\x7e]+$/.test(search)) return;
        const data = response.data as any;
        const found: string[][] =
          kind === 'people'
            ? data.people.nodes.map((person: any) => [...person.names.flatMap((name: any) => [name.given, name.family]), ...person.emailAddresses.map((email: any) => email.mail), ...person.identifiers.map((identifier: any) => identifier.value)])
            : data[kind].nodes.map((node: { fullName: string }) => [node.fullName]);
        for (const values of found) assert.ok(contains(values, search), `${kind} search ${JSON.stringify(search)} found ${JSON.stringify(values)}`);
        if (kind === 'people' && 'victim-ada'.includes(search.toLowerCase())) assert.ok(found.some((values) => values.includes('victim-ada')), 'the search misses a match');
      }),
      runs(60, [['a\u0000', 'people'], ['%', 'people'], ['_', 'groups'], ['\\', 'folders']] as [string, 'people' | 'groups' | 'folders'][]),
    );
  });

  it('hostile provisioning-target configuration and folder-rule metadata (JSON with NUL, odd types, deep nesting) never cause an internal error', async () => {
    // A separate organisation: a target that happens to be accepted must not provision the others' records.
    const sandboxOrganization = (await createOrganization(t.admin)).id;
    const folder = (await t.admin.ok(CreateFolderDocument, { input: { organizationId: sandboxOrganization, name: 'rules' } })).createFolder.folder;
    const group = (await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name: 'ruled' } })).createGroup.group;
    const ruledTarget = (
      await t.admin.ok(CreateTarget, {
        input: {
          organizationId: sandboxOrganization,
          name: 'ruled',
          plugin: 'ldap',
          mode: 'MANUAL',
          groupSelection: 'FOLDER_RULES',
          config: { url: slapd.url, bindDn: slapd.bindDn, bindPassword: 'x', peopleBaseDn: peopleDn },
        },
      })
    ).createProvisioningTarget.target;
    const freshTargetName = freshener('t');
    const targetCount = async () => (await t.admin.ok(ProvisioningTargetsDocument, { organizationId: sandboxOrganization, first: 500 })).provisioningTargets.nodes.length;

    const hostileJsonString = fc.oneof(hostileText(4), fc.constantFrom('\u0000', 'a\u0000b', '\ud800', 'ldap://127.0.0.1:1/\u0000', 'cn=x\u0000,dc=y'));
    const hostileJson = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        hostileJsonString,
        fc.integer(),
        // Only numbers JSON carries as they are (no NaN, no infinities, no -0).
        fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => (Object.is(value, -0) ? 0 : value)),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(hostileJsonString, tie('value'), { maxKeys: 3 }),
      ),
    })).value;
    const validConfig = { url: slapd.url, bindDn: slapd.bindDn, bindPassword: slapd.bindPassword, peopleBaseDn: peopleDn };
    const config = fc.oneof(
      fc
        .tuple(fc.constantFrom('url', 'bindDn', 'bindPassword', 'peopleBaseDn', 'groupBaseDn', 'dnAttribute', 'timeoutMs', 'personObjectClasses', 'exportedAttributes', 'unknownKey', 'tlsCaCertificate'), hostileJson)
        .map(([key, value]) => ({ ...validConfig, [key]: value })),
      fc.dictionary(hostileJsonString, hostileJson, { maxKeys: 4 }),
    );
    type Attempt =
      | { kind: 'target'; name: string; plugin: string; config: object; reconcileSchedule?: string; provisionableRegex?: string }
      | { kind: 'metadata'; metadata: object };
    const attempts: fc.Arbitrary<Attempt> = fc.oneof(
      fc.record(
        {
          kind: fc.constant('target' as const),
          name: fc.oneof(hostileAround(2), fc.constant('ok')),
          plugin: fc.oneof(fc.constantFrom('ldap', 'scim', 'LDAP', 'ldap\u0000', '../ldap', '__proto__', 'constructor'), hostileText(2)),
          config,
          reconcileSchedule: fc.oneof(hostileText(2), fc.constantFrom('* * * * *', '0 3 * * *\u0000', '99 99 99 99 99', '@reboot')),
          provisionableRegex: fc.oneof(hostileText(2), fc.constantFrom('groupName matches (a+)+$', 'groupName matches [', 'groupName matches a\u0000')),
        },
        { requiredKeys: ['kind', 'name', 'plugin', 'config'] },
      ),
      fc.record({ kind: fc.constant('metadata' as const), metadata: fc.dictionary(hostileJsonString, hostileJson, { maxKeys: 4 }) }),
    );
    const examples: [Attempt][] = [
      [{ kind: 'metadata', metadata: { '\u0000': '' } }],
      [{ kind: 'metadata', metadata: { note: 'a\u0000b' } }],
      [{ kind: 'target', name: 'ok', plugin: 'ldap', config: { ...validConfig, bindDn: 'cn=admin\u0000,dc=ferry,dc=test' } }],
      [{ kind: 'target', name: 'ok', plugin: 'ldap', config: validConfig, reconcileSchedule: '0 3 * * *\u0000' }],
    ];

    await fc.assert(
      fc.asyncProperty(attempts, async (attempt) => {
        const unchanged = await untouchedCheck();
        if (attempt.kind === 'target') {
          const targetsBefore = await targetCount();
          const input = {
            organizationId: sandboxOrganization,
            name: freshTargetName(attempt.name),
            plugin: attempt.plugin,
            config: attempt.config,
            mode: 'MANUAL',
            reconcileSchedule: attempt.reconcileSchedule,
            groupSelection: attempt.provisionableRegex === undefined ? undefined : 'FOLDER_RULES',
            provisionableRegex: attempt.provisionableRegex,
          };
          const data = settle(await t.admin.request(CreateTarget, { input }), input, ['BAD_USER_INPUT']);
          if (!data) {
            assert.equal(await targetCount(), targetsBefore, 'a refused target was stored');
            return unchanged(input);
          }
          await t.admin.ok(DeleteTarget, { id: data.createProvisioningTarget.target.id });
        } else {
          const input = { groupId: group.id, targetId: ruledTarget.id, provision: true, metadata: attempt.metadata };
          const data = settle(await t.admin.request(SetGroupProvisioning, { input }), input, ['BAD_USER_INPUT']);
          if (!data) return unchanged(input);
          assert.deepEqual(data.setGroupProvisioning.assignment.metadata, JSON.parse(JSON.stringify(attempt.metadata)), 'the metadata read back differs');
        }
      }),
      runs(80, examples),
    );
  });

  it('half a surrogate pair (valid JSON, not storable as UTF-8) is refused with BAD_USER_INPUT wherever text goes, and leaves nothing', async () => {
    const fresh = freshener('s');
    const subject = (
      await t.admin.ok(CreatePerson, { input: { organizationId, names: [{ given: 'Half', family: 'Pair' }], identifiers: [{ type: 'uid', value: 'half-pair' }] } })
    ).createPerson.person;
    const folder = (await t.admin.ok(CreateFolderDocument, { input: { organizationId, name: 'surrogates' } })).createFolder.folder;
    const group = (await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name: 'pairs' } })).createGroup.group;
    const placements: Record<string, (value: string) => [TypedDocumentNode<unknown, Vars>, Vars]> = {
      'createPerson given': (value) => [CreatePerson, { input: { organizationId, names: [{ given: value }] } }],
      'createPerson uid': (value) => [CreatePerson, { input: { organizationId, names: [{ given: 'Half' }], identifiers: [{ type: 'uid', value }] } }],
      'addName family': (value) => [AddName, { input: { personId: subject.id, given: 'Half', family: value } }],
      'addEmailAddress mail': (value) => [AddEmailAddress, { input: { personId: subject.id, mail: `${value}@example.org` } }],
      'addIdentifier value': (value) => [AddIdentifier, { input: { personId: subject.id, type: 'uid', value } }],
      'updateIdentifier value': (value) => [UpdateIdentifier, { id: subject.identifiers[0].id, input: { value } }],
      'createFolder name': (value) => [CreateFolder, { input: { organizationId, name: value } }],
      'createGroup name': (value) => [CreateGroup, { input: { folderId: folder.id, name: value } }],
      'updateGroup description': (value) => [UpdateGroup, { id: group.id, input: { description: value } }],
    };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(placements)),
        fc.tuple(hostileText(2), fc.constantFrom(...LONE_SURROGATES), fc.boolean()).map(([text, half, first]) => (first ? `${half}${text}${MARK}` : `${text}${MARK}${half}`)),
        async (placement, sample) => {
          const [operation, variables] = placements[placement](fresh(sample));
          const unchanged = await untouchedCheck();
          const personBefore = (await t.admin.ok(ReadPerson, { id: subject.id })).person;
          const response = await t.admin.request(operation, variables);
          assert.equal(settle(response, variables, ['BAD_USER_INPUT']), null, `${placement}: accepted ${JSON.stringify(variables)}, which cannot be stored as it was sent`);
          await unchanged(variables);
          assert.deepEqual((await t.admin.ok(ReadPerson, { id: subject.id })).person, personBefore);
        },
      ),
      runs(30),
    );
  });

  it("a uid that differs from another person's only in case (slapd and SCIM compare them case-insensitively) neither takes over nor deletes that person's entries", async () => {
    const owner = (
      await t.admin.ok(CreatePerson, { input: { organizationId, names: [{ given: 'Olivia', family: 'Owner' }], identifiers: [{ type: 'uid', value: 'owner-of-uid' }] } })
    ).createPerson;
    assertDelivered(owner.provisioning, owner.person.id);
    const ownerDn = `uid=owner-of-uid,${peopleDn}`;
    const ownerState = async () => {
      const { searchEntries } = await slapd.client().search(peopleDn, { scope: 'one', attributes: ['*', 'entryCSN'] });
      return JSON.stringify({
        ldap: searchEntries.find((entry) => entry.dn.toLowerCase() === ownerDn.toLowerCase()) ?? 'missing',
        scim: servers().map((server) => server.userBy('externalId', owner.person.id) ?? 'missing'),
      });
    };
    const ownerBefore = await ownerState();
    await fc.assert(
      fc.asyncProperty(caseVariant('owner-of-uid'), async (variant) => {
        const input = { organizationId, names: [{ given: 'Eve', family: 'Lookalike' }], identifiers: [{ type: 'uid', value: variant }] };
        const created = settle(await t.admin.request(CreatePerson, { input }), input, ['CONFLICT', 'BAD_USER_INPUT']);
        let removed = !created;
        try {
          for (const server of servers()) {
            assert.equal(server.userBy('externalId', owner.person.id)?.userName, 'owner-of-uid', `uid ${variant} took over the owner's SCIM User`);
          }
          assert.ok(await slapd.entry(ownerDn), `uid ${variant} deleted the owner's entry`);
          assert.equal(await ownerState(), ownerBefore, `uid ${variant} changed the owner's entries`);
          if (created) {
            await t.admin.ok(DeletePerson, { id: created.createPerson.person.id });
            removed = true;
            assert.equal(await ownerState(), ownerBefore, `deleting ${variant} changed the owner's entries`);
          }
        } finally {
          if (!removed) await t.admin.request(DeletePerson, { id: created!.createPerson.person.id });
        }
      }),
      runs(8),
    );
  });
});
