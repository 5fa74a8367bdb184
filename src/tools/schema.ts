import 'reflect-metadata';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { buildFerrySchema } from '../api/schema';

/** `emit` writes schema/schema.graphql from the code; `check` fails when the checked-in file differs. */
const SCHEMA_FILE = path.resolve(__dirname, '../../../schema/schema.graphql');

async function main(): Promise<void> {
  const command = process.argv[2] ?? 'emit';
  const schema = await buildFerrySchema();
  const text = `# Generated from the code by \`npm run schema:emit\`. Do not edit.\n\n${printSchema(lexicographicSortSchema(schema))}\n`;
  if (command === 'emit') {
    await mkdir(path.dirname(SCHEMA_FILE), { recursive: true });
    await writeFile(SCHEMA_FILE, text);
    console.log(`Wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
  } else if (command === 'check') {
    const current = await readFile(SCHEMA_FILE, 'utf8').catch(() => '');
    if (current !== text) {
      console.error('schema/schema.graphql is out of date with the code. Run `npm run schema:emit` and commit it.');
      process.exitCode = 1;
    } else {
      console.log('schema/schema.graphql matches the code.');
    }
  } else {
    console.error('usage: schema emit | check');
    process.exitCode = 2;
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
