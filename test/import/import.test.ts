import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import {
  AddAddressDocument,
  AddAdHocAttributeDocument,
  AddGroupMemberDocument,
  AddNameDocument,
  AddPersonRoleDocument,
  AddTelephoneNumberDocument,
  CancelProvisioningJobDocument,
  ChangeLogDocument,
  CreateCouDocument,
  CreateFolderDocument,
  CreateGroupDocument,
  CreatePersonDocument,
  CreateProvisioningTargetDocument,
  ExportPopulationDocument,
  GroupsByNameDocument,
  ImportPopulationDocument,
  ImportRunDocument,
  NestGroupDocument,
  PeopleWithEverythingDocument,
  type ImportFormat,
} from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, organizationWithTokens, uniqueName } from '../support/fixtures';
import { startScimServer } from '../support/scim-server';
import { startSlapd, type Slapd } from '../support/slapd';

const run = promisify(execFile);
const CLI = path.resolve(__dirname, '../../src/cli/ferry.js');

/**
 * Bringing a population in, as an admin does it: a file through importPopulation (a dry run
 * first), the run followed to its end, and what the organisation, the export and a real slapd
 * target hold afterwards.
 */
describe('import and export', () => {
  let t: TestFerry;
  let slapd: Slapd;
  before(async () => {
    slapd = await startSlapd();
    t = await startTestFerry();
  });
  after(async () => {
    await t?.stop();
    await slapd?.dispose();
  });

  type Options = { dryRun?: boolean; removeMissing?: boolean; allOrNothing?: boolean; matchBy?: string };

  /** Imports and waits for the run to end; returns the finished run. */
  async function importFile(organizationId: string, format: ImportFormat, document: string, options: Options = {}, client = t.admin) {
    const started = await client.ok(ImportPopulationDocument, { input: { organizationId, format, document, ...options } });
    for (let i = 0; i < 600; i++) {
      const { importRun } = await client.ok(ImportRunDocument, { id: started.importPopulation.id });
      if (importRun.state !== 'QUEUED' && importRun.state !== 'RUNNING') return importRun as typeof importRun & { report: Report };
      await sleep(50);
    }
    throw new Error('the import did not finish');
  }

  interface Report {
    applied: boolean;
    people: { created: number; updated: number; unchanged: number; removed: number; notInFile: number; sample: { updated: { key: string; changes: string[] }[] } };
    groups: { created: number; updated: number; unchanged: number };
    memberships: { added: number; updated: number; removed: number; unchanged: number };
    units: { created: number; updated: number; unchanged: number; sample: { created: string[]; updated: { name: string; changes: string[] }[] } };
    nestings: { added: number; removed: number; unchanged: number };
    refusedCount: number;
    refused: { source: string; code: string; reason: string }[];
    targets: { name: string; PERSON_ADDED: { count: number; sample: string[] }; GROUP_ADDED_OR_UPDATED: { count: number } }[];
  }

  /** A document as the export writes it. */
  const formatted = (document: unknown) => `${JSON.stringify(document, null, 2)}\n`;

  async function peopleOf(organizationId: string) {
    const data = await t.admin.ok(PeopleWithEverythingDocument, { organizationId, first: 100 });
    return data.people.nodes;
  }

  const PEOPLE_CSV = [
    'uid,given,family,email,status,affiliation,identifier:eppn',
    'ada,Ada,Lovelace,ada@example.org;ada@home.example,ACTIVE,staff,ada@example.org',
    'grace,Grace,Hopper,grace@example.org,,faculty,',
    '"linus","Linus","Torvalds, Jr.",linus@example.org,SUSPENDED,student,',
    'bad,Bad,Row,bad@example.org,HAPPY,staff,',
    'nokey,,NoGiven,x@example.org,,,',
  ].join('\n');

  it('plans a CSV without writing (dry run), applies it, and matches it again on a re-import', async () => {
    const organization = await createOrganization(t.admin);
    const dry = await importFile(organization.id, 'CSV', PEOPLE_CSV, { dryRun: true });
    assert.equal(dry.state, 'DONE', dry.error ?? undefined);
    assert.equal(dry.report.applied, false);
    assert.equal(dry.report.people.created, 3);
    assert.deepEqual(dry.report.refused.map((r) => [r.source, r.code]).sort(), [['line 5', 'INVALID_VALUE'], ['line 6', 'INVALID_VALUE']]);
    assert.match(dry.report.refused.find((r) => r.source === 'line 5')!.reason, /HAPPY/);
    assert.equal((await peopleOf(organization.id)).length, 0, 'a dry run writes nothing');

    const applied = await importFile(organization.id, 'CSV', PEOPLE_CSV);
    assert.equal(applied.report.applied, true);
    assert.equal(applied.report.people.created, 3);
    const people = await peopleOf(organization.id);
    assert.equal(people.length, 3);
    const ada = people.find((p) => p.identifiers.some((i) => i.type === 'uid' && i.value === 'ada'))!;
    assert.deepEqual(ada.emailAddresses.map((e) => e.mail).sort(), ['ada@example.org', 'ada@home.example']);
    assert.ok(ada.identifiers.some((i) => i.type === 'eppn' && i.value === 'ada@example.org'));
    assert.equal(ada.names[0].family, 'Lovelace');
    const linus = people.find((p) => p.identifiers.some((i) => i.value === 'linus'))!;
    assert.equal(linus.status, 'SUSPENDED');
    assert.equal(linus.names[0].family, 'Torvalds, Jr.');

    // The same file again: matched, nothing duplicated.
    const again = await importFile(organization.id, 'CSV', PEOPLE_CSV);
    assert.equal(again.report.people.created, 0);
    assert.equal(again.report.people.unchanged, 3);
    assert.equal((await peopleOf(organization.id)).length, 3);

    // A changed address updates that person only.
    const changed = await importFile(organization.id, 'CSV', PEOPLE_CSV.replace('grace@example.org', 'grace.hopper@example.org'));
    assert.equal(changed.report.people.updated, 1);
    assert.deepEqual(changed.report.people.sample.updated, [{ key: 'grace', changes: ['emailAddresses'] }]);
    const grace = (await peopleOf(organization.id)).find((p) => p.identifiers.some((i) => i.value === 'grace'))!;
    assert.deepEqual(grace.emailAddresses.map((e) => e.mail), ['grace.hopper@example.org']);

    // removeMissing: nobody is removed while the file has refused records (one may be a person with a typo)...
    const withoutGrace = PEOPLE_CSV.split('\n').filter((line) => !line.startsWith('grace,')).join('\n');
    const skipped = await importFile(organization.id, 'CSV', withoutGrace, { removeMissing: true });
    assert.equal(skipped.report.people.removed, 0);
    assert.match(String((skipped.report.people as { removalsSkipped?: string }).removalsSkipped), /refused/);
    // ... and from a clean file the people missing from it become DELETED.
    const clean = withoutGrace.split('\n').filter((line) => !/^(bad|nokey),/.test(line)).join('\n');
    const removed = await importFile(organization.id, 'CSV', clean, { removeMissing: true });
    assert.equal(removed.report.people.removed, 1);
    const statuses = (await peopleOf(organization.id)).map((p) => [p.identifiers.find((i) => i.type === 'uid')!.value, p.status]).sort();
    assert.deepEqual(statuses, [['ada', 'ACTIVE'], ['grace', 'DELETED'], ['linus', 'SUSPENDED']]);
  });

  it('refuses a person whose identifier another person (of the file or the organisation) already has', async () => {
    const organization = await createOrganization(t.admin);
    await importFile(organization.id, 'CSV', 'uid,given,eppn\nada,Ada,ada@example.org\n');
    const run = await importFile(organization.id, 'CSV', 'uid,given,eppn\nbob,Bob,ada@example.org\ncy,Cy,cy@example.org\ndee,Dee,cy@example.org\n');
    assert.deepEqual(run.report.refused.map((r) => [r.source, r.code]), [['line 2', 'DUPLICATE_KEY'], ['line 4', 'DUPLICATE_KEY']]);
    assert.match(run.report.refused[1].reason, /line 3/);
    assert.equal(run.report.people.created, 1);
  });

  it('writes every imported record with the change-log entry the same record created through the API gets', async () => {
    const organization = await createOrganization(t.admin);
    const viaApi = (await t.admin.ok(CreatePersonDocument, {
      input: { organizationId: organization.id, status: 'ACTIVE', names: [{ given: 'Ada', family: 'Lovelace' }], emailAddresses: [{ mail: 'ada@example.org', type: 'OFFICIAL' }], identifiers: [{ type: 'uid', value: 'ada', login: true }] },
    })).createPerson.person;
    await importFile(organization.id, 'CSV', 'uid,given,family,email\ngrace,Grace,Hopper,grace@example.org\n');
    const grace = (await peopleOf(organization.id)).find((p) => p.identifiers.some((i) => i.value === 'grace'))!;
    const entries = (await t.admin.ok(ChangeLogDocument, { organizationId: organization.id, first: 500 })).changeLog.nodes;
    const of = (personId: string) =>
      entries.filter((e) => e.personId === personId).map((e) => `${e.entityType} ${e.kind} ${e.actorTokenId ? 'by a token' : 'by nobody'} ${e.changedFields.join(',')}`).sort();
    assert.ok(of(grace.id).length >= 6, JSON.stringify(of(grace.id)));
    assert.deepEqual(of(grace.id), of(viaApi.id));
  });

  it('cancels an import that has not started: it never writes, and the run says CANCELLED', async () => {
    const organization = await createOrganization(t.admin);
    await t.ferry.jobs.stopWorkers();
    try {
      const started = (await t.admin.ok(ImportPopulationDocument, { input: { organizationId: organization.id, format: 'CSV', document: PEOPLE_CSV } })).importPopulation;
      assert.equal(started.state, 'QUEUED');
      await t.admin.ok(CancelProvisioningJobDocument, { id: started.jobId! });
      const { importRun } = await t.admin.ok(ImportRunDocument, { id: started.id });
      assert.equal(importRun.state, 'CANCELLED');
    } finally {
      await t.ferry.jobs.startWorkers();
    }
    await sleep(500);
    assert.equal((await peopleOf(organization.id)).length, 0);
  });

  it('applies nothing when a record is refused and allOrNothing is set', async () => {
    const organization = await createOrganization(t.admin);
    const run = await importFile(organization.id, 'CSV', PEOPLE_CSV, { allOrNothing: true });
    assert.equal(run.report.applied, false);
    assert.equal(run.report.refusedCount, 2);
    assert.equal((await peopleOf(organization.id)).length, 0);
  });

  it('imports memberships from CSV into a real slapd target, says what it would provision first, and removes only with removeMissing', async () => {
    const organization = await createOrganization(t.admin);
    const ou = uniqueName('imp');
    const base = `ou=${ou},${slapd.suffix}`;
    await slapd.client().add(base, { objectClass: ['organizationalUnit'], ou });
    await t.admin.ok(CreateProvisioningTargetDocument, {
      input: {
        organizationId: organization.id, name: 'directory', plugin: 'ldap', mode: 'AUTOMATIC',
        config: { url: slapd.url, bindDn: slapd.bindDn, bindPassword: slapd.bindPassword, peopleBaseDn: base, groupBaseDn: base, personObjectClasses: { eduMember: true }, groupObjectClasses: { groupOfNames: true } },
      },
    });
    const memberships = ['group,person,role', 'app:wiki:editors,ada,', 'app:wiki:editors,grace,owner', 'app:wiki:editors,nobody,'].join('\n');

    const dry = await importFile(organization.id, 'CSV', PEOPLE_CSV, { dryRun: true });
    const preview = dry.report.targets.find((target) => target.name === 'directory')!;
    assert.equal(preview.PERSON_ADDED.count, 3, 'suspended people are provisioned too (their entry says so)');
    assert.deepEqual(preview.PERSON_ADDED.sample.sort(), ['ada', 'grace', 'linus']);

    await importFile(organization.id, 'CSV', PEOPLE_CSV);
    const run = await importFile(organization.id, 'CSV', memberships);
    assert.equal(run.report.groups.created, 1);
    assert.equal(run.report.memberships.added, 2);
    assert.deepEqual(run.report.refused.map((r) => r.code), ['UNKNOWN_MEMBER']);
    assert.match(run.report.refused[0].reason, /nobody/);

    // Provisioning followed the import's changes, as for any write.
    await waitFor(async () => (await slapd.entry(`cn=app:wiki:editors,${base}`))?.get('member')?.length === 1);
    assert.deepEqual((await slapd.entry(`cn=app:wiki:editors,${base}`))?.get('member'), [`uid=ada,${base}`]);
    assert.ok(await slapd.entry(`uid=grace,${base}`));
    // Imported people get their automatic groups, as people created one by one do (Linus is
    // suspended: a member of CO:members:all, which the directory's entry does not list, spec 3.5).
    assert.deepEqual((await slapd.entry(`cn=CO:members:active,${base}`))?.sorted('member'), [`uid=ada,${base}`, `uid=grace,${base}`]);
    assert.deepEqual((await slapd.entry(`uid=linus,${base}`))?.get('isMemberOf'), ['CO:members:all']);

    // A file without Ada leaves her membership alone, unless removeMissing.
    const withoutAda = ['group,person,role', 'app:wiki:editors,grace,owner'].join('\n');
    const kept = await importFile(organization.id, 'CSV', withoutAda);
    assert.equal(kept.report.memberships.removed, 0);
    const removed = await importFile(organization.id, 'CSV', withoutAda, { removeMissing: true });
    assert.equal(removed.report.memberships.removed, 1);
    await waitFor(async () => !(await slapd.entry(`cn=app:wiki:editors,${base}`)));
  });

  it('round-trips a whole organisation through its JSON export: units, every name and role with its records, validity windows, nestings', async () => {
    const source = await createOrganization(t.admin);
    const person = async (uid: string, given: string, family: string, extra: { dateOfBirth?: string; timezone?: string } = {}) =>
      (await t.admin.ok(CreatePersonDocument, {
        input: { organizationId: source.id, status: 'ACTIVE', ...extra, names: [{ given, family }], emailAddresses: [{ mail: `${uid}@example.org`, type: 'OFFICIAL' }], identifiers: [{ type: 'uid', value: uid, login: true }, { type: 'orcid', value: `0000-${uid}` }] },
      })).createPerson.person;
    const ada = await person('ada', 'Ada', 'Lovelace', { dateOfBirth: '1815-12-10', timezone: 'Europe/London' });
    const zoe = await person('zoe', 'Zoë', 'Çelik');
    await t.admin.ok(AddNameDocument, { input: { personId: ada.id, given: 'Augusta Ada', family: 'Byron', type: 'FKA', language: 'en' } });
    const science = (await t.admin.ok(CreateCouDocument, { input: { organizationId: source.id, name: 'science', description: 'Faculty of Science' } })).createCou.cou;
    await t.admin.ok(CreateCouDocument, { input: { organizationId: source.id, name: 'physics', parentId: science.id } });
    const physics = (await t.admin.ok(CreateCouDocument, { input: { organizationId: source.id, name: 'maths', parentId: science.id } })).createCou.cou;
    const role = (await t.admin.ok(AddPersonRoleDocument, {
      input: { personId: ada.id, couId: physics.id, affiliation: 'FACULTY', title: 'Analyst', ou: 'Maths', validFrom: '2026-01-01T00:00:00.000Z', validThrough: '2027-06-30T12:00:00.000Z' },
    })).addPersonRole.personRole;
    await t.admin.ok(AddAddressDocument, { input: { roleId: role.id, street: '12 St James Square', locality: 'London', country: 'GB', type: 'OFFICE' } });
    await t.admin.ok(AddTelephoneNumberDocument, { input: { roleId: role.id, countryCode: '44', number: '20 7946 0018', type: 'MOBILE' } });
    await t.admin.ok(AddAdHocAttributeDocument, { input: { roleId: role.id, tag: 'engine', value: 'analytical' } });
    await t.admin.ok(AddPersonRoleDocument, { input: { personId: ada.id, affiliation: 'MEMBER', status: 'SUSPENDED' } });
    const folder = (await t.admin.ok(CreateFolderDocument, { input: { organizationId: source.id, name: 'research' } })).createFolder.folder;
    const group = (await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name: 'lab', description: 'The lab' } })).createGroup.group;
    const everyone = (await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name: 'everyone' } })).createGroup.group;
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: group.id, personId: ada.id } });
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: group.id, personId: zoe.id, owner: true, member: false, validThrough: '2027-01-31T23:59:59.000Z' } });
    const unitGroup = (await t.admin.ok(GroupsByNameDocument, { organizationId: source.id })).groups.nodes.find((g) => g.fullName === 'CO:COU:maths:members:active')!;
    await t.admin.ok(NestGroupDocument, { input: { groupId: everyone.id, nestedGroupId: group.id } });
    await t.admin.ok(NestGroupDocument, { input: { groupId: everyone.id, nestedGroupId: unitGroup.id } });

    const exported = (await t.admin.ok(ExportPopulationDocument, { organizationId: source.id })).exportPopulation;
    const document = JSON.parse(exported);
    assert.equal(document.format, 'ferry.population/v1');
    assert.deepEqual(document.units, [
      { name: 'maths', description: null, parent: 'science' },
      { name: 'physics', description: null, parent: 'science' },
      { name: 'science', description: 'Faculty of Science', parent: null },
    ]);
    assert.equal(document.people.length, 2);
    const adaEntry = document.people[0];
    assert.deepEqual(adaEntry.names.map((n: { given: string; type: string }) => [n.given, n.type]), [['Ada', 'OFFICIAL'], ['Augusta Ada', 'FKA']]);
    assert.equal(adaEntry.dateOfBirth, '1815-12-10');
    assert.deepEqual(adaEntry.roles.map((r: { unit: string | null; status: string }) => [r.unit, r.status]), [['maths', 'ACTIVE'], [null, 'SUSPENDED']]);
    assert.deepEqual(adaEntry.roles[0].telephoneNumbers, [{ type: 'MOBILE', countryCode: '44', areaCode: null, number: '20 7946 0018', extension: null }]);
    assert.deepEqual(adaEntry.roles[0].attributes, [{ tag: 'engine', value: 'analytical' }]);
    assert.equal(adaEntry.roles[0].validThrough, '2027-06-30T12:00:00.000Z');
    assert.deepEqual(document.groups.map((g: { fullName: string }) => g.fullName), ['research:everyone', 'research:lab'], 'automatic groups are not exported');
    assert.deepEqual(document.groups[0].nestedGroups, ['CO:COU:maths:members:active', 'research:lab']);
    assert.deepEqual(document.groups[1].members, ['ada']);
    assert.deepEqual(document.groups[1].owners, ['zoe']);
    assert.deepEqual(document.groups[1].validity, [{ person: 'zoe', validFrom: null, validThrough: '2027-01-31T23:59:59.000Z' }]);

    const target = await createOrganization(t.admin);
    const run = await importFile(target.id, 'FERRY_JSON', exported);
    assert.equal(run.report.refusedCount, 0, JSON.stringify(run.report.refused));
    assert.equal(run.report.people.created, 2);
    const reexported = (await t.admin.ok(ExportPopulationDocument, { organizationId: target.id })).exportPopulation;
    assert.equal(reexported, exported);
    // What the registry holds, as the API shows it: Ada in her unit's automatic group, and through the nesting in research:everyone.
    const groups = (await t.admin.ok(GroupsByNameDocument, { organizationId: target.id })).groups.nodes;
    const groupId = (name: string) => groups.find((g) => g.fullName === name)!.id;
    const imported = (await peopleOf(target.id)).find((p) => p.identifiers.some((i) => i.value === 'ada'))!;
    const memberOf = (p: typeof imported) => p.memberships.map((m) => groups.find((g) => g.id === m.groupId)!.fullName);
    assert.ok(memberOf(imported).includes('CO:COU:maths:members:active'), memberOf(imported).join());
    assert.equal(memberOf(imported).filter((name) => name === 'research:everyone').length, 2, 'through both nestings');
    assert.ok(groupId('CO:COU:physics:members:all'));

    // Imported again: nothing changes. Then without Ada's unit role and her other name: she leaves the unit's groups.
    const again = await importFile(target.id, 'FERRY_JSON', exported);
    assert.equal(again.report.people.unchanged, 2);
    assert.deepEqual([again.report.units, again.report.nestings], [{ created: 0, updated: 0, unchanged: 3, sample: { created: [], updated: [] } }, { added: 0, removed: 0, unchanged: 2 }]);
    const edited = JSON.parse(exported);
    edited.people[0].names = edited.people[0].names.slice(0, 1);
    edited.people[0].roles = edited.people[0].roles.slice(1);
    edited.groups[1].validity[0].validThrough = '2028-01-31T23:59:59.000Z';
    const changed = await importFile(target.id, 'FERRY_JSON', JSON.stringify(edited));
    assert.deepEqual(changed.report.people.sample.updated, [{ key: 'ada', changes: ['otherNames', 'roles'] }]);
    assert.equal(changed.report.memberships.updated, 1, 'the window');
    const after = (await peopleOf(target.id)).find((p) => p.id === imported.id)!;
    assert.deepEqual(after.names.map((n) => n.given), ['Ada']);
    assert.deepEqual(after.roles.map((r) => r.couId), [null]);
    assert.ok(!memberOf(after).includes('CO:COU:maths:members:active'));
    assert.equal(memberOf(after).filter((name) => name === 'research:everyone').length, 1, 'through research:lab only');
    assert.equal((await t.admin.ok(ExportPopulationDocument, { organizationId: target.id })).exportPopulation, formatted(edited));
  });

  it('refuses units, roles and nestings the organisation cannot take, and imports the rest', async () => {
    const organization = await createOrganization(t.admin);
    const document = {
      format: 'ferry.population/v1',
      matchBy: 'uid',
      units: [{ name: 'a', parent: 'b' }, { name: 'b', parent: 'a' }, { name: 'c', parent: 'nowhere' }, { name: 'd' }],
      people: [
        { names: [{ given: 'Ada' }], identifiers: [{ type: 'uid', value: 'ada' }], roles: [{ unit: 'd', affiliation: 'STAFF' }] },
        { names: [{ given: 'Bob' }], identifiers: [{ type: 'uid', value: 'bob' }], roles: [{ unit: 'a' }] },
        { names: [{ given: 'Cy' }], identifiers: [{ type: 'uid', value: 'cy' }], roles: [{ validFrom: '2027-01-01T00:00:00Z', validThrough: '2026-01-01T00:00:00Z' }] },
      ],
      groups: [
        { fullName: 'x:one', members: ['ada'], nestedGroups: ['x:two'], validity: [{ person: 'ada', validFrom: '2026-02-01T00:00:00+01:00' }, { person: 'cy', validFrom: null }] },
        { fullName: 'x:two', nestedGroups: ['x:one', 'x:ghost'] },
      ],
    };
    const run = await importFile(organization.id, 'FERRY_JSON', JSON.stringify(document));
    assert.deepEqual(run.report.refused.map((r) => [r.source, r.code]).sort(), [
      ['groups[0]', 'INVALID_VALUE'], ['groups[1]', 'INVALID_VALUE'], ['groups[1]', 'UNKNOWN_MEMBER'], ['people[1]', 'INVALID_VALUE'], ['people[2]', 'INVALID_VALUE'],
      ['units[0]', 'INVALID_VALUE'], ['units[1]', 'INVALID_VALUE'], ['units[2]', 'INVALID_VALUE'],
    ].sort());
    assert.deepEqual([run.report.people.created, run.report.nestings.added], [1, 1]);
    const exported = JSON.parse((await t.admin.ok(ExportPopulationDocument, { organizationId: organization.id })).exportPopulation);
    assert.deepEqual(exported.units, [{ name: 'd', description: null, parent: null }]);
    assert.deepEqual(exported.people[0].roles.map((r: { unit: string; affiliation: string }) => [r.unit, r.affiliation]), [['d', 'STAFF']]);
    assert.deepEqual(exported.groups.map((g: { fullName: string; nestedGroups: string[] }) => [g.fullName, g.nestedGroups]), [['x:one', ['x:two']], ['x:two', []]]);
    assert.deepEqual(exported.groups[0].validity, [{ person: 'ada', validFrom: '2026-01-31T23:00:00.000Z', validThrough: null }]);
  });

  it('imports an ldapsearch export of a real slapd with the CLI (dry run, then for real) and exports with it', async () => {
    const organization = await createOrganization(t.admin);
    const client = slapd.client();
    const base = `ou=${uniqueName('src')},${slapd.suffix}`;
    await client.add(base, { objectClass: 'organizationalUnit', ou: base.slice(3, base.indexOf(',')) });
    await client.add(`uid=ada,${base}`, { objectClass: ['inetOrgPerson', 'eduPerson'], uid: 'ada', cn: 'Ada Lovelace', givenName: 'Ada', sn: 'Lovelace', mail: 'ada@example.org', eduPersonAffiliation: 'faculty' });
    await client.add(`uid=zoe,${base}`, { objectClass: ['inetOrgPerson'], uid: 'zoe', cn: 'Zoë Çelik', sn: 'Çelik', mail: 'zoe@example.org' });
    await client.add(`cn=research:lab,${base}`, { objectClass: 'groupOfNames', cn: 'research:lab', member: [`uid=ada,${base}`, `uid=zoe,${base}`, `uid=ghost,${base}`] });
    const { stdout: ldif } = await run('ldapsearch', ['-LLL', '-x', '-H', slapd.url, '-D', slapd.bindDn, '-w', slapd.bindPassword, '-b', base]);
    const dir = mkdtempSync(path.join(tmpdir(), 'ferry-import-'));
    const file = path.join(dir, 'directory.ldif');
    writeFileSync(file, ldif);
    const cli = (args: string[]) =>
      run(process.execPath, [CLI, ...args, '--url', t.ferry.url, '--token', t.adminToken]).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
      );

    const dry = await cli(['import', file, '--organization', organization.id, '--format', 'ldif', '--dry-run']);
    assert.equal(dry.code, 2, 'records were refused: the ghost member');
    const dryReport = JSON.parse(dry.stdout);
    assert.equal(dryReport.applied, false);
    assert.equal(dryReport.people.created, 2);
    assert.equal((await peopleOf(organization.id)).length, 0);

    const applied = await cli(['import', file, '--organization', organization.id, '--format', 'ldif']);
    const report = JSON.parse(applied.stdout);
    assert.equal(report.applied, true);
    assert.deepEqual(report.refused.map((r: { code: string }) => r.code), ['UNKNOWN_MEMBER']);
    const zoe = (await peopleOf(organization.id)).find((p) => p.identifiers.some((i) => i.value === 'zoe'))!;
    assert.equal(zoe.names[0].given, 'Zoë');

    const out = path.join(dir, 'export.json');
    const exported = await cli(['export', '--organization', organization.id, '--out', out]);
    assert.equal(exported.code, 0);
    const document = JSON.parse(readFileSync(out, 'utf8'));
    assert.deepEqual(document.groups, [{ fullName: 'research:lab', description: null, members: ['ada', 'zoe'], owners: [], nestedGroups: [], validity: [] }]);
    assert.equal(readFileSync(out, 'utf8'), (await t.admin.ok(ExportPopulationDocument, { organizationId: organization.id })).exportPopulation);

    const noToken = await run(process.execPath, [CLI, 'export', '--organization', organization.id, '--url', t.ferry.url], { env: { ...process.env, FERRY_TOKEN: '' } }).catch((error) => error);
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /FERRY_TOKEN/);
  });

  it('refuses a bad upload with a clear error and a stable code, and creates no run', async () => {
    const organization = await createOrganization(t.admin);
    const upload = (query: string, body: Buffer | string, token: string | null = t.adminToken) =>
      fetch(`${t.ferry.url.replace(/\/graphql$/, '')}/imports?${query}`, { method: 'POST', body, headers: token ? { authorization: `Bearer ${token}` } : {} });
    const latin1 = await upload(`organizationId=${organization.id}&format=csv`, Buffer.from('uid,given\nzoe,Zo\xeb\n', 'latin1'));
    assert.equal(latin1.status, 400);
    assert.equal(((await latin1.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code, 'BAD_REQUEST');
    const format = await upload(`organizationId=${organization.id}&format=xlsx`, 'x');
    assert.equal(format.status, 400);
    assert.match(((await format.json()) as { errors: { message: string }[] }).errors[0].message, /format: csv, ldif, scim or json/);
    const anonymous = await upload(`organizationId=${organization.id}&format=csv`, 'uid,given', null);
    assert.equal(anonymous.status, 401);
    assert.equal((await peopleOf(organization.id)).length, 0);
    const accepted = await upload(`organizationId=${organization.id}&format=csv&dryRun=true`, 'uid,given\nzoe,Zoë\n');
    assert.equal(accepted.status, 202);
  });

  it('imports the ListResponse pages a real SCIM server returns, through the API', async () => {
    const scim = await startScimServer();
    try {
      const headers = { authorization: `Bearer ${scim.token}`, 'content-type': 'application/scim+json' };
      const call = async (method: string, url: string, body?: object) =>
        (await (await fetch(`${scim.url}${url}`, { method, headers, body: body ? JSON.stringify(body) : undefined })).json()) as { id: string };
      const user = 'urn:ietf:params:scim:schemas:core:2.0:User';
      const ada = await call('POST', '/Users', { schemas: [user], userName: 'ada', name: { givenName: 'Ada', familyName: 'Lovelace' }, emails: [{ value: 'ada@example.org', type: 'work', primary: true }] });
      const bob = await call('POST', '/Users', { schemas: [user], userName: 'bob', displayName: 'Bob Smith', active: false });
      await call('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'apps:chat', members: [{ value: ada.id }, { value: bob.id }] });
      const pages = [await call('GET', '/Users?startIndex=1&count=1'), await call('GET', '/Users?startIndex=2&count=1'), await call('GET', '/Groups')];
      const organization = await createOrganization(t.admin);
      const imported = await importFile(organization.id, 'SCIM', JSON.stringify(pages));
      assert.equal(imported.report.refusedCount, 0);
      assert.equal(imported.report.people.created, 2);
      assert.equal(imported.report.memberships.added, 2);
      const people = await peopleOf(organization.id);
      assert.equal(people.find((p) => p.identifiers.some((i) => i.value === 'bob'))!.status, 'SUSPENDED');
      const document = JSON.parse((await t.admin.ok(ExportPopulationDocument, { organizationId: organization.id })).exportPopulation);
      assert.deepEqual(document.groups, [{ fullName: 'apps:chat', description: null, members: ['ada', 'bob'], owners: [], nestedGroups: [], validity: [] }]);
    } finally {
      await scim.close();
    }
  });

  it('lets only writers of the organisation import, and readers of it export', async () => {
    const { organization, reader, outsider } = await organizationWithTokens(t);
    await reader.fails('FORBIDDEN', ImportPopulationDocument, { input: { organizationId: organization.id, format: 'CSV', document: PEOPLE_CSV } });
    const hidden = await outsider.request(ExportPopulationDocument, { organizationId: organization.id });
    assert.ok(hidden.errors?.length, 'another organisation cannot export it');
    assert.equal(hidden.data?.exportPopulation ?? null, null);
    assert.ok((await reader.ok(ExportPopulationDocument, { organizationId: organization.id })).exportPopulation);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(50);
  }
  assert.fail('timed out waiting');
}
