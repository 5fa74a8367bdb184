import { groupNameOnTarget, type AddressPayload, type GroupPayload, type NamePayload, type PersonPayload, type TelephonePayload } from '../../provisioning/payload';
import { ACTIVE_MEMBER_STATUSES } from '../../registry/enums';
import { affiliationValue, formatName, formatTelephone } from '../formatting';
import type { ScimConfig, UserAttribute } from './config';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

export type ScimValue = string | number | boolean | null | ScimValue[] | { [key: string]: ScimValue };
export type ScimObject = { [key: string]: ScimValue };

/** A resource as the server returns it. */
export interface ScimResource extends ScimObject {
  id: string;
}

/** What Ferry wants a resource to hold. */
export interface DesiredResource {
  schemas: string[];
  /** The attributes that have a value now. */
  values: ScimObject;
  /** Every attribute Ferry owns on the resource: set when in `values`, removed when not. */
  managed: string[];
}

/** The SCIM attribute each catalogue entry writes. */
const ATTRIBUTE_PATHS: Record<UserAttribute, string> = {
  name: 'name',
  displayName: 'displayName',
  nickName: 'nickName',
  emails: 'emails',
  phoneNumbers: 'phoneNumbers',
  addresses: 'addresses',
  title: 'title',
  userType: 'userType',
  enterprise: ENTERPRISE_USER_SCHEMA,
};

const sameType = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function compact(object: Record<string, ScimValue | undefined>): ScimObject {
  const result: ScimObject = {};
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value) && value.length === 0) continue;
    if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) continue;
    result[key] = value;
  }
  return result;
}

const trimmed = (value: string | null | undefined): string | undefined => value?.trim() || undefined;

function firstIdentifier(person: PersonPayload, type: string): string | undefined {
  return person.identifiers.find((identifier) => sameType(identifier.type, type) && identifier.value.trim() !== '')?.value;
}

/** Null when the person has no active identifier of the configured type (yet). */
export function userNameOf(config: ScimConfig, person: PersonPayload): string | null {
  return firstIdentifier(person, config.userNameIdentifierType) ?? null;
}

function nameValue(name: NamePayload | null): ScimObject | undefined {
  if (!name) return undefined;
  const value = compact({
    formatted: formatName(name),
    familyName: trimmed(name.family),
    givenName: trimmed(name.given),
    middleName: trimmed(name.middle),
    honorificPrefix: trimmed(name.honorific),
    honorificSuffix: trimmed(name.suffix),
  });
  return Object.keys(value).length > 0 ? value : undefined;
}

function preferredName(person: PersonPayload): NamePayload | null {
  return person.names.find((name) => sameType(name.type, 'PREFERRED')) ?? null;
}

/** Ferry's email types in SCIM's canonical work/home/other. */
function emailType(type: string): string {
  if (sameType(type, 'OFFICIAL')) return 'work';
  if (sameType(type, 'PERSONAL')) return 'home';
  return 'other';
}

