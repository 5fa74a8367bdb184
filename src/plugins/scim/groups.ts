import { counted } from '../../common/text';
import { ProvisioningAction, SubjectType } from '../../provisioning/actions';
import type { GroupPayload } from '../../provisioning/payload';
import { PermanentProvisioningError, type ProvisionRequest, type ProvisionResult, type RemoteIdLookup } from '../plugin';
import { ResourceEndpoint, type Held, type ScimSession } from './endpoint';
import { isStatus } from './errors';
import { groupDisplayName, groupResource, memberIdsOf, memberValue, stringAttribute, subjectIdOf, type DesiredResource, type ScimObject } from './mapping';
import { attributeOperations, membershipBatches, replacement } from './patch';

interface DesiredMembers {
  /** SCIM ids of the Users that should be members, in payload order. */
  ids: string[];
  /** Members that have no User on this target yet (not provisioned here, or failed). */
  unresolved: number;
}

/** How many ids a detail or an error names before "and N more". */
const SAMPLE_SIZE = 5;

function sample(ids: string[]): string {
  const shown = ids.slice(0, SAMPLE_SIZE).join(', ');
  return ids.length > SAMPLE_SIZE ? `${shown} and ${ids.length - SAMPLE_SIZE} more` : shown;
}

const countMembers = (count: number) => counted(count, 'member');

function groupsOf(session: ScimSession): ResourceEndpoint {
  return new ResourceEndpoint(session, '/Groups', 'Group');
}

function describe(held: Held): string {
  const name = stringAttribute(held.resource, 'displayName');
  return name ? `Group ${name} (${held.resource.id})` : `Group ${held.resource.id}`;
}

/** SCIM groups have members only: owners who are not members are not sent. */
async function desiredMembers(remoteIds: RemoteIdLookup, group: GroupPayload): Promise<DesiredMembers> {
  const personIds = [...new Set(group.members.filter((member) => member.member).map((member) => member.personId))];
  // The lookup is scoped to this target: an id stored for another target never leaks in.
  const found = personIds.length > 0 ? await remoteIds.getMany(SubjectType.PERSON, personIds) : new Map<string, string>();
  const ids = [...new Set(personIds.map((personId) => found.get(personId)).filter((id): id is string => !!id))];
  return { ids, unresolved: personIds.length - personIds.filter((personId) => found.has(personId)).length };
}

function memberDelta(held: string[], wanted: string[]): { toAdd: string[]; toRemove: string[] } {
  const heldSet = new Set(held);
  const wantedSet = new Set(wanted);
  return { toAdd: wanted.filter((id) => !heldSet.has(id)), toRemove: held.filter((id) => !wantedSet.has(id)) };
}

/** A PUT carries every member; past the chunk size that is more than the target takes in one request. */
function assertFitsOneRequest(session: ScimSession, group: GroupPayload, members: DesiredMembers): void {
  const cap = session.config.membershipChunkSize;
  if (members.ids.length <= cap) return;
  throw new PermanentProvisioningError(
    `cannot provision group ${group.name}: it has ${members.ids.length} members, but this target does not support PATCH ` +
      `and a PUT would carry more than membershipChunkSize (${cap}) members; raise membershipChunkSize if the server accepts that many in one request`,
  );
}

/** After a 409 on create: the holder of the displayName is adopted unless another subject claimed it. */
async function adoptAfterConflict(session: ScimSession, groups: ResourceEndpoint, group: GroupPayload, conflict: unknown): Promise<Held> {
  const displayName = groupDisplayName(session.config, group);
  const holder = await groups.findBy('displayName', displayName);
  if (!holder) throw conflict;
  const owner = stringAttribute(holder.resource, 'externalId');
  if (owner && owner !== group.id) {
    throw new PermanentProvisioningError(
      `cannot create Group ${displayName}: the target already has it (${holder.resource.id}) for another subject (externalId ${owner})`,
      { cause: conflict },
    );
  }
  return holder;
}

/** Creates the Group: with every member on a server without PATCH, else with the first chunk (the rest follow as PATCHes). */
async function createGroup(session: ScimSession, groups: ResourceEndpoint, group: GroupPayload, desired: DesiredResource, members: DesiredMembers): Promise<{ created: Held; held: string[] }> {
  if (!session.capabilities.patch) assertFitsOneRequest(session, group, members);
  const initial = session.capabilities.patch ? members.ids.slice(0, session.config.membershipChunkSize) : members.ids;
  const created = await groups.create(replacement(null, desired, initial.length > 0 ? { members: initial.map(memberValue) } : {}));
  // Servers may answer without members (or hide them): what was sent is what the next step diffs
  // against; the read-back after the writes checks that it was kept.
  return { created, held: initial };
}

