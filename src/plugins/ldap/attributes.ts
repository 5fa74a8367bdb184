import { eachChunked, runInChunks, runNow, type Chunked } from '../../common/chunks';
import { PersonStatus } from '../../registry/enums';
import { groupNameOnTarget, type GroupPayload, type PersonPayload } from '../../provisioning/payload';
import {
  ALSO_REQUIRED,
  GROUP_ATTRIBUTES,
  PERSON_ATTRIBUTES,
  PERSON_BASE_OBJECT_CLASSES,
  PERSON_OPTIONAL_OBJECT_CLASSES,
  PERMANENTLY_LOCKED,
  type AttributeSpec,
} from './catalog';
import { affiliationValue, formatName, formatTelephone } from '../formatting';
import type { LdapConfig } from './config';
import { entryName, identifiersOfType, type EntryName } from './dn';

/** What an entry should look like after provisioning. */
export interface DesiredEntry {
  name: EntryName;
  objectClasses: string[];
  /** Attribute name -> cleaned values; only attributes with at least one value. */
  attributes: Map<string, string[]>;
  /**
   * Attributes a modify replaces: the ones in `attributes` plus the managed ones without a value
   * (sent as an empty replace, which deletes them).
   */
  managed: string[];
}

// ---------------------------------------------------------------------------------------------
// Values

/** caseIgnoreMatch also ignores insignificant spaces, so "a  b" and "A b" are one value. */
function matchKey(value: string, caseExact: boolean): string {
  return caseExact ? value : value.replace(/\s+/g, ' ').toLowerCase();
}

/** COmanage's clean-up: line breaks become "$", values are trimmed, empties and repeats dropped. */
export function cleanValues(values: readonly (string | null | undefined)[], spec: Pick<AttributeSpec, 'caseExact' | 'singleValue'> = {}): string[] {
  return runNow(cleanValuesChunked(values, spec));
}

/** cleanValues, pausing between chunks of a long list (a huge group's member DNs). */
function* cleanValuesChunked(values: readonly (string | null | undefined)[], spec: Pick<AttributeSpec, 'caseExact' | 'singleValue'>): Chunked<string[]> {
  const caseExact = spec.caseExact ?? false;
  const seen = new Set<string>();
  const result: string[] = [];
  yield* eachChunked(values, (raw) => {
    if (raw === null || raw === undefined) return;
    const value = raw.replace(/\r?\n/g, '$').trim();
    if (value === '') return;
    const key = matchKey(value, caseExact);
    if (seen.has(key)) return;
    seen.add(key);
    result.push(value);
  });
  return spec.singleValue ? result.slice(0, 1) : result;
}

/** Puts the RDN value first, exactly as in the DN, replacing a value that matches it. */
function withRdnValue(values: readonly string[], rdnValue: string, caseExact: boolean): string[] {
  const key = matchKey(rdnValue.trim(), caseExact);
  return [rdnValue, ...values.filter((value) => matchKey(value, caseExact) !== key)];
}

