import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AddGroupMemberDocument, CreateFolderDocument, CreateGroupDocument, CreatePersonDocument, UpdatePersonDocument } from '../../src/client/generated/graphql';
import { GroupType, RecordStatus } from '../../src/registry/enums';
import { groupPayloadFromRows, loadGroupRows, type GroupRows } from '../../src/provisioning/loading/group-payload';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization } from '../support/fixtures';

const group = { id: 'g1', organization_id: 'o1', name: 'staff', full_name: 'teams:staff', description: null, status: RecordStatus.ACTIVE, type: GroupType.STANDARD };

describe('group payloads from plain rows', () => {
  it('maps rows to the payload: one member per person, flags merged, identifiers by person, order kept', () => {
    const rows: GroupRows = {
      group,
      identifiers: [{ person_id: null, type: 'gid', value: '1001', login: false }],
      members: [
        { person_id: 'p2', member: true, owner: false },
        { person_id: 'p1', member: false, owner: true },
        { person_id: 'p2', member: false, owner: true }, // a nested row repeats a person
        { person_id: 'p3', member: true, owner: false },
      ],
      memberIdentifiers: [
        { person_id: 'p1', type: 'uid', value: 'ada', login: true },
        { person_id: 'p2', type: 'uid', value: 'bob', login: false },
        { person_id: 'p1', type: 'mail', value: 'ada@example.org', login: false },
      ],
    };
    const payload = groupPayloadFromRows(rows);
    assert.equal(payload.name, 'teams:staff');
    assert.equal(payload.extension, 'staff');
    assert.deepEqual(payload.identifiers, [{ type: 'gid', value: '1001', login: false }]);
    assert.deepEqual(payload.members, [
      { personId: 'p2', member: true, owner: true, identifiers: [{ type: 'uid', value: 'bob', login: false }] },
      { personId: 'p1', member: false, owner: true, identifiers: [{ type: 'uid', value: 'ada', login: true }, { type: 'mail', value: 'ada@example.org', login: false }] },
      { personId: 'p3', member: true, owner: false, identifiers: [] },
    ]);
  });
});

describe('group payloads from the database', () => {
  let t: TestFerry;
  before(async () => {
    t = await startTestFerry();
  });
  after(async () => {
    await t?.stop();
  });

  it('counts only people who are members now, and reads any group in four statements', async () => {
    const organization = await createOrganization(t.admin);
    const folder = (await t.admin.ok(CreateFolderDocument, { input: { organizationId: organization.id, name: 'teams' } })).createFolder.folder;
    const team = (await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name: 'red' } })).createGroup.group;
    const person = async (uid: string) =>
      (await t.admin.ok(CreatePersonDocument, { input: { organizationId: organization.id, status: 'ACTIVE', names: [{ given: uid }], identifiers: [{ type: 'uid', value: uid }] } }))
        .createPerson.person;
    const ada = await person('ada');
    const bob = await person('bob');
    const cy = await person('cy');
    const dee = await person('dee');
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: team.id, personId: ada.id } });
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: team.id, personId: bob.id, member: false, owner: true } });
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: team.id, personId: cy.id } });
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: team.id, personId: dee.id, validThrough: new Date(Date.now() - 60000).toISOString() } });
    await t.admin.ok(UpdatePersonDocument, { id: cy.id, input: { status: 'SUSPENDED' } });

    const em = t.ferry.orm.em.fork();
    let statements = 0;
    const rows = await loadGroupRows({ execute: (sql, params) => ((statements += 1), em.execute(sql, params)) }, team.id, new Date());
    assert.equal(statements, 4);
    const payload = groupPayloadFromRows(rows!);
    assert.deepEqual(
      payload.members.map((m) => ({ uid: m.identifiers[0]?.value, member: m.member, owner: m.owner })),
      [
        { uid: 'ada', member: true, owner: false },
        { uid: 'bob', member: false, owner: true },
      ],
      'suspended cy and dee, whose membership ended, do not count',
    );
    assert.equal(await loadGroupRows({ execute: (sql, params) => em.execute(sql, params) }, '00000000-0000-0000-0000-000000000000', new Date()), null);
  });

  it('loads a group of 100,000 members (no list of bind parameters)', async () => {
    const organization = await createOrganization(t.admin);
    const folder = (await t.admin.ok(CreateFolderDocument, { input: { organizationId: organization.id, name: 'all' } })).createFolder.folder;
    const big = (await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name: 'everyone' } })).createGroup.group;
    const em = t.ferry.orm.em.fork();
    await em.execute(
      `insert into person (id, created_at, updated_at, organization_id, status)
       select gen_random_uuid(), now(), now(), ?, 'ACTIVE' from generate_series(1, 100000)`,
      [organization.id],
    );
    await em.execute(
      `insert into identifier (id, created_at, updated_at, organization_id, person_id, type, value, status, login)
       select gen_random_uuid(), now(), now(), p.organization_id, p.id, 'uid', 'u' || row_number() over (), 'ACTIVE', false from person p where p.organization_id = ?`,
      [organization.id],
    );
    await em.execute(
      `insert into group_membership (id, created_at, updated_at, organization_id, group_id, person_id, member, owner)
       select gen_random_uuid(), now(), now(), p.organization_id, ?, p.id, true, false from person p
       where p.organization_id = ? and exists (select 1 from identifier i where i.person_id = p.id and i.type = 'uid')`,
      [big.id, organization.id],
    );
    const payload = await t.ferry.services.engine.marshaller.group(em, big.id);
    assert.equal(payload?.members.length, 100000);
    assert.ok(payload!.members.every((member) => member.identifiers.length === 1 && member.identifiers[0].type === 'uid'));
  });
});
