import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sqlRows } from '../../src/db/sql';
import { ClaimWriter } from '../../src/provisioning/lanes/claims';
import { startTestFerry, type TestFerry } from '../support/ferry';

describe('claims of concurrent calls', () => {
  let t: TestFerry;
  before(async () => {
    t = await startTestFerry();
  });
  after(() => t?.stop());

  const claimsOf = async (targetId: string) =>
    sqlRows<{ subject_id: string; remote_id: string }>(t.ferry.orm.em.fork(), 'select subject_id, remote_id from provisioning_claim where target_id = ?', [targetId]);

  it('commits each claim before it returns, the claims made side by side in a few statements, the last claim of a subject winning', async () => {
    const writer = new ClaimWriter(t.ferry.orm);
    const targetId = randomUUID();
    const subjects = Array.from({ length: 40 }, () => randomUUID());
    const before = await t.sqlQueryCount();
    let committedWhenReturned = true;
    await Promise.all(
      subjects.map(async (subjectId, i) => {
        // Calls reach their claim at different moments, as a batch's concurrent calls do.
        await new Promise((resolve) => setTimeout(resolve, i % 4));
        await writer.claim({ targetId, subjectType: 'PERSON', subjectId, remoteId: `uid=${i},ou=people` });
        const [row] = await sqlRows(t.ferry.orm.em.fork(), 'select 1 from provisioning_claim where target_id = ? and subject_id = ?', [targetId, subjectId]);
        if (!row) committedWhenReturned = false;
      }),
    );
    const statements = (await t.sqlQueryCount()) - before - subjects.length; // minus the checks above
    assert.ok(committedWhenReturned, 'every claim was committed when its call went on');
    assert.ok(statements <= 10, `${statements} statements for ${subjects.length} claims`);
    assert.equal((await claimsOf(targetId)).length, subjects.length);

    await Promise.all([
      writer.claim({ targetId, subjectType: 'PERSON', subjectId: subjects[0], remoteId: 'uid=first' }),
      writer.claim({ targetId, subjectType: 'PERSON', subjectId: subjects[0], remoteId: 'uid=second' }),
    ]);
    assert.equal((await claimsOf(targetId)).find((row) => row.subject_id === subjects[0])?.remote_id, 'uid=second');
  });

  it('fails the claims of a write that fails, and goes on with the next ones', async () => {
    const writer = new ClaimWriter(t.ferry.orm);
    const targetId = randomUUID();
    await assert.rejects(writer.claim({ targetId, subjectType: 'NOT_A_TYPE', subjectId: randomUUID(), remoteId: 'x' }), /subject_type/);
    const subjectId = randomUUID();
    await writer.claim({ targetId, subjectType: 'GROUP', subjectId, remoteId: 'cn=g' });
    assert.deepEqual(await claimsOf(targetId), [{ subject_id: subjectId, remote_id: 'cn=g' }]);
  });
});
