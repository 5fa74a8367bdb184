import type { Client } from 'ldapts';
import { forEachInChunks } from '../../common/chunks';
import { provisionWithPrefetchedMembers } from '../batch';
import { appliesToGroup, GROUP_ACTIONS, ProvisioningAction, SERVICE_ACTIONS, SubjectType } from '../../provisioning/actions';
import type { GroupPayload, PersonPayload } from '../../provisioning/payload';
import { PersonStatus } from '../../registry/enums';
import {
  groupNamingSetting,
  PermanentProvisioningError,
  type ProvisionRequest,
  type ProvisionResult,
  type ProvisionerPlugin,
  type ReadBack,
  type TargetContext,
} from '../plugin';
import { buildGroupEntryInChunks, buildPersonEntry, GroupWithoutGidNumberError, type DesiredEntry, type ResolvedMembers } from './attributes';
import { exportedServerInternalAttributes } from './catalog';
import { LDAP_SECRET_FIELDS, ldapConfigSchema, type LdapConfig } from './config';
import { LdapConnections } from './connections';
import { groupEntryName, personEntryName, type EntryName } from './dn';
import { Ownership } from './ownership';
import { Directory } from './directory';
import { provisioningError } from './errors';
import { provisionEmailList, writesEmailLists } from './email-lists';
import { listEntries, readEntry, renderEntry } from './reconcile';

type Context = TargetContext<LdapConfig>;

/** Person actions that update the entry in place (spec 3.3: modify, add when missing). */
const PERSON_UPDATE_ACTIONS: ReadonlySet<ProvisioningAction> = new Set([
  ProvisioningAction.PERSON_UPDATED,
  ProvisioningAction.PERSON_EXPIRED,
  ProvisioningAction.PERSON_UNEXPIRED,
  ProvisioningAction.PERSON_ENTERED_GRACE_PERIOD,
  // Upstream modifies on PR too, so externally managed attributes survive a reprovision.
  ProvisioningAction.PERSON_REPROVISION_REQUESTED,
  ProvisioningAction.PERSON_ENROLLMENT_FINISHED,
]);

const connections = new LdapConnections();

async function directoryFor(ctx: Context): Promise<Directory> {
  const client: Client = await connections.client(ctx.targetId, ctx.config, ctx.outbound);
  return new Directory(client, ctx.config.url);
}

function mismatch(action: ProvisioningAction, subjectType: string): PermanentProvisioningError {
  return new PermanentProvisioningError(`action ${action} cannot be applied to a ${subjectType.toLowerCase()}`);
}

// ---------------------------------------------------------------------------------------------
// Shared steps

/** Deletes the entry Ferry wrote for the subject; anything else at its DN is left alone. */
async function deleteOwned(own: Ownership, name: EntryName | null): Promise<ProvisionResult> {
  const owned = await own.find();
  if (!owned) return { remoteId: null, detail: await own.nothingOwned(name) };
  await own.remove(owned);
  return { remoteId: null, detail: `deleted ${owned.dn}` };
}

/** Updates the entry Ferry wrote for the subject, or creates it when there is none. */
async function upsert(own: Ownership, entry: DesiredEntry): Promise<ProvisionResult> {
  const owned = await own.find();
  const written = owned ? await own.update(owned, entry) : await own.create(entry);
  return { remoteId: entry.name.dn, remoteKey: written.uuid, detail: written.detail };
}

/** Upstream's delete-then-add (PERSON_ADDED, GROUP_REPROVISION_REQUESTED), on Ferry's own entry only. */
async function recreate(own: Ownership, entry: DesiredEntry): Promise<ProvisionResult> {
  const owned = await own.find();
  const steps: string[] = [];
  if (owned) {
    if (owned.recovered) steps.push(`recovered ${owned.dn}, which Ferry created before an interruption`);
    await own.remove(owned);
    steps.push(`deleted ${owned.dn}`);
  }
  const created = await own.create(entry);
  return { remoteId: entry.name.dn, remoteKey: created.uuid, detail: [...steps, created.detail].join(', ') };
}

// ---------------------------------------------------------------------------------------------
// People

