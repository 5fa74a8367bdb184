import { badInput } from '../common/errors';
import { ldapPlugin } from './ldap';
import { scimPlugin } from './scim';
import { webhookPlugin } from './webhook';
import type { ProvisionerPlugin } from './plugin';

/** The plugins this Ferry can provision with, by the name stored on each target. */
export interface PluginRegistry {
  /** The plugin of that name, or BAD_USER_INPUT naming the plugins that exist. */
  get(name: string): ProvisionerPlugin;
  /** Like get, but null for a name no installed plugin has (a target left by a removed plugin). */
  find(name: string): ProvisionerPlugin | null;
  list(): ProvisionerPlugin[];
}

// The registry holds plugins of every configuration type; each target only ever meets its own.
type AnyPlugin = ProvisionerPlugin<any>;

export function createPluginRegistry(plugins: AnyPlugin[]): PluginRegistry {
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
  };
}

/** The plugins a Ferry server ships with. */
export function installedPlugins(): AnyPlugin[] {
  return [ldapPlugin, scimPlugin, webhookPlugin];
}
