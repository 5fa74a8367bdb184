import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { startScratchPostgres } from '../src/db/scratch-database';
import { createLogger } from '../src/observability/logger';

/**
 * `npm test`: Node 20's test runner has no global set-up, so this starts the shared services once
 * (a scratch PostgreSQL cluster; each test file makes its own database in it), runs every
 * `*.test.js` under dist/test (or the files named on the command line), and stops them again.
 */
function findTests(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return entry === 'bench' ? [] : findTests(full);
    return entry.endsWith('.test.js') ? [full] : [];
  });
}

async function main(): Promise<void> {
  const requested = process.argv.slice(2).map((file) => path.resolve(file.replace(/^test\//, 'dist/test/').replace(/\.ts$/, '.js')));
  const files = requested.length > 0 ? requested : findTests(__dirname).sort();
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn');
  const postgres = await startScratchPostgres(logger, 'postgres');
  let code = 1;
  try {
    code = await new Promise<number>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--test', '--test-force-exit', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...files],
        { stdio: 'inherit', env: { ...process.env, FERRY_TEST_POSTGRES_URL: postgres.url } },
      );
      child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
    });
  } finally {
    await postgres.stop();
  }
  process.exit(code);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
