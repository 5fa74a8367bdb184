import { DN, type RDN } from '@ldapjs/dn';
import {
  parse as parseLdifText,
  type LdifAdd,
  type LdifAttributeValue,
  type LdifContainer,
  type LdifOtherChange,
  type LdifRecord,
  type LdifSyntaxError,
} from 'ldif';
import { Affiliation, EmailType, PersonStatus } from '../../registry/enums';
import {
  MAX_VALUE_LENGTH,
  type ImportedEmail,
  type ImportedGroup,
  type ImportedIdentifier,
  type ImportedName,
  type ImportedPerson,
  type ParseOptions,
  type PopulationDocument,
  type RefusalCode,
  type RefusedRecord,
  type SourceRef,
} from '../document';
import { splitFullName } from './common';

/**
 * LDIF (RFC 2849), as `ldapsearch -LLL` or `slapcat` export a directory. The `ldif` library reads
 * the records one at a time (records are separated by empty lines), so a record that cannot be
 * read is refused and the next one is still read.
 *
 * **People**: entries with an objectClass inetOrgPerson, person, organizationalPerson, eduPerson
 * or voPerson (in any case).
 * - Identifiers (every value): `uid` → `uid` (a login identifier), `eduPersonPrincipalName` →
 *   `eppn`, `employeeNumber` → `employeeNumber`, `eduPersonUniqueId` → `eduPersonUniqueId`,
 *   `voPersonID` → `voPersonID`. The first identifier of the import's `matchBy` type is the
 *   person's key: a person without one is refused (NO_KEY), a second person with a key already
 *   taken too (DUPLICATE_KEY).
 * - Name (one, the primary): `givenName` and `sn`. Without a `givenName`, `displayName` (else
 *   `cn`) split before `sn` when it ends with it, else before its last word ("Ada Lovelace": given
 *   Ada, family Lovelace; a single word: given only, family `sn` if there is one). A person with
 *   no name at all is refused (INVALID_VALUE).
 * - `mail`: the email addresses, the first OFFICIAL, the others without a type.
 * - Affiliation: `eduPersonPrimaryAffiliation`, else the first `eduPersonAffiliation` (faculty,
 *   student, staff, alum, member, affiliate, employee, library-walk-in; another value is left out).
 * - `title`: the title. Status: left out, unless `voPersonStatus` names a person status (`active`,
 *   `suspended`, `expired`, `pending-approval`, `GracePeriod`...; another value is left out).
 *
 * **Groups**: entries with an objectClass groupOfNames, groupOfUniqueNames or posixGroup.
 * - `cn` (the first) is the full name (COmanage writes full names such as `CO:members:all` into
 *   cn), `description` the description. A second group with a full name already taken is refused
 *   (DUPLICATE_KEY); a group without cn too (INVALID_VALUE).
 * - `member` and `uniqueMember` (its optional `#'0101'B` UID dropped) are the members, `owner`
 *   the owners (left out when the entry has no `owner`): DNs of people of the same file, compared
 *   as DNs (attribute types and values in any case, spaces around separators, escapes). A DN that
 *   is no imported person of the file (nobody, a refused person, a group: nested groups are not
 *   imported, a placeholder such as `cn=empty`) is refused (UNKNOWN_MEMBER, under the group's DN)
 *   and the group is imported without it; a value that is not a DN is refused (INVALID_VALUE).
 * - posixGroup `memberUid` values are uids, kept as member keys when the import matches people by
 *   `uid`; with another `matchBy` such a group is refused (UNSUPPORTED).
 * - The members listed are all the group's members (an empty list when it has none).
 *
 * Other entries (the base, organizational units, ...) are ignored. `changetype: add` records are
 * read as entries; other change records (modify, delete, modrdn) are refused (UNSUPPORTED). Only
 * the attributes named above are read, and not with options (`cn;lang-fr` is ignored); a `:<` URL
 * value of one of them is refused (UNSUPPORTED): the parser reads no file and no URL.
 *
 * Refusals name the record by its DN (`dn: uid=ada,ou=people,dc=example,dc=org`), or by its line
 * (`line 12`) when no DN can be read, and say why:
 * - MALFORMED: not LDIF (the reason has the line the library stopped at), or two records not
 *   separated by an empty line.
 * - TOO_LONG: a line (unfolded) longer than MAX_VALUE_LENGTH, caught before the library sees it.
 * - ENCODING: a line that is not UTF-8, or a base64 (`::`) value of an attribute named above that
 *   does not decode to UTF-8 (binary attributes such as jpegPhoto are not read, so not checked).
 *   A Buffer that is not UTF-8 as a whole is decoded line by line: only the records with a line
 *   that is not UTF-8 are refused, each on its own.
 *
 * Read beyond RFC 2849, as OpenLDAP's own tools do: raw UTF-8 values (RFC 2849 wants them in
 * base64), empty values (`description:`), folded comment lines; a leading BOM is dropped.
 */
