import { zodToJsonSchema } from 'zod-to-json-schema';
import type { ProvisionerPlugin } from './plugin';

const cache = new WeakMap<ProvisionerPlugin, Record<string, unknown>>();

/**
 * A plugin's configuration schema as JSON Schema, for forms (the console generates its target
 * forms from it). Computed once per plugin from the zod schema that validates the configuration,
 * so the two cannot disagree; refinements (URL checks, DN syntax) stay server-side only.
 */
export function configJsonSchema(plugin: ProvisionerPlugin): Record<string, unknown> {
  let schema = cache.get(plugin);
  if (!schema) {
    const { $schema: _dialect, ...rest } = zodToJsonSchema(plugin.configSchema, { target: 'jsonSchema2019-09', $refStrategy: 'none', effectStrategy: 'input' }) as Record<string, unknown>;
    schema = rest;
    cache.set(plugin, schema);
  }
  return schema;
}
