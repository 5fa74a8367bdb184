import type { Client } from 'ldapts';
import { GROUP_ACTIONS, ProvisioningAction, SERVICE_ACTIONS, SubjectType } from '../../provisioning/actions';
import type { GroupPayload, PersonPayload } from '../../provisioning/payload';
import { PersonStatus } from '../../registry/enums';
import {
  PermanentProvisioningError,
  type ProvisionRequest,
  type ProvisionResult,
  type ProvisionerPlugin,
  type ReadBack,
  type TargetContext,
} from '../plugin';
import { buildGroupEntry, buildPersonEntry, GroupWithoutGidNumberError, type DesiredEntry, type ResolvedMembers } from './attributes';
import { LDAP_SECRET_FIELDS, ldapConfigSchema, type LdapConfig } from './config';
import { LdapConnections } from './connections';
import { groupEntryName, personEntryName } from './dn';
import { Directory } from './directory';
import { ENTRY_ALREADY_EXISTS, provisioningError, resultCode } from './errors';
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
  const client: Client = await connections.client(ctx.targetId, ctx.config);
  return new Directory(client, ctx.config.url);
}

function mismatch(action: ProvisioningAction, subjectType: string): PermanentProvisioningError {
  return new PermanentProvisioningError(`action ${action} cannot be applied to a ${subjectType.toLowerCase()}`);
}

// ---------------------------------------------------------------------------------------------
// Shared steps

/** Deletes the entry at each DN given (old and new name); reports whether any was there. */
async function removeAll(directory: Directory, dns: (string | null)[]): Promise<string[]> {
  const removed: string[] = [];
  for (const dn of new Set(dns.filter((candidate): candidate is string => !!candidate))) {
    if (await directory.remove(dn)) removed.push(dn);
  }
  return removed;
}

/** Adds the entry; one that already exists (e.g. a retried add) is brought up to date instead. */
async function addOrReplace(directory: Directory, entry: DesiredEntry): Promise<string> {
  try {
    await directory.add(entry);
    return `added ${entry.name.dn}`;
  } catch (error) {
    const cause = (error as Error).cause;
    if (resultCode(cause) !== ENTRY_ALREADY_EXISTS) throw error;
    await directory.replace(entry);
    return `modified ${entry.name.dn} (it already existed)`;
  }
}

/**
 * Whether an entry at the subject's DN that Ferry holds no DN for may be taken over. Explicit
 * reprovision requests (reprovision-all, provision, reconciliation) make the target match the
 * registry, and must converge after a crash that lost the stored DN of an entry Ferry had
 * written; changes from the registry never take over an entry.
 */
function adopts(ctx: Context, action: ProvisioningAction): boolean {
  return (
    ctx.config.adoptExistingEntries ||
    action === ProvisioningAction.PERSON_REPROVISION_REQUESTED ||
    action === ProvisioningAction.GROUP_REPROVISION_REQUESTED
  );
}

/** Adds an entry; one already at the DN is not Ferry's for this subject, so it is left alone. */
async function addOwnEntry(directory: Directory, entry: DesiredEntry, kind: string): Promise<void> {
  try {
    await directory.add(entry);
  } catch (error) {
    if (resultCode((error as Error).cause) !== ENTRY_ALREADY_EXISTS) throw error;
    throw new PermanentProvisioningError(
      `${entry.name.dn} already exists and is not the entry Ferry wrote for this ${kind} (the directory compares names without case): ` +
        'it is left alone; set adoptExistingEntries on the target to take such entries over',
      { cause: error },
    );
  }
}

/**
 * Renames the entry at `previousDn` when its name changed, then replaces the managed attributes;
 * an entry that vanished is added again (spec 3.3, modify falling back to add).
 */