export function parseLdif(input: string | Buffer, options: ParseOptions): PopulationDocument {
  const refused: RefusedRecord[] = [];
  const entries = recordsOf(linesOf(input)).flatMap((record) => readRecord(record, refused));
  const directory = new Directory();
  for (const record of refused) {
    if (record.source.startsWith('dn: ')) directory.other(record.source.slice(4), `its entry was refused (${record.code})`);
  }
  const people = readPeople(entries, options, directory, refused);
  const groups = readGroups(entries, options, directory, refused);
  return { people, groups, refused };
}

// ---------------------------------------------------------------------------------------------
// Lines and records

/** A line of the file; `lead` is its first character, known even when the line is not UTF-8. */
interface Line {
  number: number;
  /** Null: the line is not UTF-8. */
  text: string | null;
  lead: string;
}

/** A line with its continuation lines (RFC 2849 folding: a line starting with a space continues the one before). */
interface LogicalLine {
  /** The file line it starts on. */
  number: number;
  lines: Line[];
  /** Unfolded; null when one of its lines is not UTF-8. */
  text: string | null;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function linesOf(input: string | Buffer): Line[] {
  if (typeof input === 'string') return textLines(input.replace(/^\uFEFF/, ''));
  try {
    return textLines(UTF8.decode(input)); // drops a leading BOM
  } catch {
    return byteLines(input);
  }
}

function textLines(text: string): Line[] {
  return text.split(/\r?\n/).map((line, index) => ({ number: index + 1, text: line, lead: line.charAt(0) }));
}

/** A Buffer that is not UTF-8 as a whole, decoded line by line (a LF byte is never part of a UTF-8 sequence). */
function byteLines(bytes: Buffer): Line[] {
  const lines: Line[] = [];
  let start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (start <= bytes.length) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline < 0 ? bytes.length : newline;
    const line = bytes.subarray(start, end > start && bytes[end - 1] === 0x0d ? end - 1 : end);
    lines.push({ number: lines.length + 1, text: utf8OrNull(line), lead: line.length > 0 ? String.fromCharCode(line[0]) : '' });
    start = end + 1;
  }
  return lines;
}

function utf8OrNull(bytes: Uint8Array): string | null {
  try {
    return UTF8.decode(bytes);
  } catch {
    return null;
  }
}

/** The records of the file: runs of lines between empty lines. */
function recordsOf(lines: Line[]): Line[][] {
  const records: Line[][] = [];
  let record: Line[] = [];
  for (const line of lines) {
    if (line.text !== '') record.push(line);
    else if (record.length > 0) {
      records.push(record);
      record = [];
    }
  }
  if (record.length > 0) records.push(record);
  return records;
}

function unfold(lines: Line[]): LogicalLine[] {
  const logical: LogicalLine[] = [];
  for (const line of lines) {
    const last = logical.at(-1);
    if (last && line.lead === ' ') last.lines.push(line);
    else logical.push({ number: line.number, lines: [line], text: null });
  }
  for (const line of logical) {
    const parts = line.lines.map((part, index) => (index === 0 ? part.text : (part.text?.slice(1) ?? null)));
    line.text = parts.includes(null) ? null : parts.join('');
  }
  return logical;
}

// ---------------------------------------------------------------------------------------------
// Records read by the library

/** An entry as read: its DN and the attributes the import reads (names in lower case, values trimmed, empty ones left out). */
interface Entry {
  dn: string;
  source: SourceRef;
  attributes: Map<string, string[]>;
}

/** The attributes the mapping reads; the others are not looked at. */
const READ_ATTRIBUTES = new Set(
  [
    'objectClass',
    'uid',
    'eduPersonPrincipalName',
    'employeeNumber',
    'eduPersonUniqueId',
    'voPersonID',
    'mail',
    'givenName',
    'sn',
    'displayName',
    'cn',
    'eduPersonPrimaryAffiliation',
    'eduPersonAffiliation',
    'title',
    'voPersonStatus',
    'description',
    'member',
    'uniqueMember',
    'owner',
    'memberUid',
  ].map((name) => name.toLowerCase()),
);

