import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small SCIM 2.0 service provider (RFC 7643/7644) written by hand on node:http, shaped like a
 * real SaaS service rather than like a library: only `eq` filters, lenient member removal, and
 * quirks real services have (AWS IAM Identity Center hiding group members, one email per user, a
 * login proxy answering HTML). Users and Groups live in memory; tests read the real state through
 * `users`, `groups` and `memberIds`, whatever the quirks show on the wire.
 */

export type Stored = Record<string, any> & { id: string };

export interface SmallScimQuirks {
  /** AWS IAM Identity Center: GET /Groups/{id} and GET /Groups return `members: []` always (the stored members are kept and applied, just never shown). */
  omitGroupMembers?: boolean;
  /** A User may have at most one email: POST/PUT/PATCH leaving a User with 2+ emails answers 400 {scimType:"invalidValue", detail:"emails: only one value is supported"} and changes nothing. */
  singleEmail?: boolean;
  /** PATCH /Users/{id} answers 200 with `content-type: text/html` body "<html><body>Sign in</body></html>" and does NOT apply the change (a login proxy in front of the service). */
  htmlOnUserPatch?: boolean;
  /** Advertise and accept PATCH (default true); false: PATCH answers 501 and /ServiceProviderConfig says patch unsupported. */
  patch?: boolean;
}

export interface SmallScimRequest {
  method: string;
  /** Below the SCIM base, e.g. /Groups/8f0c... */
  path: string;
  query: Record<string, string>;
  /** The parsed JSON body; the raw text when it was not JSON; undefined when there was none. */
  body: any;
}

export interface SmallScimServer {
  /** The SCIM base URL, e.g. http://127.0.0.1:41234/scim/v2 */
  url: string;
  /** Bearer token required on every request (401 SCIM error otherwise). */
  token: string;
  /** Mutable (a copy of what was passed): tests flip quirks between steps. */
  quirks: SmallScimQuirks;
  requests: SmallScimRequest[];
  /** Requests of a method to a path prefix, e.g. requestsTo('PATCH', '/Groups/'). */
  requestsTo(method: string, pathPrefix: string): SmallScimRequest[];
  /** The real stored state: group members included even with omitGroupMembers. */
  users: Map<string, Stored>;
  groups: Map<string, Stored>;
  /** Puts a User straight into the store (no quirks); `id` may be given, else one is assigned. */
  seedUser(attributes: Record<string, any>): Stored;
  seedGroup(attributes: Record<string, any>): Stored;
  /** Member ids of a stored group, sorted (the truth, whatever the quirks show). */
  memberIds(groupId: string): string[];
  close(): Promise<void>;
}

type Kind = 'User' | 'Group';
type Json = Record<string, any>;
type Member = { value: string; display?: string };

const BASE_PATH = '/scim/v2';
const MAX_BODY_BYTES = 5 * 1024 * 1024;
/** The largest page served (also advertised as filter.maxResults). */
const MAX_RESULTS = 100;
const SCIM_CONTENT_TYPE = 'application/scim+json';
const JSON_TYPES = [SCIM_CONTENT_TYPE, 'application/json'];

const CORE_SCHEMA: Record<Kind, string> = {
  User: 'urn:ietf:params:scim:schemas:core:2.0:User',
  Group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
};
const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';

/** The attribute each resource type keeps unique (case-insensitively). */
const UNIQUE: Record<Kind, string> = { User: 'userName', Group: 'displayName' };
/** Filterable attributes; the case-insensitive ones compare as real services do. */
const FILTERABLE = ['userName', 'externalId', 'displayName', 'id'];
const CASE_INSENSITIVE = new Set(['userName', 'displayName']);
/** Never written by clients. */
const SERVER_ASSIGNED = ['id', 'meta', 'schemas'];

