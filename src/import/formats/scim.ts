import { z } from 'zod';
import { EmailType, PersonStatus } from '../../registry/enums';
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
} from '../document';
import { splitFullName } from './common';

/**
 * SCIM 2.0 import (RFC 7643 resources, RFC 7644 list responses): what an admin gets from a SCIM
 * service provider's `/Users` and `/Groups` endpoints.
 *
 * **Input.** UTF-8 (a leading BOM is accepted), one of:
 * - a `ListResponse` (`schemas` has `urn:ietf:params:scim:api:messages:2.0:ListResponse`) and its `Resources`;
 * - a JSON array of ListResponse pages and/or single resources (pages of /Users and /Groups put together);
 * - a single User or Group resource;
 * - NDJSON: one such JSON value per line (a line that is not JSON is refused, the others are read).
 *
 * A resource is a User or a Group by its `schemas` (`urn:ietf:params:scim:schemas:core:2.0:User` / `...:Group`),
 * else by `meta.resourceType`. Attribute names are read case-insensitively (RFC 7643 §2.1). Anything else
 * (a ServiceProviderConfig, a SCIM error response, a bare string) is refused UNSUPPORTED.
 *
 * **User → person.**
 * - Identifiers: `userName` → `uid` (login), `externalId` → `externalId`, the enterprise extension's
 *   (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`) `employeeNumber` → `employeeNumber`.
 *   The person's key is the value of their identifier of the import's `matchBy` type; none: refused NO_KEY;
 *   a key already read: refused DUPLICATE_KEY.
 * - Name (one, the primary): `name.givenName`, `name.familyName`, `name.middleName`, `name.honorificPrefix`
 *   (honorific) and `name.honorificSuffix` (suffix). No `name.givenName`: `displayName` (else
 *   `name.formatted`) split as in LDIF (splitFullName: before `name.familyName` when it ends with it, else
 *   before its last word). Neither: the given name is the `userName`. The name has no type (the import's
 *   default applies).
 * - `emails[]` → email addresses, the `primary: true` one first, then in their order; `type` `work` →
 *   OFFICIAL, `home` → PERSONAL, any other type (or none) → an address without a type. Entries without a
 *   `value` and repeated addresses (compared case-insensitively) are skipped.
 * - `active: false` → SUSPENDED, `active: true` → ACTIVE (`"true"`/`"false"` strings too), missing → no status.
 * - `title` → title (missing: left out). `userType`, `nickName`, `phoneNumbers`, `addresses`, ... are not read.
 *
 * **Group → group.** `displayName` → the full name (folders `:`-separated, as Ferry's own SCIM target
 * writes them, e.g. `CO:members:all`). `members[]` are resolved after the whole input is read (Users and
 * Groups come in any order): a member `value` (else the id at the end of its `$ref`) that is the `id` of a
 * User of the input becomes that person's key. A member that is a group (`type: Group`, a `$ref` to
 * `/Groups/`, or the id of a Group of the input) is refused UNSUPPORTED (nested groups are not imported);
 * a value that is no User of the input, or a refused one, is refused UNKNOWN_MEMBER; the group keeps its
 * other members either way. No `members` attribute at all: the group's members are left out (not
 * touched), since providers often leave members out of list responses; `members: []` empties the group.
 * A second Group with the same `displayName` is refused DUPLICATE_KEY.
 *
 * **Refusals** (nothing of a refused record is imported; `source` says where it was):
 * - MALFORMED: the input (or an NDJSON line) is not JSON;
 * - ENCODING: the input is not UTF-8 (nothing is read);
 * - INVALID_VALUE: a resource does not have the shape above (e.g. a `userName` that is not a string),
 *   with the attribute path;
 * - TOO_LONG: a value that is read is longer than `MAX_VALUE_LENGTH` characters;
 * - NO_KEY, DUPLICATE_KEY, UNKNOWN_MEMBER, UNSUPPORTED: as above.
 *
 * **Sources**: `Resources[3] (User ada)` in a ListResponse, `page 2 Resources[3] (User ada)` for the
 * second element of an array (pages and items are counted from 1, `Resources[i]` from 0), `item 4 (Group
 * staff)` for a lone resource in an array, `line 7 ...` in NDJSON, `... members[2]` for a group member.
 *
 * Pure: no I/O; per-record problems never throw.
 */