const VERSION_LINE = /^version:\s*\d+\s*$/;
/** A `name:: base64` line (no attribute options: those are not read). */
const BASE64_LINE = /^([A-Za-z][A-Za-z0-9-]*)::\s*([A-Za-z0-9+/=]*)$/;

function readRecord(lines: Line[], refused: RefusedRecord[]): Entry[] {
  const logical = unfold(lines).filter((line) => line.lines[0].lead !== '#');
  if (logical.length === 0 || (logical.length === 1 && VERSION_LINE.test(logical[0].text ?? ''))) return [];
  for (const line of logical) {
    const problem = problemOf(line);
    if (problem) {
      refused.push({ source: sourceOf(logical, line.number), ...problem });
      return [];
    }
  }
  const prepared = forLibrary(logical);
  let parsed: LdifContainer;
  try {
    parsed = parseLdifText(prepared.text);
  } catch (error) {
    refused.push(malformed(error, logical, prepared.numbers));
    return [];
  }
  return parsed.entries.flatMap((entry) => entryOf(entry, refused));
}

/** The refusal of a record the library cannot read: where it stopped (a syntax error), or why it gave up. */
function malformed(error: unknown, logical: LogicalLine[], numbers: number[]): RefusedRecord {
  const at = (error as LdifSyntaxError).location?.start.line;
  const line = at === undefined ? logical[0].number : numbers[Math.min(Math.max(at, 1), numbers.length) - 1];
  const message = error instanceof Error ? error.message : String(error);
  const reason = at === undefined ? `the record from line ${line} cannot be read: ${message}` : `line ${line}: ${message}`;
  return { source: sourceOf(logical, line), code: 'MALFORMED', reason };
}

/** Why a line refuses its record before the library reads it (not UTF-8, too long), or null. */
function problemOf(line: LogicalLine): Omit<RefusedRecord, 'source'> | null {
  if (line.text === null) return { code: 'ENCODING', reason: `line ${line.number} is not UTF-8` };
  if (line.text.length > MAX_VALUE_LENGTH) {
    return { code: 'TOO_LONG', reason: `line ${line.number} is longer than ${MAX_VALUE_LENGTH} characters` };
  }
  const attribute = notUtf8Base64(line.text);
  if (attribute !== null) return { code: 'ENCODING', reason: `line ${line.number}: the base64 value of ${attribute} is not UTF-8` };
  return null;
}

/** The attribute of a `name:: base64` line whose value is not UTF-8, when the import reads it (or it is the DN); else null. */
function notUtf8Base64(text: string): string | null {
  const base64 = BASE64_LINE.exec(text);
  if (!base64) return null;
  const name = base64[1].toLowerCase();
  if (name !== 'dn' && !READ_ATTRIBUTES.has(name)) return null;
  return utf8OrNull(Buffer.from(base64[2], 'base64')) === null ? base64[1] : null;
}

/** The record's DN (`dn: ...`) when it can be read, else the line. */
function sourceOf(logical: LogicalLine[], lineNumber: number): SourceRef {
  const dn = dnOf(logical);
  return dn === null ? `line ${lineNumber}` : `dn: ${dn}`;
}

/** The DN of the record's `dn:` line as the library reads it (alone), or null. */
function dnOf(logical: LogicalLine[]): string | null {
  const line = logical.find((candidate) => candidate.text?.startsWith('dn:'));
  if (!line?.text || problemOf(line)) return null;
  try {
    return parseLdifText(`${rewritten(line.text) ?? line.text}\nobjectClass: top\n`).entries[0]?.dn ?? null;
  } catch {
    return null;
  }
}

/** The record as the library is given it, with the file line of each of its lines. */
function forLibrary(logical: LogicalLine[]): { text: string; numbers: number[] } {
  const lines: string[] = [];
  const numbers: number[] = [];
  for (const line of logical) {
    const replacement = rewritten(line.text ?? '');
    if (replacement === null) {
      for (const physical of line.lines) {
        lines.push(physical.text ?? '');
        numbers.push(physical.number);
      }
    } else {
      lines.push(replacement);
      numbers.push(line.number);
    }
  }
  return { text: `${lines.join('\n')}\n`, numbers };
}

