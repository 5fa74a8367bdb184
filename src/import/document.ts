import type { Affiliation, EmailType, NameType, PersonStatus, UrlType } from '../registry/enums';

/**
 * A population as read from a file, whatever its format (CSV, LDIF, SCIM, Ferry's JSON): what
 * every parser produces and what the import plans and applies. It carries no Ferry ids: people
 * are matched by an identifier of the import's `matchBy` type, groups by full name.
 */
export interface PopulationDocument {
  people: ImportedPerson[];
  groups: ImportedGroup[];
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
  /** Left out: no role is written. Given: the person's first role has this affiliation (created if missing). */
  affiliation?: Affiliation;
  title?: string | null;
  /** Ferry's JSON format only: the person's URLs. */
  urls?: { url: string; type?: UrlType; description?: string | null }[];
}

export interface ImportedName {
  given: string;
  family?: string | null;
  middle?: string | null;
  honorific?: string | null;
  suffix?: string | null;
  type?: NameType;
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
  /** Folders and group name, `:`-separated (`app:wiki:editors`); folders are created as needed. */
  fullName: string;
  description?: string | null;
  /**
   * The members' keys (values of their `matchBy` identifier): people of the document, or people
   * already in the organisation. Left out (undefined): the group's members are not touched.
   */
  members?: string[];
  /** The owners' keys, as `members`. */
  owners?: string[];
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
