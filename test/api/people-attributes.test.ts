import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AddEmailAddressDocument,
  AddIdentifierDocument,
  AddNameDocument,
  AddUrlDocument,
  DeleteEmailAddressDocument,
  DeleteIdentifierDocument,
  DeleteNameDocument,
  DeleteUrlDocument,
  UpdateEmailAddressDocument,
  UpdateIdentifierDocument,
  UpdateNameDocument,
  UpdateUrlDocument,
} from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, organizationWithTokens } from '../support/fixtures';
import { assertNothingWrittenSince, changeLogHead, createPerson, groupsByName, personDetails } from './people-fixtures';

const MISSING_ID = '00000000-0000-7000-8000-000000000000';

describe('names, email addresses, URLs and identifiers', () => {
  let t: TestFerry;
  before(async () => {
    t = await startTestFerry();
  });
  after(() => t?.stop());

  const primaryOf = async (personId: string) => {
    const person = await personDetails(t.admin, personId);
    assert.equal(person.names.filter((n) => n.primary).length, person.names.length > 0 ? 1 : 0, 'exactly one primary name');
    return person.primaryName?.given ?? null;
  };

  describe('names', () => {
    it('keeps exactly one primary name through add, update and delete', async () => {
      const organization = await createOrganization(t.admin);
      const person = await createPerson(t.admin, organization.id);

      const first = (await t.admin.ok(AddNameDocument, { input: { personId: person.id, given: 'Marie', family: 'Skłodowska' } })).addName;
      assert.equal(first.name.primary, true, "a person's first name becomes primary");
      assert.deepEqual(first.changes.map((c) => [c.kind, c.entityType, c.personId]), [['CREATED', 'Name', person.id]]);

      const second = (await t.admin.ok(AddNameDocument, { input: { personId: person.id, given: 'Maria', language: 'pl' } })).addName;
      assert.equal(second.name.primary, false);
      assert.equal(second.name.language, 'pl');
      assert.equal(await primaryOf(person.id), 'Marie');

      // A new name can take the flag: the old primary is cleared in the same transaction.
      const third = (await t.admin.ok(AddNameDocument, { input: { personId: person.id, given: 'Marie', family: 'Curie', primary: true } }))
        .addName;
      assert.equal(third.name.primary, true);
      assert.deepEqual(third.changes.map((c) => [c.kind, c.entityId]), [
        ['UPDATED', first.name.id],
        ['CREATED', third.name.id],
      ]);
      assert.equal(await primaryOf(person.id), 'Marie');
      assert.equal((await personDetails(t.admin, person.id)).primaryName?.id, third.name.id);

      // updateName moves the flag too.
      const moved = (await t.admin.ok(UpdateNameDocument, { id: second.name.id, input: { primary: true, family: 'Skłodowska' } })).updateName;
      assert.equal(moved.name.primary, true);
      assert.equal(moved.name.family, 'Skłodowska');
      assert.deepEqual(moved.changes.map((c) => [c.entityId, c.data?.primary]), [
        [third.name.id, [true, false]],
        [second.name.id, [false, true]],
      ]);
      assert.equal((await personDetails(t.admin, person.id)).primaryName?.id, second.name.id);

      // Deleting the primary name promotes the oldest remaining name.
      const deleted = (await t.admin.ok(DeleteNameDocument, { id: second.name.id })).deleteName;
      assert.deepEqual(deleted.changes.map((c) => [c.kind, c.entityId]), [
        ['DELETED', second.name.id],
        ['UPDATED', first.name.id],
      ]);
      assert.equal((await personDetails(t.admin, person.id)).primaryName?.id, first.name.id);

      // Deleting a name that is not primary leaves the flag where it is.
      await t.admin.ok(DeleteNameDocument, { id: third.name.id });
      assert.equal((await personDetails(t.admin, person.id)).primaryName?.id, first.name.id);
      await t.admin.ok(DeleteNameDocument, { id: first.name.id });
      assert.equal(await primaryOf(person.id), null);
      const again = (await t.admin.ok(AddNameDocument, { input: { personId: person.id, given: 'Again', primary: false } })).addName;
      assert.equal(again.name.primary, true, 'a name added to a person without names is primary whatever the input says');
    });

    it('rejects bad names and unsetting the primary flag, writing nothing', async () => {
      const organization = await createOrganization(t.admin);
      const person = await createPerson(t.admin, organization.id, { names: [{ given: 'Only' }] });
      const [name] = person.names;
      const head = await changeLogHead(t);
      const error = await t.admin.fails('BAD_USER_INPUT', UpdateNameDocument, { id: name.id, input: { primary: false } });
      assert.match(error.message, /make another name primary/);
      await t.admin.fails('BAD_USER_INPUT', UpdateNameDocument, { id: name.id, input: { given: null } });
      await t.admin.fails('BAD_USER_INPUT', UpdateNameDocument, { id: name.id, input: { family: 'x'.repeat(129) } });
      await t.admin.fails('BAD_USER_INPUT', AddNameDocument, { input: { personId: person.id, given: 'Tab\there' } });
      await t.admin.fails('BAD_USER_INPUT', AddNameDocument, { input: { personId: person.id, given: 'A', type: 'NICK' as never } });
      await t.admin.fails('BAD_USER_INPUT', AddNameDocument, { input: { personId: 'x', given: 'A' } });
      await t.admin.fails('NOT_FOUND', AddNameDocument, { input: { personId: MISSING_ID, given: 'A' } });
      await t.admin.fails('NOT_FOUND', UpdateNameDocument, { id: MISSING_ID, input: { given: 'A' } });
      await t.admin.fails('NOT_FOUND', DeleteNameDocument, { id: MISSING_ID });
      await assertNothingWrittenSince(t, head);
      // Clearing a nullable field is allowed.
      const cleared = await t.admin.ok(UpdateNameDocument, { id: name.id, input: { family: 'Family' } });
      assert.equal(cleared.updateName.name.family, 'Family');
      assert.equal((await t.admin.ok(UpdateNameDocument, { id: name.id, input: { family: null } })).updateName.name.family, null);
    });
  });

  describe('email addresses', () => {
    it('adds, updates (a new address is unverified) and deletes', async () => {
      const organization = await createOrganization(t.admin);
      const person = await createPerson(t.admin, organization.id);
      const added = (await t.admin.ok(AddEmailAddressDocument, { input: { personId: person.id, mail: 'a@example.org', verified: true } }))
        .addEmailAddress;
      assert.deepEqual([added.emailAddress.mail, added.emailAddress.type, added.emailAddress.verified], ['a@example.org', 'OFFICIAL', true]);
      assert.deepEqual(added.changes.map((c) => [c.kind, c.entityType, c.personId]), [['CREATED', 'EmailAddress', person.id]]);

      const retyped = await t.admin.ok(UpdateEmailAddressDocument, { id: added.emailAddress.id, input: { type: 'PREFERRED' } });
      assert.equal(retyped.updateEmailAddress.emailAddress.verified, true, 'changing only the type keeps the verification');
      const moved = await t.admin.ok(UpdateEmailAddressDocument, { id: added.emailAddress.id, input: { mail: 'b@example.org' } });
      assert.equal(moved.updateEmailAddress.emailAddress.verified, false, 'a new address is not verified');
      assert.deepEqual([...moved.updateEmailAddress.changes[0].changedFields].sort(), ['mail', 'verified']);
      const reverified = await t.admin.ok(UpdateEmailAddressDocument, {
        id: added.emailAddress.id,
        input: { mail: 'c@example.org', verified: true },
      });
      assert.equal(reverified.updateEmailAddress.emailAddress.verified, true);

      const deleted = await t.admin.ok(DeleteEmailAddressDocument, { id: added.emailAddress.id });
      assert.equal(deleted.deleteEmailAddress.changes[0].kind, 'DELETED');
      assert.deepEqual((await personDetails(t.admin, person.id)).emailAddresses, []);
      await t.admin.fails('NOT_FOUND', DeleteEmailAddressDocument, { id: added.emailAddress.id });
    });

    it('rejects invalid addresses', async () => {
      const organization = await createOrganization(t.admin);
      const person = await createPerson(t.admin, organization.id, { emailAddresses: [{ mail: 'ok@example.org' }] });
      const head = await changeLogHead(t);
      for (const mail of ['', 'plain', 'two@@example.org', 'space @example.org', `${'x'.repeat(320)}@example.org`]) {
        await t.admin.fails('BAD_USER_INPUT', AddEmailAddressDocument, { input: { personId: person.id, mail } });
      }
      await t.admin.fails('BAD_USER_INPUT', UpdateEmailAddressDocument, { id: person.emailAddresses[0].id, input: { mail: null } });
      await t.admin.fails('BAD_USER_INPUT', UpdateEmailAddressDocument, { id: person.emailAddresses[0].id, input: { verified: null } });
      await t.admin.fails('NOT_FOUND', AddEmailAddressDocument, { input: { personId: MISSING_ID, mail: 'a@example.org' } });
      await assertNothingWrittenSince(t, head);
    });
  });

  describe('URLs', () => {
    it('adds, updates and deletes http(s) URLs and refuses anything else', async () => {
      const organization = await createOrganization(t.admin);
      const person = await createPerson(t.admin, organization.id);
      const added = (await t.admin.ok(AddUrlDocument, { input: { personId: person.id, url: 'https://example.org/~ada', description: 'Home page' } }))
        .addUrl;
      assert.deepEqual([added.url.url, added.url.type, added.url.description], ['https://example.org/~ada', 'OFFICIAL', 'Home page']);
      assert.equal(added.changes[0].personId, person.id);
      const updated = await t.admin.ok(UpdateUrlDocument, {
        id: added.url.id,
        input: { url: 'http://intranet/people/ada', type: 'PERSONAL', description: null },
      });
      assert.deepEqual(
        [updated.updateUrl.url.url, updated.updateUrl.url.type, updated.updateUrl.url.description],
        ['http://intranet/people/ada', 'PERSONAL', null],
      );
      assert.equal((await personDetails(t.admin, person.id)).urls.length, 1);

      const head = await changeLogHead(t);
      for (const url of ['example.org', 'ftp://example.org/file', 'javascript:alert(1)', 'https://', `https://example.org/${'x'.repeat(2048)}`]) {
        await t.admin.fails('BAD_USER_INPUT', AddUrlDocument, { input: { personId: person.id, url } });
      }
      await t.admin.fails('BAD_USER_INPUT', UpdateUrlDocument, { id: added.url.id, input: { url: null } });
      await assertNothingWrittenSince(t, head);

      await t.admin.ok(DeleteUrlDocument, { id: added.url.id });
      assert.deepEqual((await personDetails(t.admin, person.id)).urls, []);
    });
  });

  describe('identifiers', () => {
    it('adds identifiers to a person or a group, exactly one of them', async () => {
      const organization = await createOrganization(t.admin);
      const person = await createPerson(t.admin, organization.id);
      const added = (await t.admin.ok(AddIdentifierDocument, { input: { personId: person.id, type: 'orcid', value: '0000-0002-1825-0097' } }))
        .addIdentifier;
      assert.deepEqual(
        [added.identifier.personId, added.identifier.groupId, added.identifier.status, added.identifier.login],
        [person.id, null, 'ACTIVE', false],
      );
      assert.equal(added.changes[0].personId, person.id);

      const groupId = (await groupsByName(t.admin, organization.id)).get('CO:members:all')!;
      const forGroup = (await t.admin.ok(AddIdentifierDocument, { input: { groupId, type: 'gidNumber', value: '5001' } })).addIdentifier;
      assert.deepEqual([forGroup.identifier.groupId, forGroup.identifier.personId], [groupId, null]);
      assert.deepEqual([forGroup.changes[0].groupId, forGroup.changes[0].personId], [groupId, null]);

      const head = await changeLogHead(t);
      const both = await t.admin.fails('BAD_USER_INPUT', AddIdentifierDocument, {
        input: { personId: person.id, groupId, type: 'uid', value: 'both' },
      });
      assert.match(both.message, /exactly one of personId and groupId/);
      await t.admin.fails('BAD_USER_INPUT', AddIdentifierDocument, { input: { type: 'uid', value: 'neither' } });
      for (const type of ['', '9lives', 'with space', 'colon:type', 'x'.repeat(65)]) {
        await t.admin.fails('BAD_USER_INPUT', AddIdentifierDocument, { input: { personId: person.id, type, value: 'v' } });
      }
      await t.admin.fails('BAD_USER_INPUT', AddIdentifierDocument, { input: { personId: person.id, type: 'uid', value: '' } });
      await t.admin.fails('NOT_FOUND', AddIdentifierDocument, { input: { groupId: MISSING_ID, type: 'uid', value: 'v' } });
      await assertNothingWrittenSince(t, head);

      // Types are an open vocabulary.
      for (const type of ['eduPersonPrincipalName', 'x.y_z-1', 'A'.repeat(64)]) {
        await t.admin.ok(AddIdentifierDocument, { input: { personId: person.id, type, value: 'v1' } });
      }
      const identifiers = (await personDetails(t.admin, person.id)).identifiers;
      assert.equal(identifiers.length, 4);
    });

    it('keeps type and value unique among active identifiers: CONFLICT, and nothing written', async () => {
      const organization = await createOrganization(t.admin);
      const alice = await createPerson(t.admin, organization.id, { identifiers: [{ type: 'uid', value: 'alice' }] });
      const bob = await createPerson(t.admin, organization.id);
      const groupId = (await groupsByName(t.admin, organization.id)).get('CO:members:all')!;

      const head = await changeLogHead(t);
      const clash = await t.admin.fails('CONFLICT', AddIdentifierDocument, { input: { personId: bob.id, type: 'uid', value: 'alice' } });
      assert.match(clash.message, /identifier uid "alice" is already in use/);
      await t.admin.fails('CONFLICT', AddIdentifierDocument, { input: { groupId, type: 'uid', value: 'alice' } });
      await assertNothingWrittenSince(t, head);

      // Other types, other values, and suspended duplicates are fine.
      await t.admin.ok(AddIdentifierDocument, { input: { personId: bob.id, type: 'eppn', value: 'alice' } });
      const suspended = (await t.admin.ok(AddIdentifierDocument, {
        input: { personId: bob.id, type: 'uid', value: 'alice', status: 'SUSPENDED' },
      })).addIdentifier.identifier;
      const bobUid = (await t.admin.ok(AddIdentifierDocument, { input: { personId: bob.id, type: 'uid', value: 'bob' } })).addIdentifier.identifier;

      const head2 = await changeLogHead(t);
      const reactivate = await t.admin.fails('CONFLICT', UpdateIdentifierDocument, { id: suspended.id, input: { status: 'ACTIVE' } });
      assert.match(reactivate.message, /already in use/);
      await t.admin.fails('CONFLICT', UpdateIdentifierDocument, { id: bobUid.id, input: { value: 'alice' } });
      await assertNothingWrittenSince(t, head2);

      // Once Alice's identifier is suspended, Bob's can become active; an update that keeps the
      // identifier's own type and value does not conflict with itself.
      await t.admin.ok(UpdateIdentifierDocument, { id: alice.identifiers[0].id, input: { status: 'SUSPENDED' } });
      const reactivated = await t.admin.ok(UpdateIdentifierDocument, { id: suspended.id, input: { status: 'ACTIVE', login: true } });
      assert.deepEqual(
        [reactivated.updateIdentifier.identifier.status, reactivated.updateIdentifier.identifier.login],
        ['ACTIVE', true],
      );
      await t.admin.ok(UpdateIdentifierDocument, { id: suspended.id, input: { value: 'alice', type: 'uid' } });
      await t.admin.fails('BAD_USER_INPUT', UpdateIdentifierDocument, { id: suspended.id, input: { type: 'bad type' } });
      await t.admin.fails('BAD_USER_INPUT', UpdateIdentifierDocument, { id: suspended.id, input: { status: null } });

      const deleted = await t.admin.ok(DeleteIdentifierDocument, { id: suspended.id });
      assert.equal(deleted.deleteIdentifier.changes[0].kind, 'DELETED');
      // The value is free again.
      await t.admin.ok(UpdateIdentifierDocument, { id: alice.identifiers[0].id, input: { status: 'ACTIVE' } });
    });
  });

  describe('authorization', () => {
    it('lets admins write, readers read only, outsiders nothing', async () => {
      const { organization, orgAdmin, reader, outsider, anonymous } = await organizationWithTokens(t);
      const person = await createPerson(orgAdmin, organization.id, {
        names: [{ given: 'Ada' }],
        emailAddresses: [{ mail: 'ada@example.org' }],
        identifiers: [{ type: 'uid', value: 'ada' }],
      });
      const url = (await orgAdmin.ok(AddUrlDocument, { input: { personId: person.id, url: 'https://example.org' } })).addUrl.url;
      const groupId = (await groupsByName(orgAdmin, organization.id)).get('CO:members:all')!;
      const [name] = person.names;
      const [email] = person.emailAddresses;
      const [identifier] = person.identifiers;

      // Organisation admins can do everything; the platform admin too.
      const extraName = (await orgAdmin.ok(AddNameDocument, { input: { personId: person.id, given: 'Augusta' } })).addName.name;
      await orgAdmin.ok(UpdateNameDocument, { id: extraName.id, input: { family: 'Byron' } });
      await t.admin.ok(DeleteNameDocument, { id: extraName.id });
      await orgAdmin.ok(AddIdentifierDocument, { input: { groupId, type: 'gid', value: '1' } });

      const head = await changeLogHead(t);
      const writes = [
        () => [AddNameDocument, { input: { personId: person.id, given: 'X' } }] as const,
        () => [UpdateNameDocument, { id: name.id, input: { given: 'X' } }] as const,
        () => [DeleteNameDocument, { id: name.id }] as const,
        () => [AddEmailAddressDocument, { input: { personId: person.id, mail: 'x@example.org' } }] as const,
        () => [UpdateEmailAddressDocument, { id: email.id, input: { verified: true } }] as const,
        () => [DeleteEmailAddressDocument, { id: email.id }] as const,
        () => [AddUrlDocument, { input: { personId: person.id, url: 'https://x.example' } }] as const,
        () => [UpdateUrlDocument, { id: url.id, input: { description: 'x' } }] as const,
        () => [DeleteUrlDocument, { id: url.id }] as const,
        () => [AddIdentifierDocument, { input: { personId: person.id, type: 'uid', value: 'x' } }] as const,
        () => [AddIdentifierDocument, { input: { groupId, type: 'uid', value: 'x' } }] as const,
        () => [UpdateIdentifierDocument, { id: identifier.id, input: { login: true } }] as const,
        () => [DeleteIdentifierDocument, { id: identifier.id }] as const,
      ];
      for (const write of writes) {
        const [document, variables] = write();
        await reader.fails('FORBIDDEN', document as never, variables as never);
        await outsider.fails('NOT_FOUND', document as never, variables as never);
        const response = await anonymous.request(document as never, variables as never);
        assert.equal(response.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
      }
      await assertNothingWrittenSince(t, head);
    });
  });
});