/** A value RFC 2849 lets be written as it is: ASCII, not starting with `:` or `<`. */
const SAFE_VALUE = /^[^:<\x80-\uffff][\x00-\x7f]*$/;

/**
 * A line the library cannot read but OpenLDAP's tools do, written as RFC 2849 wants it: a value
 * with non-ASCII characters (or starting with `:` or `<`) in base64, an empty value as an empty
 * base64 value (the library throws on `name:`). Null: the line goes to the library as it is.
 */
function rewritten(text: string): string | null {
  const colon = text.indexOf(':');
  if (colon <= 0 || text[colon + 1] === ':' || text[colon + 1] === '<') return null;
  const value = text.slice(colon + 1).replace(/^ +/, '');
  if (SAFE_VALUE.test(value)) return null;
  return `${text.slice(0, colon)}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

function entryOf(record: LdifRecord | LdifAdd | LdifOtherChange, refused: RefusedRecord[]): Entry[] {
  const source = `dn: ${record.dn}`;
  if (record.type !== 'record' && record.type !== 'add') {
    const reason = `changetype: ${record.type}: an import reads entries (and changetype: add records)`;
    refused.push({ source, code: 'UNSUPPORTED', reason });
    return [];
  }
  const attributes = attributesOf(record.type === 'record' ? record.attributes : record.changes, source, refused);
  return attributes ? [{ dn: record.dn, source, attributes }] : [];
}

function attributesOf(pairs: LdifAttributeValue[], source: SourceRef, refused: RefusedRecord[]): Map<string, string[]> | null {
  const attributes = new Map<string, string[]>();
  for (const { attribute, value } of pairs) {
    const name = attribute.attribute.toLowerCase();
    if (name === 'dn') {
      refused.push({ source, code: 'MALFORMED', reason: 'a second dn: line in the record: records are separated by an empty line' });
      return null;
    }
    if (!READ_ATTRIBUTES.has(name) || attribute.options.length > 0 || value === null) continue;
    if (value.type === 'file') {
      refused.push({ source, code: 'UNSUPPORTED', reason: `${attribute.attribute}:< ${value.value}: values are not read from URLs` });
      return null;
    }
    // value.value, never the library's getValue(): that reads the file of a `:<` value.
    const text = value.value.trim();
    if (text === '') continue;
    const values = attributes.get(name);
    if (values) values.push(text);
    else attributes.set(name, [text]);
  }
  return attributes;
}

function valuesOf(entry: Entry, attribute: string): string[] {
  return entry.attributes.get(attribute.toLowerCase()) ?? [];
}

function firstOf(entry: Entry, attribute: string): string | undefined {
  return valuesOf(entry, attribute)[0];
}

function hasClass(entry: Entry, classes: ReadonlySet<string>): boolean {
  return valuesOf(entry, 'objectClass').some((objectClass) => classes.has(objectClass.toLowerCase()));
}

// ---------------------------------------------------------------------------------------------
// DNs

/** What member DNs resolve to: the keys of the file's imported people, and why other DNs are none. */
class Directory {
  private readonly keys = new Map<string, string>();
  private readonly others = new Map<string, string>();

  person(dn: string, key: string): void {
    const normalized = normalizedDn(dn);
    if (normalized !== null) this.keys.set(normalized, key);
  }

  other(dn: string, why: string): void {
    const normalized = normalizedDn(dn);
    if (normalized !== null && !this.others.has(normalized)) this.others.set(normalized, why);
  }

  resolve(dn: string): { key: string } | { code: RefusalCode; why: string } {
    const normalized = normalizedDn(dn);
    if (normalized === null) return { code: 'INVALID_VALUE', why: 'not a DN' };
    const key = this.keys.get(normalized);
    if (key !== undefined) return { key };
    return { code: 'UNKNOWN_MEMBER', why: this.others.get(normalized) ?? 'no person of this file has this DN' };
  }
}

/**
 * A DN written so that equal DNs are equal strings: escapes resolved, attribute types and values
 * in lower case, spaces around separators dropped and inside values collapsed (as the caseIgnore
 * matching of uid, cn, ou and dc does). Null when the text is not a DN.
 */
function normalizedDn(text: string): string | null {
  let dn: DN;
  try {
    dn = DN.fromString(text);
  } catch {
    return null;
  }
  const rdns: string[] = [];
  for (let index = 0; index < dn.length; index++) rdns.push(normalizedRdn(dn.rdnAt(index)));
  return rdns.join(',');
}

function normalizedRdn(rdn: RDN): string {
  return [...rdn.keys()]
    .map((name) => {
      const value = rdn.getValue(name);
      // A #-hex value (a BER reader): its written form.
      const text = typeof value === 'string' ? value.trim().replace(/\s+/g, ' ') : rdn.toString();
      return `${name.toLowerCase()}=${JSON.stringify(text.toLowerCase())}`;
    })
    .sort()
    .join('+');
}

// ---------------------------------------------------------------------------------------------
// People

const PERSON_CLASSES: ReadonlySet<string> = new Set(['inetorgperson', 'person', 'organizationalperson', 'eduperson', 'voperson']);

const IDENTIFIERS: readonly { attribute: string; type: string; login?: true }[] = [
  { attribute: 'uid', type: 'uid', login: true },
  { attribute: 'eduPersonPrincipalName', type: 'eppn' },
  { attribute: 'employeeNumber', type: 'employeeNumber' },
  { attribute: 'eduPersonUniqueId', type: 'eduPersonUniqueId' },
  { attribute: 'voPersonID', type: 'voPersonID' },
];

const AFFILIATIONS: ReadonlyMap<string, Affiliation> = new Map([
  ['faculty', Affiliation.FACULTY],
  ['student', Affiliation.STUDENT],
  ['staff', Affiliation.STAFF],
  ['alum', Affiliation.ALUM],
  ['member', Affiliation.MEMBER],
  ['affiliate', Affiliation.AFFILIATE],
  ['employee', Affiliation.EMPLOYEE],
  ['library-walk-in', Affiliation.LIBRARY_WALK_IN],
]);

const STATUSES: ReadonlySet<string> = new Set(Object.values(PersonStatus));

function readPeople(entries: Entry[], options: ParseOptions, directory: Directory, refused: RefusedRecord[]): ImportedPerson[] {
  const people: ImportedPerson[] = [];
  const holders = new Map<string, SourceRef>();
  for (const entry of entries.filter((candidate) => hasClass(candidate, PERSON_CLASSES))) {
    const person = personOf(entry, options, holders);
    if ('code' in person) {
      refused.push(person);
      directory.other(entry.dn, `the person was refused (${person.code})`);
      continue;
    }
    holders.set(person.key, person.source);
    directory.person(entry.dn, person.key);
    people.push(person);
  }
  return people;
}

/** The person, or why it is refused. `holders`: the keys taken so far, with who took them. */
function personOf(entry: Entry, options: ParseOptions, holders: ReadonlyMap<string, SourceRef>): ImportedPerson | RefusedRecord {
  const refusal = (code: RefusalCode, reason: string): RefusedRecord => ({ source: entry.source, code, reason });
  const identifiers = identifiersOf(entry);
  const key = identifiers.find((identifier) => identifier.type === options.matchBy)?.value;
  if (key === undefined) return refusal('NO_KEY', noKeyReason(options.matchBy));
  const holder = holders.get(key);
  if (holder !== undefined) return refusal('DUPLICATE_KEY', `${options.matchBy} ${key} is already ${holder}'s`);
  const name = nameOf(entry);
  if (name === null) return refusal('INVALID_VALUE', 'no name: no givenName, displayName or cn');
  const person: ImportedPerson = { source: entry.source, key, names: [name], emailAddresses: emailsOf(entry), identifiers };
  const status = statusOf(entry);
  if (status) person.status = status;
  const affiliation = affiliationOf(entry);
  if (affiliation) person.affiliation = affiliation;
  const title = firstOf(entry, 'title');
  if (title !== undefined) person.title = title;
  return person;
}

