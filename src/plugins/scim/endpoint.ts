import type { Logger } from '../../observability/logger';
import { PermanentProvisioningError, type WrittenMembers } from '../plugin';
import type { ScimCapabilities } from './capabilities';
import type { ScimClient, ScimResponse } from './client';
import type { ScimConfig } from './config';
import { isStatus } from './errors';
import { versionOf, type DesiredResource, type ScimObject, type ScimResource } from './mapping';
import { attributeOperations, filterLiteral, patchRequest, replacement, type PatchOperation } from './patch';

/** Everything one provisioning call needs to talk to the target. */
export interface ScimSession {
  config: ScimConfig;
  client: ScimClient;
  capabilities: ScimCapabilities;
  logger: Logger;
  /** Ferry's record of the members it wrote to each Group (absent: nothing recorded). */
  writtenMembers?: WrittenMembers;
}

/** A resource as read, with the version to send as If-Match when the server uses ETags. */
export interface Held {
  resource: ScimResource;
  version: string | null;
}

interface ListResponse {
  totalResults?: number;
  Resources?: ScimResource[];
}

/** The largest page Ferry asks for when listing; servers may cap it lower (filter.maxResults). */
const LIST_PAGE_SIZE = 100;

function held(response: ScimResponse<ScimResource>, fallbackId?: string): Held {
  const resource = response.body ?? ({ id: fallbackId } as ScimResource);
  if (typeof resource.id !== 'string' || resource.id === '') {
    throw new PermanentProvisioningError('the SCIM server answered without the resource id');
  }
  return { resource, version: versionOf(resource, response.etag) };
}

/** One resource type's endpoint (/Users or /Groups) on the target. */
export class ResourceEndpoint {
  constructor(
    private readonly session: ScimSession,
    readonly path: '/Users' | '/Groups',
    /** "User" or "Group", for details a person reads. */
    readonly kind: string,
  ) {}

  private get client(): ScimClient {
    return this.session.client;
  }

  private ifMatch(version: string | null): string | null {
    return this.session.capabilities.etag ? version : null;
  }

  private resourcePath(id: string): string {
    return `${this.path}/${encodeURIComponent(id)}`;
  }

  /** Null when the server has no such resource (404). */
  async read(id: string): Promise<Held | null> {
    try {
      return held(await this.client.get<ScimResource>(this.resourcePath(id)), id);
    } catch (error) {
      if (isStatus(error, 404)) return null;
      throw error;
    }
  }

  /**
   * The one resource whose attribute equals value; null when none, or when the server cannot filter.
   * Two matches are refused rather than guessed between.
   */
  async findBy(attribute: string, value: string): Promise<Held | null> {
    if (!this.session.capabilities.filter) return null;
    const { body } = await this.client.get<ListResponse>(this.path, { filter: `${attribute} eq ${filterLiteral(value)}`, count: 2 });
    const found = (body?.Resources ?? []).filter((resource) => typeof resource?.id === 'string');
    if (found.length > 1) {
      throw new PermanentProvisioningError(
        `several ${this.kind}s on the target have ${attribute} ${filterLiteral(value)} (${found.map((r) => r.id).join(', ')}): Ferry will not guess which is its own`,
      );
    }
    // A list's ETag is not the resource's: only meta.version counts here.
    return found[0] ? { resource: found[0], version: versionOf(found[0], null) } : null;
  }

  async create(body: ScimObject): Promise<Held> {
    return held(await this.client.post<ScimResource>(this.path, body));
  }

  /** Returns the version after the change, when the server says. */
  async patch(id: string, operations: PatchOperation[], version: string | null): Promise<string | null> {
    const response = await this.client.patch<ScimResource>(this.resourcePath(id), patchRequest(operations), this.ifMatch(version));
    return versionOf(response.body, response.etag);
  }

  async replace(id: string, body: ScimObject, version: string | null): Promise<Held> {
    return held(await this.client.put<ScimResource>(this.resourcePath(id), body, this.ifMatch(version)), id);
  }

  /**
   * Sets and removes Ferry's attributes on a resource: by PATCH of the attributes that differ, or,
   * on a server without PATCH, by PUT of the whole resource with its other attributes kept.
   * Returns what changed (empty when the resource was already right: nothing is sent).
   */
  async updateAttributes(current: Held, desired: DesiredResource): Promise<string[]> {
    const operations = attributeOperations(current.resource, desired);
    if (operations.length === 0) return [];
    if (this.session.capabilities.patch) {
      await this.patch(current.resource.id, operations, current.version);
    } else {
      await this.replace(current.resource.id, replacement(current.resource, desired), current.version);
    }
    return operations.map((operation) => `${operation.op === 'remove' ? 'removed' : 'set'} ${operation.path}`);
  }

  /** False when it was not there (404): deleting is then already done. */
  async remove(id: string): Promise<boolean> {
    try {
      await this.client.delete(this.resourcePath(id));
      return true;
    } catch (error) {
      if (isStatus(error, 404)) return false;
      throw error;
    }
  }

  /** Every resource, page by page (startIndex/count), with only the attributes asked for. */
  async *list(attributes: string[]): AsyncGenerator<ScimResource> {
    const count = Math.min(LIST_PAGE_SIZE, this.session.capabilities.maxResults ?? LIST_PAGE_SIZE);
    let startIndex = 1;
    for (;;) {
      const { body } = await this.client.get<ListResponse>(this.path, { startIndex, count, attributes: attributes.join(',') });
      const page = (body?.Resources ?? []).filter((resource) => typeof resource?.id === 'string');
      yield* page;
      startIndex += page.length;
      if (page.length === 0 || startIndex > (body?.totalResults ?? 0)) return;
    }
  }
}
