import { forEachInChunks } from '../common/chunks';
import { SubjectType } from '../provisioning/actions';
import type { GroupPayload } from '../provisioning/payload';
import type { BatchOutcome, ProvisionBatch, ProvisionRequest, ProvisionResult, RemoteIdLookup, TargetContext } from './plugin';

/**
 * Runs `call` over the requests with at most `concurrency` of them in flight, and returns the
 * outcomes in request order. The pipeline's default batch call: a plugin's single `provision`
 * call, many at once over the plugin's shared connection (LDAP multiplexes operations, HTTP keeps
 * connections alive).
 */
export async function provisionEach<TRequest, TOutcome>(
  requests: readonly TRequest[],
  concurrency: number,
  call: (request: TRequest, index: number) => Promise<TOutcome>,
): Promise<TOutcome[]> {
  const outcomes = new Array<TOutcome>(requests.length);
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const index = next++;
      outcomes[index] = await call(requests[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, requests.length)) }, worker));
  return outcomes;
}

/** The default batch call: the plugin's single call for each request, `batch.concurrency` at a time. */
export function provisionEachOf<TConfig>(
  plugin: { provision(target: TargetContext<TConfig>, request: ProvisionRequest): Promise<ProvisionResult> },
  batch: ProvisionBatch<TConfig>,
  provision: (target: TargetContext<TConfig>, request: ProvisionRequest) => Promise<ProvisionResult> = (target, request) => plugin.provision(target, request),
): Promise<BatchOutcome[]> {
  return provisionEach(batch.requests, batch.concurrency, (_, index) =>
    batch.call(index, provision).then(
      (result): BatchOutcome => ({ ok: true, result }),
      (error: unknown): BatchOutcome => ({ ok: false, error }),
    ),
  );
}

/**
 * Set-based member resolution for a batch: the stored remote ids (DNs, SCIM ids) of every member
 * and owner of every group in the batch, read with ONE lookup (one `= any($1)` statement), and a
 * RemoteIdLookup that answers the batch's groups from it (anything else goes to `lookup`). The
 * requests of a batch are independent, so no member's entry changes on this target meanwhile
 * (the pipeline runs a group only after its members' earlier work).
 */
export async function prefetchMembers(lookup: RemoteIdLookup, requests: readonly ProvisionRequest[]): Promise<(inner: RemoteIdLookup) => RemoteIdLookup> {
  const ids = new Set<string>();
  // The members of all the batch's groups (a huge group alone has 20,000) are gone through in
  // chunks, with turns of the event loop between them.
  const members = requests.flatMap(({ subject }) => (subject.subjectType === 'GROUP' ? (subject as GroupPayload).members : []));
  await forEachInChunks(members, (member) => {
    if (member.member || member.owner) ids.add(member.personId);
  });
  if (ids.size === 0) return (inner) => inner;
  const known = await lookup.getMany(SubjectType.PERSON, [...ids]);
  return (inner) => ({
    ...inner,
    get: inner.get,
    holderOfKey: inner.holderOfKey,
    getMany: async (subjectType, subjectIds) => {
      if (subjectType !== SubjectType.PERSON) return inner.getMany(subjectType, subjectIds);
      // One pass over the ids (a huge group's, in chunks): are they all the batch's, and what was read for them.
      let outside = false;
      const found = new Map<string, string>();
      await forEachInChunks(subjectIds, (id) => {
        if (!ids.has(id)) outside = true;
        const remoteId = known.get(id);
        if (remoteId !== undefined) found.set(id, remoteId);
      });
      if (outside) return inner.getMany(subjectType, subjectIds);
      // An empty lookup costs nothing and keeps the call's fence: past its time limit it throws.
      await inner.getMany(subjectType, []);
      return found;
    },
  });
}

/**
 * A plugin's batch call with set-based member resolution: one lookup for the members of all the
 * batch's groups, then the single call for each request, `batch.concurrency` at a time.
 */
export async function provisionWithPrefetchedMembers<TConfig>(
  plugin: { provision(target: TargetContext<TConfig>, request: ProvisionRequest): Promise<ProvisionResult> },
  target: TargetContext<TConfig>,
  batch: ProvisionBatch<TConfig>,
): Promise<BatchOutcome[]> {
  const cached = await prefetchMembers(target.remoteIds, batch.requests);
  return provisionEachOf(plugin, batch, (fencedTarget, request) => plugin.provision({ ...fencedTarget, remoteIds: cached(fencedTarget.remoteIds) }, request));
}
