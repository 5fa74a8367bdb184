import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import express, { type NextFunction, type Request, type Response } from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';

/**
 * A real SCIM 2.0 service provider for tests: SCIMMY parses filters, PatchOps and schemas and
 * scimmy-routers serves the endpoints; this file keeps Users and Groups in memory and can be made
 * difficult in the ways real services are (no PATCH, a member cap per request, 429s, silently
 * dropped members, ETags, outages).
 */

export type StoredResource = Record<string, any> & { id: string };

export interface RecordedRequest {
  method: string;
  /** Below the SCIM base, e.g. /Groups/8f0c... */
  path: string;
  query: Record<string, string>;
  body: any;
  ifMatch: string | null;
}

export interface ScimBehaviour {
  /** Advertise and accept PATCH; when false PATCH answers 501. */
  patch: boolean;
  /** Version resources (meta.version) and refuse a write whose If-Match is stale (412). */
  etag: boolean;
  /** A POST, PUT or PATCH carrying more member values than this is refused (400). */
  maxMembersPerRequest: number | null;
  /** Groups silently keep only this many members, whatever was accepted. */
  keepMembersUpTo: number | null;
  /** Answer /ServiceProviderConfig; false answers 404 as some services do. */
  serviceProviderConfig: boolean;
  /** Delay before every answer, to make clients time out. */
  delayMs: number;
}

export interface InjectedFailure {
  status: number;
  detail?: string;
  scimType?: string;
  retryAfter?: string;
  /** How many matching requests get it (default 1). */
  times?: number;
  /** Only requests of this method (default every method). */
  method?: string;
  /** Only requests whose path starts with this (default every path). */
  pathPrefix?: string;
}

const DEFAULT_BEHAVIOUR: ScimBehaviour = {
  patch: true,
  etag: false,
  maxMembersPerRequest: null,
  keepMembersUpTo: null,
  serviceProviderConfig: true,
  delayMs: 0,
};

const SCIM_TYPES = ['application/scim+json', 'application/json'];

// SCIMMY's typings want a scimType string; a plain 404 has none.
const notFound = (detail: string) => new SCIMMY.Types.Error(404, null as unknown as string, detail);

/** What the SCIMMY handlers of one server read and write. */
class Store {
  readonly users = new Map<string, StoredResource>();
  readonly groups = new Map<string, StoredResource>();
  private revision = 0;

  constructor(readonly behaviour: ScimBehaviour) {}

  collection(kind: 'User' | 'Group'): Map<string, StoredResource> {
    return kind === 'User' ? this.users : this.groups;
  }

  version(resource: StoredResource): string {
    return `W/"${resource.meta?.revision ?? 0}"`;
  }

  /** The resource as the handlers hand it to SCIMMY (which formats it for the wire). */
  out(resource: StoredResource): StoredResource {
    const { meta, ...rest } = resource;
    return this.behaviour.etag ? { ...rest, meta: { version: this.version(resource) } } : rest;
  }

  write(kind: 'User' | 'Group', id: string | undefined, instance: Record<string, any>): StoredResource {
    const collection = this.collection(kind);
    if (id !== undefined && !collection.has(id)) throw notFound(`Resource ${id} not found`);
    const data = JSON.parse(JSON.stringify(instance)) as Record<string, any>;
    delete data.schemas;
    delete data.meta;
    delete data.id;
    this.assertUnique(kind, id, data);
    if (kind === 'Group' && Array.isArray(data.members) && this.behaviour.keepMembersUpTo !== null) {
      data.members = data.members.slice(0, this.behaviour.keepMembersUpTo);
    }
    this.revision += 1;
    const stored: StoredResource = { ...data, id: id ?? randomUUID(), meta: { revision: this.revision } };
    collection.set(stored.id, stored);
    return stored;
  }

  private assertUnique(kind: 'User' | 'Group', id: string | undefined, data: Record<string, any>): void {
    const attribute = kind === 'User' ? 'userName' : 'displayName';
    const value = String(data[attribute] ?? '').toLowerCase();
    for (const other of this.collection(kind).values()) {
      if (other.id !== id && String(other[attribute] ?? '').toLowerCase() === value) {
        throw new SCIMMY.Types.Error(409, 'uniqueness', `${attribute} "${data[attribute]}" is already in use`);
      }
    }
  }
}

