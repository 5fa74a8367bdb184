import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AddRequest,
  Attribute,
  BusyError,
  Change,
  ConstraintViolationError,
  InsufficientAccessError,
  InvalidSyntaxError,
  ModifyRequest,
  UnavailableError,
} from 'ldapts';
import { ITEMS_PER_CHUNK } from '../../src/common/chunks';
import { affiliationValue, formatName, formatTelephone } from '../../src/plugins/formatting';
import { buildGroupEntry, buildGroupEntryInChunks, buildPersonEntry, cleanValues, statusValue } from '../../src/plugins/ldap/attributes';
import { ldapConfigSchema } from '../../src/plugins/ldap/config';
import { entryName } from '../../src/plugins/ldap/dn';
import { attributeFor } from '../../src/plugins/ldap/encoding';
import { provisioningError } from '../../src/plugins/ldap/errors';
import { PermanentProvisioningError, TransientProvisioningError } from '../../src/plugins/plugin';
import { PersonStatus } from '../../src/registry/enums';
import { group, memberOf, name, person, role } from './ldap-fixtures';

const config = (overrides: Record<string, unknown> = {}) =>
  ldapConfigSchema.parse({
    url: 'ldap://ldap.example.org',
    bindDn: 'cn=ferry,dc=example,dc=org',
    bindPassword: 'secret',
    peopleBaseDn: 'ou=people,dc=example,dc=org',
    groupBaseDn: 'ou=groups,dc=example,dc=org',
    ...overrides,
  });

describe('LDAP attribute values', () => {
  it('formats names in western and eastern order', () => {
    assert.equal(formatName(name('Ada', 'Lovelace', { middle: 'King', suffix: 'Jr.' })), 'Ada King Lovelace Jr.');
    assert.equal(formatName(name('Hanako', 'Yamada', { language: 'ja' })), 'Yamada Hanako');
    assert.equal(formatName(name('Ferenc', 'Puskás', { language: 'hu-HU' })), 'Puskás Ferenc');
    assert.equal(formatName(name('Jiwoo', 'Kim', { language: 'ko', middle: 'M' })), 'Kim Jiwoo M');
    assert.equal(formatName(name('Wei', 'Zhang', { language: 'zh_Hant' })), 'Zhang Wei');
    assert.equal(formatName(name('Cher', null)), 'Cher');
  });

  it('formats telephone numbers as "+cc area number x ext"', () => {
    assert.equal(formatTelephone({ type: 'OFFICE', countryCode: '1', areaCode: '734', number: '555 1212', extension: '42' }), '+1 734 555 1212 x 42');
    assert.equal(formatTelephone({ type: 'OFFICE', countryCode: '+44', areaCode: null, number: '20 7946 0000', extension: null }), '+44 20 7946 0000');
    assert.equal(formatTelephone({ type: 'OFFICE', countryCode: null, areaCode: null, number: '5550100', extension: ' 7 ' }), '5550100 x 7');
  });

  it('maps affiliations and statuses to their LDAP vocabularies', () => {
    assert.equal(affiliationValue('FACULTY'), 'faculty');
    assert.equal(affiliationValue('LIBRARY_WALK_IN'), 'library-walk-in');
    assert.equal(statusValue(PersonStatus.ACTIVE), 'Active');
    assert.equal(statusValue(PersonStatus.GRACE_PERIOD), 'GracePeriod');
    assert.equal(statusValue(PersonStatus.PENDING_APPROVAL), 'PendingApproval');
  });

  it('trims, turns line breaks into "$", drops empties and de-duplicates per matching rule', () => {
    assert.deepEqual(cleanValues(['  a  ', 'line one\r\nline two', '', null, '   ', 'A', 'a   b', 'A B']), ['a', 'line one$line two', 'a   b']);
    assert.deepEqual(cleanValues(['Key', 'key', 'Key'], { caseExact: true }), ['Key', 'key']);
    assert.deepEqual(cleanValues(['first', 'second'], { singleValue: true }), ['first']);
  });
});

