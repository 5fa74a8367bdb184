import { ProvisioningAction, SubjectType } from '../../provisioning/actions';
import type { PersonPayload } from '../../provisioning/payload';
import { ACTIVE_MEMBER_STATUSES, PersonStatus } from '../../registry/enums';
import { PermanentProvisioningError, type ProvisionRequest, type ProvisionResult, type RemoteIdLookup } from '../plugin';
import { ResourceEndpoint, type Held, type ScimSession } from './endpoint';
import { isStatus } from './errors';
import { counted } from '../../common/text';
import { GROUP_SCHEMA, memberIdsOf, memberValue, stringAttribute, USER_SCHEMA, userNameOf, userResource, type DesiredResource } from './mapping';
import { replacement } from './patch';

function usersOf(session: ScimSession): ResourceEndpoint {
  return new ResourceEndpoint(session, '/Users', 'User');
}

function describe(held: Held): string {
  const userName = stringAttribute(held.resource, 'userName');
  return userName ? `User ${userName} (${held.resource.id})` : `User ${held.resource.id}`;
}

/**
 * After a 409 on create: the User holding the userName is adopted when nobody claimed it
 * (no externalId) or it is already this person's; another subject's User is never taken over.
 */
async function adoptAfterConflict(users: ResourceEndpoint, person: PersonPayload, userName: string, conflict: unknown): Promise<Held> {
  const holder = await users.findBy('userName', userName);
  if (!holder) throw conflict;
  const owner = stringAttribute(holder.resource, 'externalId');
  if (owner && owner !== person.id) {
    throw new PermanentProvisioningError(
      `cannot create User ${userName}: the target already has it (${holder.resource.id}) for another subject (externalId ${owner})`,
      { cause: conflict },
    );
  }
  return holder;
}

/** A Group PUT that changes its members only: every other attribute as read. */
const GROUP_MEMBERS_ONLY: DesiredResource = { schemas: [GROUP_SCHEMA], values: {}, managed: [] };

/**
 * A User that got a new id (created again after it vanished, or created after a first attempt
 * failed while its groups were written without it) is in none of its groups: SCIM groups list
 * members by id. It is added to each of its groups that is on the target; the group's own next
 * write would otherwise leave it out until the group changed. Returns the groups it was added to.
 */
async function addToGroups(session: ScimSession, remoteIds: RemoteIdLookup, person: PersonPayload, userId: string): Promise<string[]> {
  // Groups list active members only (README, status rules).
  if (!ACTIVE_MEMBER_STATUSES.has(person.status)) return [];
  const groupIds = [...new Set(person.memberships.filter((membership) => membership.member).map((membership) => membership.groupId))];
  if (groupIds.length === 0) return [];
  const onTarget = await remoteIds.getMany(SubjectType.GROUP, groupIds);
  const groups = new ResourceEndpoint(session, '/Groups', 'Group');
  const added: string[] = [];
  for (const [groupId, groupRemoteId] of onTarget) {
    try {
      if (session.capabilities.patch) {
        // Adding a member that is already there changes nothing (RFC 7644 3.5.2.1).
        await groups.patch(groupRemoteId, [{ op: 'add', path: 'members', value: [memberValue(userId)] }], null);
      } else {
        const current = await groups.read(groupRemoteId);
        if (!current) continue;
        const members = memberIdsOf(current.resource);
        if (!members.includes(userId)) {
          await groups.replace(groupRemoteId, replacement(current.resource, GROUP_MEMBERS_ONLY, { members: [...members, userId].map(memberValue) }), current.version);
        }
      }
      added.push(groupId);
    } catch (error) {
      // The Group vanished: its own next write creates it again, with this User.
      if (!isStatus(error, 404)) throw error;
    }
  }
  return added;
}