/** Whether Group reads show members: as configured (groupMembersInReads), else as learnt (null: not known yet). */
function membersShown(session: Pick<ScimSession, 'config' | 'capabilities'>): boolean | null {
  if (session.config.groupMembersInReads === 'shown') return true;
  if (session.config.groupMembersInReads === 'hidden') return false;
  return session.capabilities.groupMembersShown;
}

/**
 * Whom the Group holds, for working out what to add and remove. A server that shows members is
 * believed. One that may hide them (a read with no members, on a server not known to show them)
 * is taken to hold what Ferry last wrote to it (its record; see ProvisionResult.members): without
 * that, a member removed in Ferry would never be removed there.
 */
export async function heldMembers(session: ScimSession, groupId: string, resource: ScimObject): Promise<{ ids: string[]; fromRecord: boolean }> {
  const shown = memberIdsOf(resource);
  if (shown.length > 0 && membersShown(session) !== false) {
    session.capabilities.groupMembersShown = true;
    return { ids: shown, fromRecord: false };
  }
  if (membersShown(session) === true || !session.writtenMembers) return { ids: shown, fromRecord: false };
  const written = await session.writtenMembers.of(groupId);
  return { ids: written, fromRecord: written.length > 0 };
}

/**
 * Brings the Group's attributes and members to the payload. With PATCH: attribute changes and
 * member additions/removals in requests of at most membershipChunkSize member values. Without
 * PATCH: one PUT of the whole Group. Returns what was done, empty when nothing was needed.
 */
async function updateGroup(
  session: ScimSession,
  groups: ResourceEndpoint,
  group: GroupPayload,
  current: Held,
  held: string[],
  desired: DesiredResource,
  members: DesiredMembers,
): Promise<string[]> {
  const attributes = attributeOperations(current.resource, desired);
  const { toAdd, toRemove } = memberDelta(held, members.ids);
  if (attributes.length === 0 && toAdd.length === 0 && toRemove.length === 0) return [];

  const changes = attributes.map((operation) => `${operation.op === 'remove' ? 'removed' : 'set'} ${operation.path}`);
  if (toAdd.length > 0) changes.push(`added ${countMembers(toAdd.length)}`);
  if (toRemove.length > 0) changes.push(`removed ${countMembers(toRemove.length)}`);

  if (!session.capabilities.patch) {
    assertFitsOneRequest(session, group, members);
    await groups.replace(current.resource.id, replacement(current.resource, desired, { members: members.ids.map(memberValue) }), current.version);
    return [...changes, 'by PUT'];
  }
  const batches = membershipBatches(toRemove, toAdd, session.config.membershipChunkSize);
  // Attribute changes ride along with the first member chunk rather than costing a request of their own.
  if (batches.length === 0) batches.push([]);
  batches[0].unshift(...attributes);
  let version = current.version;
  for (const operations of batches) {
    version = await groups.patch(current.resource.id, operations, version);
  }
  return [...changes, `in ${counted(batches.length, 'PATCH request')}`];
}

/**
 * Some servers accept members and silently keep only part of them (a size limit, unknown ids):
 * the Group is read back after every write, and what it lacks is a failure, not a success. A
 * server that shows no members at all after members were written hides them (AWS IAM Identity
 * Center): nothing can be checked there, and it is remembered for this target. Returns a note
 * for the detail when the members could not be checked.
 */