export function parseScim(input: string | Buffer, options: ParseOptions): PopulationDocument {
  const document: PopulationDocument = { people: [], groups: [], refused: [] };
  const decoded = decode(input);
  if (typeof decoded !== 'string') {
    document.refused.push(decoded);
    return document;
  }
  const reader = new Reader(options, document);
  for (const { at, value } of readValues(decoded, document.refused)) reader.top(value, at);
  reader.resolveMembers();
  return document;
}

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:user';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:group';
const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:listresponse';
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:error';
const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** Longest piece of a value quoted in a source or reason. */
const QUOTE_LENGTH = 60;

// ---- Shapes -------------------------------------------------------------------------------------------------

const text = z.string().max(MAX_VALUE_LENGTH);
const optionalText = text.nullish();
const filledText = text.refine((value) => value.trim() !== '', 'must not be blank');
/** SCIM booleans; some providers write them as "True"/"false" strings. */
const flag = z.preprocess(
  (value) => (typeof value === 'string' && value.length <= 5 && /^(true|false)$/i.test(value) ? value.toLowerCase() === 'true' : value),
  z.boolean().nullish(),
);

const userSchema = z.object({
  id: optionalText,
  externalId: optionalText,
  userName: filledText,
  displayName: optionalText,
  name: z
    .object({
      formatted: optionalText,
      givenName: optionalText,
      familyName: optionalText,
      middleName: optionalText,
      honorificPrefix: optionalText,
      honorificSuffix: optionalText,
    })
    .nullish(),
  emails: z.array(z.object({ value: optionalText, type: optionalText, primary: flag })).nullish(),
  active: flag,
  title: optionalText,
  [ENTERPRISE_USER]: z.object({ employeeNumber: optionalText }).nullish(),
});
type ScimUser = z.infer<typeof userSchema>;

const memberSchema = z.object({ value: optionalText, $ref: optionalText, type: optionalText });
type ScimMember = z.infer<typeof memberSchema>;

const groupSchema = z.object({
  id: optionalText,
  displayName: filledText,
  members: z.array(memberSchema).nullish(),
});

const listResponseSchema = z.object({ Resources: z.array(z.unknown()).nullish() });

/** RFC 7643 attribute names of what is read, to read them case-insensitively; a nested entry names the attributes of a complex one. */
interface Names {
  [canonical: string]: Names | true;
}
const META_NAMES: Names = { resourceType: true };
const USER_NAMES: Names = {
  schemas: true,
  id: true,
  externalId: true,
  userName: true,
  displayName: true,
  active: true,
  title: true,
  meta: META_NAMES,
  name: { formatted: true, givenName: true, familyName: true, middleName: true, honorificPrefix: true, honorificSuffix: true },
  emails: { value: true, type: true, primary: true },
  [ENTERPRISE_USER]: { employeeNumber: true },
};
const GROUP_NAMES: Names = {
  schemas: true,
  id: true,
  displayName: true,
  meta: META_NAMES,
  members: { value: true, $ref: true, type: true },
};
const LIST_RESPONSE_NAMES: Names = { schemas: true, Resources: true };

