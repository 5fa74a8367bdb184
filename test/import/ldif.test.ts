import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { MAX_VALUE_LENGTH, type ImportedPerson, type PopulationDocument } from '../../src/import/document';
import { parseLdif } from '../../src/import/formats/ldif';
import { Affiliation, EmailType, PersonStatus } from '../../src/registry/enums';
import { startSlapd, type Slapd } from '../support/slapd';

const run = promisify(execFile);

function person(document: PopulationDocument, key: string): ImportedPerson {
  const found = document.people.find((candidate) => candidate.key === key);
  assert.ok(found, `no person ${key} in ${JSON.stringify(document.people.map((candidate) => candidate.key))}`);
  return found;
}

/** The refusals as `code source`, in order: what a test compares first, the reasons after. */
function refusals(document: PopulationDocument): string[] {
  return document.refused.map((record) => `${record.code} ${record.source}`);
}

/** The number of the first line of `text` holding `fragment`. */
function lineOf(text: string, fragment: string): number {
  const index = text.indexOf(fragment);
  assert.ok(index >= 0, `${fragment} is not in the text`);
  return text.slice(0, index).split('\n').length;
}

describe('LDIF exported with ldapsearch -LLL from a real slapd', () => {
  let slapd: Slapd;
  let ldif: string;
  let base: string;

  before(async () => {
    slapd = await startSlapd();
    const client = slapd.client();
    base = `ou=export,${slapd.suffix}`;
    const people = `ou=people,${base}`;
    const groups = `ou=groups,${base}`;
    await client.add(base, { objectClass: 'organizationalUnit', ou: 'export' });
    await client.add(people, { objectClass: 'organizationalUnit', ou: 'people' });
    await client.add(groups, { objectClass: 'organizationalUnit', ou: 'groups' });
    await client.add(`uid=ada,${people}`, {
      objectClass: ['inetOrgPerson', 'eduPerson'],
      uid: 'ada',
      cn: 'Ada Lovelace',
      givenName: 'Ada',
      sn: 'Lovelace',
      mail: ['ada@example.org', 'ada.lovelace@example.org'],
      eduPersonPrincipalName: 'ada@example.org',
      eduPersonPrimaryAffiliation: 'faculty',
      eduPersonAffiliation: ['member', 'faculty'],
      employeeNumber: '1815',
      title: 'Analyst',
    });
    // No givenName: the name is cn split before sn. Non-ASCII: slapd exports cn and sn in base64.
    await client.add(`uid=zoe,${people}`, {
      objectClass: ['inetOrgPerson', 'eduPerson', 'voPerson'],
      uid: 'zoe',
      cn: 'Zoë Çelik',
      sn: 'Çelik',
      mail: 'zoe@example.org',
      eduPersonPrincipalName: 'zoe@example.org',
      eduPersonAffiliation: 'student',
      voPersonID: 'VO-0002',
      voPersonStatus: 'suspended',
    });
    // A description longer than a line: ldapsearch folds it.
    await client.add(`uid=grace,${people}`, {
      objectClass: ['inetOrgPerson', 'eduPerson'],
      uid: 'grace',
      cn: 'Grace Hopper',
      givenName: 'Grace',
      sn: 'Hopper',
      mail: 'grace@example.org',
      eduPersonAffiliation: 'staff',
      description: `Rear admiral, ${'compiler pioneer, '.repeat(20)}and the one who found the moth.`,
    });
    await client.add(`cn=app:wiki:editors,${groups}`, {
      objectClass: 'groupOfNames',
      cn: 'app:wiki:editors',
      description: 'Who edits the wiki',
      member: [`uid=ada,${people}`, `UID=Zoe, OU=People,${base}`, `uid=nobody,${people}`],
      owner: `uid=grace,${people}`,
    });
    const { stdout } = await run(
      'ldapsearch',
      ['-LLL', '-x', '-H', slapd.url, '-D', slapd.bindDn, '-w', slapd.bindPassword, '-b', slapd.suffix],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    ldif = stdout;
  });

  after(async () => {
    await slapd?.dispose();
  });

  it('reads the people, the group and its members, and refuses the member DN that is nobody', () => {
    // The export exercises what it should: base64 values and folded lines.
    assert.match(ldif, /^cn:: /m);
    assert.match(ldif, /^description: Rear admiral.*\n .*/m);

    const document = parseLdif(ldif, { matchBy: 'uid' });
    const people = `ou=people,${base}`;
    assert.deepEqual(document.people.map((candidate) => candidate.key).sort(), ['ada', 'grace', 'zoe']);

    const ada = person(document, 'ada');
    assert.equal(ada.source, `dn: uid=ada,${people}`);
    assert.deepEqual(ada.names, [{ given: 'Ada', family: 'Lovelace' }]);
    assert.deepEqual(ada.emailAddresses, [{ mail: 'ada@example.org', type: EmailType.OFFICIAL }, { mail: 'ada.lovelace@example.org' }]);
    assert.deepEqual(ada.identifiers, [
      { type: 'uid', value: 'ada', login: true },
      { type: 'eppn', value: 'ada@example.org' },
      { type: 'employeeNumber', value: '1815' },
    ]);
    assert.equal(ada.affiliation, Affiliation.FACULTY);
    assert.equal(ada.title, 'Analyst');
    assert.equal(ada.status, undefined);

    const zoe = person(document, 'zoe');
    assert.deepEqual(zoe.names, [{ given: 'Zoë', family: 'Çelik' }]);
    assert.deepEqual(zoe.emailAddresses, [{ mail: 'zoe@example.org', type: EmailType.OFFICIAL }]);
    assert.deepEqual(zoe.identifiers, [
      { type: 'uid', value: 'zoe', login: true },
      { type: 'eppn', value: 'zoe@example.org' },
      { type: 'voPersonID', value: 'VO-0002' },
    ]);
    assert.equal(zoe.affiliation, Affiliation.STUDENT);
    assert.equal(zoe.status, PersonStatus.SUSPENDED);

    const grace = person(document, 'grace');
    assert.deepEqual(grace.names, [{ given: 'Grace', family: 'Hopper' }]);
    assert.equal(grace.affiliation, Affiliation.STAFF);

    assert.deepEqual(document.groups, [
      {
        source: `dn: cn=app:wiki:editors,ou=groups,${base}`,
        fullName: 'app:wiki:editors',
        description: 'Who edits the wiki',
        members: ['ada', 'zoe'],
        owners: ['grace'],
      },
    ]);
    assert.deepEqual(document.refused, [
      {
        source: `dn: cn=app:wiki:editors,ou=groups,${base}`,
        code: 'UNKNOWN_MEMBER',
        reason: `member uid=nobody,${people}: no person of this file has this DN`,
      },
    ]);
  });
});

describe('LDIF that is not what it should be', () => {
  const base = 'dc=example,dc=org';
  const huge = 'x'.repeat(10 * 1024 * 1024);
  const invalidUtf8 = Buffer.from([0x5a, 0x6f, 0xeb, 0xff]).toString('base64');
  const text = [
    'version: 1',
    '',
    `dn: ${base}`,
    'objectClass: dcObject',
    'objectClass: organization',
    'dc: example',
    'o: Example',
    '',
    '# Ada, as she should be',
    `dn: uid=ada,ou=people,${base}`,
    'objectClass: inetOrgPerson',
    'uid: ada',
    'cn: Ada Lovelace',
    'sn: Lovelace',
    'eduPersonPrincipalName: ada@example.org',
    'mail: ada@example.org',
    '',
    `dn: uid=big,ou=people,${base}`,
    'objectClass: inetOrgPerson',
    'uid: big',
    'cn: Big Value',
    'sn: Value',
    `description: ${huge}`,
    '',
    `dn: uid=latin,ou=people,${base}`,
    'objectClass: inetOrgPerson',
    'uid: latin',
    `cn:: ${invalidUtf8}`,
    'sn: Latin',
    '',
    `dn: uid=ada2,ou=people,${base}`,
    'objectClass: inetOrgPerson',
    'uid: ada',
    'cn: Ada Again',
    'sn: Again',
    'eduPersonPrincipalName: ada2@example.org',
    '',
    `dn: cn=No Uid,ou=people,${base}`,
    'objectClass: inetOrgPerson',
    'cn: No Uid',
    'sn: Uid',
    'eduPersonPrincipalName: nouid@example.org',
    '',
    `dn: uid=ada,ou=people,${base}`,
    'changetype: modify',
    'replace: mail',
    'mail: other@example.org',
    '-',
    '',
    'this is not LDIF',
    'at: all, really',
    '',
    `dn: uid=grace,ou=people,${base}`,
    'objectClass: inetOrgPerson',
    'uid: grace',
    'displayName: Grace Brewster Hopper',
    'cn: Grace Hopper',
    'eduPersonPrincipalName: grace@example.org',
    '',
    `dn: cn=staff,ou=groups,${base}`,
    'objectClass: groupOfUniqueNames',
    'cn: staff',
    `uniqueMember: UID=Ada , OU=People,${base}#'0101'B`,
    `uniqueMember: uid=grace,ou=people,${base}`,
    `uniqueMember: uid=latin,ou=people,${base}`,
    '',
  ].join('\n');

  it('refuses each bad record with its source and reads the others, quickly', () => {
    const started = Date.now();
    const document = parseLdif(text, { matchBy: 'uid' });
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 3000, `parsing took ${elapsed} ms`);

    assert.deepEqual(
      document.people.map((imported) => [imported.key, imported.names]),
      [
        ['ada', [{ given: 'Ada', family: 'Lovelace' }]],
        ['grace', [{ given: 'Grace Brewster', family: 'Hopper' }]],
      ],
    );
    const malformedLine = lineOf(text, 'this is not LDIF');
    assert.deepEqual(refusals(document), [
      `TOO_LONG dn: uid=big,ou=people,${base}`,
      `ENCODING dn: uid=latin,ou=people,${base}`,
      `UNSUPPORTED dn: uid=ada,ou=people,${base}`,
      `MALFORMED line ${malformedLine}`,
      `DUPLICATE_KEY dn: uid=ada2,ou=people,${base}`,
      `NO_KEY dn: cn=No Uid,ou=people,${base}`,
      `UNKNOWN_MEMBER dn: cn=staff,ou=groups,${base}`,
    ]);
    const reasons = document.refused.map((record) => record.reason);
    assert.match(reasons[0], new RegExp(`^line ${lineOf(text, 'description: xxx')} is longer than ${MAX_VALUE_LENGTH} characters$`));
    assert.match(reasons[1], /the base64 value of cn is not UTF-8/);
    assert.match(reasons[2], /changetype: modify/);
    assert.match(reasons[3], new RegExp(`^line ${malformedLine}: `));
    assert.equal(reasons[4], `uid ada is already dn: uid=ada,ou=people,${base}'s`);
    assert.match(reasons[5], /^no uid identifier \(attribute uid\)/);
    assert.equal(reasons[6], `uniqueMember uid=latin,ou=people,${base}: its entry was refused (ENCODING)`);
    assert.deepEqual(document.groups, [{ source: `dn: cn=staff,ou=groups,${base}`, fullName: 'staff', members: ['ada', 'grace'] }]);
  });

  it('keys people by eppn when the import matches by eppn', () => {
    const document = parseLdif(text, { matchBy: 'eppn' });
    assert.deepEqual(
      document.people.map((imported) => imported.key),
      ['ada@example.org', 'ada2@example.org', 'nouid@example.org', 'grace@example.org'],
    );
    assert.deepEqual(person(document, 'nouid@example.org').identifiers, [{ type: 'eppn', value: 'nouid@example.org' }]);
    assert.deepEqual(refusals(document), [
      `TOO_LONG dn: uid=big,ou=people,${base}`,
      `ENCODING dn: uid=latin,ou=people,${base}`,
      `UNSUPPORTED dn: uid=ada,ou=people,${base}`,
      `MALFORMED line ${lineOf(text, 'this is not LDIF')}`,
      `UNKNOWN_MEMBER dn: cn=staff,ou=groups,${base}`,
    ]);
    assert.deepEqual(document.groups[0].members, ['ada@example.org', 'grace@example.org']);

    const withoutEppn = parseLdif(`dn: uid=x,${base}\nobjectClass: person\nuid: x\ncn: X\nsn: X\n`, { matchBy: 'eppn' });
    assert.deepEqual(withoutEppn.refused, [
      {
        source: `dn: uid=x,${base}`,
        code: 'NO_KEY',
        reason: 'no eppn identifier (attribute eduPersonPrincipalName): the import matches people by eppn',
      },
    ]);
  });

  it('reads what OpenLDAP accepts beyond RFC 2849 and add records; refuses :< values and records run together', () => {
    const addedDn = `uid=çelik,ou=people,${base}`;
    const lines = [
      '\uFEFF# a comment folded',
      '  over two lines',
      `dn: uid=zoe,ou=people,${base}`,
      'objectClass: inetOrgPerson',
      'objectClass: voPerson',
      'uid: zoe',
      'cn: Zoë Çelik',
      'sn: Çelik',
      'description:',
      'title: <Chief> Analyst',
      'cn;lang-fr: Zoé',
      'voPersonStatus: GracePeriod',
      'eduPersonAffiliation: walker',
      'jpegPhoto:< file:///etc/passwd',
      '',
      `dn: uid=file,ou=people,${base}`,
      'objectClass: inetOrgPerson',
      'uid: file',
      'cn:< file:///etc/passwd',
      'sn: File',
      '',
      `dn: uid=one,ou=people,${base}`,
      'objectClass: inetOrgPerson',
      'uid: one',
      'cn: One',
      'sn: One',
      `dn: uid=two,ou=people,${base}`,
      'objectClass: inetOrgPerson',
      'uid: two',
      'cn: Two',
      'sn: Two',
      '',
      `dn:: ${Buffer.from(addedDn).toString('base64')}`,
      'changetype: add',
      'objectClass: inetOrgPerson',
      'uid: çelik',
      'cn: Added Person',
      '',
      `dn: uid=zoe,ou=people,${base}`,
      'changetype: delete',
      '',
    ];
    const document = parseLdif(Buffer.from(lines.join('\r\n'), 'utf8'), { matchBy: 'uid' });
    assert.deepEqual(document.people, [
      {
        source: `dn: uid=zoe,ou=people,${base}`,
        key: 'zoe',
        names: [{ given: 'Zoë', family: 'Çelik' }],
        emailAddresses: [],
        identifiers: [{ type: 'uid', value: 'zoe', login: true }],
        status: PersonStatus.GRACE_PERIOD,
        title: '<Chief> Analyst',
      },
      {
        source: `dn: ${addedDn}`,
        key: 'çelik',
        names: [{ given: 'Added', family: 'Person' }],
        emailAddresses: [],
        identifiers: [{ type: 'uid', value: 'çelik', login: true }],
      },
    ]);
    assert.deepEqual(refusals(document), [
      `UNSUPPORTED dn: uid=file,ou=people,${base}`,
      `MALFORMED dn: uid=one,ou=people,${base}`,
      `UNSUPPORTED dn: uid=zoe,ou=people,${base}`,
    ]);
  });

  it('refuses, in a Buffer that is not UTF-8, only the records with a line that is not', () => {
    const latin1 = Buffer.from(
      [
        `dn: uid=ada,ou=people,${base}`,
        'objectClass: person',
        'uid: ada',
        'cn: Ada Lovelace',
        'sn: Lovelace',
        '',
        `dn: uid=zoe,ou=people,${base}`,
        'objectClass: person',
        'uid: zoe',
        'cn: Zoë Çelik',
        'sn: Çelik',
        '',
        'dn: uid=Zoë,ou=people,dc=example,dc=org',
        'objectClass: person',
        '',
      ].join('\n'),
      'latin1',
    );
    const document = parseLdif(latin1, { matchBy: 'uid' });
    assert.deepEqual(
      document.people.map((imported) => imported.key),
      ['ada'],
    );
    assert.deepEqual(document.refused, [
      { source: `dn: uid=zoe,ou=people,${base}`, code: 'ENCODING', reason: 'line 10 is not UTF-8' },
      { source: 'line 13', code: 'ENCODING', reason: 'line 13 is not UTF-8' },
    ]);
  });

  it('resolves posixGroup memberUids by uid only, and refuses nested groups and non-DNs as members', () => {
    const groups = [
      `dn: uid=ada,ou=people,${base}`,
      'objectClass: inetOrgPerson',
      'uid: ada',
      'eduPersonPrincipalName: ada@example.org',
      'cn: Ada Lovelace',
      'sn: Lovelace',
      '',
      `dn: cn=unix,ou=groups,${base}`,
      'objectClass: posixGroup',
      'cn: unix',
      'gidNumber: 1000',
      'memberUid: ada',
      'memberUid: someone-already-in-ferry',
      '',
      `dn: cn=CO:members:all,ou=groups,${base}`,
      'objectClass: groupOfNames',
      'cn: CO:members:all',
      'cn: all members',
      `member: cn=CO:members:all,ou=groups,${base}`,
      `member: cn=unix,ou=groups,${base}`,
      'member: not a DN',
      `member: uid=ada,ou=people,${base}`,
      `owner: uid=ada,ou=people,${base}`,
      '',
    ].join('\n');
    const byUid = parseLdif(groups, { matchBy: 'uid' });
    assert.deepEqual(
      byUid.groups.map((group) => [group.fullName, group.members, group.owners]),
      [
        ['unix', ['ada', 'someone-already-in-ferry'], undefined],
        ['CO:members:all', ['ada'], ['ada']],
      ],
    );
    assert.deepEqual(
      byUid.refused.map((record) => [record.code, record.reason]),
      [
        ['UNKNOWN_MEMBER', `member cn=CO:members:all,ou=groups,${base}: a group: nested groups are not imported`],
        ['UNKNOWN_MEMBER', `member cn=unix,ou=groups,${base}: a group: nested groups are not imported`],
        ['INVALID_VALUE', 'member not a DN: not a DN'],
      ],
    );
    const byEppn = parseLdif(groups, { matchBy: 'eppn' });
    assert.deepEqual(
      byEppn.groups.map((group) => group.fullName),
      ['CO:members:all'],
    );
    assert.deepEqual(byEppn.refused[0], {
      source: `dn: cn=unix,ou=groups,${base}`,
      code: 'UNSUPPORTED',
      reason: 'memberUid lists the members by uid, and the import matches people by eppn',
    });
  });

  it('refuses garbage with no DN by its line, and an empty file is an empty document', () => {
    assert.deepEqual(parseLdif('', { matchBy: 'uid' }), { people: [], groups: [], refused: [] });
    const document = parseLdif('\n\nnot: ldif: at all\nreally not\n', { matchBy: 'uid' });
    assert.deepEqual(refusals(document), ['MALFORMED line 3']);
  });
});
