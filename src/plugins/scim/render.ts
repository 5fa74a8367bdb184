import { ProvisioningAction, SubjectType } from '../../provisioning/actions';
import type { GroupPayload, PersonPayload } from '../../provisioning/payload';
import { PermanentProvisioningError, type ProvisionRequest, type RemoteIdLookup, type Rendering } from '../plugin';
import type { ScimConfig } from './config';
import { groupResource, memberValue, userNameOf, userResource, type DesiredResource, type ScimObject } from './mapping';

/** The attributes read-back reports, in the same shape: what reconciliation compares. */
const COMPARED_USER_ATTRIBUTES = ['userName', 'externalId', 'active', 'displayName', 'emails'];

function scalar(value: ScimObject[string] | undefined): string[] {
  if (value === undefined || value === null || typeof value === 'object') return [];
  return [String(value)];
}

function comparable(desired: DesiredResource, keys: string[]): Record<string, string[]> {
  const attributes: Record<string, string[]> = {};
  for (const key of keys) {
    if (!desired.managed.includes(key)) continue;
    const value = desired.values[key];
    attributes[key] = Array.isArray(value)
      ? value.flatMap((item) => (item && typeof item === 'object' && !Array.isArray(item) && typeof item.value === 'string' ? [item.value] : []))
      : scalar(value);
  }
  return attributes;
}

/** What provision would make of the request: the User or Group resource, members included. */
export async function renderResource(config: ScimConfig, remoteIds: RemoteIdLookup, request: ProvisionRequest): Promise<Rendering> {
  const { subject, action } = request;
  if (subject.subjectType === 'SERVICE') return { object: null, document: null, detail: 'SCIM targets do not provision services' };
  if (subject.subjectType === 'PERSON') {
    const person = subject as PersonPayload;
    if (person.skeleton || action === ProvisioningAction.PERSON_DELETED) {
      if (config.deprovision === 'DELETE') return { object: null, document: null, detail: 'the User would be deleted' };
      const document = { externalId: person.id, active: false };
      return { object: request.remoteId ? { remoteId: request.remoteId, attributes: { externalId: [person.id], active: ['false'] } } : null, document, detail: 'the User would be deactivated' };
    }
    const userName = userNameOf(config, person);
    if (!userName) throw new PermanentProvisioningError(`person ${person.id} has no active identifier of type "${config.userNameIdentifierType}" for the userName`);
    const desired = userResource(config, person, userName);
    return {
      object: { remoteId: request.remoteId, attributes: comparable(desired, COMPARED_USER_ATTRIBUTES) },
      document: { schemas: desired.schemas, ...desired.values },
      detail: request.remoteId ? `User ${request.remoteId}` : 'a new User',
    };
  }
  const group = subject as GroupPayload;
  if (action === ProvisioningAction.GROUP_DELETED) return { object: null, document: null, detail: 'the Group would be deleted' };
  const desired = groupResource(config, group);
  const personIds = [...new Set(group.members.filter((member) => member.member).map((member) => member.personId))];
  const found = personIds.length ? await remoteIds.getMany(SubjectType.PERSON, personIds) : new Map<string, string>();
  const members = [...new Set(found.values())];
  return {
    object: { remoteId: request.remoteId, attributes: { ...comparable(desired, ['displayName', 'externalId']), members } },
    document: { schemas: desired.schemas, ...desired.values, members: members.map(memberValue) },
    detail: request.remoteId ? `Group ${request.remoteId}` : 'a new Group',
  };
}
