import { randomUUID } from 'node:crypto';
import { scimPlugin, type ScimConfig } from '../../src/plugins/scim';
import type { ProvisionResult, ReadBack, RemoteObject, TargetContext } from '../../src/plugins/plugin';
import { createLogger } from '../../src/observability/logger';
import { OutboundPolicy } from '../../src/security/outbound-addresses';
import { ProvisioningAction, SubjectType } from '../../src/provisioning/actions';
import type { GroupPayload, PersonPayload } from '../../src/provisioning/payload';
import type { ScimServer } from '../support/scim-server';
import { MemoryRemoteIds, ORGANIZATION_ID } from './ldap-fixtures';

/** A SCIM target context as the engine builds it, with the provisioned state kept in memory. */

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const LOOPBACK_POLICY = new OutboundPolicy('127.0.0.0/8,::1/128');

export interface ScimTestTarget {
  ctx: TargetContext<ScimConfig>;
  state: MemoryRemoteIds;
  /** The members recorded from results, per group id, as the provisioner records them. */
  written: Map<string, Set<string>>;
  /** Calls the plugin as the engine would: with the stored remote id, storing the result's. */
  provision(action: ProvisioningAction, subject: PersonPayload | GroupPayload): Promise<ProvisionResult>;
  remoteId(subject: PersonPayload | GroupPayload): Promise<string | null>;
  readBack(subjectType: SubjectType, remoteId: string): Promise<ReadBack>;
  list(subjectType: SubjectType): Promise<RemoteObject[]>;
}

const openTargets: string[] = [];

const typeOf = (subject: PersonPayload | GroupPayload) => (subject.subjectType === 'PERSON' ? SubjectType.PERSON : SubjectType.GROUP);

export function scimTarget(server: Pick<ScimServer, 'url' | 'token'>, overrides: Record<string, unknown> = {}): ScimTestTarget {
  const config = scimPlugin.configSchema.parse({ baseUrl: server.url, bearerToken: server.token, timeoutMs: 3000, ...overrides });
  const state = new MemoryRemoteIds();
  const written = new Map<string, Set<string>>();
  const ctx: TargetContext<ScimConfig> = {
    targetId: randomUUID(),
    targetName: 'test SCIM service',
    organizationId: ORGANIZATION_ID,
    config,
    remoteIds: state,
    logger,
    // The test servers listen on loopback.
    outbound: LOOPBACK_POLICY,
    writtenMembers: { of: async (groupId) => [...(written.get(groupId) ?? [])].sort() },
  };
  openTargets.push(ctx.targetId);
  return {
    ctx,
    state,
    written,
    async provision(action, subject) {
      const remoteId = await state.get(typeOf(subject), subject.id);
      const result = await scimPlugin.provision(ctx, { action, subject, remoteId });
      state.set(typeOf(subject), subject.id, result.remoteId);
      if (subject.subjectType === 'GROUP' && !result.remoteId) written.delete(subject.id);
      else if (subject.subjectType === 'GROUP' && result.members) written.set(subject.id, new Set(result.members));
      for (const groupId of result.addedToGroups ?? []) written.set(groupId, new Set([...(written.get(groupId) ?? []), result.remoteId!]));
      return result;
    },
    remoteId: (subject) => state.get(typeOf(subject), subject.id),
    readBack: (subjectType, remoteId) => scimPlugin.readBack(ctx, subjectType, remoteId),
    async list(subjectType) {
      const objects: RemoteObject[] = [];
      for await (const object of scimPlugin.list!(ctx, subjectType)) objects.push(object);
      return objects;
    },
  };
}

export async function closeScimTargets(): Promise<void> {
  await Promise.all(openTargets.splice(0).map((targetId) => scimPlugin.close?.(targetId)));
}