async function upsert(directory: Directory, entry: DesiredEntry, previousDn: string | null, adopt: boolean, kind: string): Promise<string> {
  if (!previousDn && !adopt) {
    await addOwnEntry(directory, entry, kind);
    return `added ${entry.name.dn}`;
  }
  const steps: string[] = [];
  if (previousDn && previousDn !== entry.name.dn) {
    // Only the spelling differs (e.g. uid=Ada -> uid=ada): the directory already names it so.
    if (previousDn.toLowerCase() !== entry.name.dn.toLowerCase()) {
      const outcome = await directory.rename(previousDn, entry.name);
      if (outcome === 'renamed') steps.push(`renamed ${previousDn} to ${entry.name.dn}`);
      if (outcome === 'unmovable') {
        await directory.remove(previousDn);
        steps.push(`deleted ${previousDn}`);
      }
    }
  }
  if (await directory.replace(entry)) {
    steps.push(`modified ${entry.name.dn}`);
  } else {
    steps.push(await addOrReplace(directory, entry));
  }
  return steps.join(', ');
}

// ---------------------------------------------------------------------------------------------
// People

async function deletePerson(ctx: Context, request: ProvisionRequest, person: PersonPayload): Promise<ProvisionResult> {
  // The stored DN names the entry we wrote; a skeleton payload has no identifiers anyway.
  const dn = request.remoteId ?? (person.skeleton ? null : personEntryName(ctx.config, person)?.dn ?? null);
  if (!dn) return { remoteId: null, detail: 'nothing to delete: the person was never provisioned to this target' };
  const directory = await directoryFor(ctx);
  const removed = await directory.remove(dn);
  return { remoteId: null, detail: removed ? `deleted ${dn}` : `nothing to delete: ${dn} does not exist` };
}

async function provisionPerson(ctx: Context, request: ProvisionRequest, person: PersonPayload): Promise<ProvisionResult> {
  const { action } = request;
  if (GROUP_ACTIONS.has(action)) throw mismatch(action, 'person');
  // A non-provisionable status always deprovisions, whatever the action (spec 2.4 / 3.3 override 1).
  if (person.skeleton || action === ProvisioningAction.PERSON_DELETED) return deletePerson(ctx, request, person);

  const name = personEntryName(ctx.config, person);
  if (!name) {
    const reason = `person ${person.id} has no active identifier of type "${ctx.config.dnIdentifierType}" to name its entry`;
    // Upstream override 3: e.g. an expired person who lost the identifier is left alone.
    if (person.status !== PersonStatus.ACTIVE) return { remoteId: request.remoteId, detail: `skipped: ${reason}` };
    throw new PermanentProvisioningError(`cannot provision to LDAP: ${reason}`);
  }
  const entry = buildPersonEntry(ctx.config, person, name);
  const directory = await directoryFor(ctx);

  if (action === ProvisioningAction.PERSON_ADDED) {
    // Upstream deletes whatever sits at the DN first. Ferry removes only the entry it wrote for
    // this person: an entry it did not write (e.g. another person's, whose uid differs only in
    // case, which the directory does not distinguish) is never deleted or taken over.
    const removed = await removeAll(directory, [request.remoteId]);
    await addOwnEntry(directory, entry, 'person');
    return { remoteId: entry.name.dn, detail: [...removed.map((dn) => `deleted ${dn}`), `added ${entry.name.dn}`].join(', ') };
  }
  if (PERSON_UPDATE_ACTIONS.has(action)) {
    return { remoteId: entry.name.dn, detail: await upsert(directory, entry, request.remoteId, adopts(ctx, action), 'person') };
  }
  throw mismatch(action, 'person');
}

// ---------------------------------------------------------------------------------------------
// Groups

async function resolveMembers(ctx: Context, group: GroupPayload): Promise<ResolvedMembers> {
  const ids = [...new Set(group.members.filter((member) => member.member || member.owner).map((member) => member.personId))];
  // The lookup is scoped to this target: a DN stored for another target never leaks in (D10).
  const dns = ids.length > 0 ? await ctx.remoteIds.getMany(SubjectType.PERSON, ids) : new Map<string, string>();
  const dnsOf = (members: typeof group.members) =>
    members.map((member) => dns.get(member.personId)).filter((dn): dn is string => typeof dn === 'string' && dn !== '');
  return {
    memberDns: dnsOf(group.members.filter((member) => member.member)),
    ownerDns: dnsOf(group.members.filter((member) => member.owner)),
  };
}

