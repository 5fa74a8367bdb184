import { randomUUID } from 'node:crypto';
import { ldapPlugin, type LdapConfig } from '../../src/plugins/ldap';
import type { PendingClaim, ProvisionResult, RemoteIdLookup, TargetContext } from '../../src/plugins/plugin';
import { ProvisioningAction, SubjectType } from '../../src/provisioning/actions';
import type { GroupMemberPayload, GroupPayload, NamePayload, PersonPayload, RolePayload } from '../../src/provisioning/payload';
import { createLogger } from '../../src/observability/logger';
import { OutboundPolicy } from '../../src/security/outbound-addresses';
import { Affiliation, GroupType, PersonStatus, RecordStatus } from '../../src/registry/enums';
import type { Slapd } from '../support/slapd';

/** Hand-built payloads and an in-memory stand-in for the provisioned state, for plugin tests. */

export const ORGANIZATION_ID = randomUUID();
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const LOOPBACK_POLICY = new OutboundPolicy('127.0.0.0/8,::1/128');

let counter = 0;
/** A name no other test uses, e.g. "ada-7-lq3k". */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}-${Date.now().toString(36)}`;
}

/**
 * What the engine keeps per target: the remote id (DN) and remote key (entryUUID) of each subject,
 * and the claims of creates not yet settled, scoped to the target.
 */
export class MemoryRemoteIds implements RemoteIdLookup {
  private readonly ids = new Map<string, string>();
  private readonly keys = new Map<string, string>();
  readonly claims = new Map<string, PendingClaim>();

  static key(subjectType: SubjectType, subjectId: string): string {
    return `${subjectType}:${subjectId}`;
  }

  async get(subjectType: SubjectType, subjectId: string): Promise<string | null> {
    return this.ids.get(MemoryRemoteIds.key(subjectType, subjectId)) ?? null;
  }

  async getMany(subjectType: SubjectType, subjectIds: string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (const id of subjectIds) {
      const remoteId = this.ids.get(MemoryRemoteIds.key(subjectType, id));
      if (remoteId) found.set(id, remoteId);
    }
    return found;
  }

  async holderOfKey(subjectType: SubjectType, remoteKey: string): Promise<string | null> {
    for (const [key, value] of this.keys) if (value === remoteKey && key.startsWith(`${subjectType}:`)) return key.slice(subjectType.length + 1);
    return null;
  }

  remoteKey(subjectType: SubjectType, subjectId: string): string | null {
    return this.keys.get(MemoryRemoteIds.key(subjectType, subjectId)) ?? null;
  }

  set(subjectType: SubjectType, subjectId: string, remoteId: string | null, remoteKey?: string | null): void {
    const key = MemoryRemoteIds.key(subjectType, subjectId);
    if (remoteId === null) this.ids.delete(key);
    else this.ids.set(key, remoteId);
    const newKey = remoteId === null ? null : remoteKey === undefined ? (this.keys.get(key) ?? null) : remoteKey;
    if (newKey) this.keys.set(key, newKey);
    else this.keys.delete(key);
  }
}

export interface TestTarget {
  ctx: TargetContext<LdapConfig>;
  state: MemoryRemoteIds;
  /** Calls the plugin as the engine would: with the stored remote id, storing the result's. */
  provision(action: ProvisioningAction, subject: PersonPayload | GroupPayload): Promise<ProvisionResult>;
  remoteId(subject: PersonPayload | GroupPayload): Promise<string | null>;
}

const openTargets: string[] = [];

export function ldapTarget(slapd: Pick<Slapd, 'url' | 'bindDn' | 'bindPassword' | 'peopleDn' | 'groupsDn'>, overrides: Record<string, unknown> = {}): TestTarget {
  const config = ldapPlugin.configSchema.parse({
    url: slapd.url,
    bindDn: slapd.bindDn,
    bindPassword: slapd.bindPassword,
    peopleBaseDn: slapd.peopleDn,
    groupBaseDn: slapd.groupsDn,
    timeoutMs: 3000,
    ...overrides,
  });
  const state = new MemoryRemoteIds();
  const ctx: TargetContext<LdapConfig> = {
    targetId: randomUUID(),
    targetName: 'test directory',
    organizationId: ORGANIZATION_ID,
    config,
    remoteIds: state,
    logger,
    // The test servers listen on loopback.
    outbound: LOOPBACK_POLICY,
  };
  openTargets.push(ctx.targetId);
  const typeOf = (subject: PersonPayload | GroupPayload) => (subject.subjectType === 'PERSON' ? SubjectType.PERSON : SubjectType.GROUP);
  return {
    ctx,
    state,
    async provision(action, subject) {
      // As the engine does: the stored DN and entryUUID, the claims of creates not yet settled.
      const type = typeOf(subject);
      const key = MemoryRemoteIds.key(type, subject.id);
      const remoteId = await state.get(type, subject.id);
      const before = remoteId;
      let claimed = state.claims.has(key);
      try {
        const result = await ldapPlugin.provision(ctx, {
          action,
          subject,
          remoteId,
          remoteKey: state.remoteKey(type, subject.id),
          pendingClaim: state.claims.get(key) ?? null,
          claim: async (dn) => {
            state.claims.set(key, { remoteId: dn, since: new Date() });
            claimed = true;
          },
        });
        state.set(type, subject.id, result.remoteId, result.remoteKey !== undefined ? result.remoteKey : result.remoteId === before ? undefined : null);
        if (claimed) state.claims.delete(key);
        return result;
      } catch (error) {
        if (claimed && (error as { transient?: boolean }).transient !== true) state.claims.delete(key);
        throw error;
      }
    },
    remoteId: (subject) => state.get(typeOf(subject), subject.id),
  };
}

export async function closeTestTargets(): Promise<void> {
  await Promise.all(openTargets.splice(0).map((targetId) => ldapPlugin.close?.(targetId)));
}

export function name(given: string, family: string | null, extra: Partial<NamePayload> = {}): NamePayload {
  return { type: 'OFFICIAL', honorific: null, given, middle: null, family, suffix: null, language: null, primary: true, ...extra };
}

export function role(extra: Partial<RolePayload> = {}): RolePayload {
  return {
    id: randomUUID(),
    status: PersonStatus.ACTIVE,
    affiliation: Affiliation.STAFF,
    title: null,
    o: null,
    ou: null,
    cou: null,
    order: 1,
    validFrom: null,
    validThrough: null,
    addresses: [],
    telephoneNumbers: [],
    adHocAttributes: [],
    ...extra,
  };
}

/** An active person with one uid identifier and a primary name. */
export function person(uid: string, extra: Partial<PersonPayload> = {}): PersonPayload {
  const primary = name('Ada', 'Lovelace');
  return {
    subjectType: 'PERSON',
    id: randomUUID(),
    organizationId: ORGANIZATION_ID,
    status: PersonStatus.ACTIVE,
    skeleton: false,
    primaryName: primary,
    names: [primary],
    emailAddresses: [{ mail: `${uid.trim()}@example.org`, type: 'OFFICIAL', verified: true }],
    identifiers: [{ type: 'uid', value: uid, login: true }],
    urls: [],
    roles: [],
    memberships: [],
    orgIdentityLinks: [],
    termsAgreements: [],
    entitlements: [],
    ...extra,
  };
}

/** The payload the marshaller sends for a person whose status is not provisionable. */
export function skeleton(of: PersonPayload, status = PersonStatus.PENDING): PersonPayload {
  return {
    ...person('unused'),
    id: of.id,
    status,
    skeleton: true,
    primaryName: null,
    names: [],
    emailAddresses: [],
    identifiers: [],
  };
}

export function memberOf(people: PersonPayload[], options: { owner?: boolean; member?: boolean } = {}): GroupMemberPayload[] {
  return people.map((member) => ({
    personId: member.id,
    member: options.member ?? true,
    owner: options.owner ?? false,
    identifiers: member.identifiers,
  }));
}

export function group(fullName: string, members: GroupMemberPayload[] = [], extra: Partial<GroupPayload> = {}): GroupPayload {
  return {
    subjectType: 'GROUP',
    id: randomUUID(),
    organizationId: ORGANIZATION_ID,
    name: fullName,
    extension: fullName.split(':').pop() ?? fullName,
    description: null,
    status: RecordStatus.ACTIVE,
    groupType: GroupType.STANDARD,
    identifiers: [],
    members,
    ...extra,
  };
}

export { ProvisioningAction };
