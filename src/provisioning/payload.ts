import type { GroupType, PersonStatus, RecordStatus } from '../registry/enums';

/**
 * The marshalled subjects every plugin receives ("marshalling" happens in one place, the
 * marshaller; plugins never query the registry). Dates are Date objects; absent values are null.
 */
export interface NamePayload {
  type: string;
  honorific: string | null;
  given: string;
  middle: string | null;
  family: string | null;
  suffix: string | null;
  language: string | null;
  primary: boolean;
}

export interface IdentifierPayload {
  type: string;
  value: string;
  login: boolean;
}

export interface EmailPayload {
  mail: string;
  type: string;
  verified: boolean;
}

export interface UrlPayload {
  url: string;
  type: string;
  description: string | null;
}

export interface AddressPayload {
  type: string;
  street: string | null;
  room: string | null;
  locality: string | null;
  state: string | null;
  postalCode: string | null;
  country: string | null;
  language: string | null;
}

export interface TelephonePayload {
  type: string;
  countryCode: string | null;
  areaCode: string | null;
  number: string;
  extension: string | null;
}

export interface RolePayload {
  id: string;
  status: PersonStatus;
  affiliation: string;
  title: string | null;
  o: string | null;
  ou: string | null;
  cou: { id: string; name: string } | null;
  order: number;
  validFrom: Date | null;
  validThrough: Date | null;
  addresses: AddressPayload[];
  telephoneNumbers: TelephonePayload[];
  adHocAttributes: { tag: string; value: string | null }[];
}

export interface MembershipPayload {
  groupId: string;
  /** The group's full name, e.g. CO:members:all. */
  groupName: string;
  groupType: GroupType;
  member: boolean;
  owner: boolean;
  groupIdentifiers: IdentifierPayload[];
}

export interface PersonPayload {
  subjectType: 'PERSON';
  id: string;
  organizationId: string;
  status: PersonStatus;
  /**
   * True when the person's status is not provisionable: only id, organizationId and status are
   * meaningful (every list is empty), enough for a plugin to deprovision.
   */
  skeleton: boolean;
  primaryName: NamePayload | null;
  names: NamePayload[];
  emailAddresses: EmailPayload[];
  /** Active identifiers only. */
  identifiers: IdentifierPayload[];
  urls: UrlPayload[];
  /** Active / grace-period roles valid now, in role order. */
  roles: RolePayload[];
  /** Memberships valid now, filtered by the status rules (spec 2.3 step 8). */
  memberships: MembershipPayload[];
  orgIdentityLinks: { sourceId: string; sourceKey: string }[];
  termsAgreements: { termsId: string; name: string; url: string; agreedAt: Date }[];
  /** Active services whose group the person is in, or with no group; empty unless A/GP. */
  entitlements: { serviceId: string; name: string; shortLabel: string | null; entitlementUri: string }[];
}

export interface GroupMemberPayload {
  personId: string;
  member: boolean;
  owner: boolean;
  /** Active identifiers of the person. */
  identifiers: IdentifierPayload[];
}

export interface GroupPayload {
  subjectType: 'GROUP';
  id: string;
  organizationId: string;
  /** Full name, e.g. research:physics:staff. */
  name: string;
  extension: string;
  description: string | null;
  status: RecordStatus;
  groupType: GroupType;
  identifiers: IdentifierPayload[];
  /**
   * People who are effective members or owners now: person Active or Grace Period, row valid now
   * (COmanage CO-2897). Deduplicated per person.
   */
  members: GroupMemberPayload[];
}

export interface ServicePayload {
  subjectType: 'SERVICE';
  id: string;
  organizationId: string;
  name: string;
  description: string | null;
  shortLabel: string | null;
  entitlementUri: string | null;
  serviceUrl: string | null;
  groupId: string | null;
  status: RecordStatus;
}

/** A person on an email list (a member, admin or moderator), with the address mail reaches them at. */
export interface EmailListPersonPayload {
  personId: string;
  /**
   * The person's preferred address: the first of type PREFERRED, else OFFICIAL, DELIVERY, PERSONAL,
   * FORWARDING (verified before unverified within a type; RECOVERY is never used). Null when the
   * person has none.
   */
  mail: string | null;
}

/**
 * An email list (COmanage CoEmailList): its members, admins and moderators are the members of
 * three groups. Each list holds the people who are effective members (`member` rows, not
 * owner-only ones) of that group now: row valid now, person Active or Grace Period; one entry per
 * person, in membership order.
 */
export interface EmailListPayload {
  subjectType: 'EMAIL_LIST';
  id: string;
  organizationId: string;
  name: string;
  description: string | null;
  status: RecordStatus;
  /** The list's own address (e.g. staff@lists.example.org), if it has one. */
  address: string | null;
  membersGroupId: string | null;
  adminsGroupId: string | null;
  moderatorsGroupId: string | null;
  members: EmailListPersonPayload[];
  admins: EmailListPersonPayload[];
  moderators: EmailListPersonPayload[];
}

export type SubjectPayload = PersonPayload | GroupPayload | ServicePayload | EmailListPayload;

/** How a subject is called in events and notifications: a person's primary name, a group's full name. */
export function subjectLabel(subject: SubjectPayload | { subjectType: string; id: string }): string | null {
  if (!('organizationId' in subject)) return null;
  if (subject.subjectType === 'PERSON') {
    const name = (subject as PersonPayload).primaryName;
    return name ? [name.given, name.family].filter(Boolean).join(' ') : null;
  }
  return (subject as GroupPayload | ServicePayload | EmailListPayload).name;
}

/**
 * How a target names a group (its LDAP `cn` and `isMemberOf` values, its SCIM `displayName`):
 * `fullName`, e.g. `app:staff` (the default), or `name`, the group's own name, e.g. `staff`, as
 * COmanage's flat groups are named. Under `name` the automatic groups keep their full names
 * (`CO:admins`, `CO:members:all`, `CO:COU:<unit>:members:active`): those are their COmanage names,
 * and their own names (`admins`, `all`, `active`) repeat in every unit.
 */
export type GroupNaming = 'fullName' | 'name';

/**
 * The name a target with this naming gives a group, from the name in its payload (the full name,
 * or what a data filter sends instead) and its type: under `name`, the last `:` segment.
 */
export function groupNameOnTarget(naming: GroupNaming, name: string, groupType: GroupType): string {
  // GroupType is imported as a type only: payloads stay free of the registry's runtime.
  if (naming === 'fullName' || groupType !== ('STANDARD' as GroupType)) return name;
  return name.slice(name.lastIndexOf(':') + 1);
}