describe('LDAP entry assembly', () => {
  it('manages unexported attributes in "remove" mode only', () => {
    const someone = person('ada');
    const name = entryName('uid', 'ada', 'ou=people,dc=example,dc=org');
    const removing = buildPersonEntry(config(), someone, name);
    const ignoring = buildPersonEntry(config({ unconfiguredAttributeMode: 'ignore' }), someone, name);
    assert.ok(removing.managed.includes('roomNumber'));
    assert.ok(!ignoring.managed.includes('roomNumber'));
    assert.ok(ignoring.managed.includes('mail'), 'exported attributes are managed in both modes');
    assert.ok(!removing.managed.includes('eduPersonAffiliation'), 'attributes of disabled object classes are never touched');
  });

  it('forces the exact RDN value into the RDN attribute, even when it is not exported', () => {
    const someone = person(' spaced', { identifiers: [{ type: 'uid', value: ' spaced', login: true }, { type: 'uid', value: 'Spaced', login: false }] });
    const entry = buildPersonEntry(config({ exportedAttributes: ['mail'] }), someone, entryName('uid', ' spaced', 'ou=people,dc=example,dc=org'));
    assert.deepEqual(entry.attributes.get('uid'), [' spaced'], 'the value equal to the RDN value under caseIgnoreMatch is not repeated');
    assert.ok(entry.managed.includes('uid'));
  });

  it('leaves an optional object class off when a MUST attribute has no value', () => {
    const someone = person('ada', {
      identifiers: [
        { type: 'uid', value: 'ada', login: true },
        { type: 'uidnumber', value: '1000', login: false },
      ],
      roles: [role({ adHocAttributes: [{ tag: 'SSHPUBLICKEY', value: 'ssh-ed25519 AAAA ada' }] })],
    });
    const entry = buildPersonEntry(config({ personObjectClasses: { posixAccount: true, ldapPublicKey: true } }), someone, entryName('uid', 'ada', 'ou=people,dc=example,dc=org'));
    assert.deepEqual(entry.objectClasses, ['person', 'organizationalPerson', 'inetOrgPerson', 'ldapPublicKey']);
    assert.equal(entry.attributes.has('uidNumber'), false, 'posixAccount lacks gidNumber: its values go with it');
    assert.deepEqual(entry.attributes.get('sshPublicKey'), ['ssh-ed25519 AAAA ada']);
    assert.ok(entry.managed.includes('uidNumber'), 'so that a modify removes what an earlier posixAccount wrote');
  });

  it('appends extra object classes once', () => {
    const entry = buildPersonEntry(config({ extraPersonObjectClasses: ['shadowAccount', 'inetorgperson'] }), person('ada'), entryName('uid', 'ada', 'ou=people,dc=example,dc=org'));
    assert.deepEqual(entry.objectClasses, ['person', 'organizationalPerson', 'inetOrgPerson', 'shadowAccount']);
  });

  it('builds no group entry for an empty groupOfNames under the "delete" policy', () => {
    const name = entryName('cn', 'CO:members:all', 'ou=groups,dc=example,dc=org');
    assert.equal(buildGroupEntry(config(), group('CO:members:all'), name, { memberDns: [], ownerDns: [] }), null);
    const owned = group('CO:members:all', memberOf([person('ada')], { member: false, owner: true }));
    assert.equal(buildGroupEntry(config(), owned, name, { memberDns: [], ownerDns: ['uid=ada'] }), null, 'owners are not members');
    const placeholder = buildGroupEntry(config({ emptyGroupPolicy: 'placeholder', placeholderMemberDn: 'cn=empty,dc=example,dc=org' }), owned, name, {
      memberDns: [],
      ownerDns: ['uid=ada,ou=people,dc=example,dc=org'],
    });
    assert.deepEqual(placeholder?.attributes.get('member'), ['cn=empty,dc=example,dc=org']);
    assert.deepEqual(placeholder?.attributes.get('owner'), ['uid=ada,ou=people,dc=example,dc=org']);
  });
});

/** Counts the turns the event loop takes while `work` runs (a setImmediate chain started before it). */
async function turnsDuring<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let done = false;
  const turn = () => {
    if (done) return;
    turns += 1;
    setImmediate(turn);
  };
  setImmediate(turn);
  try {
    return { result: await work(), turns };
  } finally {
    done = true;
  }
}