async function verifyMembers(session: ScimSession, groups: ResourceEndpoint, group: GroupPayload, id: string, members: DesiredMembers): Promise<string | null> {
  const after = await groups.read(id);
  if (!after) throw new PermanentProvisioningError(`Group ${id} vanished right after it was written`);
  const shown = memberIdsOf(after.resource);
  const hidden = membersShown(session) === false || (shown.length === 0 && members.ids.length > 0 && membersShown(session) !== true);
  if (hidden) {
    session.capabilities.groupMembersShown = false;
    return 'the target does not show Group members when read: Ferry keeps its own record of the members it wrote';
  }
  if (shown.length > 0) session.capabilities.groupMembersShown = true;
  const { toAdd: missing, toRemove: unexpected } = memberDelta(shown, members.ids);
  if (missing.length === 0 && unexpected.length === 0) return null;
  const problems = [
    missing.length > 0 ? `${missing.length} of ${members.ids.length} members are missing (${sample(missing)})` : null,
    unexpected.length > 0 ? `${unexpected.length} members that should have been removed are still there (${sample(unexpected)})` : null,
  ].filter(Boolean);
  throw new PermanentProvisioningError(
    `the target did not keep the members of group ${group.name} (${id}): read back after provisioning, ${problems.join('; ')}. ` +
      'The server accepted the request but dropped them (a member limit?)',
  );
}

async function upsertGroup(session: ScimSession, remoteIds: RemoteIdLookup, request: ProvisionRequest, group: GroupPayload): Promise<ProvisionResult> {
  const { config } = session;
  const groups = groupsOf(session);
  const desired = groupResource(config, group);
  const displayName = groupDisplayName(config, group);
  const members = await desiredMembers(remoteIds, group);
  const steps: string[] = [];

  let current = request.remoteId ? await groups.read(request.remoteId) : null;
  if (request.remoteId && !current) steps.push(`Group ${request.remoteId} was gone`);
  if (!current) {
    const matchValue = config.groupMatchAttribute === 'externalId' ? group.id : displayName;
    current = await groups.findBy(config.groupMatchAttribute, matchValue);
    // By displayName, the Group found may be another Ferry group's (two groups with one name under
    // groupNaming "name"): never taken over, as after a 409.
    const owner = current ? subjectIdOf(current.resource) : null;
    if (current && owner && owner !== group.id.toLowerCase()) {
      throw new PermanentProvisioningError(
        `cannot adopt Group ${displayName} (${current.resource.id}): it is another subject's (externalId ${owner}); ` +
          'two groups have this displayName on the target (see groupNaming)',
      );
    }
    if (current) steps.push(`adopted existing ${describe(current)} by ${config.groupMatchAttribute}`);
  }
  let wrote = false;
  let held: { ids: string[]; fromRecord: boolean } | null = null;
  if (!current) {
    try {
      const { created, held: sent } = await createGroup(session, groups, group, desired, members);
      current = created;
      held = { ids: sent, fromRecord: false };
      steps.push(`created ${describe(current)}`);
      wrote = true;
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
      current = await adoptAfterConflict(session, groups, group, error);
      steps.push(`adopted existing ${describe(current)} after a uniqueness conflict`);
    }
  }
  held ??= await heldMembers(session, group.id, current.resource);
  if (held.fromRecord) steps.push(`members as Ferry last wrote them (${countMembers(held.ids.length)}; the target shows none)`);
  const changes = await updateGroup(session, groups, group, current, held.ids, desired, members);
  if (changes.length > 0) {
    steps.push(`updated ${describe(current)}: ${changes.join(', ')}`);
    wrote = true;
  } else if (!wrote) {
    steps.push(`${describe(current)} already up to date`);
  }
  const unchecked = wrote ? await verifyMembers(session, groups, group, current.resource.id, members) : null;
  steps.push(`holds ${countMembers(members.ids.length)}`);
  if (unchecked) steps.push(unchecked);
  if (members.unresolved > 0) steps.push(`skipped ${countMembers(members.unresolved)} without a User on this target yet`);
  return { remoteId: current.resource.id, detail: steps.join('; '), members: members.ids };
}

async function deleteGroup(session: ScimSession, request: ProvisionRequest, group: GroupPayload): Promise<ProvisionResult> {
  const groups = groupsOf(session);
  const id = request.remoteId ?? (await groups.findBy('externalId', group.id))?.resource.id ?? null;
  if (!id) return { remoteId: null, detail: 'nothing to delete: the group has no Group on this target' };
  const removed = await groups.remove(id);
  return { remoteId: null, detail: removed ? `deleted Group ${id}` : `nothing to delete: Group ${id} does not exist` };
}

export async function provisionGroup(
  session: ScimSession,
  remoteIds: RemoteIdLookup,
  request: ProvisionRequest,
  group: GroupPayload,
): Promise<ProvisionResult> {
  if (request.action === ProvisioningAction.GROUP_DELETED) return deleteGroup(session, request, group);
  return upsertGroup(session, remoteIds, request, group);
}
