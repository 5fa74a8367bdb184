import { z } from 'zod';
import { configSchema } from '../config/config';
import { syncReadmeBlock } from './readme-block';

/** Keeps the README's configuration table equal to the validated schema in src/config/config.ts. */
function defaultOf(schema: z.ZodTypeAny): string {
  if (schema instanceof z.ZodDefault) return `\`${String(schema._def.defaultValue())}\``;
  return '(unset)';
}

export function configTable(): string {
  const rows = Object.entries(configSchema.shape).map(([name, schema]) => {
    const description = (schema as z.ZodTypeAny).description ?? '';
    return `| \`${name}\` | ${defaultOf(schema as z.ZodTypeAny)} | ${description} |`;
  });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

syncReadmeBlock('config', configTable(), 'configuration table', 'config:doc').catch((error) => {
  console.error(error);
  process.exit(1);
});
