import { appliesToGroup, GROUP_ACTIONS, ProvisioningAction, SERVICE_ACTIONS, SubjectType } from '../../provisioning/actions';
import { provisionWithPrefetchedMembers } from '../batch';
import {
  groupNamingSetting,
  PermanentProvisioningError,
  type ProvisionerPlugin,
  type ReadBack,
  type RemoteObject,
  type TargetContext,
} from '../plugin';
import { CapabilityCache } from './capabilities';
import { ScimClient } from './client';
import { SCIM_SECRET_FIELDS, scimConfigSchema, type ScimConfig } from './config';
import { ResourceEndpoint, type ScimSession } from './endpoint';
import { provisioningError } from './errors';
import { heldMembers, provisionGroup } from './groups';
import { memberIdsOf, stringAttribute, subjectIdOf, type ScimObject } from './mapping';
import { provisionUser } from './users';
import { renderResource } from './render';

type Context = TargetContext<ScimConfig>;



const capabilities = new CapabilityCache();

function clientFor(ctx: Context): ScimClient {
  return new ScimClient(ctx.config, ctx.logger, ctx.outbound);
}

async function openSession(ctx: Context): Promise<ScimSession> {
  const client = clientFor(ctx);
  return {
    config: ctx.config,
    client,
    capabilities: await capabilities.get(ctx.targetId, ctx.config.baseUrl, client, ctx.logger),
    logger: ctx.logger,
    writtenMembers: ctx.writtenMembers,
  };
}

function endpointFor(session: ScimSession, subjectType: SubjectType): ResourceEndpoint {
  return subjectType === SubjectType.PERSON ? new ResourceEndpoint(session, '/Users', 'User') : new ResourceEndpoint(session, '/Groups', 'Group');
}

function mismatch(action: ProvisioningAction, subjectType: string): PermanentProvisioningError {
  return new PermanentProvisioningError(`action ${action} cannot be applied to a ${subjectType.toLowerCase()}`);
}

const text = (value: ScimObject[string] | undefined): string[] =>
  value === undefined || value === null || typeof value === 'object' ? [] : [String(value)];

/** Multi-valued attributes (emails, ...) as their values. */
const values = (value: ScimObject[string] | undefined): string[] =>
  Array.isArray(value)
    ? value.flatMap((item) => (item && typeof item === 'object' && !Array.isArray(item) && typeof item.value === 'string' ? [item.value] : []))
    : [];

function readBackAttributes(subjectType: SubjectType, resource: ScimObject): Record<string, string[]> {
  if (subjectType === SubjectType.PERSON) {
    return {
      userName: text(resource.userName),
      externalId: text(resource.externalId),
      active: text(resource.active),
      displayName: text(resource.displayName),
      emails: values(resource.emails),
    };
  }
  return { displayName: text(resource.displayName), externalId: text(resource.externalId), members: memberIdsOf(resource) };
}

async function readBack(ctx: Context, subjectType: SubjectType, remoteId: string): Promise<ReadBack> {
  if (subjectType === SubjectType.SERVICE) return { exists: false, detail: 'SCIM targets do not provision services' };
  const client = clientFor(ctx);
  try {
    const session = await openSession(ctx);
    const endpoint = endpointFor(session, subjectType);
    const held = await endpoint.read(remoteId);
    if (!held) return { exists: false, detail: `no ${endpoint.kind} ${remoteId} on the target` };
    const attributes = readBackAttributes(subjectType, held.resource);
    const label = subjectType === SubjectType.PERSON ? attributes.userName[0] : attributes.displayName[0];
    // A server that hides Group members: what Ferry wrote stands for what it holds (nothing else
    // can be known), decided as provisioning decides it.
    const groupId = subjectType === SubjectType.GROUP ? subjectIdOf(held.resource) : null;
    const members = groupId !== null ? await heldMembers(session, groupId, held.resource) : null;
    const fromRecord = members?.fromRecord ?? false;
    if (members) attributes.members = members.ids;
    const state =
      subjectType === SubjectType.PERSON
        ? attributes.active[0] === 'false' ? 'inactive' : 'active'
        : `${attributes.members.length} members${fromRecord ? ' (as Ferry wrote them: the target does not show members)' : ''}`;
    return { exists: true, detail: `${endpoint.kind} ${label ?? remoteId} (${remoteId}), ${state}`, attributes };
  } catch (error) {
    throw provisioningError(error, `read of ${subjectType.toLowerCase()} ${remoteId}`, client.origin);
  }
}

