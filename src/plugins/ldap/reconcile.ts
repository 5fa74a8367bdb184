import type { Client, Entry } from 'ldapts';
import { ProvisioningAction, SubjectType } from '../../provisioning/actions';
import type { EmailListPayload, GroupPayload, PersonPayload } from '../../provisioning/payload';
import { PermanentProvisioningError, type ProvisionRequest, type ReadBack, type RemoteObject, type Rendering, type TargetContext } from '../plugin';
import { buildGroupEntryInChunks, buildPersonEntry, type DesiredEntry, type ResolvedMembers } from './attributes';
import type { LdapConfig } from './config';
import { buildEmailListEntry, emailListEntryName, resolveListPeople } from './email-lists';
import { groupEntryName, normalizedDn, personEntryName } from './dn';
import { NO_SUCH_OBJECT, provisioningError, resultCode } from './errors';

type Context = TargetContext<LdapConfig>;

/** The entry as comparable values: objectClass and every managed attribute (empty when unset). */
function comparable(entry: DesiredEntry): Record<string, string[]> {
  const attributes: Record<string, string[]> = { objectclass: [...entry.objectClasses] };
  for (const type of new Set([...entry.managed, ...entry.attributes.keys()])) attributes[type.toLowerCase()] = entry.attributes.get(type) ?? [];
  return attributes;
}

function document(entry: DesiredEntry): Record<string, unknown> {
  return { dn: entry.name.dn, objectClass: entry.objectClasses, ...Object.fromEntries(entry.attributes) };
}

/** What provision would write for the request, decided the same way (spec section 3.3). */
export async function renderEntry(
  ctx: Context,
  request: ProvisionRequest,
  resolveMembers: (ctx: Context, group: GroupPayload) => Promise<ResolvedMembers>,
): Promise<Rendering> {
  const { subject, action } = request;
  if (subject.subjectType === 'SERVICE') return { object: null, document: null, detail: 'LDAP targets do not provision services' };
  if (subject.subjectType === 'PERSON') {
    const person = subject as PersonPayload;
    if (person.skeleton || action === ProvisioningAction.PERSON_DELETED) {
      return { object: null, document: null, detail: 'the entry would be deleted' };
    }
    const name = personEntryName(ctx.config, person);
    if (!name) throw new PermanentProvisioningError(`person ${person.id} has no active identifier of type "${ctx.config.dnIdentifierType}" to name its entry`);
    const entry = buildPersonEntry(ctx.config, person, name);
    return { object: { remoteId: entry.name.dn, attributes: comparable(entry) }, document: document(entry), detail: entry.name.dn };
  }
  if (subject.subjectType === 'EMAIL_LIST') {
    const list = subject as EmailListPayload;
    if (!ctx.config.emailListBaseDn) return { object: null, document: null, detail: 'no emailListBaseDn configured: email lists are not provisioned' };
    if (action === ProvisioningAction.LIST_DELETED) return { object: null, document: null, detail: 'the entry would be deleted' };
    const entry = buildEmailListEntry(ctx.config, list, emailListEntryName(ctx.config.emailListBaseDn, list), await resolveListPeople(ctx, list));
    if (!entry) return { object: null, document: null, detail: 'no entry: the list is not active, or has no member with an entry here' };
    return { object: { remoteId: entry.name.dn, attributes: comparable(entry) }, document: document(entry), detail: entry.name.dn };
  }
  const group = subject as GroupPayload;
  if (!ctx.config.groupBaseDn) return { object: null, document: null, detail: 'no groupBaseDn configured: groups are not provisioned' };
  if (action === ProvisioningAction.GROUP_DELETED) return { object: null, document: null, detail: 'the entry would be deleted' };
  const entry = await buildGroupEntryInChunks(ctx.config, group, groupEntryName(ctx.config.groupBaseDn, group, ctx.config.groupNaming), await resolveMembers(ctx, group));
  if (!entry) return { object: null, document: null, detail: 'no entry: the group has no members' };
  return { object: { remoteId: entry.name.dn, attributes: comparable(entry) }, document: document(entry), detail: entry.name.dn };
}

const values = (value: Entry[string]): string[] =>
  (Array.isArray(value) ? value : [value]).map((item) => (Buffer.isBuffer(item) ? item.toString('utf8') : String(item)));

/**
 * The entry with its attributes (names lower-cased), or that there is none. `operational` names
 * operational attributes to read as well (the server-internal ones the target exports).
 */
export async function readEntry(client: Client, url: string, dn: string, operational: readonly string[] = []): Promise<ReadBack> {
  try {
    const { searchEntries } = await client.search(dn, { scope: 'base', attributes: ['*', ...operational] });
    const entry = searchEntries[0];
    if (!entry) return { exists: false, detail: `no entry at ${dn}` };
    const attributes: Record<string, string[]> = {};
    for (const [type, value] of Object.entries(entry)) if (type !== 'dn') attributes[type.toLowerCase()] = values(value);
    return { exists: true, detail: dn, attributes };
  } catch (error) {
    if (resultCode(error) === NO_SUCH_OBJECT) return { exists: false, detail: `no entry at ${dn}` };
    throw provisioningError(error, `read of ${dn}`, url);
  }
}

/** Object classes that make an entry a group when people and groups share one base DN. */
const GROUP_CLASSES = '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))';

/**
 * Every entry directly under the people (or group, or email list) base DN: Ferry's managed scope.
 * When people and groups share one DN, groups are the entries of a group object class and people
 * all the others, so no entry is listed (and reconciled) twice. The email lists' base is a DN of
 * its own (the configuration refuses a shared one).
 */
export async function* listEntries(client: Client, ctx: Context, subjectType: SubjectType): AsyncIterable<RemoteObject> {
  const bases: Partial<Record<SubjectType, string | null>> = {
    [SubjectType.PERSON]: ctx.config.peopleBaseDn,
    [SubjectType.GROUP]: ctx.config.groupBaseDn,
    [SubjectType.EMAIL_LIST]: ctx.config.emailListBaseDn,
  };
  const base = bases[subjectType] ?? null;
  if (!base) return;
  const shared = ctx.config.groupBaseDn !== null && normalizedDn(ctx.config.groupBaseDn) === normalizedDn(ctx.config.peopleBaseDn);
  const filter = !shared ? '(objectClass=*)' : subjectType === SubjectType.GROUP ? GROUP_CLASSES : `(!${GROUP_CLASSES})`;
  try {
    const { searchEntries } = await client.search(base, { scope: 'one', filter, attributes: ['1.1'], paged: { pageSize: 500 } });
    for (const entry of searchEntries) yield { remoteId: entry.dn, subjectId: null, label: entry.dn };
  } catch (error) {
    if (resultCode(error) === NO_SUCH_OBJECT) return;
    throw provisioningError(error, `search under ${base}`, ctx.config.url);
  }
}