// ---- Reading the input ----------------------------------------------------------------------------------------

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What a JSON value that is no object is: `an array`, `null`, `a string`. */
const describe = (value: unknown): string => (Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`);

const quote = (value: string, max = QUOTE_LENGTH): string => (value.length > max ? `${value.slice(0, max)}…` : value);

/** The text of the input, or why there is none. */
function decode(input: string | Buffer): string | RefusedRecord {
  if (typeof input === 'string') return input.startsWith('\uFEFF') ? input.slice(1) : input;
  try {
    // Strips a leading BOM (ignoreBOM is false).
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    return encodingRefusal(input);
  }
}

function encodingRefusal(input: Buffer): RefusedRecord {
  if ((input[0] === 0xff && input[1] === 0xfe) || (input[0] === 0xfe && input[1] === 0xff)) {
    return { source: 'line 1', code: 'ENCODING', reason: 'the file is UTF-16, not UTF-8: export it as UTF-8; nothing was read' };
  }
  // A newline byte is never part of a multi-byte UTF-8 sequence: decoding line by line finds the first bad one.
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  for (let start = 0; start <= input.length; line += 1) {
    const newline = input.indexOf(0x0a, start);
    const end = newline === -1 ? input.length : newline;
    try {
      decoder.decode(input.subarray(start, end));
    } catch {
      break;
    }
    start = end + 1;
  }
  const reason = 'the file is not valid UTF-8 (exported as Latin-1?): export it as UTF-8; nothing was read';
  return { source: `line ${line}`, code: 'ENCODING', reason };
}

interface TopValue {
  /** Where the value is: '' for the whole input, `line N` in NDJSON. */
  at: string;
  value: unknown;
}

type LineParse = { ok: true; value: unknown } | { ok: false; message: string } | { ok: false; blank: true };

function parseLine(line: string): LineParse {
  if (line.trim() === '') return { ok: false, blank: true };
  try {
    return { ok: true, value: JSON.parse(line) };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

/** The JSON values of the input: the whole input, else (NDJSON) those of its lines; what is not JSON is refused MALFORMED. */
function readValues(text: string, refused: RefusedRecord[]): TopValue[] {
  if (text.trim() === '') {
    const reason = 'the file is empty: expected SCIM JSON (a ListResponse, resources or NDJSON)';
    refused.push({ source: 'line 1', code: 'MALFORMED', reason });
    return [];
  }
  let wholeError: Error;
  try {
    return [{ at: '', value: JSON.parse(text) }];
  } catch (error) {
    wholeError = error as Error;
  }
  // Not one JSON value: NDJSON if most of its non-blank lines are JSON objects or arrays on their own
  // (a pretty-printed JSON document with a mistake in it has few such lines, and gets one refusal).
  const lines = text.split(/\r?\n/).map(parseLine);
  const filled = lines.filter((line) => !('blank' in line)).length;
  const structured = lines.filter((line) => line.ok && typeof line.value === 'object' && line.value !== null).length;
  if (filled < 2 || structured * 2 < filled) {
    const source = jsonErrorSource(text, wholeError.message);
    refused.push({ source, code: 'MALFORMED', reason: `not JSON: ${quote(wholeError.message, 200)}` });
    return [];
  }
  const values: TopValue[] = [];
  lines.forEach((line, index) => {
    const at = `line ${index + 1}`;
    if (line.ok) values.push({ at, value: line.value });
    else if ('message' in line) refused.push({ source: at, code: 'MALFORMED', reason: `not JSON: ${quote(line.message, 200)}` });
  });
  return values;
}

/** `line L column C` of the position a JSON.parse message names, else `line 1`. */
function jsonErrorSource(text: string, message: string): string {
  const position = /at position (\d+)/.exec(message);
  if (!position) return 'line 1';
  const offset = Math.min(Number(position[1]), text.length);
  let line = 1;
  let lineStart = 0;
  for (let newline = text.indexOf('\n'); newline !== -1 && newline < offset; newline = text.indexOf('\n', newline + 1)) {
    line += 1;
    lineStart = newline + 1;
  }
  return `line ${line} column ${offset - lineStart + 1}`;
}

/** The value's own key spelled `name` in any case (the exact spelling first). */
function field(object: JsonObject, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  const lower = name.toLowerCase();
  const key = Object.keys(object).find((candidate) => candidate.toLowerCase() === lower);
  return key === undefined ? undefined : object[key];
}

/** A copy of the object with the attribute names of `names` spelled as RFC 7643 spells them (one level of arrays). */
function canonical(object: JsonObject, names: Names): JsonObject {
  const spelling = new Map(Object.keys(names).map((name) => [name.toLowerCase(), name]));
  const entries: [string, unknown][] = [];
  for (const [key, value] of Object.entries(object)) {
    const name = spelling.get(key.toLowerCase());
    if (name === undefined) continue; // not read: left out
    if (name !== key && Object.hasOwn(object, name)) continue; // the exact spelling wins
    const inner = names[name];
    if (inner === true) entries.push([name, value]);
    else if (Array.isArray(value)) entries.push([name, value.map((item) => (isObject(item) ? canonical(item, inner) : item))]);
    else entries.push([name, isObject(value) ? canonical(value, inner) : value]);
  }
  // fromEntries defines own properties: a "__proto__" attribute stays data.
  return Object.fromEntries(entries);
}

type Kind = 'User' | 'Group' | 'ListResponse' | 'Error';

function kindOf(object: JsonObject): Kind | undefined {
  const schemas = field(object, 'schemas');
  const urns = (Array.isArray(schemas) ? schemas : [])
    .filter((urn): urn is string => typeof urn === 'string')
    .map((urn) => urn.toLowerCase());
  if (urns.includes(USER_SCHEMA)) return 'User';
  if (urns.includes(GROUP_SCHEMA)) return 'Group';
  if (urns.includes(LIST_RESPONSE_SCHEMA)) return 'ListResponse';
  if (urns.includes(ERROR_SCHEMA)) return 'Error';
  const meta = field(object, 'meta');
  const resourceType = isObject(meta) ? field(meta, 'resourceType') : undefined;
  if (typeof resourceType === 'string' && resourceType.toLowerCase() === 'user') return 'User';
  if (typeof resourceType === 'string' && resourceType.toLowerCase() === 'group') return 'Group';
  if (Array.isArray(field(object, 'Resources'))) return 'ListResponse';
  return undefined;
}

/** What a resource is, for an admin: `User ada`, `Group CO:members:all`, `User id 2819c223`. */
function labelOf(kind: 'User' | 'Group', object: JsonObject): string {
  const name = field(object, kind === 'User' ? 'userName' : 'displayName');
  const id = field(object, 'id');
  if (typeof name === 'string' && name.trim() !== '') return `${kind} ${quote(name)}`;
  if (typeof id === 'string' && id !== '') return `${kind} id ${quote(id)}`;
  return kind;
}

const sourceOf = (parts: string[], label?: string): string => {
  const at = parts.filter((part) => part !== '').join(' ');
  if (label === undefined) return at;
  return at === '' ? label : `${at} (${label})`;
};

/** `emails[1].value` */
function pathOf(path: (string | number)[]): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`)).join('') || 'the resource';
}

