import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Attribute, Change, EqualityFilter } from 'ldapts';
import { ITEMS_PER_CHUNK } from '../../src/common/chunks';
import { ldapPlugin } from '../../src/plugins/ldap';
import { DEFAULT_EXPORTED_ATTRIBUTES } from '../../src/plugins/ldap/catalog';
import { PermanentProvisioningError, TransientProvisioningError } from '../../src/plugins/plugin';
import { SubjectType } from '../../src/provisioning/actions';
import type { PersonPayload } from '../../src/provisioning/payload';
import { freePort } from '../../src/db/scratch-database';
import { Affiliation, GroupType, PersonStatus, RecordStatus } from '../../src/registry/enums';
import { startSlapd, type Slapd } from '../support/slapd';
import {
  closeTestTargets,
  group,
  ldapTarget,
  memberOf,
  name,
  person,
  ProvisioningAction,
  role,
  skeleton,
  unique,
} from './ldap-fixtures';

const A = ProvisioningAction;

describe('LDAP provisioner against a real slapd', () => {
  let slapd: Slapd;
  const personDn = (uid: string) => `uid=${uid},${slapd.peopleDn}`;
  const groupDn = (cn: string) => `cn=${cn},${slapd.groupsDn}`;
  /** Writes an attribute behind Ferry's back. */
  const writeBehindFerrysBack = (dn: string, type: string, values: string[]) =>
    slapd.client().modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type, values }) }));

  before(async () => {
    slapd = await startSlapd();
  });
  after(async () => {
    await closeTestTargets();
    await slapd?.dispose();
  });

  describe('people', () => {
    it('adds a person with every supported attribute of the enabled object classes', async () => {
      const target = ldapTarget(slapd, {
        personObjectClasses: { eduPerson: true, eduMember: true, voPerson: true, posixAccount: true, ldapPublicKey: true },
        scope: 'example.org',
        exportedAttributes: [
          ...DEFAULT_EXPORTED_ATTRIBUTES,
          'eduPersonScopedAffiliation',
          'eduPersonUniqueId',
          'eduPersonNickname',
          'facsimileTelephoneNumber',
          'mobile',
          'street',
          'l',
          'st',
          'postalCode',
          'roomNumber',
          'labeledURI',
          'voPersonSoRID',
        ],
      });
      const uid = unique('ada');
      const official = name('Ada', 'Lovelace', { middle: 'King', language: 'en' });
      const ada = person(uid, {
        primaryName: official,
        names: [official, name('Ada', 'Byron', { type: 'PREFERRED', primary: false })],
        emailAddresses: [
          { mail: 'ada@example.org', type: 'OFFICIAL', verified: true },
          { mail: 'ada@home.example', type: 'PERSONAL', verified: false },
        ],
        identifiers: [
          { type: 'uid', value: uid, login: true },
          { type: 'eppn', value: `${uid}@example.org`, login: false },
          { type: 'enterprise', value: 'E123', login: false },
          { type: 'orcid', value: 'https://orcid.org/0000-0002-1825-0097', login: false },
          { type: 'uidnumber', value: '10001', login: false },
          { type: 'gidnumber', value: '20001', login: false },
          { type: 'sorid', value: 'HR-1', login: false },
        ],
        urls: [{ url: 'https://ada.example.org', type: 'PERSONAL', description: 'Home page' }],
        roles: [
          role({
            affiliation: Affiliation.FACULTY,
            title: 'Professor',
            o: 'Example University',
            ou: 'Mathematics',
            telephoneNumbers: [
              { type: 'OFFICE', countryCode: '1', areaCode: '734', number: '555 1212', extension: '42' },
              { type: 'FAX', countryCode: '+44', areaCode: '20', number: '7946 0000', extension: null },
              { type: 'MOBILE', countryCode: '33', areaCode: null, number: '6 12 34 56 78', extension: null },
            ],
            addresses: [
              {
                type: 'OFFICE',
                street: 'Main Street 1\r\nBuilding 2',
                room: 'B12',
                locality: 'Ann Arbor',
                state: 'MI',
                postalCode: '48109',
                country: 'US',
                language: null,
              },
            ],
            adHocAttributes: [
              { tag: 'sshPublicKey', value: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx ada@laptop' },
              { tag: 'shoeSize', value: '38' },
            ],
          }),
          role({ affiliation: Affiliation.LIBRARY_WALK_IN, title: '  Reader ', o: 'example university', ou: 'Mathematics', order: 2 }),
        ],
        memberships: [
          { groupId: 'g1', groupName: 'research:physics', groupType: GroupType.STANDARD, member: true, owner: false, groupIdentifiers: [] },
          { groupId: 'g2', groupName: 'research:owners-only', groupType: GroupType.STANDARD, member: false, owner: true, groupIdentifiers: [] },
        ],
        termsAgreements: [{ termsId: 't1', name: 'AUP', url: 'https://example.org/aup', agreedAt: new Date() }],
        entitlements: [{ serviceId: 's1', name: 'Wiki', shortLabel: 'wiki', entitlementUri: 'urn:mace:example.org:wiki' }],
      });

      const result = await target.provision(A.PERSON_ADDED, ada);
      assert.equal(result.remoteId, personDn(uid));
      assert.match(result.detail, /^added uid=/);

      const entry = await slapd.entry(personDn(uid));
      assert.ok(entry, 'the entry exists');
      assert.deepEqual(entry.objectClasses(), [
        'edumember',
        'eduperson',
        'inetorgperson',
        'ldappublickey',
        'organizationalperson',
        'person',
        'posixaccount',
        'voperson',
      ]);
      const expected: Record<string, string[]> = {
        cn: ['Ada King Lovelace'],
        sn: ['Lovelace'],
        givenName: ['Ada'],
        displayName: ['Ada Byron'],
        mail: ['ada@example.org', 'ada@home.example'],
        uid: [uid],
        employeeNumber: ['E123'],
        title: ['Professor', 'Reader'],
        ou: ['Mathematics'],
        o: ['Example University'],
        employeeType: ['faculty', 'library-walk-in'],
        telephoneNumber: ['+1 734 555 1212 x 42'],
        facsimileTelephoneNumber: ['+44 20 7946 0000'],
        mobile: ['+33 6 12 34 56 78'],
        street: ['Main Street 1$Building 2'],
        l: ['Ann Arbor'],
        st: ['MI'],
        postalCode: ['48109'],
        roomNumber: ['B12'],
        labeledURI: ['https://ada.example.org Home page'],
        eduPersonAffiliation: ['faculty', 'library-walk-in'],
        eduPersonScopedAffiliation: ['faculty@example.org', 'library-walk-in@example.org'],
        eduPersonPrincipalName: [`${uid}@example.org`],
        eduPersonUniqueId: ['E123@example.org'],
        eduPersonOrcid: ['https://orcid.org/0000-0002-1825-0097'],
        eduPersonEntitlement: ['urn:mace:example.org:wiki'],
        eduPersonNickname: ['Ada'],
        isMemberOf: ['research:physics'],
        voPersonID: ['E123'],
        voPersonSoRID: ['HR-1'],
        voPersonStatus: ['Active'],
        voPersonPolicyAgreement: ['https://example.org/aup'],
        uidNumber: ['10001'],
        gidNumber: ['20001'],
        homeDirectory: [`/home/${uid}`],
        loginShell: ['/bin/bash'],
        sshPublicKey: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx ada@laptop'],
      };
      for (const [attribute, values] of Object.entries(expected)) {
        assert.deepEqual(entry.sorted(attribute), [...values].sort(), attribute);
      }
    });

    it('adds only the base object classes when the optional ones have nothing to carry', async () => {
      const target = ldapTarget(slapd, {
        personObjectClasses: { eduPerson: true, eduMember: true, voPerson: false, posixAccount: true, ldapPublicKey: true },
      });
      const uid = unique('plain');
      const plain = person(uid, {
        primaryName: name('Cher', null),
        names: [name('Cher', null)],
        // uidNumber without gidNumber: posixAccount would miss a MUST attribute and stays off.
        identifiers: [
          { type: 'uid', value: uid, login: true },
          { type: 'uidnumber', value: '10002', login: false },
        ],
      });
      await target.provision(A.PERSON_ADDED, plain);
      const entry = await slapd.entry(personDn(uid));
      assert.ok(entry);
      assert.deepEqual(entry.objectClasses(), ['inetorgperson', 'organizationalperson', 'person']);
      assert.deepEqual(entry.get('sn'), ['.'], 'sn is "." without a family name');
      assert.deepEqual(entry.get('cn'), ['Cher']);
      assert.equal(entry.has('uidNumber'), false);
      assert.equal(entry.has('isMemberOf'), false);
    });

    it('writes cn in family-first order for Hungarian, Japanese, Korean and Chinese names', async () => {
      const target = ldapTarget(slapd);
      const uid = unique('eastern');
      const japanese = name('Hanako', 'Yamada', { language: 'ja' });
      await target.provision(A.PERSON_ADDED, person(uid, { primaryName: japanese, names: [japanese] }));
      const entry = await slapd.entry(personDn(uid));
      assert.deepEqual(entry?.get('cn'), ['Yamada Hanako']);
      assert.deepEqual(entry?.get('displayName'), ['Yamada Hanako'], 'without a preferred name the primary name is displayed');
    });

    it('modifies a person: changed values are replaced and values that went away are removed', async () => {
      const target = ldapTarget(slapd);
      const uid = unique('grace');
      const grace = person(uid, {
        roles: [role({ title: 'Rear Admiral', telephoneNumbers: [{ type: 'OFFICE', countryCode: '1', areaCode: '202', number: '555 0100', extension: null }] })],
      });
      await target.provision(A.PERSON_ADDED, grace);
      assert.deepEqual((await slapd.entry(personDn(uid)))?.get('telephoneNumber'), ['+1 202 555 0100']);

      grace.roles = [role({ title: 'Commodore' })];
      grace.emailAddresses = [{ mail: 'grace@navy.example', type: 'OFFICIAL', verified: true }];
      const result = await target.provision(A.PERSON_UPDATED, grace);
      assert.equal(result.remoteId, personDn(uid));
      assert.equal(result.detail, `modified ${personDn(uid)}`);
      const entry = await slapd.entry(personDn(uid));
      assert.deepEqual(entry?.get('title'), ['Commodore']);
      assert.deepEqual(entry?.get('mail'), ['grace@navy.example']);
      assert.equal(entry?.has('telephoneNumber'), false, 'the removed telephone number is gone');
    });

    it('keeps the RDN value among the uid values when uid comes from another identifier type', async () => {
      const target = ldapTarget(slapd, { identifierTypes: { uid: 'network' } });
      const uid = unique('rdn');
      const someone = person(uid, {
        identifiers: [
          { type: 'uid', value: uid, login: true },
          { type: 'network', value: `${uid}-net1`, login: false },
        ],
      });
      await target.provision(A.PERSON_ADDED, someone);
      someone.identifiers = [
        { type: 'uid', value: uid, login: true },
        { type: 'network', value: `${uid}-net2`, login: false },
      ];
      await target.provision(A.PERSON_UPDATED, someone);
      const entry = await slapd.entry(personDn(uid));
      assert.deepEqual(entry?.sorted('uid'), [uid, `${uid}-net2`].sort());
    });

    it('falls back to an add when the entry vanished behind Ferry\'s back', async () => {
      const target = ldapTarget(slapd);
      const uid = unique('phoenix');
      const phoenix = person(uid);
      await target.provision(A.PERSON_ADDED, phoenix);
      await slapd.client().del(personDn(uid));
      const result = await target.provision(A.PERSON_UPDATED, phoenix);
      assert.equal(result.detail, `added ${personDn(uid)}`);
      assert.ok(await slapd.entry(personDn(uid)), 'the entry is back');
    });

    it('in "remove" mode deletes a managed attribute written behind Ferry\'s back, leaves unmanaged ones', async () => {
      const target = ldapTarget(slapd);
      const uid = unique('remove');
      const someone = person(uid);
      await target.provision(A.PERSON_ADDED, someone);
      await writeBehindFerrysBack(personDn(uid), 'roomNumber', ['X-1']);
      await writeBehindFerrysBack(personDn(uid), 'description', ['kept: not an attribute Ferry manages']);
      await target.provision(A.PERSON_UPDATED, someone);
      const entry = await slapd.entry(personDn(uid));
      assert.equal(entry?.has('roomNumber'), false, 'roomNumber is supported but not exported: removed');
      assert.deepEqual(entry?.get('description'), ['kept: not an attribute Ferry manages']);
    });

    it('in "ignore" mode keeps an unexported attribute written behind Ferry\'s back', async () => {
      const target = ldapTarget(slapd, { unconfiguredAttributeMode: 'ignore' });
      const uid = unique('ignore');
      const someone = person(uid);
      await target.provision(A.PERSON_ADDED, someone);
      await writeBehindFerrysBack(personDn(uid), 'roomNumber', ['X-1']);
      await writeBehindFerrysBack(personDn(uid), 'mail', ['stale@example.org']);
      await target.provision(A.PERSON_UPDATED, someone);
      const entry = await slapd.entry(personDn(uid));
      assert.deepEqual(entry?.get('roomNumber'), ['X-1']);
      assert.deepEqual(entry?.get('mail'), [`${uid}@example.org`], 'exported attributes are still replaced');
    });

    it('reprovisions in place (external attributes survive) while PERSON_ADDED recreates the entry', async () => {
      const target = ldapTarget(slapd);
      const uid = unique('reprov');
      const someone = person(uid);
      await target.provision(A.PERSON_ADDED, someone);
      await writeBehindFerrysBack(personDn(uid), 'description', ['external']);
      await target.provision(A.PERSON_REPROVISION_REQUESTED, someone);
      assert.deepEqual((await slapd.entry(personDn(uid)))?.get('description'), ['external']);
      const result = await target.provision(A.PERSON_ADDED, someone);
      assert.equal(result.detail, `deleted ${personDn(uid)}, added ${personDn(uid)}`);
      assert.equal((await slapd.entry(personDn(uid)))?.has('description'), false);
    });

    it('renames the entry (modrdn) when the DN identifier changes', async () => {
      const target = ldapTarget(slapd);
      const oldUid = unique('before');
      const newUid = unique('after');
      const someone = person(oldUid);
      await target.provision(A.PERSON_ADDED, someone);
      await writeBehindFerrysBack(personDn(oldUid), 'description', ['survives a rename, not a re-create']);

      someone.identifiers = [{ type: 'uid', value: newUid, login: true }];
      const result = await target.provision(A.PERSON_UPDATED, someone);
      assert.equal(result.remoteId, personDn(newUid));
      assert.equal(result.detail, `renamed ${personDn(oldUid)} to ${personDn(newUid)}, modified ${personDn(newUid)}`);
      assert.equal(await slapd.entry(personDn(oldUid)), null, 'the old DN is gone');
      const entry = await slapd.entry(personDn(newUid));
      assert.deepEqual(entry?.get('uid'), [newUid]);
      assert.deepEqual(entry?.get('description'), ['survives a rename, not a re-create']);
      assert.equal(await target.remoteId(someone), personDn(newUid));
    });

    it('deletes a person, and treats a payload with a non-provisionable status as a delete', async () => {
      const target = ldapTarget(slapd);
      const first = person(unique('deleted'));
      const second = person(unique('pending'));
      await target.provision(A.PERSON_ADDED, first);
      await target.provision(A.PERSON_ADDED, second);

      const deleted = await target.provision(A.PERSON_DELETED, first);
      assert.deepEqual(deleted, { remoteId: null, detail: `deleted ${personDn(first.identifiers[0].value)}` });
      assert.equal(await slapd.entry(personDn(first.identifiers[0].value)), null);

      const skeletal = await target.provision(A.PERSON_UPDATED, skeleton(second, PersonStatus.PENDING_APPROVAL));
      assert.equal(skeletal.remoteId, null);
      assert.equal(await slapd.entry(personDn(second.identifiers[0].value)), null, 'the skeleton payload removed the entry');
      assert.equal(await target.remoteId(second), null);
    });

    it('deleting a person that was never provisioned is a successful no-op', async () => {
      const target = ldapTarget(slapd);
      const never = person(unique('never'));
      const result = await target.provision(A.PERSON_DELETED, skeleton(never));
      assert.equal(result.remoteId, null);
      assert.match(result.detail, /^nothing to delete/);
      const withIdentifier = await target.provision(A.PERSON_DELETED, never);
      assert.match(withIdentifier.detail, /^nothing to delete: .* does not exist/);
      // A stale stored DN whose entry is gone is not an error either.
      target.state.set(SubjectType.PERSON, never.id, personDn('gone-already'));
      assert.match((await target.provision(A.PERSON_DELETED, never)).detail, /^nothing to delete/);
    });

    it('reports a rejected add as a permanent error naming the DN, and writes nothing', async () => {
      // posixAccount as an extra class: its MUST attributes (uidNumber, ...) are not written.
      const target = ldapTarget(slapd, { extraPersonObjectClasses: ['posixAccount'] });
      const uid = unique('rejected');
      await assert.rejects(target.provision(A.PERSON_ADDED, person(uid)), (error: Error) => {
        assert.ok(error instanceof PermanentProvisioningError, `expected a permanent error, got ${error.name}`);
        assert.match(error.message, /objectClassViolation \(65\)/);
        assert.ok(error.message.includes(personDn(uid)), error.message);
        return true;
      });
      assert.equal(await slapd.entry(personDn(uid)), null);
    });

    it('fails a person without the DN identifier when active, skips it otherwise', async () => {
      const target = ldapTarget(slapd);
      const nameless = person('x', { identifiers: [] });
      await assert.rejects(target.provision(A.PERSON_UPDATED, nameless), (error: Error) => {
        assert.ok(error instanceof PermanentProvisioningError);
        assert.match(error.message, /no active identifier of type "uid"/);
        return true;
      });
      const expired = { ...nameless, status: PersonStatus.EXPIRED };
      const result = await target.provision(A.PERSON_EXPIRED, expired);
      assert.equal(result.remoteId, null);
      assert.match(result.detail, /^skipped/);
    });

    it('reads an entry back', async () => {
      const target = ldapTarget(slapd);
      const uid = unique('readback');
      await target.provision(A.PERSON_ADDED, person(uid));
      const read = await ldapPlugin.readBack(target.ctx, SubjectType.PERSON, personDn(uid));
      assert.deepEqual([read.exists, read.detail], [true, personDn(uid)]);
      assert.deepEqual(read.attributes?.sn, ['Lovelace'], 'with its attributes, for drift checks');
      const missing = await ldapPlugin.readBack(target.ctx, SubjectType.PERSON, personDn('nobody-here'));
      assert.equal(missing.exists, false);
    });
  });

  describe('groups', () => {
    async function provisionPeople(target: ReturnType<typeof ldapTarget>, ...people: PersonPayload[]) {
      for (const someone of people) await target.provision(A.PERSON_ADDED, someone);
    }

    it('writes member and owner DNs of the people provisioned to this target', async () => {
      const target = ldapTarget(slapd);
      const [alice, bob, carol] = [person(unique('alice')), person(unique('bob')), person(unique('carol'))];
      await provisionPeople(target, alice, bob, carol);
      const cn = unique('research:physics');
      const physics = group(cn, [...memberOf([alice, bob]), ...memberOf([carol], { member: false, owner: true })], {
        description: 'Physics researchers',
      });
      const result = await target.provision(A.GROUP_ADDED, physics);
      assert.equal(result.remoteId, groupDn(cn));
      const entry = await slapd.entry(groupDn(cn));
      assert.ok(entry);
      assert.deepEqual(entry.objectClasses(), ['groupofnames']);
      assert.deepEqual(entry.get('cn'), [cn]);
      assert.deepEqual(entry.get('description'), ['Physics researchers']);
      assert.deepEqual(entry.sorted('member'), [personDn(alice.identifiers[0].value), personDn(bob.identifiers[0].value)].sort());
      assert.deepEqual(entry.get('owner'), [personDn(carol.identifiers[0].value)]);
    });

    it('uses only DNs known for this target (a DN stored for another target is not a member)', async () => {
      const target = ldapTarget(slapd);
      const other = ldapTarget(slapd);
      const [local, elsewhere] = [person(unique('local')), person(unique('elsewhere'))];
      await target.provision(A.PERSON_ADDED, local);
      await other.provision(A.PERSON_ADDED, elsewhere);
      const cn = unique('scoped');
      await target.provision(A.GROUP_ADDED, group(cn, memberOf([local, elsewhere])));
      assert.deepEqual((await slapd.entry(groupDn(cn)))?.get('member'), [personDn(local.identifiers[0].value)]);
    });

    it('writes hasMember on groups and isMemberOf on people with eduMember', async () => {
      const target = ldapTarget(slapd, {
        personObjectClasses: { eduMember: true },
        groupObjectClasses: { groupOfNames: true, eduMember: true },
      });
      const dora = person(unique('dora'));
      const cn = unique('CO:members:all');
      dora.memberships = [
        { groupId: 'x', groupName: cn, groupType: GroupType.MEMBERS_ALL, member: true, owner: false, groupIdentifiers: [] },
      ];
      await target.provision(A.PERSON_ADDED, dora);
      await target.provision(A.GROUP_ADDED, group(cn, memberOf([dora])));
      const groupEntry = await slapd.entry(groupDn(cn));
      assert.deepEqual(groupEntry?.objectClasses(), ['edumember', 'groupofnames']);
      assert.deepEqual(groupEntry?.get('hasMember'), [dora.identifiers[0].value]);
      const personEntry = await slapd.entry(personDn(dora.identifiers[0].value));
      assert.deepEqual(personEntry?.get('isMemberOf'), [cn]);
      assert.ok(personEntry?.objectClasses().includes('edumember'));
    });

    it('renames a group (modrdn) when its name changes, keeping members and external attributes', async () => {
      const target = ldapTarget(slapd);
      const erin = person(unique('erin'));
      await target.provision(A.PERSON_ADDED, erin);
      const oldCn = unique('research:old');
      const newCn = unique('research:new');
      const renamed = group(oldCn, memberOf([erin]));
      await target.provision(A.GROUP_ADDED, renamed);
      await writeBehindFerrysBack(groupDn(oldCn), 'businessCategory', ['external']);
      renamed.name = newCn;
      const result = await target.provision(A.GROUP_UPDATED, renamed);
      assert.equal(result.remoteId, groupDn(newCn));
      assert.equal(await slapd.entry(groupDn(oldCn)), null);
      const entry = await slapd.entry(groupDn(newCn));
      assert.deepEqual(entry?.get('cn'), [newCn]);
      assert.deepEqual(entry?.get('member'), [personDn(erin.identifiers[0].value)]);
      assert.deepEqual(entry?.get('businessCategory'), ['external']);
    });

    it('member DNs follow a renamed person when the engine re-sends the group', async () => {
      const target = ldapTarget(slapd);
      const frank = person(unique('frank'));
      await target.provision(A.PERSON_ADDED, frank);
      const cn = unique('follows');
      const team = group(cn, memberOf([frank]));
      await target.provision(A.GROUP_ADDED, team);
      const newUid = unique('frank-renamed');
      frank.identifiers = [{ type: 'uid', value: newUid, login: true }];
      await target.provision(A.PERSON_UPDATED, frank);
      await target.provision(A.GROUP_UPDATED, group(cn, memberOf([frank]), { id: team.id }));
      assert.deepEqual((await slapd.entry(groupDn(cn)))?.get('member'), [personDn(newUid)]);
    });

    it('writes a group of more members than a chunk holds (values encoded ahead) exactly: add, update, reprovision', async () => {
      const target = ldapTarget(slapd, { groupObjectClasses: { groupOfNames: true, eduMember: true } });
      const crowd = (count: number) => Array.from({ length: count }, () => person(unique('crowd')));
      // The member DNs are the ones stored for this target; the people's own entries do not matter here.
      const store = (people: PersonPayload[]) => {
        for (const someone of people) target.state.set(SubjectType.PERSON, someone.id, personDn(someone.identifiers[0].value));
      };
      const people = crowd(ITEMS_PER_CHUNK * 2 + 500);
      store(people);
      const cn = unique('CO:members:all');
      const all = group(cn, memberOf(people));
      const expectMembers = async (members: PersonPayload[]) => {
        const entry = await slapd.entry(groupDn(cn));
        assert.deepEqual(entry?.get('member'), members.map((someone) => personDn(someone.identifiers[0].value)));
        assert.deepEqual(entry?.get('hasMember'), members.map((someone) => someone.identifiers[0].value));
      };

      assert.equal((await target.provision(A.GROUP_ADDED, all)).detail, `added ${groupDn(cn)}`);
      await expectMembers(people);
      const newcomers = crowd(200);
      store(newcomers);
      const changed = [...people.slice(300), ...newcomers];
      assert.equal((await target.provision(A.GROUP_UPDATED, group(cn, memberOf(changed), { id: all.id }))).detail, `modified ${groupDn(cn)}`);
      await expectMembers(changed);
      const reprovisioned = await target.provision(A.GROUP_REPROVISION_REQUESTED, group(cn, memberOf(changed), { id: all.id }));
      assert.equal(reprovisioned.detail, `deleted ${groupDn(cn)}, added ${groupDn(cn)}`);
      await expectMembers(changed);
    });

    it('"delete" policy: an empty group has no entry; it appears with its first member and goes with its last', async () => {
      const target = ldapTarget(slapd);
      const cn = unique('empty');
      const lonely = group(cn);
      const created = await target.provision(A.GROUP_ADDED, lonely);
      assert.deepEqual(created, { remoteId: null, detail: 'not created: no members' });
      assert.equal(await slapd.entry(groupDn(cn)), null);

      const gina = person(unique('gina'));
      await target.provision(A.PERSON_ADDED, gina);
      lonely.members = memberOf([gina]);
      const joined = await target.provision(A.GROUP_UPDATED, lonely);
      assert.equal(joined.remoteId, groupDn(cn));
      assert.deepEqual((await slapd.entry(groupDn(cn)))?.get('member'), [personDn(gina.identifiers[0].value)]);

      lonely.members = [];
      const emptied = await target.provision(A.GROUP_UPDATED, lonely);
      assert.equal(emptied.remoteId, null);
      assert.equal(emptied.detail, `removed: no members (deleted ${groupDn(cn)})`);
      assert.equal(await slapd.entry(groupDn(cn)), null);
    });

    it('"placeholder" policy: an empty group keeps its entry with the placeholder member', async () => {
      const placeholder = `cn=nobody,${slapd.suffix}`;
      const target = ldapTarget(slapd, { emptyGroupPolicy: 'placeholder', placeholderMemberDn: placeholder });
      const cn = unique('placeholder');
      const quiet = group(cn);
      await target.provision(A.GROUP_ADDED, quiet);
      assert.deepEqual((await slapd.entry(groupDn(cn)))?.get('member'), [placeholder]);
      const hank = person(unique('hank'));
      await target.provision(A.PERSON_ADDED, hank);
      quiet.members = memberOf([hank]);
      await target.provision(A.GROUP_UPDATED, quiet);
      assert.deepEqual((await slapd.entry(groupDn(cn)))?.get('member'), [personDn(hank.identifiers[0].value)]);
      quiet.members = [];
      await target.provision(A.GROUP_UPDATED, quiet);
      assert.deepEqual((await slapd.entry(groupDn(cn)))?.get('member'), [placeholder]);
    });

    it('deletes a group, reprovisions one by delete and add, and ignores groups without groupBaseDn', async () => {
      const target = ldapTarget(slapd);
      const ivy = person(unique('ivy'));
      await target.provision(A.PERSON_ADDED, ivy);
      const cn = unique('doomed');
      const doomed = group(cn, memberOf([ivy]));
      await target.provision(A.GROUP_ADDED, doomed);
      await writeBehindFerrysBack(groupDn(cn), 'businessCategory', ['external']);
      const reprovisioned = await target.provision(A.GROUP_REPROVISION_REQUESTED, doomed);
      assert.equal(reprovisioned.detail, `deleted ${groupDn(cn)}, added ${groupDn(cn)}`);
      assert.equal((await slapd.entry(groupDn(cn)))?.has('businessCategory'), false);

      assert.deepEqual(await target.provision(A.GROUP_DELETED, doomed), { remoteId: null, detail: `deleted ${groupDn(cn)}` });
      assert.equal(await slapd.entry(groupDn(cn)), null);
      assert.match((await target.provision(A.GROUP_DELETED, doomed)).detail, /^nothing to delete/);

      const noGroups = ldapTarget(slapd, { groupBaseDn: null });
      const ignored = await noGroups.provision(A.GROUP_ADDED, group(unique('ignored'), memberOf([ivy])));
      assert.equal(ignored.remoteId, null);
      assert.match(ignored.detail, /^ignored/);
    });

    it('writes posixGroup entries with gidNumber and memberUid, and refuses a group without gidNumber', async () => {
      const target = ldapTarget(slapd, { groupObjectClasses: { groupOfNames: false, posixGroup: true } });
      const jane = person(unique('jane'));
      const cn = unique('posix');
      await target.provision(A.GROUP_ADDED, group(cn, memberOf([jane]), { identifiers: [{ type: 'gidnumber', value: '5001', login: false }] }));
      const entry = await slapd.entry(groupDn(cn));
      assert.deepEqual(entry?.objectClasses(), ['posixgroup']);
      assert.deepEqual(entry?.get('gidNumber'), ['5001']);
      assert.deepEqual(entry?.get('memberUid'), [jane.identifiers[0].value]);

      await assert.rejects(target.provision(A.GROUP_ADDED, group(unique('no-gid'))), (error: Error) => {
        assert.ok(error instanceof PermanentProvisioningError);
        assert.match(error.message, /no active identifier of type "gidnumber"/);
        return true;
      });
    });

    it('ignores service actions', async () => {
      const target = ldapTarget(slapd);
      const result = await ldapPlugin.provision(target.ctx, {
        action: A.SERVICE_ADDED,
        remoteId: null,
        subject: {
          subjectType: 'SERVICE',
          id: 's',
          organizationId: target.ctx.organizationId,
          name: 'Wiki',
          description: null,
          shortLabel: 'wiki',
          entitlementUri: null,
          serviceUrl: null,
          groupId: null,
          status: RecordStatus.ACTIVE,
        },
      });
      assert.deepEqual(result, { remoteId: null, detail: 'ignored: LDAP targets do not provision services' });
    });
  });

  describe('names with LDAP special characters', () => {
    /** Values with every character RFC 4514 escapes, in the positions where it matters. */
    const specials = (token: string) => [
      ` leading space ${token}`,
      `comma, plus+ equals= "quotes" back\\slash #hash <angle>; ${token}`,
      `#starts with hash ${token}`,
      `${token} trailing backslash\\`,
    ];

    it('escapes person RDN values and finds them again with an equality filter', async () => {
      const target = ldapTarget(slapd);
      for (const uid of specials(unique('p'))) {
        const someone = person(uid);
        const result = await target.provision(A.PERSON_ADDED, someone);
        const entry = await slapd.entry(result.remoteId!);
        assert.ok(entry, `entry for ${JSON.stringify(uid)}`);
        assert.deepEqual(entry.get('uid'), [uid]);
        const [found] = await slapd.search(slapd.peopleDn, { filter: new EqualityFilter({ attribute: 'uid', value: uid }) });
        assert.equal(found?.dn, entry.dn, `filter search for ${JSON.stringify(uid)}`);
        await target.provision(A.PERSON_UPDATED, someone);
        assert.deepEqual((await target.provision(A.PERSON_DELETED, someone)).remoteId, null);
        assert.equal(await slapd.entry(entry.dn), null);
      }
    });

    it('escapes group names, renames them and lists members whose DNs are escaped', async () => {
      const target = ldapTarget(slapd);
      const member = person(` ${unique('odd,member+')}`);
      await target.provision(A.PERSON_ADDED, member);
      const memberEntryDn = (await slapd.entry((await target.remoteId(member))!))!.dn;
      for (const special of specials(unique('g'))) {
        // Keep the leading space or hash at the start of the name; the others get a folder.
        const cn = /^[ #]/.test(special) ? `${special}:staff` : `research:${special}`;
        const team = group(cn, memberOf([member]));
        const created = await target.provision(A.GROUP_ADDED, team);
        const entry = await slapd.entry(created.remoteId!);
        assert.ok(entry, `entry for ${JSON.stringify(cn)}`);
        assert.deepEqual(entry.get('cn'), [cn]);
        assert.deepEqual(entry.get('member'), [memberEntryDn]);

        team.name = ` ${cn}, renamed`;
        const renamed = await target.provision(A.GROUP_UPDATED, team);
        assert.equal(await slapd.entry(entry.dn), null, 'the old entry is gone');
        assert.deepEqual((await slapd.entry(renamed.remoteId!))?.get('cn'), [team.name]);
      }
    });
  });

  describe('errors', () => {
    it('reports a stopped server as transient, and works again after a restart', async () => {
      const own = await startSlapd();
      try {
        const target = ldapTarget(own);
        const kate = person(unique('kate'));
        await target.provision(A.PERSON_ADDED, kate);
        await own.stop();
        await assert.rejects(target.provision(A.PERSON_UPDATED, kate), (error: Error) => {
          assert.ok(error instanceof TransientProvisioningError, `expected a transient error, got ${error.name}: ${error.message}`);
          assert.ok(error.message.includes(own.url), error.message);
          return true;
        });
        await own.restart();
        kate.roles = [role({ title: 'Back' })];
        const result = await target.provision(A.PERSON_UPDATED, kate);
        assert.equal(result.detail, `modified uid=${kate.identifiers[0].value},${own.peopleDn}`);
        assert.deepEqual((await own.entry(result.remoteId!))?.get('title'), ['Back']);
      } finally {
        await own.dispose();
      }
    });

    it('reports connection refused as transient', async () => {
      const port = await freePort();
      const target = ldapTarget({ ...slapd, url: `ldap://127.0.0.1:${port}` });
      await assert.rejects(target.provision(A.PERSON_ADDED, person(unique('nowhere'))), (error: Error) => {
        assert.ok(error instanceof TransientProvisioningError, `${error.name}: ${error.message}`);
        assert.match(error.message, /ECONNREFUSED/);
        return true;
      });
    });

    it('reports rejected credentials as permanent', async () => {
      const target = ldapTarget({ ...slapd, bindPassword: 'wrong' });
      await assert.rejects(target.provision(A.PERSON_ADDED, person(unique('denied'))), (error: Error) => {
        assert.ok(error instanceof PermanentProvisioningError, `${error.name}: ${error.message}`);
        assert.match(error.message, /bind as cn=admin,dc=ferry,dc=test failed: invalidCredentials \(49\)/);
        return true;
      });
    });
  });
});

