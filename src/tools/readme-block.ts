import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

const README = path.resolve(__dirname, '../../../README.md');

/**
 * Keeps a generated block of the README (between `<!-- name:start -->` and `<!-- name:end -->`)
 * equal to `content`: `write` rewrites it, `check` (the default) fails when it differs.
 */
export async function syncReadmeBlock(name: string, content: string, what: string, script: string, command = process.argv[2] ?? 'check'): Promise<void> {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const readme = await readFile(README, 'utf8');
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md has no ${start} ... ${end} block`);
  const updated = `${readme.slice(0, from + start.length)}\n${content}\n${readme.slice(to)}`;
  if (command === 'write') {
    await writeFile(README, updated);
    console.log(`README ${what} written.`);
  } else if (updated !== readme) {
    console.error(`The README ${what} is out of date. Run \`npm run ${script}\`.`);
    process.exitCode = 1;
  } else {
    console.log(`README ${what} is up to date.`);
  }
}
