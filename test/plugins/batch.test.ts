import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prefetchMembers, provisionEachOf, provisionWithPrefetchedMembers } from '../../src/plugins/batch';
import type { ProvisionBatch, ProvisionRequest, ProvisionResult, RemoteIdLookup, TargetContext } from '../../src/plugins/plugin';
import { ProvisioningAction, SubjectType } from '../../src/provisioning/actions';
import type { GroupPayload } from '../../src/provisioning/payload';

/** A lookup over a fixed table that counts its statements (one getMany = one statement). */
function countingLookup(table: Record<string, string>) {
  const asked: string[][] = [];
  const lookup: RemoteIdLookup = {
    async getMany(_type, ids) {
      asked.push([...ids]);
      return new Map(ids.filter((id) => table[id]).map((id) => [id, table[id]]));
    },
    async get(type, id) {
      return (await lookup.getMany(type, [id])).get(id) ?? null;
    },
    async holderOfKey() {
      return null;
    },
  };
  return { lookup, asked };
}

const group = (id: string, members: string[]): GroupPayload => ({
  subjectType: 'GROUP',
  id,
  organizationId: 'o',
  name: id,
  extension: id,
  description: null,
  status: 'ACTIVE' as GroupPayload['status'],
  groupType: 'STANDARD' as GroupPayload['groupType'],
  identifiers: [],
  members: members.map((personId) => ({ personId, member: true, owner: false }) as GroupPayload['members'][number]),
});

const request = (subject: GroupPayload): ProvisionRequest => ({ action: ProvisioningAction.GROUP_UPDATED, subject, remoteId: null });

/** A batch whose calls run `work` directly, recording how many run at once. */
function batchOf(requests: ProvisionRequest[], concurrency: number, target: TargetContext<unknown>) {
  let running = 0;
  let most = 0;
  const batch: ProvisionBatch<unknown> = {
    requests,
    concurrency,
    async call(index, work) {
      running += 1;
      most = Math.max(most, running);
      try {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return await work(target, requests[index]);
      } finally {
        running -= 1;
      }
    },
  };
  return { batch, most: () => most };
}

describe('plugin batch calls', () => {
  it('the default loop calls provision for each request, at most `concurrency` at once, outcomes in request order', async () => {
    const { lookup } = countingLookup({});
    const target = { remoteIds: lookup } as TargetContext<unknown>;
    const requests = Array.from({ length: 7 }, (_, i) => request(group(`g${i}`, [])));
    const { batch, most } = batchOf(requests, 3, target);
    const plugin = {
      async provision(_t: TargetContext<unknown>, r: ProvisionRequest): Promise<ProvisionResult> {
        if (r.subject.id === 'g4') throw new Error('rejected g4');
        return { remoteId: `cn=${r.subject.id}`, detail: 'ok' };
      },
    };
    const outcomes = await provisionEachOf(plugin, batch);
    assert.equal(most(), 3);
    assert.deepEqual(
      outcomes.map((o) => (o.ok ? o.result.remoteId : `error: ${(o.error as Error).message}`)),
      ['cn=g0', 'cn=g1', 'cn=g2', 'cn=g3', 'error: rejected g4', 'cn=g5', 'cn=g6'],
    );
  });

  it("resolves the members of all the batch's groups with one lookup", async () => {
    const { lookup, asked } = countingLookup({ p1: 'uid=1', p2: 'uid=2', p3: 'uid=3' });
    const target = { remoteIds: lookup } as TargetContext<unknown>;
    const requests = [request(group('a', ['p1', 'p2'])), request(group('b', ['p2', 'p3', 'p9'])), request(group('c', []))];
    const seen: Record<string, string[]> = {};
    const plugin = {
      async provision(t: TargetContext<unknown>, r: ProvisionRequest): Promise<ProvisionResult> {
        const ids = (r.subject as GroupPayload).members.map((m) => m.personId);
        const found = await t.remoteIds.getMany(SubjectType.PERSON, ids);
        seen[r.subject.id] = ids.map((id) => found.get(id) ?? '-');
        return { remoteId: r.subject.id, detail: 'ok' };
      },
    };
    const { batch } = batchOf(requests, 2, target);
    await provisionWithPrefetchedMembers(plugin, target, batch);
    assert.deepEqual(seen, { a: ['uid=1', 'uid=2'], b: ['uid=2', 'uid=3', '-'], c: [] });
    const nonEmpty = asked.filter((ids) => ids.length > 0);
    assert.deepEqual(nonEmpty.map((ids) => [...ids].sort()), [['p1', 'p2', 'p3', 'p9']], 'one statement for every member of the batch');
  });

  it('asks the real lookup for ids outside the batch, and keeps a fenced call fenced', async () => {
    const { lookup, asked } = countingLookup({ p1: 'uid=1', x: 'uid=x' });
    const cached = await prefetchMembers(lookup, [request(group('a', ['p1']))]);
    const view = cached(lookup);
    assert.deepEqual([...(await view.getMany(SubjectType.PERSON, ['x'])).entries()], [['x', 'uid=x']]);
    assert.deepEqual(asked.at(-1), ['x']);
    const expired: RemoteIdLookup = { ...lookup, getMany: async () => Promise.reject(new Error('the call is past its time limit')) };
    await assert.rejects(cached(expired).getMany(SubjectType.PERSON, ['p1']), /past its time limit/);
  });
});
