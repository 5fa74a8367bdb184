import type { Logger } from '../../observability/logger';
import type { ScimClient } from './client';
import { isStatus } from './errors';

/** What Ferry takes from the server's /ServiceProviderConfig (RFC 7643 section 5). */
export interface ScimCapabilities {
  patch: boolean;
  /** Resources carry meta.version; writes then send If-Match. */
  etag: boolean;
  filter: boolean;
  /** The most resources the server returns for one query, when it says. */
  maxResults: number | null;
  /** Reported only: Ferry sends one request per change, never /Bulk. */
  bulk: { supported: boolean; maxOperations: number | null };
  /** False when the server has no /ServiceProviderConfig and the defaults below were assumed. */
  advertised: boolean;
  /**
   * Whether the server shows a Group's members when it is read (some, like AWS IAM Identity
   * Center, always answer with an empty member list). Not advertised by any server: learnt from
   * what reads return (true once a read shows members, false once a Group written with members
   * reads back empty); null until then.
   */
  groupMembersShown: boolean | null;
}

interface ServiceProviderConfig {
  patch?: { supported?: boolean };
  etag?: { supported?: boolean };
  filter?: { supported?: boolean; maxResults?: number };
  bulk?: { supported?: boolean; maxOperations?: number };
}

/** RFC 7644 makes PATCH and filtering optional, but nearly every server has them; assumed when not advertised. */
const ASSUMED: ScimCapabilities = {
  patch: true,
  etag: false,
  filter: true,
  maxResults: null,
  bulk: { supported: false, maxOperations: null },
  advertised: false,
  groupMembersShown: null,
};

const positive = (value: unknown): number | null => (typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : null);

export function capabilitiesOf(config: ServiceProviderConfig): ScimCapabilities {
  return {
    patch: config.patch?.supported === true,
    etag: config.etag?.supported === true,
    filter: config.filter?.supported === true,
    maxResults: positive(config.filter?.maxResults),
    bulk: { supported: config.bulk?.supported === true, maxOperations: positive(config.bulk?.maxOperations) },
    advertised: true,
    groupMembersShown: null,
  };
}

async function discover(client: ScimClient, logger: Logger): Promise<ScimCapabilities> {
  try {
    const { body } = await client.get<ServiceProviderConfig>('/ServiceProviderConfig');
    const capabilities = capabilitiesOf(body ?? {});
    logger.info({ capabilities }, 'SCIM service provider configuration read');
    return capabilities;
  } catch (error) {
    // Servers that skip the endpoint are common; anything else (401, 5xx, down) is a real failure.
    if (!isStatus(error, 404, 501)) throw error;
    logger.warn({ assumed: ASSUMED }, 'SCIM server has no /ServiceProviderConfig: assuming PATCH and filtering are supported');
    // A copy: what is learnt about one target (groupMembersShown) stays with that target.
    return { ...ASSUMED, bulk: { ...ASSUMED.bulk } };
  }
}

/**
 * /ServiceProviderConfig is read once per target and kept until the target's configuration changes
 * (the engine then calls close). A failed read is not kept, so the next attempt asks again.
 */
export class CapabilityCache {
  private readonly byTarget = new Map<string, { baseUrl: string; capabilities: Promise<ScimCapabilities> }>();

  get(targetId: string, baseUrl: string, client: ScimClient, logger: Logger): Promise<ScimCapabilities> {
    const cached = this.byTarget.get(targetId);
    if (cached && cached.baseUrl === baseUrl) return cached.capabilities;
    const capabilities = discover(client, logger);
    this.byTarget.set(targetId, { baseUrl, capabilities });
    capabilities.catch(() => {
      if (this.byTarget.get(targetId)?.capabilities === capabilities) this.byTarget.delete(targetId);
    });
    return capabilities;
  }

  forget(targetId: string): void {
    this.byTarget.delete(targetId);
  }

  clear(): void {
    this.byTarget.clear();
  }
}
