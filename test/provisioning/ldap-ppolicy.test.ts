import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Attribute, Change, Client, InvalidCredentialsError } from 'ldapts';
import {
  CreatePersonDocument,
  CreateProvisioningTargetDocument,
  UpdatePersonDocument,
  type PersonStatus,
} from '../../src/client/generated/graphql';
import { buildPersonEntry } from '../../src/plugins/ldap/attributes';
import { DEFAULT_EXPORTED_ATTRIBUTES } from '../../src/plugins/ldap/catalog';
import { ldapConfigSchema } from '../../src/plugins/ldap/config';
import { entryName } from '../../src/plugins/ldap/dn';
import { PersonStatus as Status } from '../../src/registry/enums';
import { person as personPayload } from '../plugins/ldap-fixtures';
import { differenceLines, reconcileAndWait } from '../support/reconciliation';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, uniqueName } from '../support/fixtures';
import { startSlapd, type Slapd } from '../support/slapd';

const LOCKED = '000001010000Z';
const PASSWORD = 'correct horse battery staple';

describe('pwdAccountLockedTime in the entry Ferry builds', () => {
  const config = (overrides: Record<string, unknown>) =>
    ldapConfigSchema.parse({ url: 'ldap://ldap.example.org', bindDn: 'cn=ferry,dc=example,dc=org', bindPassword: 'secret', peopleBaseDn: 'ou=people,dc=example,dc=org', ...overrides });
  const build = (overrides: Record<string, unknown>, status: Status) =>
    buildPersonEntry(config(overrides), personPayload('ada', { status }), entryName('uid', 'ada', 'ou=people,dc=example,dc=org'));

  it('is 000001010000Z for Expired and Suspended only, and managed (emptied otherwise) when exported', () => {
    for (const status of Object.values(Status)) {
      const entry = build({ exportedAttributes: ['pwdAccountLockedTime'], unconfiguredAttributeMode: 'ignore' }, status);
      const expected = status === Status.EXPIRED || status === Status.SUSPENDED ? [LOCKED] : undefined;
      assert.deepEqual(entry.attributes.get('pwdAccountLockedTime'), expected, status);
      assert.ok(entry.managed.includes('pwdAccountLockedTime'), `${status}: an exported attribute is replaced on every modify`);
    }
  });

  it('is neither written nor managed when not exported, even in "remove" mode', () => {
    const entry = build({ unconfiguredAttributeMode: 'remove' }, Status.SUSPENDED);
    assert.equal(entry.attributes.has('pwdAccountLockedTime'), false);
    assert.ok(!entry.managed.includes('pwdAccountLockedTime'), 'server-internal: "remove" mode does not blank it');
    assert.ok(entry.managed.includes('roomNumber'), '"remove" mode still takes the other unexported attributes');
  });

  it('is accepted in exportedAttributes in any case, and spelled canonically', () => {
    assert.deepEqual(config({ exportedAttributes: ['PWDACCOUNTLOCKEDTIME', 'mail'] }).exportedAttributes, ['pwdAccountLockedTime', 'mail']);
  });
});

/**
 * pwdAccountLockedTime (spec 3.4): 000001010000Z while a person is Expired or Suspended (not
 * Locked), removed when they are active again, on targets that export it; never blanked by the
 * "remove" unconfigured-attribute mode. Through the GraphQL API into a real slapd with the ppolicy
 * overlay, whose default policy enforces lockouts: a locked entry cannot bind.
 */