async function provisionPerson(ctx: Context, request: ProvisionRequest, person: PersonPayload): Promise<ProvisionResult> {
  const { action } = request;
  if (GROUP_ACTIONS.has(action)) throw mismatch(action, 'person');
  const directory = await directoryFor(ctx);
  const own = new Ownership(ctx, directory, request, SubjectType.PERSON, ctx.config.peopleBaseDn);
  // A non-provisionable status always deprovisions, whatever the action (spec 2.4 / 3.3 override 1).
  if (person.skeleton || action === ProvisioningAction.PERSON_DELETED) {
    return deleteOwned(own, person.skeleton ? null : personEntryName(ctx.config, person));
  }

  const name = personEntryName(ctx.config, person);
  if (!name) {
    const reason = `person ${person.id} has no active identifier of type "${ctx.config.dnIdentifierType}" to name its entry`;
    // Upstream override 3: e.g. an expired person who lost the identifier is left alone.
    if (person.status !== PersonStatus.ACTIVE) return { remoteId: request.remoteId, detail: `skipped: ${reason}` };
    throw new PermanentProvisioningError(`cannot provision to LDAP: ${reason}`);
  }
  const entry = buildPersonEntry(ctx.config, person, name);
  // Upstream deletes whatever sits at the DN first; Ferry deletes only the entry it wrote for
  // this person (an entry it did not write, e.g. another person's whose uid differs only in case,
  // is never deleted or taken over).
  if (action === ProvisioningAction.PERSON_ADDED) return recreate(own, entry);
  if (PERSON_UPDATE_ACTIONS.has(action)) return upsert(own, entry);
  throw mismatch(action, 'person');
}

// ---------------------------------------------------------------------------------------------
// Groups

/** The DNs of the group's members and owners on this target, in payload order (a huge group in chunks). */
async function resolveMembers(ctx: Context, group: GroupPayload): Promise<ResolvedMembers> {
  const ids = new Set<string>();
  await forEachInChunks(group.members, (member) => {
    if (member.member || member.owner) ids.add(member.personId);
  });
  // The lookup is scoped to this target: a DN stored for another target never leaks in (D10).
  const dns = ids.size > 0 ? await ctx.remoteIds.getMany(SubjectType.PERSON, [...ids]) : new Map<string, string>();
  const memberDns: string[] = [];
  const ownerDns: string[] = [];
  await forEachInChunks(group.members, (member) => {
    const dn = dns.get(member.personId);
    if (typeof dn !== 'string' || dn === '') return;
    if (member.member) memberDns.push(dn);
    if (member.owner) ownerDns.push(dn);
  });
  return { memberDns, ownerDns };
}

async function provisionGroup(ctx: Context, request: ProvisionRequest, group: GroupPayload): Promise<ProvisionResult> {
  const { action } = request;
  if (!appliesToGroup(action)) throw mismatch(action, 'group');
  const { groupBaseDn } = ctx.config;
  if (!groupBaseDn) return { remoteId: null, detail: 'ignored: no groupBaseDn configured for this target' };
  const name = groupEntryName(groupBaseDn, group, ctx.config.groupNaming);
  const directory = await directoryFor(ctx);
  const own = new Ownership(ctx, directory, request, SubjectType.GROUP, groupBaseDn);

  if (action === ProvisioningAction.GROUP_DELETED) return deleteOwned(own, name);

  let entry: DesiredEntry | null;
  try {
    entry = await buildGroupEntryInChunks(ctx.config, group, name, await resolveMembers(ctx, group));
  } catch (error) {
    if (error instanceof GroupWithoutGidNumberError) throw new PermanentProvisioningError(`cannot provision to LDAP: ${error.message}`);
    throw error;
  }

  if (!entry) {
    // groupOfNames must have a member: under the "delete" policy an empty group has no entry.
    // Only the entry Ferry wrote for this group goes; whatever else sits at its DN stays.
    const owned = await own.find();
    if (!owned) return { remoteId: null, detail: 'not created: no members' };
    await own.remove(owned);
    return { remoteId: null, detail: `removed: no members (deleted ${owned.dn})` };
  }
  switch (action) {
    case ProvisioningAction.GROUP_ADDED:
    case ProvisioningAction.GROUP_UPDATED:
    // A member's enrollment finished (COmanage PP on the group): assign the DN and modify (spec 3.3).
    case ProvisioningAction.PERSON_ENROLLMENT_FINISHED:
      return upsert(own, entry);
    case ProvisioningAction.GROUP_REPROVISION_REQUESTED:
      return recreate(own, entry);
    default:
      throw mismatch(action, 'group');
  }
}

// ---------------------------------------------------------------------------------------------