/** voPersonStatus uses COmanage's API status strings: ACTIVE -> Active, GRACE_PERIOD -> GracePeriod. */
export function statusValue(status: PersonStatus): string {
  return status
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

const sameType = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Statuses whose entry carries pwdAccountLockedTime (COmanage: XP and S, not LK). */
export const LOCKED_OUT_STATUSES: ReadonlySet<PersonStatus> = new Set([PersonStatus.EXPIRED, PersonStatus.SUSPENDED]);

// ---------------------------------------------------------------------------------------------
// Assembly shared by people and groups

interface AssemblyInput {
  catalog: readonly AttributeSpec[];
  enabledObjectClasses: ReadonlySet<string>;
  config: LdapConfig;
  /** Raw values per attribute name; only configured attributes are looked at. */
  values: Map<string, (string | null | undefined)[]>;
  name: EntryName;
}

function isConfigured(spec: AttributeSpec, config: LdapConfig): boolean {
  return spec.required === true || config.exportedAttributes.includes(spec.name);
}

function isEnabled(spec: AttributeSpec, enabled: ReadonlySet<string>): boolean {
  return spec.objectClasses.some((objectClass) => enabled.has(objectClass));
}

/** Cleans the configured values of enabled object classes and forces the RDN value in. */
function* assembleValues({ catalog, enabledObjectClasses, config, values, name }: AssemblyInput): Chunked<Map<string, string[]>> {
  const attributes = new Map<string, string[]>();
  for (const spec of catalog) {
    if (!isEnabled(spec, enabledObjectClasses) || !isConfigured(spec, config)) continue;
    const cleaned = yield* cleanValuesChunked(values.get(spec.name) ?? [], spec);
    if (cleaned.length > 0) attributes.set(spec.name, cleaned);
  }
  // slapd rejects an entry (or a replace) that lacks its RDN value (spec 3.8).
  const rdnSpec = catalog.find((spec) => spec.name.toLowerCase() === name.rdnAttribute.toLowerCase());
  const rdnAttribute = rdnSpec?.name ?? name.rdnAttribute;
  attributes.set(rdnAttribute, withRdnValue(attributes.get(rdnAttribute) ?? [], name.rdnValue, rdnSpec?.caseExact ?? false));
  return attributes;
}

function managedAttributes(input: AssemblyInput, attributes: Map<string, string[]>): string[] {
  // "remove" mode takes over the unexported attributes of enabled classes, except server-internal
  // ones (spec 3.4): a pwdAccountLockedTime that slapd or an administrator set is not Ferry's.
  const removes = (spec: AttributeSpec) => input.config.unconfiguredAttributeMode === 'remove' && !spec.serverInternal;
  const managed = input.catalog
    .filter((spec) => isEnabled(spec, input.enabledObjectClasses))
    .filter((spec) => removes(spec) || isConfigured(spec, input.config))
    .map((spec) => spec.name);
  for (const name of attributes.keys()) if (!managed.includes(name)) managed.push(name);
  return [...new Set(managed)];
}

/**
 * An optional object class goes on the entry only when it has a value, and comes off (with its
 * values) when one of its MUST attributes is missing.
 */
function settleOptionalClass(objectClass: string, catalog: readonly AttributeSpec[], attributes: Map<string, string[]>): boolean {
  const own = catalog.filter((spec) => spec.objectClasses.includes(objectClass));
  const hasValue = own.some((spec) => attributes.has(spec.name));
  const required = [...own.filter((spec) => spec.required).map((spec) => spec.name), ...(ALSO_REQUIRED[objectClass] ?? [])];
  const keep = hasValue && required.every((name) => attributes.has(name));
  if (!keep) {
    for (const spec of own) if (spec.objectClasses.length === 1) attributes.delete(spec.name);
  }
  return keep;
}

function appendExtra(objectClasses: string[], extra: readonly string[]): string[] {
  const result = [...objectClasses];
  for (const objectClass of extra) {
    if (!result.some((present) => present.toLowerCase() === objectClass.toLowerCase())) result.push(objectClass);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// People

function personEnabledObjectClasses(config: LdapConfig): Set<string> {
  const enabled = new Set<string>(PERSON_BASE_OBJECT_CLASSES);
  for (const objectClass of PERSON_OPTIONAL_OBJECT_CLASSES) {
    if (config.personObjectClasses[objectClass]) enabled.add(objectClass);
  }
  return enabled;
}

function personValues(config: LdapConfig, person: PersonPayload): Map<string, (string | null | undefined)[]> {
  const ids = (type: string) => identifiersOfType(person.identifiers, type);
  const types = config.identifierTypes;
  const primary = person.primaryName ?? person.names.find((name) => name.primary) ?? person.names[0] ?? null;
  const displayName = person.names.find((name) => sameType(name.type, config.displayNameType)) ?? primary;
  const roles = person.roles;
  const addresses = roles
    .flatMap((role) => role.addresses)
    .filter((address) => config.addressType === null || sameType(address.type, config.addressType));
  const phones = roles.flatMap((role) => role.telephoneNumbers);
  const phonesOf = (type: string) => phones.filter((phone) => sameType(phone.type, type)).map(formatTelephone);
  const affiliations = roles.map((role) => affiliationValue(role.affiliation));
  const scoped = (value: string) => (config.scope ? `${value}@${config.scope}` : null);
  const uids = ids(types.uid);
  const uidNumber = ids(types.uidNumber)[0];
  const firstUid = uids.find((uid) => uid.trim() !== '');

  return new Map<string, (string | null | undefined)[]>([
    ['sn', [primary?.family?.trim() ? primary.family : '.']],
    ['cn', [primary ? formatName(primary) : null]],
    // Expired and Suspended only: a Locked person keeps a usable account in the directory (spec 3.4).
    ['pwdAccountLockedTime', [LOCKED_OUT_STATUSES.has(person.status) ? PERMANENTLY_LOCKED : null]],
    ['title', roles.map((role) => role.title)],
    ['ou', roles.map((role) => role.ou)],
    [
      'telephoneNumber',
      config.telephoneNumberType === null
        ? phones.filter((phone) => !sameType(phone.type, 'FAX') && !sameType(phone.type, 'MOBILE')).map(formatTelephone)
        : phonesOf(config.telephoneNumberType),
    ],
    ['facsimileTelephoneNumber', phonesOf('FAX')],
    ['mobile', phonesOf('MOBILE')],
    ['street', addresses.map((address) => address.street)],
    ['l', addresses.map((address) => address.locality)],
    ['st', addresses.map((address) => address.state)],
    ['postalCode', addresses.map((address) => address.postalCode)],
    ['roomNumber', addresses.map((address) => address.room)],
    ['givenName', [primary?.given]],
    ['displayName', [displayName ? formatName(displayName) : null]],
    ['o', roles.map((role) => role.o)],
    ['employeeType', affiliations],
    ['labeledURI', person.urls.map((url) => (url.description?.trim() ? `${url.url.trim()} ${url.description.trim()}` : url.url))],
    [
      'mail',
      person.emailAddresses
        .filter((email) => config.mailType === null || sameType(email.type, config.mailType))
        .map((email) => email.mail)
        // mail is an IA5 (ASCII) string: an internationalised address cannot be written; leave it out.
        .filter((mail) => /^[\x20-\x7e]*$/.test(mail)),
    ],
    ['employeeNumber', ids(types.employeeNumber)],
    ['uid', uids],
    ['eduPersonAffiliation', affiliations],
    ['eduPersonScopedAffiliation', affiliations.map(scoped)],
    ['eduPersonEntitlement', person.entitlements.map((entitlement) => entitlement.entitlementUri)],
    ['eduPersonNickname', person.names.filter((name) => sameType(name.type, config.nicknameType)).map((name) => name.given)],
    ['eduPersonOrcid', ids(types.eduPersonOrcid)],
    ['eduPersonPrincipalName', ids(types.eduPersonPrincipalName)],
    ['eduPersonUniqueId', ids(types.eduPersonUniqueId).map(scoped)],
    [
      'isMemberOf',
      person.memberships
        .filter((membership) => membership.member)
        .map((membership) => groupNameOnTarget(config.groupNaming, membership.groupName, membership.groupType)),
    ],
    ['voPersonID', ids(types.voPersonID)],
    ['voPersonSoRID', ids(types.voPersonSoRID)],
    ['voPersonStatus', [statusValue(person.status)]],
    ['voPersonPolicyAgreement', person.termsAgreements.map((agreement) => agreement.url)],
    ['uidNumber', [uidNumber]],
    ['gidNumber', ids(types.gidNumber)],
    ['homeDirectory', [firstUid ? config.homeDirectoryTemplate.replace(/\{uid\}/g, firstUid.trim()) : null]],
    ['loginShell', [config.loginShell]],
    [
      'sshPublicKey',
      roles.flatMap((role) => role.adHocAttributes.filter((attribute) => sameType(attribute.tag, config.sshPublicKeyTag)).map((attribute) => attribute.value)),
    ],
  ]);
}

/** The person's entry per spec 3.4 (inetOrgPerson always; optional classes when enabled and used). */
export function buildPersonEntry(config: LdapConfig, person: PersonPayload, name: EntryName): DesiredEntry {
  const input: AssemblyInput = {
    catalog: PERSON_ATTRIBUTES,
    enabledObjectClasses: personEnabledObjectClasses(config),
    config,
    values: personValues(config, person),
    name,
  };
  const attributes = runNow(assembleValues(input));
  if (!attributes.has('cn')) attributes.set('cn', [name.rdnValue]);
  const objectClasses: string[] = [...PERSON_BASE_OBJECT_CLASSES];
  for (const objectClass of PERSON_OPTIONAL_OBJECT_CLASSES) {
    if (input.enabledObjectClasses.has(objectClass) && settleOptionalClass(objectClass, PERSON_ATTRIBUTES, attributes)) {
      objectClasses.push(objectClass);
    }
  }
  return {
    name,
    objectClasses: appendExtra(objectClasses, config.extraPersonObjectClasses),
    attributes,
    managed: managedAttributes(input, attributes),
  };
}

// ---------------------------------------------------------------------------------------------
// Groups

export interface ResolvedMembers {
  /** DNs on this target of the members with member=true, in payload order. */
  memberDns: string[];
  ownerDns: string[];
}

export class GroupWithoutGidNumberError extends Error {}

/**
 * The group's entry, or null when it would be a groupOfNames without members under the "delete"
 * policy (the entry must then not exist).
 */
export function buildGroupEntry(config: LdapConfig, group: GroupPayload, name: EntryName, members: ResolvedMembers): DesiredEntry | null {
  return runNow(groupEntry(config, group, name, members));
}

/**
 * buildGroupEntry with a turn of the event loop after every chunk of members, for a huge group
 * (20,000 members take longer than the event loop should wait); the entry is the same.
 */
export function buildGroupEntryInChunks(config: LdapConfig, group: GroupPayload, name: EntryName, members: ResolvedMembers): Promise<DesiredEntry | null> {
  return runInChunks(groupEntry(config, group, name, members));
}

/**
 * The group's entry name under the target's groupNaming: `name` as given when it already is
 * (groupEntryName with the target's naming), else named again under the same parent DN, so the
 * entry (its RDN, cn and the DN Ferry records) always follows the target's naming.
 */
function namedOnTarget(config: LdapConfig, group: GroupPayload, name: EntryName): EntryName {
  const value = groupNameOnTarget(config.groupNaming, group.name, group.groupType);
  return name.rdnAttribute.toLowerCase() === 'cn' && name.rdnValue === value ? name : entryName('cn', value, name.parentDn);
}

function* groupEntry(config: LdapConfig, group: GroupPayload, given: EntryName, members: ResolvedMembers): Chunked<DesiredEntry | null> {
  const name = namedOnTarget(config, group, given);
  const enabled = new Set<string>(
    (['groupOfNames', 'posixGroup', 'eduMember'] as const).filter((objectClass) => config.groupObjectClasses[objectClass]),
  );
  const memberIdentifiers: string[] = [];
  yield* eachChunked(group.members, (member) => {
    if (!member.member) return;
    const first = identifiersOfType(member.identifiers, config.memberIdentifierType)[0];
    if (first !== undefined) memberIdentifiers.push(first);
  });
  let memberDns = members.memberDns;
  if (enabled.has('groupOfNames') && memberDns.length === 0) {
    if (config.emptyGroupPolicy === 'delete' || !config.placeholderMemberDn) return null;
    memberDns = [config.placeholderMemberDn];
  }
  const input: AssemblyInput = {
    catalog: GROUP_ATTRIBUTES,
    enabledObjectClasses: enabled,
    config,
    values: new Map<string, (string | null | undefined)[]>([
      ['description', [group.description]],
      ['member', memberDns],
      ['owner', members.ownerDns],
      ['hasMember', memberIdentifiers],
      ['gidNumber', identifiersOfType(group.identifiers, config.identifierTypes.gidNumber)],
      ['memberUid', memberIdentifiers],
    ]),
    name,
  };
  const attributes = yield* assembleValues(input);
  if (enabled.has('posixGroup') && !attributes.has('gidNumber')) {
    throw new GroupWithoutGidNumberError(
      `group ${group.name} has no active identifier of type "${config.identifierTypes.gidNumber}", which posixGroup needs as gidNumber`,
    );
  }
  const objectClasses: string[] = [];
  if (enabled.has('groupOfNames')) objectClasses.push('groupOfNames');
  if (enabled.has('posixGroup')) objectClasses.push('posixGroup');
  if (enabled.has('eduMember') && settleOptionalClass('eduMember', GROUP_ATTRIBUTES, attributes)) objectClasses.push('eduMember');
  return {
    name,
    objectClasses: appendExtra(objectClasses, config.extraGroupObjectClasses),
    attributes,
    managed: managedAttributes(input, attributes),
  };
}