async function provisionGroup(ctx: Context, request: ProvisionRequest, group: GroupPayload): Promise<ProvisionResult> {
  const { action } = request;
  if (!GROUP_ACTIONS.has(action)) throw mismatch(action, 'group');
  const { groupBaseDn } = ctx.config;
  if (!groupBaseDn) return { remoteId: null, detail: 'ignored: no groupBaseDn configured for this target' };
  const name = groupEntryName(groupBaseDn, group);

  if (action === ProvisioningAction.GROUP_DELETED) {
    const dn = request.remoteId ?? name.dn;
    const removed = await (await directoryFor(ctx)).remove(dn);
    return { remoteId: null, detail: removed ? `deleted ${dn}` : `nothing to delete: ${dn} does not exist` };
  }

  let entry: DesiredEntry | null;
  try {
    entry = buildGroupEntry(ctx.config, group, name, await resolveMembers(ctx, group));
  } catch (error) {
    if (error instanceof GroupWithoutGidNumberError) throw new PermanentProvisioningError(`cannot provision to LDAP: ${error.message}`);
    throw error;
  }
  const directory = await directoryFor(ctx);

  if (!entry) {
    // groupOfNames must have a member: under the "delete" policy an empty group has no entry.
    const removed = await removeAll(directory, [request.remoteId, name.dn]);
    return {
      remoteId: null,
      detail: removed.length > 0 ? `removed: no members (deleted ${removed.join(', ')})` : 'not created: no members',
    };
  }
  switch (action) {
    case ProvisioningAction.GROUP_ADDED:
      if (!request.remoteId && !ctx.config.adoptExistingEntries) {
        await addOwnEntry(directory, entry, 'group');
        return { remoteId: entry.name.dn, detail: `added ${entry.name.dn}` };
      }
      return { remoteId: entry.name.dn, detail: await addOrReplace(directory, entry) };
    case ProvisioningAction.GROUP_REPROVISION_REQUESTED: {
      const removed = await removeAll(directory, [request.remoteId]);
      if (adopts(ctx, action)) await addOrReplace(directory, entry);
      else await addOwnEntry(directory, entry, 'group');
      return { remoteId: entry.name.dn, detail: [...removed.map((dn) => `deleted ${dn}`), `added ${entry.name.dn}`].join(', ') };
    }
    case ProvisioningAction.GROUP_UPDATED:
      return { remoteId: entry.name.dn, detail: await upsert(directory, entry, request.remoteId, ctx.config.adoptExistingEntries, 'group') };
    default:
      throw mismatch(action, 'group');
  }
}

// ---------------------------------------------------------------------------------------------

async function readBack(ctx: Context, subjectType: SubjectType, remoteId: string): Promise<ReadBack> {
  if (subjectType === SubjectType.SERVICE) return { exists: false, detail: 'LDAP targets do not provision services' };
  return readEntry(await connections.client(ctx.targetId, ctx.config), ctx.config.url, remoteId);
}

/**
 * The LDAP provisioner (COmanage's LdapProvisioner, spec section 3) with Ferry's fixes: add errors
 * fail (D8), deleting what was never provisioned is a no-op (D9), member DNs come from this
 * target only (D10), and RDN values are escaped.
 */
export const ldapPlugin: ProvisionerPlugin<LdapConfig> = {
  name: 'ldap',
  configSchema: ldapConfigSchema,
  secretFields: LDAP_SECRET_FIELDS,

  async provision(ctx, request) {
    const { subject, action } = request;
    if (SERVICE_ACTIONS.has(action) || subject.subjectType === 'SERVICE') {
      return { remoteId: null, detail: 'ignored: LDAP targets do not provision services' };
    }
    try {
      const result =
        subject.subjectType === 'PERSON' ? await provisionPerson(ctx, request, subject) : await provisionGroup(ctx, request, subject);
      ctx.logger.debug({ target: ctx.targetName, action, subjectId: subject.id, remoteId: result.remoteId }, result.detail);
      return result;
    } catch (error) {
      throw provisioningError(error, `${action} of ${subject.subjectType.toLowerCase()} ${subject.id}`, ctx.config.url);
    }
  },

  readBack,

  async *list(ctx, subjectType) {
    yield* listEntries(await connections.client(ctx.targetId, ctx.config), ctx, subjectType);
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
    await (await directoryFor(ctx)).remove(remoteId);
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