type AnyResource = { id?: string; filter?: { match(values: object[]): object[] } };

function declareResources(): void {
  const declare = (Resource: typeof SCIMMY.Resources.User | typeof SCIMMY.Resources.Group, kind: 'User' | 'Group', config: object = {}) => {
    if (SCIMMY.Resources.declared(Resource)) return;
    SCIMMY.Resources.declare(Resource, config);
    // SCIMMY's handler typings are per resource class; one shared implementation serves both.
    (Resource as any)
      .ingress((resource: AnyResource, instance: Record<string, any>, store: Store) => store.out(store.write(kind, resource.id, instance)))
      .egress((resource: AnyResource, store: Store) => {
        const collection = store.collection(kind);
        if (resource.id !== undefined) {
          const found = collection.get(resource.id);
          if (!found) throw notFound(`Resource ${resource.id} not found`);
          return store.out(found);
        }
        const all = [...collection.values()].map((stored) => store.out(stored));
        return resource.filter ? resource.filter.match(all) : all;
      })
      .degress((resource: AnyResource, store: Store) => {
        if (!resource.id || !store.collection(kind).delete(resource.id)) {
          throw notFound(`Resource ${resource.id} not found`);
        }
      });
  };
  // SCIMMY is a process-wide singleton: declared once, each server passes its own store as context.
  declare(SCIMMY.Resources.User, 'User', { extensions: [{ schema: SCIMMY.Schemas.EnterpriseUser, required: false }] });
  declare(SCIMMY.Resources.Group, 'Group');
}

function scimError(res: Response, status: number, detail: string, scimType?: string, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res
    .status(status)
    .type('application/scim+json')
    .send({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: String(status), ...(scimType ? { scimType } : {}), detail });
}

/** Member values a write carries: the members of a POST/PUT, the member operations of a PATCH. */
function membersCarried(method: string, body: any): number {
  if (!body || typeof body !== 'object') return 0;
  if (method !== 'PATCH') return Array.isArray(body.members) ? body.members.length : 0;
  let count = 0;
  for (const operation of Array.isArray(body.Operations) ? body.Operations : []) {
    const path = typeof operation?.path === 'string' ? operation.path : '';
    const value = operation?.value;
    if (path.startsWith('members')) count += Array.isArray(value) ? value.length : 1;
    else if (!path && value && Array.isArray(value.members)) count += value.members.length;
  }
  return count;
}

export interface ScimServer {
  /** The SCIM base URL, e.g. http://127.0.0.1:41234/scim/v2 */
  url: string;
  token: string;
  behaviour: ScimBehaviour;
  requests: RecordedRequest[];
  users: Map<string, StoredResource>;
  groups: Map<string, StoredResource>;
  /** The next matching request(s) get this error instead of being served. */
  failNext(failure: InjectedFailure): void;
  /** Requests of a method to a path prefix, e.g. requestsTo('PATCH', '/Groups/'). */
  requestsTo(method: string, pathPrefix: string): RecordedRequest[];
  /** Puts a User straight into the store (as if created by someone else). */
  seedUser(attributes: Record<string, any>): StoredResource;
  seedGroup(attributes: Record<string, any>): StoredResource;
  userBy(attribute: string, value: string): StoredResource | undefined;
  groupBy(attribute: string, value: string): StoredResource | undefined;
  /** Forgets requests and injected failures and restores the default behaviour (the store stays). */
  resetBehaviour(): void;
  close(): Promise<void>;
}