async function* list(ctx: Context, subjectType: SubjectType): AsyncIterable<RemoteObject> {
  // Users and Groups only: services and email lists are not SCIM resources here.
  if (subjectType !== SubjectType.PERSON && subjectType !== SubjectType.GROUP) return;
  const client = clientFor(ctx);
  const label = subjectType === SubjectType.PERSON ? 'userName' : 'displayName';
  try {
    const session = await openSession(ctx);
    // Never the members: listing must stay cheap whatever the size of the groups.
    for await (const resource of endpointFor(session, subjectType).list(['id', 'externalId', label])) {
      yield { remoteId: resource.id, subjectId: subjectIdOf(resource), label: stringAttribute(resource, label) ?? resource.id };
    }
  } catch (error) {
    throw provisioningError(error, `listing of ${subjectType === SubjectType.PERSON ? 'Users' : 'Groups'}`, client.origin);
  }
}

/**
 * The SCIM 2.0 provisioner (RFC 7643/7644): people become Users, groups Groups with their members
 * as deltas. Adapts to the server's /ServiceProviderConfig (PATCH or PUT, ETags, filtering).
 */
export const scimPlugin: ProvisionerPlugin<ScimConfig> = {
  name: 'scim',
  // Requests share keep-alive connections; SaaS APIs rate-limit, so a few at a time.
  defaultConcurrency: 4,
  configSchema: scimConfigSchema,
  groupNaming: groupNamingSetting,
  secretFields: SCIM_SECRET_FIELDS,
  urlFields: ['baseUrl'],

  async provision(ctx, request) {
    const { subject, action } = request;
    if (SERVICE_ACTIONS.has(action) || subject.subjectType === 'SERVICE') {
      return { remoteId: null, detail: 'ignored: SCIM targets do not provision services' };
    }
    // Not called for lists (no provisionsEmailLists): the pipeline skips them.
    if (subject.subjectType === 'EMAIL_LIST') return { remoteId: null, detail: 'ignored: SCIM targets do not provision email lists' };
    const client = clientFor(ctx);
    try {
      if (subject.subjectType === 'GROUP' ? !appliesToGroup(action) : GROUP_ACTIONS.has(action)) throw mismatch(action, subject.subjectType);
      const session = await openSession(ctx);
      const result =
        subject.subjectType === 'PERSON'
          ? await provisionUser(session, ctx.remoteIds, request, subject)
          : await provisionGroup(session, ctx.remoteIds, request, subject);
      ctx.logger.debug({ target: ctx.targetName, action, subjectId: subject.id, remoteId: result.remoteId }, result.detail);
      return result;
    } catch (error) {
      throw provisioningError(error, `${action} of ${subject.subjectType.toLowerCase()} ${subject.id}`, client.origin);
    }
  },

  // A batch resolves the members of all its groups with one lookup, then runs the requests
  // `concurrency` at a time over the target's shared connection.
  provisionBatch(ctx, batch) {
    return provisionWithPrefetchedMembers(scimPlugin, ctx, batch);
  },

  readBack,

  async testConnection(ctx) {
    const client = clientFor(ctx);
    try {
      const { body } = await client.get<{ totalResults?: number }>('/Users', { startIndex: 1, count: 1 });
      return `reached ${ctx.config.baseUrl}: /Users answers with ${body?.totalResults ?? 'an unknown number of'} users`;
    } catch (error) {
      throw provisioningError(error, 'a read of /Users', client.origin);
    }
  },
  list,

  render: (ctx, request) => renderResource(ctx.config, ctx.remoteIds, request),

  async removeRemote(ctx, subjectType, remoteId) {
    const client = clientFor(ctx);
    try {
      await endpointFor(await openSession(ctx), subjectType).remove(remoteId);
    } catch (error) {
      throw provisioningError(error, `removal of ${subjectType.toLowerCase()} ${remoteId}`, client.origin);
    }
  },

  async close(targetId) {
    capabilities.forget(targetId);
  },
  async closeAll() {
    capabilities.clear();
  },
};
