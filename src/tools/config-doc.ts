import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { configSchema } from '../config/config';

/**
 * Keeps the README's configuration table equal to the validated schema in src/config/config.ts:
 * `write` rewrites the table between the config markers, `check` fails when it differs.
 */
const README = path.resolve(__dirname, '../../../README.md');
const START = '<!-- config:start -->';
const END = '<!-- config:end -->';

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

async function main(): Promise<void> {
  const command = process.argv[2] ?? 'check';
  const readme = await readFile(README, 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} ... ${END} block`);
  const updated = `${readme.slice(0, start + START.length)}\n${configTable()}\n${readme.slice(end)}`;
  if (command === 'write') {
    await writeFile(README, updated);
    console.log('README configuration table written.');
  } else if (updated !== readme) {
    console.error('The README configuration table is out of date. Run `npm run config:doc`.');
    process.exitCode = 1;
  } else {
    console.log('README configuration table matches src/config/config.ts.');
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
