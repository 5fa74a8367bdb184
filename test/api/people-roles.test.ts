import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AddAddressDocument,
  AddAdHocAttributeDocument,
  AddPersonRoleDocument,
  AddTelephoneNumberDocument,
  CreateCouDocument,
  DeleteAddressDocument,
  DeleteAdHocAttributeDocument,
  DeleteCouDocument,
  DeletePersonRoleDocument,
  DeleteTelephoneNumberDocument,
  UpdateAddressDocument,
  UpdateAdHocAttributeDocument,
  UpdatePersonRoleDocument,
  UpdateTelephoneNumberDocument,
} from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, organizationWithTokens } from '../support/fixtures';
import { assertNothingWrittenSince, changeLogHead, createPerson, membershipNames, personDetails } from './people-fixtures';

const MISSING_ID = '00000000-0000-7000-8000-000000000000';

describe('person roles and their addresses, telephone numbers and ad hoc attributes', () => {
  let t: TestFerry;
  before(async () => {
    t = await startTestFerry();
  });
  after(() => t?.stop());

  const createCou = async (organizationId: string, name: string) =>
    (await t.admin.ok(CreateCouDocument, { input: { organizationId, name } })).createCou.cou;

  describe('roles', () => {
    it('adds, updates and deletes roles, and the unit automatic groups follow', async () => {
      const organization = await createOrganization(t.admin);
      const physics = await createCou(organization.id, 'Physics');
      const chemistry = await createCou(organization.id, 'Chemistry');
      const person = await createPerson(t.admin, organization.id, { names: [{ given: 'Marie' }] });

      const added = (await t.admin.ok(AddPersonRoleDocument, {
        input: {
          personId: person.id,
          couId: physics.id,
          affiliation: 'FACULTY',
          title: 'Professor',
          o: 'Sorbonne',
          ou: 'Physics',
          validFrom: '1906-11-05T00:00:00.000Z',
          validThrough: '1934-07-04T00:00:00.000Z',
          order: 1,
        },
      })).addPersonRole;
      const role = added.personRole;
      assert.deepEqual(
        [role.personId, role.couId, role.status, role.affiliation, role.title, role.o, role.ou, role.order],
        [person.id, physics.id, 'ACTIVE', 'FACULTY', 'Professor', 'Sorbonne', 'Physics', 1],
      );
      assert.equal(role.validFrom, '1906-11-05T00:00:00.000Z');
      assert.deepEqual(added.changes.map((c) => [c.kind, c.entityType]), [
        ['CREATED', 'PersonRole'],
        ['CREATED', 'GroupMembership'],
        ['CREATED', 'GroupMembership'],
      ]);
      const all = ['CO:members:active', 'CO:members:all'];
      assert.deepEqual(await membershipNames(t.admin, organization.id, person.id), [
        'CO:COU:Physics:members:active',
        'CO:COU:Physics:members:all',
        ...all,
      ]);

      // A suspended role keeps the person in the unit's members:all only.
      await t.admin.ok(UpdatePersonRoleDocument, { id: role.id, input: { status: 'SUSPENDED' } });
      assert.deepEqual(await membershipNames(t.admin, organization.id, person.id), ['CO:COU:Physics:members:all', ...all]);

      // Moving the role to another unit moves the memberships.
      const moved = await t.admin.ok(UpdatePersonRoleDocument, { id: role.id, input: { couId: chemistry.id, status: 'ACTIVE', title: null } });
      assert.equal(moved.updatePersonRole.personRole.couId, chemistry.id);
      assert.equal(moved.updatePersonRole.personRole.title, null);
      assert.deepEqual(await membershipNames(t.admin, organization.id, person.id), [
        'CO:COU:Chemistry:members:active',
        'CO:COU:Chemistry:members:all',
        ...all,
      ]);

      // Out of any unit.
      await t.admin.ok(UpdatePersonRoleDocument, { id: role.id, input: { couId: null } });
      assert.deepEqual(await membershipNames(t.admin, organization.id, person.id), all);

      await t.admin.ok(UpdatePersonRoleDocument, { id: role.id, input: { couId: physics.id } });
      const deleted = (await t.admin.ok(DeletePersonRoleDocument, { id: role.id })).deletePersonRole;
      assert.deepEqual(
        deleted.changes.map((c) => [c.kind, c.entityType]),
        [['DELETED', 'PersonRole'], ['DELETED', 'GroupMembership'], ['DELETED', 'GroupMembership']],
      );
      assert.deepEqual(await membershipNames(t.admin, organization.id, person.id), all);
      assert.deepEqual((await personDetails(t.admin, person.id)).roles, []);
      // With the role gone the unit can be deleted (roles restrict unit deletion).
      await t.admin.ok(DeleteCouDocument, { id: physics.id });
    });

    it('rejects a unit of another organisation, reversed validity and bad values, writing nothing', async () => {
      const organization = await createOrganization(t.admin);
      const other = await createOrganization(t.admin);
      const foreignUnit = await createCou(other.id, 'Elsewhere');
      const person = await createPerson(t.admin, organization.id);
      const role = (await t.admin.ok(AddPersonRoleDocument, { input: { personId: person.id } })).addPersonRole.personRole;
      assert.equal(role.couId, null);
      assert.equal(role.affiliation, 'MEMBER');

      const head = await changeLogHead(t);
      const foreign = await t.admin.fails('BAD_USER_INPUT', AddPersonRoleDocument, { input: { personId: person.id, couId: foreignUnit.id } });
      assert.match(foreign.message, /another organisation/);
      await t.admin.fails('BAD_USER_INPUT', UpdatePersonRoleDocument, { id: role.id, input: { couId: foreignUnit.id } });
      await t.admin.fails('NOT_FOUND', AddPersonRoleDocument, { input: { personId: person.id, couId: MISSING_ID } });
      const reversed = await t.admin.fails('BAD_USER_INPUT', AddPersonRoleDocument, {
        input: { personId: person.id, validFrom: '2030-01-01T00:00:00Z', validThrough: '2029-01-01T00:00:00Z' },
      });
      assert.match(reversed.message, /validFrom must not be after validThrough/);
      await t.admin.fails('BAD_USER_INPUT', UpdatePersonRoleDocument, {
        id: role.id,
        input: { validFrom: '2030-01-01T00:00:00Z', validThrough: '2029-12-31T00:00:00Z' },
      });
      await t.admin.fails('BAD_USER_INPUT', AddPersonRoleDocument, { input: { personId: person.id, order: -1 } });
      await t.admin.fails('BAD_USER_INPUT', AddPersonRoleDocument, { input: { personId: person.id, title: ' ' } });
      await t.admin.fails('BAD_USER_INPUT', UpdatePersonRoleDocument, { id: role.id, input: { status: null } });
      await t.admin.fails('BAD_USER_INPUT', UpdatePersonRoleDocument, { id: role.id, input: { affiliation: null } });
      await t.admin.fails('NOT_FOUND', AddPersonRoleDocument, { input: { personId: MISSING_ID } });
      await t.admin.fails('NOT_FOUND', UpdatePersonRoleDocument, { id: MISSING_ID, input: { order: 2 } });
      await t.admin.fails('NOT_FOUND', DeletePersonRoleDocument, { id: MISSING_ID });
      await assertNothingWrittenSince(t, head);

      // A validFrom given alone is checked against the stored validThrough.
      await t.admin.ok(UpdatePersonRoleDocument, { id: role.id, input: { validThrough: '2029-01-01T00:00:00Z' } });
      const headWithEnd = await changeLogHead(t);
      await t.admin.fails('BAD_USER_INPUT', UpdatePersonRoleDocument, { id: role.id, input: { validFrom: '2030-01-01T00:00:00Z' } });
      await assertNothingWrittenSince(t, headWithEnd);
    });
  });

  describe('addresses, telephone numbers and ad hoc attributes', () => {
    it('hang off a role, take the person from it, and go with it', async () => {
      const organization = await createOrganization(t.admin);
      const person = await createPerson(t.admin, organization.id);
      const role = (await t.admin.ok(AddPersonRoleDocument, { input: { personId: person.id } })).addPersonRole.personRole;

      const address = (await t.admin.ok(AddAddressDocument, {
        input: { roleId: role.id, street: '1 Rue Pierre et Marie Curie\nBâtiment A', locality: 'Paris', postalCode: '75005', country: 'FR' },
      })).addAddress;
      assert.deepEqual(
        [address.address.personId, address.address.roleId, address.address.type, address.address.locality],
        [person.id, role.id, 'OFFICE', 'Paris'],
      );
      assert.deepEqual(address.changes.map((c) => [c.kind, c.entityType, c.personId]), [['CREATED', 'Address', person.id]]);
      const updatedAddress = await t.admin.ok(UpdateAddressDocument, { id: address.address.id, input: { type: 'POSTAL', room: '101', country: null } });
      assert.deepEqual(
        [updatedAddress.updateAddress.address.type, updatedAddress.updateAddress.address.room, updatedAddress.updateAddress.address.country],
        ['POSTAL', '101', null],
      );

      const phone = (await t.admin.ok(AddTelephoneNumberDocument, {
        input: { roleId: role.id, countryCode: '+33', areaCode: '1', number: '44 27 12 34', extension: '12', type: 'MOBILE' },
      })).addTelephoneNumber.telephoneNumber;
      assert.deepEqual([phone.personId, phone.type, phone.number], [person.id, 'MOBILE', '44 27 12 34']);
      const updatedPhone = await t.admin.ok(UpdateTelephoneNumberDocument, { id: phone.id, input: { number: '+33 1 44 27 00 00', extension: null } });
      assert.deepEqual(
        [updatedPhone.updateTelephoneNumber.telephoneNumber.number, updatedPhone.updateTelephoneNumber.telephoneNumber.extension],
        ['+33 1 44 27 00 00', null],
      );

      const adHoc = (await t.admin.ok(AddAdHocAttributeDocument, { input: { roleId: role.id, tag: 'badge', value: 'B-17' } }))
        .addAdHocAttribute.adHocAttribute;
      assert.deepEqual([adHoc.personId, adHoc.tag, adHoc.value], [person.id, 'badge', 'B-17']);
      const updatedAdHoc = await t.admin.ok(UpdateAdHocAttributeDocument, { id: adHoc.id, input: { value: null } });
      assert.equal(updatedAdHoc.updateAdHocAttribute.adHocAttribute.value, null);

      const [shown] = (await personDetails(t.admin, person.id)).roles;
      assert.deepEqual(shown.addresses.map((a) => a.id), [address.address.id]);
      assert.deepEqual(shown.telephoneNumbers.map((p) => p.id), [phone.id]);
      assert.deepEqual(shown.adHocAttributes.map((a) => a.id), [adHoc.id]);

      // Deleting one by one.
      const extra = (await t.admin.ok(AddAdHocAttributeDocument, { input: { roleId: role.id, tag: 'locker' } })).addAdHocAttribute.adHocAttribute;
      assert.equal((await t.admin.ok(DeleteAdHocAttributeDocument, { id: extra.id })).deleteAdHocAttribute.changes[0].kind, 'DELETED');
      const extraPhone = (await t.admin.ok(AddTelephoneNumberDocument, { input: { roleId: role.id, number: '1234' } })).addTelephoneNumber.telephoneNumber;
      await t.admin.ok(DeleteTelephoneNumberDocument, { id: extraPhone.id });
      const extraAddress = (await t.admin.ok(AddAddressDocument, { input: { roleId: role.id, locality: 'Lyon' } })).addAddress.address;
      await t.admin.ok(DeleteAddressDocument, { id: extraAddress.id });

      // Deleting the role deletes what hangs off it, each deletion logged.
      const deleted = (await t.admin.ok(DeletePersonRoleDocument, { id: role.id })).deletePersonRole;
      assert.deepEqual(
        deleted.changes.filter((c) => c.kind === 'DELETED').map((c) => c.entityId).sort(),
        [address.address.id, phone.id, adHoc.id, role.id].sort(),
      );
      await t.admin.fails('NOT_FOUND', DeleteAddressDocument, { id: address.address.id });
    });

    it('rejects bad values and missing roles, writing nothing', async () => {
      const organization = await createOrganization(t.admin);
      const person = await createPerson(t.admin, organization.id);
      const role = (await t.admin.ok(AddPersonRoleDocument, { input: { personId: person.id } })).addPersonRole.personRole;
      const phone = (await t.admin.ok(AddTelephoneNumberDocument, { input: { roleId: role.id, number: '555 0100' } })).addTelephoneNumber
        .telephoneNumber;
      const head = await changeLogHead(t);
      for (const input of [
        { roleId: role.id, number: '' },
        { roleId: role.id, number: 'call me' },
        { roleId: role.id, number: '555', countryCode: '+12345' },
        { roleId: role.id, number: '555', areaCode: 'ab' },
        { roleId: role.id, number: '555', extension: 'x12' },
      ]) {
        await t.admin.fails('BAD_USER_INPUT', AddTelephoneNumberDocument, { input });
      }
      await t.admin.fails('BAD_USER_INPUT', UpdateTelephoneNumberDocument, { id: phone.id, input: { number: null } });
      await t.admin.fails('BAD_USER_INPUT', AddAddressDocument, { input: { roleId: role.id, postalCode: 'x'.repeat(33) } });
      await t.admin.fails('BAD_USER_INPUT', AddAddressDocument, { input: { roleId: role.id, language: 'english please' } });
      await t.admin.fails('BAD_USER_INPUT', AddAdHocAttributeDocument, { input: { roleId: role.id, tag: '' } });
      await t.admin.fails('BAD_USER_INPUT', AddAdHocAttributeDocument, { input: { roleId: role.id, tag: 't', value: 'v'.repeat(1025) } });
      await t.admin.fails('NOT_FOUND', AddAddressDocument, { input: { roleId: MISSING_ID, locality: 'Nowhere' } });
      await t.admin.fails('NOT_FOUND', AddTelephoneNumberDocument, { input: { roleId: MISSING_ID, number: '1' } });
      await t.admin.fails('NOT_FOUND', AddAdHocAttributeDocument, { input: { roleId: MISSING_ID, tag: 't' } });
      await t.admin.fails('NOT_FOUND', UpdateAdHocAttributeDocument, { id: MISSING_ID, input: { tag: 't' } });
      await assertNothingWrittenSince(t, head);
    });
  });

  describe('authorization', () => {
    it('lets admins write, readers read only, outsiders nothing', async () => {
      const { organization, other, orgAdmin, reader, outsider, anonymous } = await organizationWithTokens(t);
      const unit = (await orgAdmin.ok(CreateCouDocument, { input: { organizationId: organization.id, name: 'Unit' } })).createCou.cou;
      const foreignUnit = await createCou(other.id, 'Foreign');
      const person = await createPerson(orgAdmin, organization.id);
      const role = (await orgAdmin.ok(AddPersonRoleDocument, { input: { personId: person.id, couId: unit.id } })).addPersonRole.personRole;
      const address = (await orgAdmin.ok(AddAddressDocument, { input: { roleId: role.id, locality: 'Here' } })).addAddress.address;
      const phone = (await orgAdmin.ok(AddTelephoneNumberDocument, { input: { roleId: role.id, number: '1' } })).addTelephoneNumber.telephoneNumber;
      const adHoc = (await orgAdmin.ok(AddAdHocAttributeDocument, { input: { roleId: role.id, tag: 't' } })).addAdHocAttribute.adHocAttribute;
      await orgAdmin.ok(UpdatePersonRoleDocument, { id: role.id, input: { title: 'Admin did it' } });
      assert.equal((await personDetails(reader, person.id)).roles[0].addresses[0].locality, 'Here');

      const head = await changeLogHead(t);
      // An organisation admin cannot even see the other organisation's unit.
      await orgAdmin.fails('NOT_FOUND', AddPersonRoleDocument, { input: { personId: person.id, couId: foreignUnit.id } });
      const writes = [
        () => [AddPersonRoleDocument, { input: { personId: person.id } }] as const,
        () => [UpdatePersonRoleDocument, { id: role.id, input: { title: 'x' } }] as const,
        () => [DeletePersonRoleDocument, { id: role.id }] as const,
        () => [AddAddressDocument, { input: { roleId: role.id, locality: 'x' } }] as const,
        () => [UpdateAddressDocument, { id: address.id, input: { locality: 'x' } }] as const,
        () => [DeleteAddressDocument, { id: address.id }] as const,
        () => [AddTelephoneNumberDocument, { input: { roleId: role.id, number: '2' } }] as const,
        () => [UpdateTelephoneNumberDocument, { id: phone.id, input: { number: '3' } }] as const,
        () => [DeleteTelephoneNumberDocument, { id: phone.id }] as const,
        () => [AddAdHocAttributeDocument, { input: { roleId: role.id, tag: 'x' } }] as const,
        () => [UpdateAdHocAttributeDocument, { id: adHoc.id, input: { tag: 'y' } }] as const,
        () => [DeleteAdHocAttributeDocument, { id: adHoc.id }] as const,
      ];
      for (const write of writes) {
        const [document, variables] = write();
        await reader.fails('FORBIDDEN', document as never, variables as never);
        await outsider.fails('NOT_FOUND', document as never, variables as never);
        const response = await anonymous.request(document as never, variables as never);
        assert.equal(response.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
      }
      await assertNothingWrittenSince(t, head);
      await t.admin.ok(DeletePersonRoleDocument, { id: role.id });
    });
  });
});
