import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CreateProvisioningTargetDocument } from '../../src/client/generated/graphql';
import { sqlRows } from '../../src/db/sql';
import { recordMembers, writtenMembers, type MembersRecord } from '../../src/provisioning/lanes/written-members';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, uniqueName } from '../support/fixtures';

/** Ferry's record of the members it wrote to groups on a target (read by SCIM; see README, "Members Ferry wrote"). */
describe('the record of members written to groups', () => {
  let t: TestFerry;
  before(async () => {
    t = await startTestFerry();
  });
  after(() => t?.stop());

  async function target(): Promise<string> {
    const organization = await createOrganization(t.admin);
    return (
      await t.admin.ok(CreateProvisioningTargetDocument, {
        input: {
          organizationId: organization.id,
          name: uniqueName('hook'),
          plugin: 'webhook',
          mode: 'MANUAL',
          config: { url: 'http://127.0.0.1:9/hook', secret: 'a-shared-secret-of-enough-length' },
        },
      })
    ).createProvisioningTarget.target.id;
  }

  const record = (targetId: string, records: MembersRecord[]) => t.ferry.orm.em.fork().transactional((em) => recordMembers(em, targetId, records));
  const of = (targetId: string, groupId: string) => writtenMembers(t.ferry.orm.em.fork(), targetId).of(groupId);
  /** Each row's xmin: the transaction that last wrote it. */
  const versions = async (targetId: string, groupId: string) =>
    new Map(
      (
        await sqlRows<{ member_remote_id: string; xmin: string }>(t.ferry.orm.em.fork(),
          'select member_remote_id, xmin::text as xmin from provisioned_member where target_id = ? and group_id = ?',
          [targetId, groupId],
        )
      ).map((row) => [row.member_remote_id, row.xmin]),
    );

  it('keeps a 100,000-member group in two statements, rewrites only what changed, and leaves other groups and targets alone', async () => {
    const [targetId, otherTarget] = [await target(), await target()];
    const [big, small] = [randomUUID(), randomUUID()];
    const members = Array.from({ length: 100_000 }, (_, i) => `user-${String(i).padStart(6, '0')}`);
    await record(otherTarget, [{ groupId: big, members: ['someone'] }]);
    await record(targetId, [{ groupId: small, members: ['a', 'b'] }]);

    const before = await t.sqlQueryCount();
    await record(targetId, [{ groupId: big, members }]);
    assert.equal((await t.sqlQueryCount()) - before, 4, 'begin, delete, insert, commit');
    assert.deepEqual(await of(targetId, big), members);

    // Half leave, two join: the rows that stay are not written again.
    const kept = members.filter((_, i) => i % 2 === 0);
    const written = await versions(targetId, big);
    await record(targetId, [{ groupId: big, members: [...kept, 'joined-1', 'joined-2'] }]);
    assert.deepEqual(await of(targetId, big), [...kept, 'joined-1', 'joined-2'].sort());
    const rewritten = await versions(targetId, big);
    assert.ok(kept.every((member) => rewritten.get(member) === written.get(member)), 'kept rows keep their version');

    // One member added by a person's result; a deleted group's record goes; the rest stands.
    await record(targetId, [{ groupId: small, added: 'c' }, { groupId: big, members: null }]);
    assert.deepEqual(await of(targetId, small), ['a', 'b', 'c']);
    assert.deepEqual(await of(targetId, big), []);
    assert.deepEqual(await of(otherTarget, big), ['someone'], "another target's record is its own");
  });
});