function valueAt(object: unknown, path: (string | number)[]): unknown {
  let value = object;
  for (const part of path) {
    value = typeof value === 'object' && value !== null ? (value as Record<string | number, unknown>)[part] : undefined;
  }
  return value;
}

/** TOO_LONG if a value is too long, else INVALID_VALUE with the zod paths. */
function shapeRefusal(error: z.ZodError, object: JsonObject): { code: RefusalCode; reason: string } {
  const long = error.issues.find((issue) => issue.code === 'too_big' && issue.type === 'string');
  if (long) {
    const value = valueAt(object, long.path);
    const length = typeof value === 'string' ? `${value.length} characters` : 'too long';
    return { code: 'TOO_LONG', reason: `${pathOf(long.path)} is ${length}; at most ${MAX_VALUE_LENGTH} are read` };
  }
  const issues = error.issues.slice(0, 3).map((issue) => `${pathOf(issue.path)}: ${issue.message}`);
  if (error.issues.length > 3) issues.push(`and ${error.issues.length - 3} more`);
  return { code: 'INVALID_VALUE', reason: issues.join('; ') };
}

// ---- Mapping ----------------------------------------------------------------------------------------------

const nonBlank = (value: string | null | undefined): value is string => typeof value === 'string' && value.trim() !== '';

function nameOf(user: ScimUser): ImportedName {
  const name = user.name ?? undefined;
  const parts: Omit<ImportedName, 'given'> = {};
  if (nonBlank(name?.familyName)) parts.family = name.familyName.trim();
  if (nonBlank(name?.middleName)) parts.middle = name.middleName.trim();
  if (nonBlank(name?.honorificPrefix)) parts.honorific = name.honorificPrefix.trim();
  if (nonBlank(name?.honorificSuffix)) parts.suffix = name.honorificSuffix.trim();
  if (nonBlank(name?.givenName)) return { given: name.givenName.trim(), ...parts };
  const display = nonBlank(user.displayName) ? user.displayName : nonBlank(name?.formatted) ? name.formatted : undefined;
  if (display !== undefined) return { ...parts, ...splitFullName(display, parts.family ?? undefined) };
  return { given: user.userName.trim(), ...parts };
}

const EMAIL_TYPES: ReadonlyMap<string, EmailType> = new Map([
  ['work', EmailType.OFFICIAL],
  ['home', EmailType.PERSONAL],
]);