describe('pwdAccountLockedTime on a slapd with the ppolicy overlay', () => {
  let t: TestFerry;
  let slapd: Slapd;
  before(async () => {
    slapd = await startSlapd({ ppolicy: true });
    t = await startTestFerry({ FERRY_JOB_POLL_MS: '100' });
  });
  after(async () => {
    await t?.stop();
    await slapd?.dispose();
  });

  async function setUp(config: Record<string, unknown>) {
    const organization = await createOrganization(t.admin);
    const ou = uniqueName('pp');
    const base = `ou=${ou},${slapd.suffix}`;
    await slapd.client().add(base, { objectClass: ['organizationalUnit'], ou });
    const people = `ou=people,${base}`;
    await slapd.client().add(people, { objectClass: ['organizationalUnit'], ou: 'people' });
    const target = (
      await t.admin.ok(CreateProvisioningTargetDocument, {
        input: {
          organizationId: organization.id,
          name: uniqueName('directory'),
          plugin: 'ldap',
          mode: 'AUTOMATIC',
          config: { url: slapd.url, bindDn: slapd.bindDn, bindPassword: slapd.bindPassword, peopleBaseDn: people, ...config },
        },
      })
    ).createProvisioningTarget.target;
    const person = async (uid: string, status: PersonStatus = 'ACTIVE') => {
      const created = (
        await t.admin.ok(CreatePersonDocument, {
          input: { organizationId: organization.id, status, names: [{ given: 'Test', family: uid }], identifiers: [{ type: 'uid', value: uid }] },
        })
      ).createPerson.person;
      return { ...created, dn: `uid=${uid},${people}` };
    };
    return { target, people, person };
  }

  const setStatus = (id: string, status: PersonStatus) => t.admin.ok(UpdatePersonDocument, { id, input: { status } });

  /** The values slapd holds (an operational attribute: it must be asked for by name). */
  async function lockedTime(dn: string): Promise<string[]> {
    const entry = await slapd.entry(dn, { attributes: ['*', 'pwdAccountLockedTime'] });
    assert.ok(entry, `${dn} exists`);
    return entry.get('pwdAccountLockedTime');
  }

  const modify = (dn: string, operation: 'replace' | 'add', type: string, values: string[]) =>
    slapd.client().modify(dn, [new Change({ operation, modification: new Attribute({ type, values }) })]);

  /** Whether the person can bind with the password set behind Ferry's back (ppolicy refuses a locked account). */
  async function canBind(dn: string): Promise<boolean> {
    const client = new Client({ url: slapd.url, timeout: 5000, connectTimeout: 2000 });
    try {
      await client.bind(dn, PASSWORD);
      return true;
    } catch (error) {
      if (error instanceof InvalidCredentialsError) return false;
      throw error;
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  it('runs against a slapd that knows pwdAccountLockedTime as an operational attribute', async () => {
    const { searchEntries } = await slapd.client().search('cn=Subschema', { scope: 'base', filter: '(objectClass=*)', attributes: ['attributeTypes'] });
    const types = [searchEntries[0]?.attributeTypes ?? []].flat().map(String);
    const definition = types.find((type) => /NAME '?pwdAccountLockedTime'?/.test(type));
    assert.ok(definition, 'the ppolicy overlay brings the pwdAccountLockedTime attribute type');
    assert.match(definition, /SINGLE-VALUE/);
    assert.match(definition, /USAGE directoryOperation/);
  });

  it('locks Expired and Suspended people, not Locked ones, and removes the lock when they are active again', async () => {
    const { target, person } = await setUp({ exportedAttributes: [...DEFAULT_EXPORTED_ATTRIBUTES, 'pwdaccountlockedtime'] });
    assert.ok((target.config as { exportedAttributes: string[] }).exportedAttributes.includes('pwdAccountLockedTime'), 'accepted and spelled canonically');

    const ada = await person('ada');
    assert.deepEqual(await lockedTime(ada.dn), [], 'an active person is not locked');
    await modify(ada.dn, 'replace', 'userPassword', [PASSWORD]);
    assert.equal(await canBind(ada.dn), true);

    await setStatus(ada.id, 'SUSPENDED');
    assert.deepEqual(await lockedTime(ada.dn), [LOCKED], 'suspended');
    assert.equal(await canBind(ada.dn), false, 'ppolicy refuses the bind of a locked account');

    await setStatus(ada.id, 'ACTIVE');
    assert.deepEqual(await lockedTime(ada.dn), [], 'active again: the lock is removed');
    assert.equal(await canBind(ada.dn), true);

    await setStatus(ada.id, 'EXPIRED');
    assert.deepEqual(await lockedTime(ada.dn), [LOCKED], 'expired');
    assert.equal(await canBind(ada.dn), false);

    await setStatus(ada.id, 'LOCKED');
    assert.deepEqual(await lockedTime(ada.dn), [], 'Locked (COmanage LK) does not set it, and an earlier lock goes');
    assert.equal(await canBind(ada.dn), true);

    await setStatus(ada.id, 'GRACE_PERIOD');
    assert.deepEqual(await lockedTime(ada.dn), [], 'grace period');

    // A person created suspended gets an entry that is locked from its add on.
    const bob = await person('bob', 'SUSPENDED');
    assert.deepEqual(await lockedTime(bob.dn), [LOCKED]);
  });

  it('reads the lock back for reconciliation: no false difference, and a lock removed by hand is found and restored', async () => {
    const { target, person } = await setUp({ exportedAttributes: ['mail', 'pwdAccountLockedTime'] });
    const ada = await person('ada');
    await setStatus(ada.id, 'SUSPENDED');
    await person('bob');

    const clean = await reconcile(target.id, true);
    assert.equal(clean.status, 'COMPLETED');
    assert.deepEqual(differences(clean), [], 'the lock slapd holds is what Ferry would write');

    await modify(ada.dn, 'replace', 'pwdAccountLockedTime', []);
    const dry = await reconcile(target.id, true);
    assert.deepEqual(differences(dry), ['DIFFERENT Test ada [pwdaccountlockedtime]']);
    await reconcile(target.id, false);
    assert.deepEqual(await lockedTime(ada.dn), [LOCKED]);
  });

  it('never writes it on a target that does not export it, and its "remove" mode leaves a lock set by others alone', async () => {
    const { target, person } = await setUp({ personObjectClasses: { voPerson: true }, unconfiguredAttributeMode: 'remove' });
    assert.ok(!(target.config as { exportedAttributes: string[] }).exportedAttributes.includes('pwdAccountLockedTime'), 'not exported by default');
    const ada = await person('ada');

    await setStatus(ada.id, 'SUSPENDED');
    assert.deepEqual((await slapd.entry(ada.dn))?.get('voPersonStatus'), ['Suspended'], 'the entry was modified');
    assert.deepEqual(await lockedTime(ada.dn), [], 'not exported: never written');

    // A lock slapd or an administrator set, beside an unexported attribute of an enabled class.
    await modify(ada.dn, 'replace', 'pwdAccountLockedTime', ['20250101000000Z']);
    await modify(ada.dn, 'replace', 'roomNumber', ['B-101']);
    await setStatus(ada.id, 'ACTIVE');
    const entry = await slapd.entry(ada.dn, { attributes: ['*', 'pwdAccountLockedTime'] });
    assert.deepEqual(entry?.get('voPersonStatus'), ['Active'], 'the entry was modified again');
    assert.equal(entry?.has('roomNumber'), false, '"remove" mode removed the unexported roomNumber in that modify');
    assert.deepEqual(entry?.get('pwdAccountLockedTime'), ['20250101000000Z'], 'but not the server-internal pwdAccountLockedTime');
  });

  const reconcile = (targetId: string, dryRun: boolean) => reconcileAndWait(t.admin, targetId, dryRun);
  const differences = differenceLines;
});