function noKeyReason(matchBy: string): string {
  const attribute = IDENTIFIERS.find((identifier) => identifier.type === matchBy)?.attribute;
  if (attribute) return `no ${matchBy} identifier (attribute ${attribute}): the import matches people by ${matchBy}`;
  const types = IDENTIFIERS.map((identifier) => identifier.type).join(', ');
  return `no ${matchBy} identifier: the import matches people by ${matchBy}, and LDIF entries give only ${types}`;
}

function identifiersOf(entry: Entry): ImportedIdentifier[] {
  return IDENTIFIERS.flatMap(({ attribute, type, login }) =>
    [...new Set(valuesOf(entry, attribute))].map((value) => (login ? { type, value, login } : { type, value })),
  );
}

function emailsOf(entry: Entry): ImportedEmail[] {
  return [...new Set(valuesOf(entry, 'mail'))].map((mail, index) => (index === 0 ? { mail, type: EmailType.OFFICIAL } : { mail }));
}

function nameOf(entry: Entry): ImportedName | null {
  const given = firstOf(entry, 'givenName');
  const family = firstOf(entry, 'sn');
  if (given !== undefined) return family === undefined ? { given } : { given, family };
  const full = firstOf(entry, 'displayName') ?? firstOf(entry, 'cn');
  return full === undefined ? null : splitFullName(full, family);
}