const JSON_STRING = String.raw`"((?:[^"\\]|\\.)*)"`;
const FILTER = new RegExp(String.raw`^\s*([A-Za-z][\w.:-]*)\s+eq\s+${JSON_STRING}\s*$`, 'i');
const MEMBERS_PATH = new RegExp(String.raw`^members(?:\[\s*value\s+eq\s+${JSON_STRING}\s*\])?$`, 'i');

/** A SCIM error answer (RFC 7644 3.12). */
class ScimError extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly scimType?: string,
  ) {
    super(detail);
  }
}

const invalid = (scimType: string, detail: string) => new ScimError(400, detail, scimType);

const clone = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The contents of a JSON string literal, or null when it is not one. */
function unquote(raw: string): string | null {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return null;
  }
}

/** An existing key of object matching name case-insensitively (SCIM attribute names are), else name. */
function keyIn(object: Json, name: string): string {
  const lower = name.toLowerCase();
  return Object.keys(object).find((key) => key.toLowerCase() === lower) ?? name;
}

/**
 * An attribute path (RFC 7644 3.10) as the keys to walk: an optional extension URN, then the
 * attribute and at most one sub-attribute. The core schema's URN prefix is dropped. Null when the
 * path is not of that form (value filters, deeper nesting).
 */
function parsePath(kind: Kind, path: string): string[] | null {
  let rest = path.trim();
  const segments: string[] = [];
  if (/^urn:/i.test(rest)) {
    const core = `${CORE_SCHEMA[kind]}:`.toLowerCase();
    if (rest.toLowerCase().startsWith(core)) {
      rest = rest.slice(core.length);
    } else if (kind === 'User' && rest.toLowerCase() === ENTERPRISE_USER.toLowerCase()) {
      return [rest];
    } else {
      // The URN is everything up to the last colon (it contains dots itself: "2.0").
      const cut = rest.lastIndexOf(':');
      segments.push(rest.slice(0, cut));
      rest = rest.slice(cut + 1);
    }
  }
  const parts = rest.split('.');
  if (parts.length > 2 || parts.some((part) => !/^[A-Za-z$][\w$-]*$/.test(part))) return null;
  return [...segments, ...parts];
}

/** Copies the value at `segments` of `from` (if any) into `into`, under the keys `from` uses. */
function copyAt(from: Json, into: Json, segments: string[]): void {
  let source = from;
  let target = into;
  for (const [index, segment] of segments.entries()) {
    const key = keyIn(source, segment);
    const value: unknown = source[key];
    if (index === segments.length - 1) {
      if (value !== undefined) target[key] = clone(value);
      return;
    }
    if (!isObject(value)) return;
    if (!isObject(target[key])) target[key] = {};
    source = value;
    target = target[key];
  }
}

/** The parent object of the last segment, created on the way when `create`; null when absent. */
function parentOf(resource: Json, segments: string[], create: boolean): Json | null {
  let current = resource;
  for (const segment of segments.slice(0, -1)) {
    const key = keyIn(current, segment);
    if (current[key] === undefined && create) current[key] = {};
    if (!isObject(current[key])) {
      if (current[key] === undefined) return null;
      throw invalid('invalidPath', `${segments.join('.')}: ${segment} is not a complex attribute`);
    }
    current = current[key];
  }
  return current;
}

/**
 * PATCH add/replace of a plain attribute. `replace` sets the value; `add` follows RFC 7644 3.5.2.1:
 * it appends to a multi-valued attribute (values already there are not repeated), merges into a
 * complex one, and sets anything else.
 */
function setAt(resource: Json, segments: string[], value: unknown, op: 'add' | 'replace'): void {
  const parent = parentOf(resource, segments, true)!;
  const key = keyIn(parent, segments[segments.length - 1]);
  const held = parent[key];
  if (op === 'add' && Array.isArray(held)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (!held.some((existing) => sameJson(existing, item))) held.push(clone(item));
    }
  } else if (op === 'add' && isObject(held) && isObject(value)) {
    Object.assign(held, clone(value));
  } else {
    parent[key] = clone(value);
  }
}

