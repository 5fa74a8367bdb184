import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { HealthReport } from './health';

export interface OpsServer {
  port: number;
  stop(): Promise<void>;
}

/**
 * A worker's own small HTTP server: `GET /healthz` (200, or 503 when unhealthy) and
 * `GET /metrics` (Prometheus text); everything else is 404. No API, no console.
 */
export async function startOpsServer(options: {
  port: number;
  host: string;
  metrics: Metrics;
  health: () => Promise<{ healthy: boolean; report: HealthReport; error?: unknown }>;
  logger: Logger;
}): Promise<OpsServer> {
  const { metrics, health, logger } = options;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const answer = async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      } else if (path === '/healthz') {
        const { healthy, report, error } = await health();
        if (!healthy) logger.warn({ err: error, report }, 'health check failed');
        res.writeHead(healthy ? 200 : 503, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(report));
      } else if (path === '/metrics') {
        const text = await metrics.registry.metrics();
        res.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' }).end(text);
      } else {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found: a worker serves /healthz and /metrics only.\n');
      }
    };
    answer().catch((error) => {
      logger.error({ err: error, path }, 'could not answer a health or metrics request');
      if (!res.headersSent) res.writeHead(500).end();
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