async function readBack(ctx: Context, subjectType: SubjectType, remoteId: string): Promise<ReadBack> {
  if (subjectType === SubjectType.SERVICE) return { exists: false, detail: 'LDAP targets do not provision services' };
  const operational = subjectType === SubjectType.PERSON ? exportedServerInternalAttributes(ctx.config.exportedAttributes) : [];
  return readEntry(await connections.client(ctx.targetId, ctx.config, ctx.outbound), ctx.config.url, remoteId, operational);
}

/**
 * The LDAP provisioner (COmanage's LdapProvisioner, spec section 3) with Ferry's fixes: add errors
 * fail (D8), deleting what was never provisioned is a no-op (D9), member DNs come from this
 * target only (D10), and RDN values are escaped.
 */
export const ldapPlugin: ProvisionerPlugin<LdapConfig> = {
  name: 'ldap',
  // Operations are multiplexed over the target's bound connection; slapd runs them in parallel.
  defaultConcurrency: 8,
  configSchema: ldapConfigSchema,
  secretFields: LDAP_SECRET_FIELDS,
  // Not urlFields: FERRY_TARGET_URL_ALLOWLIST is about SCIM and webhook URLs; the address rule applies to every target.
  addressFields: ['url'],
  // Only with an emailListBaseDn; without one, lists are skipped before the plugin is called.
  provisionsEmailLists: writesEmailLists,
  groupNaming: groupNamingSetting,

  async provision(ctx, request) {
    const { subject, action } = request;
    if (SERVICE_ACTIONS.has(action) || subject.subjectType === 'SERVICE') {
      return { remoteId: null, detail: 'ignored: LDAP targets do not provision services' };
    }
    try {
      const result =
        subject.subjectType === 'EMAIL_LIST'
          ? await provisionEmailList(ctx, () => directoryFor(ctx), request, subject)
          : subject.subjectType === 'PERSON'
            ? await provisionPerson(ctx, request, subject)
            : await provisionGroup(ctx, request, subject);
      ctx.logger.debug({ target: ctx.targetName, action, subjectId: subject.id, remoteId: result.remoteId }, result.detail);
      return result;
    } catch (error) {
      throw provisioningError(error, `${action} of ${subject.subjectType.toLowerCase()} ${subject.id}`, ctx.config.url);
    }
  },

  // A batch resolves the members of all its groups with one lookup, then runs the requests
  // `concurrency` at a time over the target's shared connection.
  provisionBatch(ctx, batch) {
    return provisionWithPrefetchedMembers(ldapPlugin, ctx, batch);
  },

  readBack,

  async *list(ctx, subjectType) {
    yield* listEntries(await connections.client(ctx.targetId, ctx.config, ctx.outbound), ctx, subjectType);
  },

  async render(ctx, request) {
    try {
      return await renderEntry(ctx, request, resolveMembers);
    } catch (error) {
      if (error instanceof GroupWithoutGidNumberError) throw new PermanentProvisioningError(`cannot provision to LDAP: ${error.message}`);
      throw error;
    }
  },

  async removeRemote(ctx, _subjectType, remoteId) {
    // An orphan no subject accounts for: removed only on targets set to reconcileDeletesOrphans.
    await (await directoryFor(ctx)).remove(remoteId, null);
  },

  async testConnection(ctx) {
    // A connection of its own: a bind the pool made earlier proves nothing about these settings.
    const probe = new LdapConnections();
    const key = `test:${ctx.targetId}`;
    try {
      const client = await probe.client(key, ctx.config, ctx.outbound);
      const bases = [['peopleBaseDn', ctx.config.peopleBaseDn], ['groupBaseDn', ctx.config.groupBaseDn]] as const;
      for (const [name, dn] of bases) {
        if (dn && !(await readEntry(client, ctx.config.url, dn)).exists) throw new PermanentProvisioningError(`${name} ${dn} does not exist on ${ctx.config.url}`);
      }
      return `bound to ${ctx.config.url} as ${ctx.config.bindDn}; ${bases.filter(([, dn]) => dn).map(([name]) => name).join(' and ')} exist`;
    } finally {
      await probe.close(key);
    }
  },

  closeAll: () => connections.closeAll(),
  async close(targetId) {
    await connections.close(targetId);
  },
};

/** Closes every target's connection (process shutdown, tests). */
export function closeAllLdapConnections(): Promise<void> {
  return connections.closeAll();
}