function removeAt(resource: Json, segments: string[]): void {
  const parent = parentOf(resource, segments, false);
  if (parent) delete parent[keyIn(parent, segments[segments.length - 1])];
}

/** Members as stored: [{value}] (and display when sent), each id once. */
function memberList(value: unknown): Member[] {
  const members: Member[] = [];
  for (const item of Array.isArray(value) ? value : [value]) {
    if (!isObject(item) || typeof item.value !== 'string' || item.value === '') {
      throw invalid('invalidValue', 'members: every member needs a string value');
    }
    if (members.some((member) => member.value === item.value)) continue;
    members.push(typeof item.display === 'string' ? { value: item.value, display: item.display } : { value: item.value });
  }
  return members;
}

/** A comma list of a query parameter, empty entries dropped. */
const commaList = (value: string | undefined) => (value ?? '').split(',').map((name) => name.trim()).filter(Boolean);

function parseCount(name: string, value: string | undefined): number | null {
  if (value === undefined || value === '') return null;
  if (!/^-?\d+$/.test(value)) throw invalid('invalidValue', `${name} must be an integer`);
  return Number(value);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': SCIM_CONTENT_TYPE, 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, error: ScimError, headers: Record<string, string> = {}): void {
  const body = { schemas: [ERROR_SCHEMA], status: String(error.status), ...(error.scimType ? { scimType: error.scimType } : {}), detail: error.message };
  sendJson(res, error.status, body, headers);
}

