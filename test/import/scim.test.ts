import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import { MAX_VALUE_LENGTH, type PopulationDocument, type RefusedRecord } from '../../src/import/document';
import { parseScim } from '../../src/import/formats/scim';
import { EmailType, PersonStatus } from '../../src/registry/enums';
import { startScimServer, type ScimServer } from '../support/scim-server';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

const BY_UID = { matchBy: 'uid' };

type Json = Record<string, unknown>;

const user = (userName: unknown, over: Json = {}): Json => ({ schemas: [USER], id: `id-${String(userName)}`, userName, ...over });
const group = (displayName: string, members: Json[] | undefined, over: Json = {}): Json => ({
  schemas: [GROUP],
  id: `gid-${displayName}`,
  displayName,
  ...(members ? { members } : {}),
  ...over,
});
const listResponse = (resources: unknown[]): Json => ({
  schemas: [LIST],
  totalResults: resources.length,
  startIndex: 1,
  Resources: resources,
});
const codes = (refused: RefusedRecord[]): string[] => refused.map((record) => record.code);

/** The document without its sources (where records were differs between JSON and NDJSON, nothing else may). */
function withoutSources(document: PopulationDocument): unknown {
  const strip = <T extends { source: string }>(record: T): Omit<T, 'source'> => {
    const { source: _source, ...rest } = record;
    return rest;
  };
  return { people: document.people.map(strip), groups: document.groups.map(strip), refused: document.refused.map(strip) };
}

