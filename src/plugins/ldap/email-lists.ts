import { ProvisioningAction, SubjectType } from '../../provisioning/actions';
import type { EmailListPayload } from '../../provisioning/payload';
import { RecordStatus } from '../../registry/enums';
import { PermanentProvisioningError, type ProvisionRequest, type ProvisionResult, type TargetContext } from '../plugin';
import { cleanValues, type DesiredEntry } from './attributes';
import type { LdapConfig } from './config';
import { entryName, NameTooLongError, type EntryName } from './dn';
import type { Directory } from './directory';
import { Ownership } from './ownership';

type Context = TargetContext<LdapConfig>;

/** The attributes Ferry manages on a list entry (a replace without values deletes them). */
export const EMAIL_LIST_ATTRIBUTES = ['cn', 'description', 'mail', 'member', 'owner'] as const;

/** Whether the target writes email lists: only with an emailListBaseDn (README, "The LDAP target"). */
export const writesEmailLists = (config: LdapConfig): boolean => Boolean(config.emailListBaseDn);

/** `cn=<list name>,<emailListBaseDn>`. */
export function emailListEntryName(emailListBaseDn: string, list: EmailListPayload): EntryName {
  return entryName('cn', list.name, emailListBaseDn);
}

/** The DNs on this target of the list's members and admins, in payload order (people without a DN here are left out). */
export async function resolveListPeople(ctx: Context, list: EmailListPayload): Promise<{ memberDns: string[]; ownerDns: string[] }> {
  const ids = [...new Set([...list.members, ...list.admins].map((person) => person.personId))];
  // Scoped to this target: a DN stored for another target never leaks in (D10).
  const dns = ids.length > 0 ? await ctx.remoteIds.getMany(SubjectType.PERSON, ids) : new Map<string, string>();
  const of = (people: EmailListPayload['members']) => people.flatMap((person) => (dns.get(person.personId) ? [dns.get(person.personId)!] : []));
  return { memberDns: of(list.members), ownerDns: of(list.admins) };
}

/**
 * The list's entry: a groupOfNames whose `member`s are the DNs of its members' entries on this
 * target and whose `owner`s are its admins' (moderators have no standard attribute and are not
 * written), with `cn`, `description`, and `mail` (the list's address; `extensibleObject` is added
 * then, as groupOfNames does not allow mail). Null when the list must have no entry: it is not
 * active, or it has no member with an entry here under the "delete" empty-group policy.
 */
export function buildEmailListEntry(config: LdapConfig, list: EmailListPayload, name: EntryName, people: { memberDns: string[]; ownerDns: string[] }): DesiredEntry | null {
  if (list.status !== RecordStatus.ACTIVE) return null;
  let memberDns = cleanValues(people.memberDns);
  if (memberDns.length === 0) {
    if (config.emptyGroupPolicy === 'delete' || !config.placeholderMemberDn) return null;
    memberDns = [config.placeholderMemberDn];
  }
  const mail = cleanValues([list.address]);
  const attributes = new Map<string, string[]>();
  for (const [attribute, values] of [
    ['cn', [name.rdnValue]],
    ['description', cleanValues([list.description])],
    ['mail', mail],
    ['member', memberDns],
    ['owner', cleanValues(people.ownerDns)],
  ] as const) {
    if (values.length > 0) attributes.set(attribute, [...values]);
  }
  return {
    name,
    objectClasses: mail.length > 0 ? ['groupOfNames', 'extensibleObject'] : ['groupOfNames'],
    attributes,
    managed: [...EMAIL_LIST_ATTRIBUTES],
  };
}

/**
 * Writes an email list under emailListBaseDn: LIST_ADDED, LIST_UPDATED and
 * LIST_REPROVISION_REQUESTED bring the entry Ferry wrote for the list up to date (created when
 * missing, renamed with the list), LIST_DELETED removes it. Only Ferry's own entry is touched
 * (the ownership rule of people and groups).
 */
export async function provisionEmailList(ctx: Context, directory: () => Promise<Directory>, request: ProvisionRequest, list: EmailListPayload): Promise<ProvisionResult> {
  const { action } = request;
  const baseDn = ctx.config.emailListBaseDn;
  if (!baseDn) return { remoteId: null, detail: 'ignored: this target does not provision email lists (no emailListBaseDn)' };
  let name: EntryName;
  try {
    name = emailListEntryName(baseDn, list);
  } catch (error) {
    if (error instanceof NameTooLongError) throw new PermanentProvisioningError(`cannot provision to LDAP: ${error.message}`);
    throw error;
  }
  const own = new Ownership(ctx, await directory(), request, SubjectType.EMAIL_LIST, baseDn);
  const owned = await own.find();
  const entry = action === ProvisioningAction.LIST_DELETED ? null : buildEmailListEntry(ctx.config, list, name, await resolveListPeople(ctx, list));
  switch (action) {
    case ProvisioningAction.LIST_DELETED:
    case ProvisioningAction.LIST_ADDED:
    case ProvisioningAction.LIST_UPDATED:
    case ProvisioningAction.LIST_REPROVISION_REQUESTED:
      break;
    default:
      throw new PermanentProvisioningError(`action ${action} cannot be applied to an email list`);
  }
  if (!entry) {
    const why = list.status !== RecordStatus.ACTIVE ? `list is ${list.status}` : 'no members';
    if (!owned) return { remoteId: null, detail: action === ProvisioningAction.LIST_DELETED ? await own.nothingOwned(name) : `not created: ${why}` };
    await own.remove(owned);
    return { remoteId: null, detail: action === ProvisioningAction.LIST_DELETED ? `deleted ${owned.dn}` : `removed: ${why} (deleted ${owned.dn})` };
  }
  const written = owned ? await own.update(owned, entry) : await own.create(entry);
  return { remoteId: entry.name.dn, remoteKey: written.uuid, detail: written.detail };
}