describe('LDAP configuration', () => {
  const minimal = { url: 'ldaps://ldap.example.org', bindDn: 'cn=ferry,dc=example,dc=org', bindPassword: 's3cret', peopleBaseDn: 'ou=people,dc=example,dc=org' };
  const problems = (config: Record<string, unknown>) => {
    const parsed = ldapPlugin.configSchema.safeParse(config);
    assert.equal(parsed.success, false, 'the configuration is rejected');
    return parsed.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n');
  };

  it('applies the defaults and lists the bind password as a secret', () => {
    const config = ldapPlugin.configSchema.parse(minimal);
    assert.equal(config.groupBaseDn, null);
    assert.equal(config.dnAttribute, 'uid');
    assert.equal(config.dnIdentifierType, 'uid');
    assert.deepEqual(config.personObjectClasses, { eduPerson: false, eduMember: false, voPerson: false, posixAccount: false, ldapPublicKey: false });
    assert.deepEqual(config.groupObjectClasses, { groupOfNames: true, eduMember: false, posixGroup: false });
    assert.equal(config.unconfiguredAttributeMode, 'remove');
    assert.equal(config.emptyGroupPolicy, 'delete');
    assert.equal(config.timeoutMs, 10_000);
    assert.deepEqual(config.exportedAttributes, DEFAULT_EXPORTED_ATTRIBUTES);
    assert.deepEqual([...ldapPlugin.secretFields], ['bindPassword']);
    assert.equal(ldapPlugin.name, 'ldap');
  });

  it('normalises attribute names to their canonical spelling', () => {
    const config = ldapPlugin.configSchema.parse({ ...minimal, exportedAttributes: ['MAIL', 'edupersonprincipalname', 'mail'] });
    assert.deepEqual(config.exportedAttributes, ['mail', 'eduPersonPrincipalName']);
  });

  it('rejects a URL that is not ldap:// or ldaps://', () => {
    assert.match(problems({ ...minimal, url: 'http://ldap.example.org' }), /url: url must be an ldap:\/\/ or ldaps:\/\/ URL/);
    assert.match(problems({ ...minimal, url: 'ldap://' }), /url:/);
    assert.match(problems({ ...minimal, url: 'ldap://host/dc=example' }), /url:/);
  });

  it('rejects groupOfNames together with posixGroup', () => {
    assert.match(
      problems({ ...minimal, groupBaseDn: 'ou=groups,dc=example,dc=org', groupObjectClasses: { posixGroup: true } }),
      /groupObjectClasses: groupOfNames and posixGroup cannot both be enabled/,
    );
    assert.match(
      problems({ ...minimal, groupBaseDn: 'ou=groups,dc=example,dc=org', groupObjectClasses: { groupOfNames: false } }),
      /needs? a STRUCTURAL object class/,
    );
  });

  it('requires a scope for scoped eduPerson attributes', () => {
    assert.match(
      problems({ ...minimal, personObjectClasses: { eduPerson: true }, exportedAttributes: ['eduPersonScopedAffiliation', 'eduPersonUniqueId'] }),
      /scope: scope is required when eduPersonScopedAffiliation and eduPersonUniqueId are exported/,
    );
    assert.ok(
      ldapPlugin.configSchema.safeParse({ ...minimal, personObjectClasses: { eduPerson: true }, exportedAttributes: ['eduPersonUniqueId'], scope: 'example.org' }).success,
    );
  });

  it('rejects other mistakes with a message naming the field', () => {
    assert.match(problems({ ...minimal, emptyGroupPolicy: 'placeholder' }), /placeholderMemberDn: placeholderMemberDn is required/);
    assert.match(problems({ ...minimal, exportedAttributes: ['shoeSize'] }), /exportedAttributes: "shoeSize" is not an attribute Ferry can provision/);
    assert.match(problems({ ...minimal, peopleBaseDn: 'people' }), /peopleBaseDn: peopleBaseDn must be a DN/);
    assert.match(problems({ ...minimal, dnAttribute: 'u id' }), /dnAttribute/);
    assert.match(problems({ ...minimal, bindPasword: 'typo' }), /Unrecognized key/);
    assert.match(problems({ ...minimal, bindPassword: '' }), /bindPassword must not be empty/);
  });
});