describe('SCIM import: ListResponse pages from a real SCIM server (SCIMMY)', () => {
  let server: ScimServer;
  let pages: unknown[];
  const ids: Record<string, string> = {};

  before(async () => {
    server = await startScimServer();
    const headers = { authorization: `Bearer ${server.token}`, 'content-type': 'application/scim+json' };
    const call = async (method: string, path: string, body?: Json): Promise<Json> => {
      const response = await fetch(`${server.url}${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
      const json = (await response.json()) as Json;
      assert.equal(response.status, method === 'POST' ? 201 : 200, `${method} ${path}: ${JSON.stringify(json)}`);
      return json;
    };
    const created = [
      await call('POST', '/Users', {
        schemas: [USER, ENTERPRISE],
        userName: 'ada',
        externalId: 'ext-ada',
        name: { givenName: 'Ada', familyName: 'Lovelace', honorificPrefix: 'Countess' },
        emails: [{ value: 'ada@work.example', type: 'work', primary: true }],
        active: true,
        title: 'Analyst',
        userType: 'Employee',
        [ENTERPRISE]: { employeeNumber: 'E-1815' },
      }),
      await call('POST', '/Users', { schemas: [USER], userName: 'bob', displayName: 'Bob Smith', active: false }),
      await call('POST', '/Users', {
        schemas: [USER],
        userName: 'cy',
        name: { givenName: 'Cy', familyName: 'Twombly', middleName: 'Decker' },
        emails: [
          { value: 'cy@home.example', type: 'home' },
          { value: 'cy@work.example', type: 'work', primary: true },
        ],
      }),
    ];
    for (const resource of created) ids[resource.userName as string] = resource.id as string;
    await call('POST', '/Groups', {
      schemas: [GROUP],
      displayName: 'CO:members:all',
      members: [{ value: ids.ada }, { value: ids.cy }],
    });
    // The Groups page first: members are resolved after everything is read.
    pages = [
      await call('GET', '/Groups'),
      await call('GET', '/Users?startIndex=1&count=2'),
      await call('GET', '/Users?startIndex=3&count=2'),
    ];
    assert.deepEqual(
      pages.map((page) => ((page as Json).Resources as unknown[]).length),
      [1, 2, 1],
      'the server pages /Users',
    );
  });
  after(async () => {
    await server?.close();
  });

  it('reads the people, their names, emails, identifiers and status, and the group with its members as keys', () => {
    const document = parseScim(JSON.stringify(pages, null, 2), BY_UID);
    assert.deepEqual(document.refused, []);
    assert.deepEqual(document.people, [
      {
        source: 'page 2 Resources[0] (User ada)',
        key: 'ada',
        status: PersonStatus.ACTIVE,
        names: [{ given: 'Ada', family: 'Lovelace', honorific: 'Countess' }],
        emailAddresses: [{ mail: 'ada@work.example', type: EmailType.OFFICIAL }],
        identifiers: [
          { type: 'uid', value: 'ada', login: true },
          { type: 'externalId', value: 'ext-ada' },
          { type: 'employeeNumber', value: 'E-1815' },
        ],
        title: 'Analyst',
      },
      {
        source: 'page 2 Resources[1] (User bob)',
        key: 'bob',
        status: PersonStatus.SUSPENDED,
        names: [{ given: 'Bob', family: 'Smith' }],
        emailAddresses: [],
        identifiers: [{ type: 'uid', value: 'bob', login: true }],
      },
      {
        source: 'page 3 Resources[0] (User cy)',
        key: 'cy',
        names: [{ given: 'Cy', family: 'Twombly', middle: 'Decker' }],
        emailAddresses: [
          { mail: 'cy@work.example', type: EmailType.OFFICIAL },
          { mail: 'cy@home.example', type: EmailType.PERSONAL },
        ],
        identifiers: [{ type: 'uid', value: 'cy', login: true }],
      },
    ]);
    assert.deepEqual(document.groups, [
      { source: 'page 1 Resources[0] (Group CO:members:all)', fullName: 'CO:members:all', members: ['ada', 'cy'] },
    ]);
  });

  it('reads the same pages as NDJSON, or as a UTF-8 Buffer with a BOM, into the same document', () => {
    const json = parseScim(JSON.stringify(pages), BY_UID);
    const ndjson = parseScim(pages.map((page) => JSON.stringify(page)).join('\n') + '\n', BY_UID);
    assert.deepEqual(withoutSources(ndjson), withoutSources(json));
    assert.deepEqual(
      ndjson.people.map((person) => person.source),
      ['line 2 Resources[0] (User ada)', 'line 2 Resources[1] (User bob)', 'line 3 Resources[0] (User cy)'],
    );
    const buffer = parseScim(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(pages), 'utf8')]), BY_UID);
    assert.deepEqual(buffer, json);
  });

  it('keys people by another identifier type when told to', () => {
    const document = parseScim(JSON.stringify(pages), { matchBy: 'employeeNumber' });
    assert.deepEqual(
      document.people.map((person) => person.key),
      ['E-1815'],
    );
    assert.deepEqual(codes(document.refused), ['NO_KEY', 'NO_KEY', 'UNKNOWN_MEMBER']);
    assert.deepEqual(document.groups[0].members, ['E-1815']);
  });
});

describe('SCIM import: hostile and odd input', () => {
  it('refuses invalid JSON once, with where it broke', () => {
    const single = parseScim('{"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "Resources": [', BY_UID);
    assert.deepEqual(codes(single.refused), ['MALFORMED']);
    assert.deepEqual([single.people, single.groups], [[], []]);

    const pretty = parseScim('{\n  "schemas": ["' + USER + '"],\n  "userName": "ada"\n  "active": true\n}\n', BY_UID);
    assert.deepEqual(codes(pretty.refused), ['MALFORMED']);
    assert.equal(pretty.refused[0].source, 'line 4 column 3');
    assert.deepEqual(pretty.people, []);

    assert.deepEqual(codes(parseScim('', BY_UID).refused), ['MALFORMED']);
  });

  it('refuses the bad line of NDJSON and reads the others', () => {
    const lines = [
      JSON.stringify(user('ada')),
      `{"schemas": ["${USER}"], "userName": "bob", `,
      JSON.stringify(listResponse([user('cy')])),
    ];
    const document = parseScim(lines.join('\r\n'), BY_UID);
    assert.deepEqual(
      document.people.map((person) => [person.source, person.key]),
      [
        ['line 1 (User ada)', 'ada'],
        ['line 3 Resources[0] (User cy)', 'cy'],
      ],
    );
    assert.deepEqual(
      document.refused.map((record) => [record.source, record.code]),
      [['line 2', 'MALFORMED']],
    );
  });

  it('refuses a 10 MB userName as TOO_LONG, fast, without quoting it, and reads the rest', () => {
    const huge = 'a'.repeat(10 * 1024 * 1024);
    const staff = group('staff', [{ value: 'id-ada' }, { value: huge }]);
    const input = JSON.stringify(listResponse([user('ada'), user(huge, { id: 'huge' }), staff]));
    const started = performance.now();
    const document = parseScim(input, BY_UID);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 2000, `took ${Math.round(elapsed)} ms`);
    // Key prefixes: a failure must not print 10 MB.
    assert.deepEqual(
      document.people.map((person) => person.key.slice(0, 20)),
      ['ada'],
    );
    assert.deepEqual(codes(document.refused), ['TOO_LONG', 'TOO_LONG']);
    const [tooLong] = document.refused;
    assert.match(tooLong.source, /^Resources\[1\] \(User a{60}…\)$/);
    assert.match(tooLong.reason, new RegExp(`^userName is ${huge.length} characters; at most ${MAX_VALUE_LENGTH}`));
    // The group's member id is that long too: the group is refused, not read.
    assert.match(document.refused[1].source, /^Resources\[2\] \(Group staff\)$/);
    assert.match(document.refused[1].reason, /^members\[1\]\.value is/);
    assert.ok(document.refused.every((record) => record.source.length + record.reason.length < 500));
    // Just over the limit is refused, at the limit is read.
    const atLimit = user('b'.repeat(MAX_VALUE_LENGTH), { id: 'b' });
    const overLimit = user('c'.repeat(MAX_VALUE_LENGTH + 1), { id: 'c' });
    const edge = parseScim(JSON.stringify([atLimit, overLimit]), BY_UID);
    assert.deepEqual(
      edge.people.map((person) => person.key.length),
      [MAX_VALUE_LENGTH],
    );
    assert.deepEqual(codes(edge.refused), ['TOO_LONG']);
  });

  it('refuses a Buffer that is not UTF-8 as ENCODING, naming the line, and reads nothing of it', () => {
    const lines = [JSON.stringify(user('ada')), `{"schemas": ["${USER}"], "userName": "jos`];
    const latin1 = Buffer.concat([Buffer.from(lines.join('\n')), Buffer.from('é"}', 'latin1')]);
    const document = parseScim(latin1, BY_UID);
    assert.deepEqual(document.people, []);
    assert.deepEqual(
      document.refused.map((record) => [record.source, record.code]),
      [['line 2', 'ENCODING']],
    );
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(user('ada')), 'utf16le')]);
    assert.deepEqual(codes(parseScim(utf16, BY_UID).refused), ['ENCODING']);
    // The same text in UTF-8 is read.
    assert.deepEqual(
      parseScim(Buffer.from(`${lines.join('\n')}é"}`, 'utf8'), BY_UID).people.map((person) => person.key),
      ['ada', 'josé'],
    );
  });

  it('refuses a second User with the same key as DUPLICATE_KEY', () => {
    const pages = [listResponse([user('ada'), user('bob')]), listResponse([user('ada', { id: 'other' })])];
    const document = parseScim(JSON.stringify(pages), BY_UID);
    assert.deepEqual(
      document.people.map((person) => person.key),
      ['ada', 'bob'],
    );
    assert.deepEqual(document.refused, [
      {
        source: 'page 2 Resources[0] (User ada)',
        code: 'DUPLICATE_KEY',
        reason: 'uid ada was already read at page 1 Resources[0] (User ada)',
      },
    ]);
  });

  it('refuses a User without an identifier of the matchBy type as NO_KEY', () => {
    const document = parseScim(
      JSON.stringify(
        listResponse([user('ada', { [ENTERPRISE]: { employeeNumber: 'E-1' } }), user('bob', { schemas: [USER, ENTERPRISE] })]),
      ),
      { matchBy: 'employeeNumber' },
    );
    assert.deepEqual(
      document.people.map((person) => person.key),
      ['E-1'],
    );
    assert.deepEqual(document.refused, [
      {
        source: 'Resources[1] (User bob)',
        code: 'NO_KEY',
        reason: 'no employeeNumber identifier to match the person by (this User has uid)',
      },
    ]);
  });

  it('refuses a member that is nobody (or a refused User) as UNKNOWN_MEMBER and keeps the group with the others', () => {
    const members = [{ value: 'id-ada' }, { value: 'nobody-42' }, { value: 'id-7', type: 'User' }, { value: 'id-ada' }];
    const document = parseScim(JSON.stringify([group('staff', members), user('ada'), user(7)]), BY_UID);
    assert.deepEqual(document.groups, [{ source: 'item 1 (Group staff)', fullName: 'staff', members: ['ada'] }]);
    assert.deepEqual(codes(document.refused), ['INVALID_VALUE', 'UNKNOWN_MEMBER', 'UNKNOWN_MEMBER']);
    assert.equal(document.refused[1].source, 'item 1 (Group staff) members[1]');
    assert.match(document.refused[1].reason, /^member nobody-42 is no User of this file$/);
    assert.match(document.refused[2].reason, /^member id-7 is a User that was refused \(INVALID_VALUE at item 3 \(User id id-7\)\)$/);
  });

  it('refuses a nested group member as UNSUPPORTED and keeps the group', () => {
    const document = parseScim(
      JSON.stringify(
        listResponse([
          group('all', [
            { value: 'gid-staff', type: 'Group' },
            { value: 'id-ada' },
            { value: 'gid-staff' },
            { $ref: 'https://x/scim/v2/Groups/g9' },
          ]),
          group('staff', [{ value: 'id-ada', $ref: 'https://x/scim/v2/Users/id-ada', type: 'User' }]),
          user('ada'),
        ]),
      ),
      BY_UID,
    );
    assert.deepEqual(
      document.groups.map((found) => [found.fullName, found.members]),
      [
        ['all', ['ada']],
        ['staff', ['ada']],
      ],
    );
    assert.deepEqual(codes(document.refused), ['UNSUPPORTED', 'UNSUPPORTED', 'UNSUPPORTED']);
    assert.deepEqual(
      document.refused.map((record) => record.source),
      ['Resources[0] (Group all) members[0]', 'Resources[0] (Group all) members[2]', 'Resources[0] (Group all) members[3]'],
    );
    assert.match(document.refused[0].reason, /nested groups are not imported/);
  });

  it('refuses a resource of the wrong shape as INVALID_VALUE with the attribute path', () => {
    const document = parseScim(
      JSON.stringify(
        listResponse([user(42), user('ada', { emails: [{ value: 'ada@x.example', primary: 'yes' }] }), user('bob', { active: 'False' })]),
      ),
      BY_UID,
    );
    assert.deepEqual(document.people.map((person) => [person.key, person.status]), [['bob', PersonStatus.SUSPENDED]]);
    assert.deepEqual(document.refused, [
      { source: 'Resources[0] (User id id-42)', code: 'INVALID_VALUE', reason: 'userName: Expected string, received number' },
      { source: 'Resources[1] (User ada)', code: 'INVALID_VALUE', reason: 'emails[0].primary: Expected boolean, received string' },
    ]);
  });

  it('refuses what is not a User or Group as UNSUPPORTED', () => {
    const document = parseScim(
      JSON.stringify([
        { schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'], patch: { supported: true } },
        { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401', detail: 'invalid bearer token' },
        'ada',
        [user('bob')],
      ]),
      BY_UID,
    );
    assert.deepEqual(document.people, []);
    assert.deepEqual(
      document.refused.map((record) => [record.source, record.code]),
      [
        ['item 1', 'UNSUPPORTED'],
        ['item 2', 'UNSUPPORTED'],
        ['item 3', 'UNSUPPORTED'],
        ['item 4', 'UNSUPPORTED'],
      ],
    );
    assert.match(document.refused[0].reason, /ServiceProviderConfig/);
    assert.match(document.refused[1].reason, /error response \(status 401\), not a resource: invalid bearer token/);
  });

  it('tells resources apart by meta.resourceType, reads attribute names in any case and falls back for names', () => {
    const document = parseScim(
      '\uFEFF' +
        JSON.stringify([
          {
            id: 'u1',
            meta: { resourceType: 'User' },
            USERNAME: 'ada',
            DisplayName: 'Ada',
            Emails: [{ Value: 'ada@x.example', Type: 'Other' }],
          },
          { id: 'u2', meta: { resourceType: 'User' }, userName: 'bob', name: { familyName: 'Smith' }, displayName: 'Robert Bob Smith' },
          { id: 'u3', meta: { resourceType: 'User' }, userName: 'cy', ACTIVE: true },
          { id: 'u4', meta: { resourceType: 'User' }, userName: 'grace', displayName: 'Grace Brewster Hopper' },
          { id: 'g1', meta: { resourceType: 'Group' }, displayName: 'app:wiki:editors', Members: [{ VALUE: 'u1' }] },
          { id: 'g2', meta: { resourceType: 'Group' }, displayName: 'app:wiki:readers' },
          { id: 'g3', meta: { resourceType: 'Group' }, displayName: 'app:wiki:editors', members: [] },
        ]),
      BY_UID,
    );
    assert.deepEqual(
      document.people.map((person) => [person.key, person.names, person.emailAddresses, person.status]),
      [
        ['ada', [{ given: 'Ada' }], [{ mail: 'ada@x.example' }], undefined],
        // A whole name splits as in LDIF: before the family name it ends with, else before its last word.
        ['bob', [{ given: 'Robert Bob', family: 'Smith' }], [], undefined],
        ['cy', [{ given: 'cy' }], [], PersonStatus.ACTIVE],
        ['grace', [{ given: 'Grace Brewster', family: 'Hopper' }], [], undefined],
      ],
    );
    // No members attribute: members left out (not touched).
    assert.deepEqual(
      document.groups.map((found) => [found.fullName, found.members]),
      [
        ['app:wiki:editors', ['ada']],
        ['app:wiki:readers', undefined],
      ],
    );
    assert.ok(!('members' in document.groups[1]));
    assert.deepEqual(
      document.refused.map((record) => [record.source, record.code]),
      [['item 7 (Group app:wiki:editors)', 'DUPLICATE_KEY']],
    );
  });
});