async function upsertUser(session: ScimSession, remoteIds: RemoteIdLookup, request: ProvisionRequest, person: PersonPayload): Promise<ProvisionResult> {
  const { config } = session;
  const userName = userNameOf(config, person);
  if (!userName) {
    const reason = `person ${person.id} has no active identifier of type "${config.userNameIdentifierType}" for the userName`;
    // As on LDAP: e.g. an expired person who lost the identifier is left as the target has them.
    if (person.status !== PersonStatus.ACTIVE) return { remoteId: request.remoteId, detail: `skipped: ${reason}` };
    throw new PermanentProvisioningError(`cannot provision to SCIM: ${reason}`);
  }
  const desired = userResource(config, person, userName);
  const users = usersOf(session);
  const steps: string[] = [];

  let current = request.remoteId ? await users.read(request.remoteId) : null;
  if (request.remoteId && !current) steps.push(`User ${request.remoteId} was gone`);
  if (!current) {
    const matchValue = config.userMatchAttribute === 'externalId' ? person.id : userName;
    current = await users.findBy(config.userMatchAttribute, matchValue);
    const owner = current ? stringAttribute(current.resource, 'externalId') : null;
    if (current && owner && owner !== person.id) {
      // userName matching is case-insensitive on most servers: never take over someone else's User.
      throw new PermanentProvisioningError(`cannot adopt User ${userName}: the target has it (${current.resource.id}) for another subject (externalId ${owner})`);
    }
    if (current) steps.push(`adopted existing ${describe(current)} by ${config.userMatchAttribute}`);
  }
  let created = false;
  if (!current) {
    try {
      current = await users.create(replacement(null, desired));
      created = true;
      steps.push(`created ${describe(current)}`);
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
      current = await adoptAfterConflict(users, person, userName, error);
      steps.push(`adopted existing ${describe(current)} after a uniqueness conflict`);
    }
  }
  if (!created) {
    const changes = await users.updateAttributes(current, desired);
    steps.push(changes.length > 0 ? `updated ${describe(current)}: ${changes.join(', ')}` : `${describe(current)} already up to date`);
  }
  const userId = current.resource.id;
  // A User under an id Ferry did not have for the person is in none of the person's groups yet.
  const addedToGroups = userId !== request.remoteId ? await addToGroups(session, remoteIds, person, userId) : [];
  if (addedToGroups.length > 0) steps.push(`added to ${counted(addedToGroups.length, 'group')} it belongs to`);
  return { remoteId: userId, detail: steps.join('; '), addedToGroups };
}

const DEACTIVATED: DesiredResource = { schemas: [USER_SCHEMA], values: { active: false }, managed: ['active'] };

/** Deletes or deactivates the person's User, per the target's deprovision policy. */
async function deprovisionUser(session: ScimSession, request: ProvisionRequest, person: PersonPayload): Promise<ProvisionResult> {
  const users = usersOf(session);
  // Only a User Ferry knows is its own: the stored id, or the one carrying the person's id.
  const id = request.remoteId ?? (await users.findBy('externalId', person.id))?.resource.id ?? null;
  if (!id) return { remoteId: null, detail: 'nothing to deprovision: the person has no User on this target' };

  if (session.config.deprovision === 'DELETE') {
    const removed = await users.remove(id);
    return { remoteId: null, detail: removed ? `deleted User ${id}` : `nothing to delete: User ${id} does not exist` };
  }
  const current = await users.read(id);
  if (!current) return { remoteId: null, detail: `nothing to deactivate: User ${id} does not exist` };
  const changes = await users.updateAttributes(current, DEACTIVATED);
  // The User stays: its id is kept so that a returning person gets the same account back.
  return { remoteId: id, detail: changes.length > 0 ? `deactivated ${describe(current)}` : `${describe(current)} was already inactive` };
}

export async function provisionUser(session: ScimSession, remoteIds: RemoteIdLookup, request: ProvisionRequest, person: PersonPayload): Promise<ProvisionResult> {
  // A non-provisionable status arrives as a skeleton, whatever the action: always deprovision.
  if (person.skeleton || request.action === ProvisioningAction.PERSON_DELETED) return deprovisionUser(session, request, person);
  return upsertUser(session, remoteIds, request, person);
}
