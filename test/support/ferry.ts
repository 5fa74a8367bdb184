import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startFerry, type Ferry, type StartOptions } from '../../src/app';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/observability/logger';
import { GraphQLTestClient } from './client';

export interface TestFerry {
  ferry: Ferry;
  /** A client authenticated as the platform admin. */
  admin: GraphQLTestClient;
  adminToken: string;
  databaseUrl: string;
  /** A client with another token (or none). */
  as(token: string | null): GraphQLTestClient;
  /**
   * SQL statements Ferry has sent so far (from /metrics, less the once-a-minute write of a token's
   * last use). The first call stops the engine's
   * background poll, whose statements would blur the count; mutations still provision, as they
   * drive the engine themselves.
   */
  sqlQueryCount(): Promise<number>;
  stop(): Promise<void>;
}

/** The networks tests allow targets to reach: the loopback addresses their receivers listen on. */
export const LOOPBACK_NETWORKS = '127.0.0.0/8,::1/128';

/** A fresh database in the shared test cluster started by test/run.ts. */
export async function createTestDatabase(): Promise<string> {
  const baseUrl = process.env.FERRY_TEST_POSTGRES_URL;
  if (!baseUrl) throw new Error('FERRY_TEST_POSTGRES_URL is not set: run the tests with `npm test`.');
  const name = `test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Starts a Ferry server on a free port, against its own new database. */
export async function startTestFerry(env: Record<string, string> = {}, options: StartOptions = {}): Promise<TestFerry> {
  const databaseUrl = await createTestDatabase();
  const adminToken = `ferry_${randomBytes(32).toString('base64url')}`;
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    FERRY_ADMIN_TOKEN: adminToken,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    FERRY_SHUTDOWN_TIMEOUT_MS: '1000',
    // Tests fail to authenticate on purpose, from one address; the limit has its own test.
    FERRY_AUTH_FAILURES_PER_MINUTE: '1000000',
    // Test targets (receivers, SCIM servers, slapd) listen on loopback; the default refusal has its own tests.
    FERRY_TARGET_ALLOWED_NETWORKS: LOOPBACK_NETWORKS,
    // Tests make targets fail in a row on purpose to exercise retries; the circuit breaker has its
    // own tests (test/provisioning/target-circuit.test.ts), which set these.
    FERRY_TARGET_FAILURE_THRESHOLD: '1000000',
    // Tests read what a mutation did right after it; the bounded wait (PENDING) has its own tests.
    FERRY_PROVISIONING_WAIT_MS: '30000',
    FERRY_TARGET_STALLED_MS: '600000',
    ...env,
  });
  const ferry = await startFerry(config, createLogger(config.LOG_LEVEL), options);
  const as = (token: string | null) => new GraphQLTestClient(ferry.url, token);
  // A token's last use is written at most once a minute, by whichever request comes then: not a
  // statement of the request that a statement count means, so the counts leave it out.
  let bookkeeping = 0;
  ferry.orm.em.getKnex().client.on('query', (query: { sql?: string }) => {
    if (/^update api_token set last_used_at/.test(query.sql ?? '')) bookkeeping += 1;
  });
  return {
    ferry,
    admin: as(adminToken),
    adminToken,
    databaseUrl,
    as,
    async sqlQueryCount() {
      await ferry.services.engine.stop();
      const metrics = await ferry.metrics.registry.getSingleMetricAsString('ferry_sql_queries_total');
      return Number(/ferry_sql_queries_total (\d+)/.exec(metrics)?.[1] ?? 0) - bookkeeping;
    },
    stop: () => ferry.stop(),
  };
}
