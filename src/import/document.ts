import type { AddressType, Affiliation, EmailType, NameType, PersonStatus, TelephoneType, UrlType } from '../registry/enums';

/**
 * A population as read from a file, whatever its format (CSV, LDIF, SCIM, Ferry's JSON): what
 * every parser produces and what the import plans and applies. It carries no Ferry ids: people
 * are matched by an identifier of the import's `matchBy` type, groups by full name.
 */
export interface PopulationDocument {
  people: ImportedPerson[];
  groups: ImportedGroup[];
  /** Ferry's JSON format only: the organisation's units (COUs), parents before children or not. Left out: units are not touched. */
  units?: ImportedUnit[];
  /** Records the parser could not read, each with where it was and why; nothing of them is imported. */
  refused: RefusedRecord[];
}

/** Where a record was in its file, as an admin finds it again: "line 12", "dn: uid=ada,ou=people,...", "Users[3]". */
export type SourceRef = string;

export interface ImportedPerson {
  source: SourceRef;
  /** The value of the person's identifier of the `matchBy` type: the person's key in the import. */
  key: string;
  /** Left out: ACTIVE for a new person, unchanged for an existing one. */
  status?: PersonStatus;
  /** The first is the primary name. */
  names: ImportedName[];
  emailAddresses: ImportedEmail[];
  /** Every identifier, the key's included. */
  identifiers: ImportedIdentifier[];
  /** Left out: no role is written. Given: the person's first role has this affiliation (created if missing). Not read when `roles` is given. */
  affiliation?: Affiliation;
  title?: string | null;
  /** Ferry's JSON format only: the person's URLs. */
  urls?: { url: string; type?: UrlType; description?: string | null }[];
  /**
   * Ferry's JSON format only (left out: untouched): every name besides the primary one (`names[0]`).
   * Given, they are all of the person's other names.
   */
  otherNames?: ImportedName[];
  /** Ferry's JSON format only (left out: untouched): all of the person's roles, in order, with their units and records. */
  roles?: ImportedRole[];
  /** Ferry's JSON format only (left out: untouched): `YYYY-MM-DD`. */
  dateOfBirth?: string | null;
  /** Ferry's JSON format only (left out: untouched): an IANA time zone. */
  timezone?: string | null;
}

/** A role (COmanage CO Person Role) as the JSON format carries it: its unit by name. */
export interface ImportedRole {
  unit: string | null;
  status: PersonStatus;
  affiliation: Affiliation;
  title: string | null;
  o: string | null;
  ou: string | null;
  /** ISO 8601 instants. */
  validFrom: string | null;
  validThrough: string | null;
  addresses: ImportedAddress[];
  telephoneNumbers: ImportedTelephoneNumber[];
  /** Ad hoc attributes (tag and value). */
  attributes: { tag: string; value: string | null }[];
}

export interface ImportedAddress {
  type: AddressType;
  street: string | null;
  room: string | null;
  locality: string | null;
  state: string | null;
  postalCode: string | null;
  country: string | null;
  language: string | null;
}

export interface ImportedTelephoneNumber {
  type: TelephoneType;
  countryCode: string | null;
  areaCode: string | null;
  number: string;
  extension: string | null;
}

/** An organisational unit (COmanage COU), matched by name; its parent by name too. */
export interface ImportedUnit {
  source: SourceRef;
  name: string;
  description: string | null;
  parent: string | null;
}

export interface ImportedName {
  given: string;
  family?: string | null;
  middle?: string | null;
  honorific?: string | null;
  suffix?: string | null;
  type?: NameType;
  /** Ferry's JSON format only (other formats leave a name's language alone). */
  language?: string | null;
}

export interface ImportedEmail {
  mail: string;
  type?: EmailType;
  verified?: boolean;
}

export interface ImportedIdentifier {
  type: string;
  value: string;
  login?: boolean;
}

export interface ImportedGroup {
  source: SourceRef;
  /**
   * Folders and group name, `:`-separated (`app:wiki:editors`); folders are created as needed. A
   * name without `:` (`staff`) is a group at the root, as COmanage's flat groups are.
   */
  fullName: string;
  description?: string | null;
  /**
   * The members' keys (values of their `matchBy` identifier): people of the document, or people
   * already in the organisation. Left out (undefined): the group's members are not touched.
   */
  members?: string[];
  /** The owners' keys, as `members`. */
  owners?: string[];
  /**
   * Ferry's JSON format only: the full names of the groups nested in this one (their members are
   * this group's members too), groups of the file or of the organisation, automatic ones included.
   * Left out: the group's nestings are not touched.
   */
  nestedGroups?: string[];
  /**
   * Ferry's JSON format only: the members and owners whose membership has a validity window (ISO
   * 8601 instants), by key. Given, it is every window of the group's listed members and owners (a
   * listed one without an entry has none); left out, windows are left alone.
   */
  validity?: MembershipValidity[];
}

export interface MembershipValidity {
  key: string;
  validFrom: string | null;
  validThrough: string | null;
}

export interface RefusedRecord {
  source: SourceRef;
  /** A stable code: MALFORMED, ENCODING, TOO_LONG, NO_KEY, DUPLICATE_KEY, UNKNOWN_MEMBER, INVALID_VALUE, UNSUPPORTED. */
  code: RefusalCode;
  reason: string;
}

export type RefusalCode = 'MALFORMED' | 'ENCODING' | 'TOO_LONG' | 'NO_KEY' | 'DUPLICATE_KEY' | 'UNKNOWN_MEMBER' | 'INVALID_VALUE' | 'UNSUPPORTED';

/** What every parser is told. */
export interface ParseOptions {
  /** The identifier type people are matched by (and keyed by in the document), e.g. `uid`. */
  matchBy: string;
}

/** The formats an import reads. */
export enum ImportFormat {
  CSV = 'CSV',
  LDIF = 'LDIF',
  SCIM = 'SCIM',
  FERRY_JSON = 'FERRY_JSON',
}

/** The longest line or value a parser accepts (a 10 MB line is refused, not read into a person). */
export const MAX_VALUE_LENGTH = 64 * 1024;