function emailsOf(user: ScimUser): ImportedEmail[] {
  const entries = (user.emails ?? []).filter((email) => nonBlank(email.value));
  // Stable: the primary one first, the others in their order.
  const ordered = [...entries.filter((email) => email.primary === true), ...entries.filter((email) => email.primary !== true)];
  const seen = new Set<string>();
  const emails: ImportedEmail[] = [];
  for (const email of ordered) {
    const mail = (email.value as string).trim();
    if (seen.has(mail.toLowerCase())) continue;
    seen.add(mail.toLowerCase());
    const type = email.type ? EMAIL_TYPES.get(email.type.trim().toLowerCase()) : undefined;
    emails.push(type === undefined ? { mail } : { mail, type });
  }
  return emails;
}

function identifiersOf(user: ScimUser): ImportedIdentifier[] {
  const identifiers: ImportedIdentifier[] = [{ type: 'uid', value: user.userName, login: true }];
  if (nonBlank(user.externalId)) identifiers.push({ type: 'externalId', value: user.externalId });
  const employeeNumber = user[ENTERPRISE_USER]?.employeeNumber;
  if (nonBlank(employeeNumber)) identifiers.push({ type: 'employeeNumber', value: employeeNumber });
  return identifiers;
}

interface PendingGroup {
  group: ImportedGroup;
  members: ScimMember[] | null | undefined;
}

/** Reads the values of the input into the document; members are resolved once everything is read. */
class Reader {
  /** A person's key → where it was read. */
  private readonly keys = new Map<string, string>();
  /** User id → the person's key. */
  private readonly userKeys = new Map<string, string>();
  /** User id → why the User was refused. */
  private readonly refusedUsers = new Map<string, string>();
  private readonly groupIds = new Set<string>();
  private readonly groupNames = new Map<string, string>();
  private readonly pending: PendingGroup[] = [];

  constructor(
    private readonly options: ParseOptions,
    private readonly document: PopulationDocument,
  ) {}

  private refuse(source: string, code: RefusalCode, reason: string): void {
    this.document.refused.push({ source, code, reason });
  }

  /** A value of the input (or of an NDJSON line): a page, a resource, or an array of them. */
  top(value: unknown, at: string): void {
    if (!Array.isArray(value)) return this.item(value, [at]);
    value.forEach((item, index) => {
      const kind = isObject(item) ? kindOf(item) : undefined;
      this.item(item, [at, `${kind === 'ListResponse' ? 'page' : 'item'} ${index + 1}`], true);
    });
  }

  private item(value: unknown, at: string[], inArray = false): void {
    if (!isObject(value)) {
      const what = Array.isArray(value) && inArray ? 'an array inside an array' : describe(value);
      return this.refuse(sourceOf(at), 'UNSUPPORTED', `${what}, not a SCIM ListResponse, User or Group`);
    }
    if (kindOf(value) === 'ListResponse') return this.page(value, at);
    this.resource(value, at);
  }

  private page(raw: JsonObject, at: string[]): void {
    const parsed = listResponseSchema.safeParse(canonical(raw, LIST_RESPONSE_NAMES));
    if (!parsed.success) {
      const { code, reason } = shapeRefusal(parsed.error, raw);
      return this.refuse(sourceOf(at, 'ListResponse'), code, reason);
    }
    (parsed.data.Resources ?? []).forEach((resource, index) => this.resource(resource, [...at, `Resources[${index}]`]));
  }

  private resource(raw: unknown, at: string[]): void {
    if (!isObject(raw)) {
      return this.refuse(sourceOf(at), 'UNSUPPORTED', `${describe(raw)}, not a SCIM resource`);
    }
    const kind = kindOf(raw);
    if (kind === 'User') return this.user(raw, at);
    if (kind === 'Group') return this.group(raw, at);
    if (kind === 'ListResponse') return this.refuse(sourceOf(at), 'UNSUPPORTED', 'a ListResponse inside a ListResponse');
    if (kind === 'Error') {
      const detail = field(raw, 'detail');
      const status = field(raw, 'status');
      const what = `a SCIM error response${status !== undefined ? ` (status ${quote(String(status))})` : ''}`;
      return this.refuse(sourceOf(at), 'UNSUPPORTED', `${what}, not a resource${typeof detail === 'string' ? `: ${quote(detail)}` : ''}`);
    }
    const schemas = field(raw, 'schemas');
    const named = Array.isArray(schemas) ? schemas.filter((urn) => typeof urn === 'string').map((urn) => quote(urn as string)) : [];
    const what = named.length > 0 ? `schemas ${named.slice(0, 3).join(', ')}` : 'no User or Group schema nor meta.resourceType';
    this.refuse(sourceOf(at), 'UNSUPPORTED', `only Users and Groups are imported; this resource has ${what}`);
  }

