import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChangeLogDocument, CreatePersonDocument, DeletePersonDocument, UpdatePersonDocument } from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization } from '../support/fixtures';

describe('the change log', () => {
  let t: TestFerry;
  before(async () => {
    t = await startTestFerry();
  });
  after(() => t?.stop());

  it('is read with a cursor that never skips an entry, even while writers run concurrently', async () => {
    const organization = await createOrganization(t.admin);
    const start = (await t.admin.ok(ChangeLogDocument, { organizationId: organization.id, first: 500 })).changeLog.pageInfo.endCursor ?? '0';
    const seenByPoller: string[] = [];
    let cursor = start;
    let writing = true;
    const poller = (async () => {
      while (writing) {
        const page = await t.admin.ok(ChangeLogDocument, { organizationId: organization.id, after: cursor, first: 50 });
        seenByPoller.push(...page.changeLog.nodes.map((e) => e.seq));
        cursor = page.changeLog.pageInfo.endCursor ?? cursor;
      }
    })();
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        t.admin.ok(CreatePersonDocument, {
          input: { organizationId: organization.id, status: 'ACTIVE', names: [{ given: `P${i}`, family: 'Concurrent' }] },
        }),
      ),
    );
    writing = false;
    await poller;
    for (;;) {
      const page = await t.admin.ok(ChangeLogDocument, { organizationId: organization.id, after: cursor, first: 500 });
      seenByPoller.push(...page.changeLog.nodes.map((e) => e.seq));
      cursor = page.changeLog.pageInfo.endCursor ?? cursor;
      if (!page.changeLog.pageInfo.hasNextPage) break;
    }
    const all = (await t.admin.ok(ChangeLogDocument, { organizationId: organization.id, after: start, first: 500 })).changeLog.nodes;
    assert.ok(all.length >= 40 * 4, 'each person brings a person, a name and automatic memberships');
    assert.deepEqual(seenByPoller, all.map((e) => e.seq), 'the poller saw every entry, once, in order');
  });

  it('records who changed what: fields, before/after values, and the deleted record', async () => {
    const organization = await createOrganization(t.admin);
    const person = (
      await t.admin.ok(CreatePersonDocument, { input: { organizationId: organization.id, status: 'ACTIVE', names: [{ given: 'Ada', family: 'Lovelace' }] } })
    ).createPerson.person;
    const adminTokenId = (await t.admin.ok(ChangeLogDocument, { organizationId: organization.id, first: 1 })).changeLog.nodes[0].actorTokenId;
    assert.ok(adminTokenId);
    const updated = await t.admin.ok(UpdatePersonDocument, { id: person.id, input: { status: 'SUSPENDED' } });
    const statusChange = updated.updatePerson.changes.find((c) => c.entityType === 'Person');
    assert.deepEqual(statusChange?.changedFields, ['status']);
    assert.deepEqual(statusChange?.data, { status: ['ACTIVE', 'SUSPENDED'] });
    assert.equal(statusChange?.personId, person.id);
    const memberships = updated.updatePerson.changes.filter((c) => c.entityType === 'GroupMembership');
    assert.equal(memberships.length, 1, 'leaving CO:members:active is logged with the status change');
    assert.equal(memberships[0].kind, 'DELETED');

    const deleted = await t.admin.ok(DeletePersonDocument, { id: person.id });
    const personDelete = deleted.deletePerson.changes.find((c) => c.entityType === 'Person');
    assert.equal(personDelete?.kind, 'DELETED');
    assert.equal(personDelete?.data?.status, 'SUSPENDED', 'a delete keeps the record as it was');
    assert.ok(deleted.deletePerson.changes.every((c) => c.actorTokenId === adminTokenId));
  });

  it('rejects a malformed cursor', async () => {
    await t.admin.fails('BAD_USER_INPUT', ChangeLogDocument, { after: 'abc' });
    await t.admin.fails('BAD_USER_INPUT', ChangeLogDocument, { first: 5000 });
  });
});
