import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../observability/logger';
import { startEmbeddedPostgres } from './embedded-postgres';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A throwaway PostgreSQL cluster in a temporary folder, for tooling and tests. It trades
 * durability for speed and is deleted on stop.
 */
export async function startScratchPostgres(logger: Logger, database = 'ferry') {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ferry-pg-'));
  const handle = await startEmbeddedPostgres({
    dataDir,
    port: await freePort(),
    database,
    logger,
    durable: false,
  });
  return {
    url: handle.url,
    async stop() {
      await handle.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