describe('LDAP entries of huge groups', () => {
  const size = ITEMS_PER_CHUNK * 2 + 500;
  const uids = Array.from({ length: size }, (_, index) => `user${index}`);
  const dns = uids.map((uid) => `uid=${uid},ou=people,dc=example,dc=org`);

  it('builds the same entry in chunks, letting the event loop run between them', async () => {
    const people = uids.map((uid) => person(uid));
    // Every third person is an owner only: no member DN, no hasMember value.
    const members = people.map((someone, index) => ({ ...memberOf([someone])[0], member: index % 3 !== 0, owner: index % 3 === 0 }));
    const big = group('CO:members:all', members);
    // The later chunks repeat earlier DNs in another case: they are the same value and are dropped.
    const memberDns = [
      ...dns.filter((_, index) => index % 3 !== 0),
      ...dns.filter((_, index) => index % 3 !== 0 && index % 7 === 1).map((dn) => dn.toUpperCase()),
    ];
    const resolved = { memberDns, ownerDns: dns.filter((_, index) => index % 3 === 0) };
    const name = entryName('cn', 'CO:members:all', 'ou=groups,dc=example,dc=org');
    const eduMember = config({ groupObjectClasses: { groupOfNames: true, eduMember: true } });

    const { result: chunked, turns } = await turnsDuring(() => buildGroupEntryInChunks(eduMember, big, name, resolved));
    assert.ok(chunked);
    assert.deepEqual(chunked.attributes.get('member'), dns.filter((_, index) => index % 3 !== 0));
    assert.deepEqual(chunked.attributes.get('owner'), resolved.ownerDns);
    assert.deepEqual(chunked.attributes.get('hasMember'), uids.filter((_, index) => index % 3 !== 0));
    assert.deepEqual(chunked, buildGroupEntry(eduMember, big, name, resolved));
    // Members, member DNs, owners and hasMember values each span several chunks.
    assert.ok(turns >= 4, `the event loop turned ${turns} times while ${size} members were worked through`);
  });

  it('encodes a long list of values ahead, in chunks, into the bytes ldapts would send', async () => {
    const plain = [new Attribute({ type: 'objectClass', values: ['groupOfNames'] }), new Attribute({ type: 'member', values: dns })];
    const { result: encoded, turns } = await turnsDuring(async () => [plain[0], await attributeFor('member', dns)]);
    assert.ok(turns >= 2, `the event loop turned ${turns} times while ${size} values were encoded`);
    assert.notEqual(encoded[1].constructor, Attribute, 'a long list is encoded ahead');
    assert.equal((await attributeFor('cn', ['short'])).constructor, Attribute, 'a short one is left to ldapts');

    const add = (attributes: Attribute[]) => new AddRequest({ messageId: 7, dn: 'cn=all,ou=groups,dc=example,dc=org', attributes });
    assert.deepEqual(add(encoded).write(), add(plain).write());
    const modify = (attributes: Attribute[]) =>
      new ModifyRequest({
        messageId: 8,
        dn: 'cn=all,ou=groups,dc=example,dc=org',
        changes: attributes.map((modification) => new Change({ operation: 'replace', modification })),
      });
    assert.deepEqual(modify(encoded).write(), modify(plain).write());
    // ldapts logs each message it sends as JSON: the values are not serialised again.
    assert.ok(JSON.stringify(add(encoded)).length < 1000);
  });
});

describe('LDAP error classification', () => {
  const classify = (error: unknown) => provisioningError(error, 'modify of uid=ada,ou=people,dc=example,dc=org', 'ldap://ldap.example.org');

  it('treats busy, unavailable and network failures as transient', () => {
    for (const error of [
      new BusyError('server busy'),
      new UnavailableError('shutting down'),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:389'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      new Error('ModifyRequest: Operation timed out'),
      new Error('Connection timeout'),
    ]) {
      const classified = classify(error);
      assert.ok(classified instanceof TransientProvisioningError, `${error.message} is transient`);
      assert.match(classified.message, /uid=ada,ou=people,dc=example,dc=org/);
    }
  });

  it('treats schema, syntax, constraint and access errors as permanent, naming the result and the DN', () => {
    const cases: [Error, RegExp][] = [
      [new InsufficientAccessError('no write access to parent'), /insufficientAccessRights \(50\): no write access to parent/],
      [new ConstraintViolationError('attribute uidNumber: value #0 invalid'), /constraintViolation \(19\)/],
      [new InvalidSyntaxError('homeDirectory: value #0 invalid per syntax'), /invalidAttributeSyntax \(21\)/],
    ];
    for (const [error, pattern] of cases) {
      const classified = classify(error);
      assert.ok(classified instanceof PermanentProvisioningError, `${error.name} is permanent`);
      assert.match(classified.message, pattern);
      assert.match(classified.message, /^LDAP modify of uid=ada,ou=people,dc=example,dc=org failed: /);
    }
  });
});