export async function startScimServer(): Promise<ScimServer> {
  declareResources();
  const behaviour: ScimBehaviour = { ...DEFAULT_BEHAVIOUR };
  const store = new Store(behaviour);
  const token = randomBytes(16).toString('hex');
  const requests: RecordedRequest[] = [];
  const failures: (InjectedFailure & { times: number })[] = [];

  const scim = express.Router();
  scim.use(express.json({ type: SCIM_TYPES, limit: '5mb' }));
  // Express 5 re-parses req.query on every read; SCIMMY needs startIndex/count as numbers.
  scim.use((req: Request, _res: Response, next: NextFunction) => {
    const query: Record<string, unknown> = { ...(req.query as Record<string, unknown>) };
    for (const key of ['startIndex', 'count']) {
      if (typeof query[key] === 'string' && /^\d+$/.test(query[key] as string)) query[key] = Number(query[key]);
    }
    Object.defineProperty(req, 'query', { value: query, writable: true, configurable: true });
    next();
  });
  scim.use(async (req: Request, res: Response, next: NextFunction) => {
    requests.push({
      method: req.method,
      path: req.path,
      query: Object.fromEntries(Object.entries(req.query as Record<string, unknown>).map(([key, value]) => [key, String(value)])),
      body: req.body,
      ifMatch: req.get('if-match') ?? null,
    });
    if (behaviour.delayMs > 0) await sleep(behaviour.delayMs);
    if (res.headersSent || res.destroyed) return;

    const failure = failures.find((f) => (!f.method || f.method === req.method) && (!f.pathPrefix || req.path.startsWith(f.pathPrefix)));
    if (failure) {
      failure.times -= 1;
      if (failure.times <= 0) failures.splice(failures.indexOf(failure), 1);
      return scimError(res, failure.status, failure.detail ?? `injected ${failure.status}`, failure.scimType, failure.retryAfter ? { 'retry-after': failure.retryAfter } : {});
    }
    if (req.get('authorization') !== `Bearer ${token}`) return scimError(res, 401, 'invalid bearer token');
    if (req.method === 'GET' && req.path === '/ServiceProviderConfig') {
      if (!behaviour.serviceProviderConfig) return scimError(res, 404, 'Endpoint Not Found');
      const config = (await new SCIMMY.Resources.ServiceProviderConfig().read()) as Record<string, any>;
      return res.type('application/scim+json').send({
        ...config,
        patch: { supported: behaviour.patch },
        etag: { supported: behaviour.etag },
        bulk: { ...config.bulk, supported: false },
      });
    }
    if (req.method === 'PATCH' && !behaviour.patch) return scimError(res, 501, 'PATCH is not supported by this service provider');
    const carried = membersCarried(req.method, req.body);
    if (behaviour.maxMembersPerRequest !== null && carried > behaviour.maxMembersPerRequest) {
      return scimError(res, 400, `a request may carry at most ${behaviour.maxMembersPerRequest} members; this one carries ${carried}`, 'invalidValue');
    }
    const ifMatch = req.get('if-match');
    const [, kind, id] = /^\/(Users|Groups)\/([^/]+)$/.exec(req.path) ?? [];
    if (behaviour.etag && ifMatch && kind && (req.method === 'PUT' || req.method === 'PATCH')) {
      const current = (kind === 'Users' ? store.users : store.groups).get(id);
      if (current && store.version(current) !== ifMatch) {
        return scimError(res, 412, `resource changed: version is ${store.version(current)}, not ${ifMatch}`);
      }
    }
    next();
  });
  scim.use(
    new SCIMMYRouters({
      type: 'bearer',
      handler: () => 'ferry',
      context: () => store,
    }) as unknown as express.Router,
  );

  const app = express();
  app.use('/scim/v2', scim);
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const { port } = server.address() as AddressInfo;

  const seed = (kind: 'User' | 'Group', attributes: Record<string, any>) => {
    const keep = behaviour.keepMembersUpTo;
    behaviour.keepMembersUpTo = null;
    try {
      return store.write(kind, undefined, attributes);
    } finally {
      behaviour.keepMembersUpTo = keep;
    }
  };
  const by = (collection: Map<string, StoredResource>, attribute: string, value: string) =>
    [...collection.values()].find((resource) => resource[attribute] === value);

  return {
    url: `http://127.0.0.1:${port}/scim/v2`,
    token,
    behaviour,
    requests,
    users: store.users,
    groups: store.groups,
    failNext: (failure) => void failures.push({ ...failure, times: failure.times ?? 1 }),
    requestsTo: (method, pathPrefix) => requests.filter((request) => request.method === method && request.path.startsWith(pathPrefix)),
    seedUser: (attributes) => seed('User', attributes),
    seedGroup: (attributes) => seed('Group', attributes),
    userBy: (attribute, value) => by(store.users, attribute, value),
    groupBy: (attribute, value) => by(store.groups, attribute, value),
    resetBehaviour() {
      Object.assign(behaviour, DEFAULT_BEHAVIOUR);
      requests.splice(0);
      failures.splice(0);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