function emails(person: PersonPayload, primaryOnly: boolean): ScimValue[] {
  const seen = new Set<string>();
  const unique = person.emailAddresses.filter((email) => {
    const key = email.mail.trim().toLowerCase();
    if (!key || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  // SCIM allows one primary: the official address, else the first.
  const primary = unique.find((email) => sameType(email.type, 'OFFICIAL')) ?? unique[0];
  // primaryEmailOnly: services that take one address per User get the primary one alone.
  if (primaryOnly) return primary ? [compact({ value: primary.mail.trim(), type: emailType(primary.type), primary: true })] : [];
  return unique.map((email) => compact({ value: email.mail.trim(), type: emailType(email.type), primary: email === primary ? true : undefined }));
}

function telephoneType(type: string): string {
  const known: Record<string, string> = { OFFICE: 'work', CAMPUS: 'work', HOME: 'home', MOBILE: 'mobile', FAX: 'fax' };
  return known[type.toUpperCase()] ?? 'other';
}

function phoneNumbers(person: PersonPayload): ScimValue[] {
  const phones: TelephonePayload[] = person.roles.flatMap((role) => role.telephoneNumbers);
  const seen = new Set<string>();
  const values: ScimValue[] = [];
  for (const phone of phones) {
    const value = formatTelephone(phone);
    if (!value || seen.has(value)) continue;
    seen.add(value);
    values.push({ value, type: telephoneType(phone.type) });
  }
  return values;
}

function addressType(type: string): string {
  const known: Record<string, string> = { OFFICE: 'work', CAMPUS: 'work', HOME: 'home' };
  return known[type.toUpperCase()] ?? 'other';
}

function address(value: AddressPayload): ScimObject {
  const street = value.street?.replace(/\r?\n/g, ', ').trim();
  const town = [value.postalCode?.trim(), value.locality?.trim()].filter(Boolean).join(' ');
  const formatted = [value.room?.trim(), street, town, value.state?.trim(), value.country?.trim()].filter(Boolean).join(', ');
  return compact({
    type: addressType(value.type),
    formatted,
    streetAddress: street,
    locality: trimmed(value.locality),
    region: trimmed(value.state),
    postalCode: trimmed(value.postalCode),
    country: trimmed(value.country),
  });
}

function addresses(person: PersonPayload): ScimValue[] {
  const seen = new Set<string>();
  return person.roles
    .flatMap((role) => role.addresses)
    .map(address)
    .filter((value) => {
      const key = JSON.stringify(value);
      if (Object.keys(value).length <= 1 || seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

function enterprise(config: ScimConfig, person: PersonPayload): ScimObject {
  const role = person.roles[0];
  return compact({
    employeeNumber: firstIdentifier(person, config.employeeNumberIdentifierType),
    organization: trimmed(role?.o),
    department: trimmed(role?.ou),
  });
}

function userAttributeValue(attribute: UserAttribute, config: ScimConfig, person: PersonPayload): ScimValue | undefined {
  const firstRole = person.roles[0];
  switch (attribute) {
    case 'name':
      return nameValue(person.primaryName);
    case 'displayName': {
      const name = preferredName(person) ?? person.primaryName;
      return name ? formatName(name) : undefined;
    }
    case 'nickName':
      return trimmed(preferredName(person)?.given);
    case 'emails':
      return emails(person, config.primaryEmailOnly);
    case 'phoneNumbers':
      return phoneNumbers(person);
    case 'addresses':
      return addresses(person);
    case 'title':
      return trimmed(person.roles.map((role) => role.title).find((title) => !!title?.trim()));
    case 'userType':
      return firstRole ? affiliationValue(firstRole.affiliation) : undefined;
    case 'enterprise':
      return enterprise(config, person);
  }
}

/**
 * The User a person should be. userName, externalId (the Ferry person id) and active are always
 * owned by Ferry; the configured attributes are set when the person has a value and removed when not.
 * `active` is true only for Active and Grace Period people: Expired, Suspended and Locked people keep
 * their account, switched off.
 */
export function userResource(config: ScimConfig, person: PersonPayload, userName: string): DesiredResource {
  const values: Record<string, ScimValue | undefined> = {
    userName,
    externalId: person.id,
    active: ACTIVE_MEMBER_STATUSES.has(person.status),
  };
  const managed = ['userName', 'externalId', 'active'];
  for (const attribute of config.userAttributes) {
    const path = ATTRIBUTE_PATHS[attribute];
    values[path] = userAttributeValue(attribute, config, person);
    managed.push(path);
  }
  const present = compact(values);
  const schemas = ENTERPRISE_USER_SCHEMA in present ? [USER_SCHEMA, ENTERPRISE_USER_SCHEMA] : [USER_SCHEMA];
  return { schemas, values: present, managed };
}

/** The group's displayName on the target, by its groupNaming. */
export function groupDisplayName(config: ScimConfig, group: GroupPayload): string {
  return groupNameOnTarget(config.groupNaming, group.name, group.groupType);
}

/** The Group without its members (they are sent as deltas). */
export function groupResource(config: ScimConfig, group: GroupPayload): DesiredResource {
  return {
    schemas: [GROUP_SCHEMA],
    values: { externalId: group.id, displayName: groupDisplayName(config, group) },
    managed: ['externalId', 'displayName'],
  };
}

export function memberValue(id: string): ScimObject {
  return { value: id };
}

/** The member ids a Group resource lists. */
export function memberIdsOf(resource: ScimObject | null): string[] {
  const members = resource?.members;
  if (!Array.isArray(members)) return [];
  return members
    .map((member) => (member && typeof member === 'object' && !Array.isArray(member) ? member.value : null))
    .filter((value): value is string => typeof value === 'string' && value !== '');
}

/** A resource's version for If-Match: meta.version, else the response's ETag header. */
export function versionOf(resource: ScimObject | null, etag: string | null): string | null {
  const meta = resource?.meta;
  const version = meta && typeof meta === 'object' && !Array.isArray(meta) ? meta.version : null;
  return typeof version === 'string' && version ? version : etag;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The Ferry subject a resource belongs to: its externalId when Ferry could have written it. */
export function subjectIdOf(resource: ScimObject): string | null {
  const externalId = resource.externalId;
  return typeof externalId === 'string' && UUID.test(externalId) ? externalId.toLowerCase() : null;
}

export function stringAttribute(resource: ScimObject | null, name: string): string | null {
  const value = resource?.[name];
  return typeof value === 'string' ? value : null;
}