  private user(raw: JsonObject, at: string[]): void {
    const source = sourceOf(at, labelOf('User', raw));
    const rawId = field(raw, 'id');
    const id = typeof rawId === 'string' ? rawId : undefined;
    const refuse = (code: RefusalCode, reason: string) => {
      this.refuse(source, code, reason);
      if (id !== undefined && !this.refusedUsers.has(id)) this.refusedUsers.set(id, `${code} at ${source}`);
    };
    const object = canonical(raw, USER_NAMES);
    const parsed = userSchema.safeParse(object);
    if (!parsed.success) {
      const { code, reason } = shapeRefusal(parsed.error, object);
      return refuse(code, reason);
    }
    const user = parsed.data;
    const identifiers = identifiersOf(user);
    const key = identifiers.find((identifier) => identifier.type === this.options.matchBy)?.value;
    if (key === undefined) {
      const has = identifiers.map((identifier) => identifier.type).join(', ');
      return refuse('NO_KEY', `no ${this.options.matchBy} identifier to match the person by (this User has ${has})`);
    }
    const earlier = this.keys.get(key);
    if (earlier !== undefined) return refuse('DUPLICATE_KEY', `${this.options.matchBy} ${quote(key)} was already read at ${earlier}`);
    this.keys.set(key, source);
    if (id !== undefined && !this.userKeys.has(id)) this.userKeys.set(id, key);

    const person: ImportedPerson = { source, key, names: [nameOf(user)], emailAddresses: emailsOf(user), identifiers };
    if (user.active === true) person.status = PersonStatus.ACTIVE;
    if (user.active === false) person.status = PersonStatus.SUSPENDED;
    if (nonBlank(user.title)) person.title = user.title.trim();
    this.document.people.push(person);
  }

  private group(raw: JsonObject, at: string[]): void {
    const source = sourceOf(at, labelOf('Group', raw));
    const rawId = field(raw, 'id');
    if (typeof rawId === 'string') this.groupIds.add(rawId);
    const object = canonical(raw, GROUP_NAMES);
    const parsed = groupSchema.safeParse(object);
    if (!parsed.success) {
      const { code, reason } = shapeRefusal(parsed.error, object);
      return this.refuse(source, code, reason);
    }
    const fullName = parsed.data.displayName.trim();
    const earlier = this.groupNames.get(fullName);
    if (earlier !== undefined) return this.refuse(source, 'DUPLICATE_KEY', `group ${quote(fullName)} was already read at ${earlier}`);
    this.groupNames.set(fullName, source);
    const group: ImportedGroup = { source, fullName };
    this.document.groups.push(group);
    this.pending.push({ group, members: parsed.data.members });
  }

  /** Members as people's keys, now that every User and Group of the input is known. */
  resolveMembers(): void {
    for (const { group, members } of this.pending) {
      if (members === undefined || members === null) continue;
      const keys: string[] = [];
      members.forEach((member, index) => {
        const source = `${group.source} members[${index}]`;
        const fromRef = member.$ref ? /\/(Users|Groups)\/([^/?#]+)\/?$/i.exec(member.$ref.trim()) : null;
        const value = nonBlank(member.value) ? member.value.trim() : fromRef ? decodeURIComponentSafe(fromRef[2]) : undefined;
        if (value === undefined) return this.refuse(source, 'INVALID_VALUE', 'a member without a value nor $ref');
        const isGroup = member.type?.trim().toLowerCase() === 'group' || fromRef?.[1].toLowerCase() === 'groups';
        const key = isGroup ? undefined : this.userKeys.get(value);
        if (key !== undefined) {
          if (!keys.includes(key)) keys.push(key);
        } else if (isGroup || this.groupIds.has(value)) {
          this.refuse(source, 'UNSUPPORTED', `member ${quote(value)} is a group: nested groups are not imported`);
        } else {
          const refused = this.refusedUsers.get(value);
          const why = refused === undefined ? 'is no User of this file' : `is a User that was refused (${refused})`;
          this.refuse(source, 'UNKNOWN_MEMBER', `member ${quote(value)} ${why}`);
        }
      });
      group.members = keys;
    }
  }
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