/** The body's text, or null when it is larger than MAX_BODY_BYTES (the rest is drained, not kept). */
function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startSmallScimServer(initialQuirks: SmallScimQuirks = {}): Promise<SmallScimServer> {
  const quirks: SmallScimQuirks = { patch: true, ...initialQuirks };
  const token = randomBytes(16).toString('hex');
  const requests: SmallScimRequest[] = [];
  const users = new Map<string, Stored>();
  const groups = new Map<string, Stored>();
  const collection = (kind: Kind) => (kind === 'User' ? users : groups);
  let url = '';

  /**
   * Throws unless `candidate` may be stored under `id` (required attribute, uniqueness, the
   * singleEmail quirk when `applyQuirks`); normalises a group's members on the way.
   */
  function validate(kind: Kind, id: string, candidate: Json, applyQuirks: boolean): void {
    const unique = UNIQUE[kind];
    const value = candidate[unique];
    if (typeof value !== 'string' || value.trim() === '') throw invalid('invalidValue', `${unique} is required`);
    for (const other of collection(kind).values()) {
      if (other.id !== id && String(other[unique]).toLowerCase() === value.toLowerCase()) {
        throw new ScimError(409, `${unique} "${value}" is already in use`, 'uniqueness');
      }
    }
    if (kind === 'Group') candidate.members = memberList(candidate.members ?? []);
    if (applyQuirks && kind === 'User' && quirks.singleEmail) {
      const emails = candidate[keyIn(candidate, 'emails')];
      if (Array.isArray(emails) && emails.length > 1) throw invalid('invalidValue', 'emails: only one value is supported');
    }
  }

  /** What a client sent for a whole resource, without what the server assigns. */
  function attributesOf(kind: Kind, body: Json): Json {
    const data = clone(body);
    for (const name of SERVER_ASSIGNED) delete data[keyIn(data, name)];
    const membersKey = keyIn(data, 'members');
    if (kind === 'Group' && membersKey !== 'members') {
      data.members = data[membersKey];
      delete data[membersKey];
    }
    return data;
  }

  /** Validates and stores a whole resource (POST, PUT, seeds). */
  function write(kind: Kind, id: string, data: Json, applyQuirks: boolean): Stored {
    validate(kind, id, data, applyQuirks);
    const stored: Stored = { ...data, id };
    collection(kind).set(id, stored);
    return stored;
  }

  function seed(kind: Kind, attributes: Record<string, any>): Stored {
    const id = typeof attributes.id === 'string' && attributes.id ? attributes.id : randomUUID();
    if (collection(kind).has(id)) throw new Error(`a ${kind} with id ${id} is already stored`);
    return write(kind, id, attributesOf(kind, attributes), false);
  }

  /** A stored resource as the wire shows it (quirks applied), optionally projected (attributes / excludedAttributes). */
  function render(kind: Kind, stored: Stored, query: Record<string, string> = {}): Json {
    const { id, ...rest } = clone(stored);
    const extensions = Object.keys(rest).filter((key) => /^urn:/i.test(key));
    if (kind === 'Group' && quirks.omitGroupMembers) rest.members = [];
    const full: Json = {
      schemas: [CORE_SCHEMA[kind], ...extensions],
      id,
      ...rest,
      meta: { resourceType: kind, location: `${url}/${kind}s/${id}` },
    };
    const pathsOf = (names: string[]) =>
      names.map((name) => {
        const segments = parsePath(kind, name);
        if (!segments) throw invalid('invalidSyntax', `unsupported attribute name "${name}"`);
        return segments;
      });
    const wanted = commaList(query.attributes);
    if (wanted.length > 0) {
      // Only id (and schemas) plus what was asked for.
      const projected: Json = { schemas: full.schemas, id };
      for (const segments of pathsOf(wanted)) copyAt(full, projected, segments);
      return projected;
    }
    for (const segments of pathsOf(commaList(query.excludedAttributes))) {
      if (segments.length === 1 && ['id', 'schemas'].includes(segments[0].toLowerCase())) continue;
      removeAt(full, segments);
    }
    return full;
  }

  /** `<attr> eq "<value>"`: the only filter this service understands. */
  function filterFor(kind: Kind, filter: string | undefined): (resource: Stored) => boolean {
    if (filter === undefined || filter.trim() === '') return () => true;
    const match = FILTER.exec(filter);
    const segments = match ? parsePath(kind, match[1]) : null;
    const attribute = segments?.length === 1 ? FILTERABLE.find((name) => name.toLowerCase() === segments[0].toLowerCase()) : undefined;
    const value = match ? unquote(match[2]) : null;
    if (!attribute || value === null) throw invalid('invalidFilter', `unsupported filter: only <attribute> eq "<value>" with ${FILTERABLE.join(', ')}`);
    return (resource) => {
      const held = resource[keyIn(resource, attribute)];
      if (typeof held !== 'string') return false;
      return CASE_INSENSITIVE.has(attribute) ? held.toLowerCase() === value.toLowerCase() : held === value;
    };
  }

  function list(kind: Kind, query: Record<string, string>): Json {
    const matches = [...collection(kind).values()].filter(filterFor(kind, query.filter));
    const startIndex = Math.max(1, parseCount('startIndex', query.startIndex) ?? 1);
    const count = Math.min(Math.max(0, parseCount('count', query.count) ?? MAX_RESULTS), MAX_RESULTS);
    const page = matches.slice(startIndex - 1, startIndex - 1 + count).map((resource) => render(kind, resource, query));
    return { schemas: [LIST_SCHEMA], totalResults: matches.length, startIndex, itemsPerPage: page.length, Resources: page };
  }

  /** Applies one member operation to a group being patched. */
  function patchMembers(group: Json, op: string, path: string, value: unknown): void {
    const match = MEMBERS_PATH.exec(path);
    if (!match) throw invalid('invalidPath', `unsupported members path "${path}"`);
    const held = memberList(group.members ?? []);
    if (match[1] !== undefined) {
      // members[value eq "ID"]: only remove is supported; an absent member is a no-op (lenient, like AWS).
      const id = unquote(match[1]);
      if (op !== 'remove' || id === null) throw invalid('invalidPath', `unsupported members operation ${op} "${path}"`);
      group.members = held.filter((member) => member.value !== id);
    } else if (op === 'add') {
      const added = memberList(value ?? []);
      group.members = [...held, ...added.filter((member) => !held.some((existing) => existing.value === member.value))];
    } else if (op === 'replace') {
      group.members = memberList(value ?? []);
    } else {
      // remove of `members`: the values listed (Azure AD style), or every member when none are.
      const removed = value === undefined ? null : memberList(value).map((member) => member.value);
      group.members = removed ? held.filter((member) => !removed.includes(member.value)) : [];
    }
  }

  /** Applies one operation of a PatchOp to a copy of the resource. */
  function patchOne(kind: Kind, resource: Json, operation: unknown): void {
    if (!isObject(operation)) throw invalid('invalidSyntax', 'every operation must be an object');
    const op = typeof operation.op === 'string' ? operation.op.toLowerCase() : '';
    if (op !== 'add' && op !== 'replace' && op !== 'remove') throw invalid('invalidSyntax', `unknown op "${String(operation.op)}"`);
    const path = typeof operation.path === 'string' ? operation.path.trim() : '';
    const value: unknown = operation.value;
    const isMembers = (name: string) => kind === 'Group' && /^members(\[|$)/i.test(name);

    if (path === '') {
      if (op === 'remove') throw invalid('noTarget', 'remove needs a path');
      if (!isObject(value)) throw invalid('invalidValue', `${op} without a path needs an object value`);
      for (const [name, attribute] of Object.entries(value)) {
        if (SERVER_ASSIGNED.includes(name.toLowerCase())) continue;
        if (isMembers(name)) {
          patchMembers(resource, op, 'members', attribute);
          continue;
        }
        const segments = parsePath(kind, name);
        if (!segments) throw invalid('invalidPath', `unsupported attribute "${name}"`);
        setAt(resource, segments, attribute, op);
      }
      return;
    }
    if (isMembers(path)) return patchMembers(resource, op, path, value);
    const segments = parsePath(kind, path);
    if (!segments) throw invalid('invalidPath', `unsupported path "${path}"`);
    if (SERVER_ASSIGNED.includes(segments[0].toLowerCase())) throw invalid('mutability', `${segments[0]} cannot be changed`);
    if (op === 'remove') removeAt(resource, segments);
    else if (value === undefined) throw invalid('invalidValue', `${op} of ${path} needs a value`);
    else setAt(resource, segments, value, op);
  }

  /** Serves one authenticated request below the base path. */
  function route(method: string, path: string, query: Record<string, string>, body: unknown, res: ServerResponse): void {
    if (path === '/ServiceProviderConfig') {
      if (method !== 'GET') throw new ScimError(405, `${method} is not allowed on ${path}`);
      return sendJson(res, 200, {
        schemas: [SPC_SCHEMA],
        patch: { supported: quirks.patch !== false },
        bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
        filter: { supported: true, maxResults: MAX_RESULTS },
        changePassword: { supported: false },
        sort: { supported: false },
        etag: { supported: false },
        authenticationSchemes: [],
      });
    }
    const match = /^\/(Users|Groups)(?:\/([^/]+))?\/?$/.exec(path);
    if (!match) throw new ScimError(404, `no endpoint ${path}`);
    const kind: Kind = match[1] === 'Users' ? 'User' : 'Group';
    const store = collection(kind);
    const needsObject = () => {
      if (!isObject(body)) throw invalid('invalidSyntax', 'the body must be a JSON object');
      return body;
    };

    if (match[2] === undefined) {
      if (method === 'GET') return sendJson(res, 200, list(kind, query));
      if (method === 'POST') {
        const stored = write(kind, randomUUID(), attributesOf(kind, needsObject()), true);
        const rendered = render(kind, stored);
        return sendJson(res, 201, rendered, { location: rendered.meta.location });
      }
      throw new ScimError(405, `${method} is not allowed on ${path}`);
    }

    let id: string;
    try {
      id = decodeURIComponent(match[2]);
    } catch {
      throw new ScimError(404, `${kind} ${match[2]} not found`);
    }
    if (method === 'PATCH' && quirks.patch === false) throw new ScimError(501, 'PATCH is not supported by this service provider');
    if (!['GET', 'PUT', 'PATCH', 'DELETE'].includes(method)) throw new ScimError(405, `${method} is not allowed on ${path}`);
    const current = store.get(id);
    if (!current) throw new ScimError(404, `${kind} ${id} not found`);

    switch (method) {
      case 'GET':
        return sendJson(res, 200, render(kind, current, query));
      case 'PUT':
        return sendJson(res, 200, render(kind, write(kind, id, attributesOf(kind, needsObject()), true)));
      case 'PATCH': {
        const patch = needsObject();
        const schemas = patch.schemas;
        if (!Array.isArray(schemas) || !schemas.includes(PATCH_OP_SCHEMA)) throw invalid('invalidSyntax', `a PatchOp must carry the schema ${PATCH_OP_SCHEMA}`);
        const operations = patch[keyIn(patch, 'Operations')];
        if (!Array.isArray(operations)) throw invalid('invalidSyntax', 'a PatchOp needs an Operations array');
        // All or nothing: operations apply to a copy, which replaces the stored resource only when valid.
        const next: Json = clone(current);
        delete next.id;
        for (const operation of operations) patchOne(kind, next, operation);
        return sendJson(res, 200, render(kind, write(kind, id, next, true)));
      }
      default: {
        store.delete(id);
        // A deleted User leaves every group it was a member of, as services do.
        if (kind === 'User') {
          for (const group of groups.values()) group.members = memberList(group.members ?? []).filter((member) => member.value !== id);
        }
        res.writeHead(204);
        res.end();
      }
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const parsed = new URL(req.url ?? '/', 'http://localhost');
    if (parsed.pathname !== BASE_PATH && !parsed.pathname.startsWith(`${BASE_PATH}/`)) {
      req.resume();
      return sendError(res, new ScimError(404, `no endpoint ${parsed.pathname}`));
    }
    const path = parsed.pathname.slice(BASE_PATH.length) || '/';
    const query = Object.fromEntries(parsed.searchParams);

    const text = await readBody(req);
    let body: unknown;
    let syntaxError: ScimError | null = null;
    if (text === null) {
      syntaxError = new ScimError(413, `request bodies are limited to ${MAX_BODY_BYTES} bytes`);
    } else if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
        syntaxError = invalid('invalidSyntax', 'the body is not valid JSON');
      }
      const mediaType = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (['POST', 'PUT', 'PATCH'].includes(method) && !JSON_TYPES.includes(mediaType)) {
        syntaxError = new ScimError(415, `content-type must be ${JSON_TYPES.join(' or ')}`);
      }
    }
    requests.push({ method, path, query, body });

    // A login proxy in front of the service: it answers before the service sees anything.
    if (quirks.htmlOnUserPatch && method === 'PATCH' && path.startsWith('/Users/')) {
      const html = '<html><body>Sign in</body></html>';
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': String(Buffer.byteLength(html)) });
      res.end(html);
      return;
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      return sendError(res, new ScimError(401, 'invalid bearer token'), { 'www-authenticate': 'Bearer' });
    }
    if (syntaxError) return sendError(res, syntaxError, syntaxError.status === 413 ? { connection: 'close' } : {});
    if (['POST', 'PUT', 'PATCH'].includes(method) && body === undefined) {
      return sendError(res, invalid('invalidSyntax', `${method} needs a JSON body`));
    }
    route(method, path, query, body, res);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      sendError(res, error instanceof ScimError ? error : new ScimError(500, (error as Error)?.message ?? String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}${BASE_PATH}`;

  return {
    url,
    token,
    quirks,
    requests,
    requestsTo: (method, pathPrefix) => requests.filter((request) => request.method === method && request.path.startsWith(pathPrefix)),
    users,
    groups,
    seedUser: (attributes) => seed('User', attributes),
    seedGroup: (attributes) => seed('Group', attributes),
    memberIds(groupId) {
      const group = groups.get(groupId);
      if (!group) throw new Error(`no Group ${groupId} is stored`);
      return memberList(group.members ?? []).map((member) => member.value).sort();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
