import type { GroupType, PersonStatus, RecordStatus } from '../../registry/enums';
import type { EmailListPayload, ServicePayload } from '../payload';

/**
 * The plain rows the set-based loader reads (see queries.ts), one interface per kind of record.
 * Column names are mapped to camelCase and timestamps parsed to Date by the queries; nothing here
 * is a MikroORM entity, so loading a batch never fills the unit of work.
 */

export interface PersonRow {
  id: string;
  organizationId: string;
  status: PersonStatus;
}

export interface NameRow {
  id: string;
  personId: string;
  type: string;
  honorific: string | null;
  given: string;
  middle: string | null;
  family: string | null;
  suffix: string | null;
  language: string | null;
  primary: boolean;
}

export interface EmailRow {
  id: string;
  personId: string;
  mail: string;
  type: string;
  verified: boolean;
}

/** An identifier of a person (personId set) or of a group (groupId set). Only ACTIVE ones are read. */
export interface IdentifierRow {
  id: string;
  personId: string | null;
  groupId: string | null;
  type: string;
  value: string;
  login: boolean;
}

export interface UrlRow {
  id: string;
  personId: string;
  url: string;
  type: string;
  description: string | null;
}

export interface RoleRow {
  id: string;
  personId: string;
  couId: string | null;
  status: PersonStatus;
  affiliation: string;
  title: string | null;
  o: string | null;
  ou: string | null;
  order: number;
  validFrom: Date | null;
  validThrough: Date | null;
}

export interface AddressRow {
  id: string;
  personId: string;
  roleId: string;
  type: string;
  street: string | null;
  room: string | null;
  locality: string | null;
  state: string | null;
  postalCode: string | null;
  country: string | null;
  language: string | null;
}

export interface TelephoneRow {
  id: string;
  personId: string;
  roleId: string;
  type: string;
  countryCode: string | null;
  areaCode: string | null;
  number: string;
  extension: string | null;
}

export interface AdHocAttributeRow {
  id: string;
  personId: string;
  roleId: string;
  tag: string;
  value: string | null;
}

export interface CouRow {
  id: string;
  name: string;
}

export interface MembershipRow {
  id: string;
  groupId: string;
  personId: string;
  member: boolean;
  owner: boolean;
  validFrom: Date | null;
  validThrough: Date | null;
}

export interface GroupRow {
  id: string;
  organizationId: string;
  /** The extension, e.g. staff. */
  name: string;
  /** The full name, e.g. research:physics:staff. */
  fullName: string;
  description: string | null;
  status: RecordStatus;
  type: GroupType;
}

export interface OrgIdentityLinkRow {
  id: string;
  personId: string;
  sourceId: string;
  sourceKey: string;
  validFrom: Date | null;
  validThrough: Date | null;
}

export interface TermsAgreementRow {
  id: string;
  personId: string;
  termsId: string;
  agreedAt: Date;
}

export interface TermsRow {
  id: string;
  name: string;
  url: string;
  status: RecordStatus;
}

/** An email list row: the list and the ids of its three groups (its payload without the people). */
export type EmailListRow = Omit<EmailListPayload, 'subjectType' | 'members' | 'admins' | 'moderators'>;

/** A service row carries exactly what its payload does. */
export type ServiceRow = Omit<ServicePayload, 'subjectType'>;

/** Everything a batch of people's payloads is built from (each list in the order the mappers expect). */
export interface PersonRowSet {
  people: PersonRow[];
  /** By id. */
  names: NameRow[];
  /** By id. */
  emails: EmailRow[];
  /** Active identifiers of the people, by id. */
  identifiers: IdentifierRow[];
  /** By id. */
  urls: UrlRow[];
  /** All roles of the people (the mappers keep the valid ones), by order then id. */
  roles: RoleRow[];
  /** By id. */
  addresses: AddressRow[];
  /** By id. */
  telephoneNumbers: TelephoneRow[];
  /** By id. */
  adHocAttributes: AdHocAttributeRow[];
  cous: CouRow[];
  /** By id. */
  memberships: MembershipRow[];
  /** The groups of those memberships. */
  groups: GroupRow[];
  /** Active identifiers of those groups, by id. */
  groupIdentifiers: IdentifierRow[];
  /** By id. */
  orgIdentityLinks: OrgIdentityLinkRow[];
  /** By id. */
  termsAgreements: TermsAgreementRow[];
  terms: TermsRow[];
  /** Active services with an entitlement URI of the people's organisations, by id. */
  services: ServiceRow[];
}
