import { badInput } from '../common/errors';
import { ldapPlugin } from './ldap';
import { scimPlugin } from './scim';
import { webhookPlugin } from './webhook';
import type { ProvisionerPlugin } from './plugin';
import { UrlAllowlist } from '../security/url-allowlist';
import { ALLOWED_NETWORKS_SETTING, AddressNotAllowedError, OutboundPolicy } from '../security/outbound-addresses';
import { ErrorCode, FerryError } from '../common/errors';

/** The plugins this Ferry can provision with, by the name stored on each target. */
export interface PluginRegistry {
  /** The plugin of that name, or BAD_USER_INPUT naming the plugins that exist. */
  get(name: string): ProvisionerPlugin;
  /** Like get, but null for a name no installed plugin has (a target left by a removed plugin). */
  find(name: string): ProvisionerPlugin | null;
  list(): ProvisionerPlugin[];
  /** Throws when a URL setting of the configuration is outside FERRY_TARGET_URL_ALLOWLIST. */
  assertUrlsAllowed(plugin: ProvisionerPlugin, config: Record<string, unknown>): void;
  /**
   * Throws when the host of a URL setting is, or now resolves to, an internal address that
   * FERRY_TARGET_ALLOWED_NETWORKS does not allow (BAD_USER_INPUT, reason INTERNAL_ADDRESS).
   */
  assertAddressesAllowed(plugin: ProvisionerPlugin, config: Record<string, unknown>): Promise<void>;
  /** Where target connections may go; handed to plugins in their TargetContext. */
  readonly outbound: OutboundPolicy;
}

/** `extensions.reason` of a target URL refused for its address. */
export const INTERNAL_ADDRESS_REASON = 'INTERNAL_ADDRESS';

// The registry holds plugins of every configuration type; each target only ever meets its own.
type AnyPlugin = ProvisionerPlugin<any>;

export function createPluginRegistry(
  plugins: AnyPlugin[],
  allowlist = new UrlAllowlist(undefined),
  outbound = new OutboundPolicy(undefined),
): PluginRegistry {
  const byName = new Map<string, ProvisionerPlugin>();
  for (const plugin of plugins) {
    // Two plugins under one name would make the stored name of a target ambiguous.
    if (byName.has(plugin.name)) throw new Error(`Two provisioning plugins are named "${plugin.name}".`);
    byName.set(plugin.name, plugin as ProvisionerPlugin);
  }
  const sorted = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  return {
    get(name) {
      const plugin = byName.get(name);
      if (!plugin) {
        const known = sorted.map((p) => `"${p.name}"`).join(', ') || 'none';
        throw badInput(`Unknown plugin "${name}". The plugins available are: ${known}.`, 'plugin');
      }
      return plugin;
    },
    find: (name) => byName.get(name) ?? null,
    list: () => [...sorted],
    assertUrlsAllowed(plugin, config) {
      for (const field of plugin.urlFields ?? []) {
        const value = config[field];
        if (typeof value === 'string' && !allowlist.allows(value)) {
          throw badInput(`${field} ${value} is not allowed: this Ferry sends data only to ${allowlist.source} (FERRY_TARGET_URL_ALLOWLIST).`, `config.${field}`);
        }
      }
    },
    async assertAddressesAllowed(plugin, config) {
      for (const field of new Set([...(plugin.urlFields ?? []), ...(plugin.addressFields ?? [])])) {
        const value = config[field];
        if (typeof value !== 'string') continue;
        let hostname: string;
        try {
          hostname = new URL(value).hostname;
        } catch {
          continue; // the plugin's schema judges the URL itself
        }
        try {
          await outbound.assertHost(hostname);
        } catch (error) {
          if (!(error instanceof AddressNotAllowedError)) throw error;
          throw new FerryError(
            ErrorCode.BadUserInput,
            `${field} ${value} is not allowed: ${error.message}. Set ${ALLOWED_NETWORKS_SETTING} to allow internal networks.`,
            { field: `config.${field}`, reason: INTERNAL_ADDRESS_REASON, address: error.address, range: error.range },
          );
        }
      }
    },
    outbound,
  };
}

/** The plugins a Ferry server ships with. */
export function installedPlugins(): AnyPlugin[] {
  return [ldapPlugin, scimPlugin, webhookPlugin];
}