function affiliationOf(entry: Entry): Affiliation | undefined {
  const value = firstOf(entry, 'eduPersonPrimaryAffiliation') ?? firstOf(entry, 'eduPersonAffiliation');
  return value === undefined ? undefined : AFFILIATIONS.get(value.toLowerCase());
}

/** `voPersonStatus` as a PersonStatus: `active`, `pending-approval`, `GracePeriod` (COmanage's spelling) all read. */
function statusOf(entry: Entry): PersonStatus | undefined {
  const value = firstOf(entry, 'voPersonStatus');
  if (value === undefined) return undefined;
  const status = value
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .replace(/[\s-]+/g, '_')
    .toUpperCase();
  return STATUSES.has(status) ? (status as PersonStatus) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Groups

const GROUP_CLASSES: ReadonlySet<string> = new Set(['groupofnames', 'groupofuniquenames', 'posixgroup']);

/** The optional UID of a uniqueMember value (RFC 4517 NameAndOptionalUID): `#'0101'B` at its end. */
const OPTIONAL_UID = /(?<!\\)#'[01]*'B$/;

function readGroups(entries: Entry[], options: ParseOptions, directory: Directory, refused: RefusedRecord[]): ImportedGroup[] {
  const groupEntries = entries.filter((entry) => !hasClass(entry, PERSON_CLASSES) && hasClass(entry, GROUP_CLASSES));
  for (const entry of groupEntries) directory.other(entry.dn, 'a group: nested groups are not imported');
  const holders = new Map<string, SourceRef>();
  const groups: ImportedGroup[] = [];
  for (const entry of groupEntries) {
    const group = groupOf(entry, options, directory, holders, refused);
    if (group) groups.push(group);
  }
  return groups;
}

/** The group, or null when it is refused. `holders`: the full names taken so far, with who took them. */
function groupOf(
  entry: Entry,
  options: ParseOptions,
  directory: Directory,
  holders: Map<string, SourceRef>,
  refused: RefusedRecord[],
): ImportedGroup | null {
  const refuse = (code: RefusalCode, reason: string): null => {
    refused.push({ source: entry.source, code, reason });
    return null;
  };
  const fullName = firstOf(entry, 'cn');
  if (fullName === undefined) return refuse('INVALID_VALUE', 'no cn: a group is imported under its cn');
  const holder = holders.get(fullName);
  if (holder !== undefined) return refuse('DUPLICATE_KEY', `the group ${fullName} is already ${holder}'s`);
  const uids = valuesOf(entry, 'memberUid');
  if (uids.length > 0 && options.matchBy !== 'uid') {
    return refuse('UNSUPPORTED', `memberUid lists the members by uid, and the import matches people by ${options.matchBy}`);
  }
  holders.set(fullName, entry.source);
  const members = [...keysOf(entry, 'member', directory, refused), ...keysOf(entry, 'uniqueMember', directory, refused), ...uids];
  const group: ImportedGroup = { source: entry.source, fullName };
  const description = firstOf(entry, 'description');
  if (description !== undefined) group.description = description;
  group.members = [...new Set(members)];
  if (entry.attributes.has('owner')) group.owners = [...new Set(keysOf(entry, 'owner', directory, refused))];
  return group;
}

/** The keys of the people the DNs of `attribute` name; each DN that names none is refused. */
function keysOf(entry: Entry, attribute: string, directory: Directory, refused: RefusedRecord[]): string[] {
  const keys: string[] = [];
  for (const value of valuesOf(entry, attribute)) {
    const dn = attribute === 'uniqueMember' ? value.replace(OPTIONAL_UID, '') : value;
    const resolved = directory.resolve(dn);
    if ('key' in resolved) keys.push(resolved.key);
    else refused.push({ source: entry.source, code: resolved.code, reason: `${attribute} ${dn}: ${resolved.why}` });
  }
  return keys;
}
