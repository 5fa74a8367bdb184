import path from 'node:path';
import { z } from 'zod';
import { isNetworkList } from '../security/outbound-addresses';

const port = z.coerce.number().int().min(0).max(65535);
const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .url()
    .refine((value) => protocols.some((p) => value.startsWith(`${p}:`)), {
      message: `must start with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    })
    .optional();

/** A retention age in whole days: 0 keeps forever, otherwise at least `min`. */
const retentionDays = (fallback: number, min = 1) =>
  z.coerce
    .number()
    .int()
    .min(0)
    .max(36500)
    .refine((days) => days === 0 || days >= min, { message: `must be 0 (keep forever) or at least ${min}` })
    .default(fallback);

/**
 * Every environment variable Ferry reads, in one place, so the README table and the start-up
 * validation cannot drift apart. `description` is printed by `npm run config:doc`.
 */
export const configSchema = z.object({
  PORT: port.default(4000).describe('HTTP and WebSocket port of the GraphQL endpoint (`/graphql`); 0 picks a free port.'),
  HOST: z.string().min(1).default('0.0.0.0').describe('Interface to listen on.'),
  FERRY_DATA_DIR: z
    .string()
    .min(1)
    .default('./.ferry')
    .describe('Folder for the embedded PostgreSQL data (used when `DATABASE_URL` is unset).'),
  FERRY_PG_PORT: port.default(5433).describe('Port of the embedded PostgreSQL (loopback only).'),
  DATABASE_URL: optionalUrl(['postgres', 'postgresql']).describe(
    'External PostgreSQL, e.g. `postgres://user:pass@host:5432/ferry`. Unset: embedded PostgreSQL.',
  ),
  FERRY_ADMIN_TOKEN: z
    .string()
    .min(32, 'must be at least 32 characters')
    .optional()
    .describe('Platform-admin API token to install on first start instead of generating one.'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino log level.'),
  MONGODB_URL: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\/[^/\s]+/, 'must start with mongodb:// or mongodb+srv:// followed by a host')
    .optional()
    .describe(
      'MongoDB for the job queue, e.g. `mongodb://host:27017/ferry`. Unset: the jobs live in Ferry\'s PostgreSQL database.',
    ),
  FERRY_RUN_WORKERS: z
    .enum(['true', 'false'], { errorMap: () => ({ message: 'must be true or false' }) })
    .transform((value) => value === 'true')
    .default('true')
    .describe('Whether the server process also runs job workers; `npm run worker` runs workers alone.'),
  FERRY_WORKER_PORT: port
    .default(4001)
    .describe('Port on which a worker (`ferry worker`) serves `/healthz` and `/metrics` (on `HOST`); 0 picks a free port. Run several workers on one host with a port each.'),
  FERRY_JOB_POLL_MS: z.coerce
    .number()
    .int()
    .min(10)
    .default(1000)
    .describe('How often job workers look for due jobs (new jobs on PostgreSQL are also announced at once).'),
  FERRY_JOB_LOCK_LIFETIME_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(60000)
    .describe('A job whose worker stopped (crashed) is taken over by another worker after this long.'),
  FERRY_SUBSCRIPTION_BUFFER: z.coerce
    .number()
    .int()
    .min(1)
    .max(100000)
    .default(256)
    .describe('Events held in memory per subscriber that reads slowly; past it, the subscriber is served from the event table when it reads again.'),
  FERRY_SUBSCRIPTION_AUTH_RECHECK_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(30000)
    .describe('How often open subscriptions re-check their token (revocations are also announced at once).'),
  FERRY_LIVE_POLL_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(5000)
    .describe('Safety-net poll for new provisioning events, should a PostgreSQL notification be lost.'),
  FERRY_MAX_QUERY_DEPTH: z.coerce.number().int().min(2).max(100).default(12).describe('Deepest selection a GraphQL operation may have.'),
  FERRY_MAX_QUERY_COST: z.coerce
    .number()
    .int()
    .min(100)
    .default(50000)
    .describe(
      'Highest estimated cost of a GraphQL operation: about the records (objects) its response may hold, each list counting its `first` (5 when it has none) times what is selected in it. Over it: 400 `QUERY_TOO_COMPLEX`.',
    ),
  FERRY_MAX_ALIASES: z.coerce.number().int().min(1).max(1000).default(30).describe('Most aliases in one GraphQL operation.'),
  FERRY_MAX_QUERY_TOKENS: z.coerce.number().int().min(100).default(10000).describe('Most tokens in one GraphQL document.'),
  FERRY_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1048576).describe('Largest HTTP request body; larger ones get 413 PAYLOAD_TOO_LARGE.'),
  FERRY_MAX_IMPORT_BYTES: z.coerce.number().int().min(1024).default(268435456).describe('Largest file `POST /imports` (and `ferry import`) takes; larger ones get 413 PAYLOAD_TOO_LARGE.'),
  FERRY_INTROSPECTION: z
    .enum(['true', 'false'])
    .optional()
    .describe('Whether the schema can be introspected (and fields are suggested in errors). Unset: on, except with NODE_ENV=production.'),
  FERRY_LANDING_PAGE: z
    .enum(['true', 'false'])
    .optional()
    .describe("Whether GET /graphql in a browser shows Apollo's landing page. Unset: on, except with NODE_ENV=production."),
  FERRY_AUTH_FAILURES_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(1)
    .default(20)
    .describe('Failed token checks an address may make per minute; past it, it gets 429 TOO_MANY_REQUESTS for a minute.'),
  FERRY_TARGET_URL_ALLOWLIST: z
    .string()
    .optional()
    .refine((value) => !value || value.split(',').every((entry) => /^[a-z][a-z0-9+.-]*:\/\/(\*\.)?[^\s/*]+(\/\S*)?$/i.test(entry.trim())), {
      message: 'must be a comma-separated list of URL patterns such as https://*.example.org or https://hooks.internal:8443/ferry',
    })
    .describe('Comma-separated URL patterns SCIM and webhook targets may use (`https://*.example.org`, `https://hooks.internal:8443/ferry`). Unset: any URL. Internal addresses also need `FERRY_TARGET_ALLOWED_NETWORKS`.'),
  FERRY_TARGET_ALLOWED_NETWORKS: z
    .string()
    .optional()
    .refine((value) => !value || isNetworkList(value), {
      message: 'must be a comma-separated list of networks in CIDR notation such as 10.0.0.0/8,fd00::/8',
    })
    .describe(
      'Comma-separated networks (CIDR, e.g. `10.20.0.0/16,fd00::/8`) that LDAP, SCIM and webhook targets may connect to although they are internal. ' +
        'Unset: loopback, private, link-local, CGNAT, unique-local, unspecified, multicast and reserved addresses (also IPv4-mapped) are refused, checked after DNS resolution on every connection.',
    ),
  FERRY_RETRY_MAX_INTERVAL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(604_800)
    .default(3600)
    .describe("The longest wait between retries of a failed provisioning. A retry waits the target's retryIntervalSeconds doubled for each failed attempt before it, at most this (never less than the interval), plus up to 20 % at random."),
  FERRY_TARGET_FAILURE_THRESHOLD: z.coerce
    .number()
    .int()
    .min(1)
    .default(3)
    .describe("Consecutive transient failures (timeouts, refused connections, 5xx) after which a target's circuit opens: calls then fail at once, without contacting it, until the cool-down ends."),
  FERRY_TARGET_COOLDOWN_MS: z.coerce
    .number()
    .int()
    .min(10)
    .default(30000)
    .describe('How long an open circuit refuses calls before one trial call is let through.'),
  FERRY_TARGET_COOLDOWN_MAX_MS: z.coerce
    .number()
    .int()
    .min(10)
    .default(600000)
    .describe('Each failed trial call doubles the cool-down, up to this.'),
  FERRY_TARGET_CALL_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(30000)
    .describe("Most time one plugin call may take: 3 x the target's own `timeoutMs`, at most this. A call past it fails as transient and its late result is ignored."),
  FERRY_TARGET_STALLED_MS: z.coerce
    .number()
    .int()
    .min(10)
    .default(1000)
    .describe("A target with a call running this long (or whose circuit is not closed) is stalled: mutations' responses stop waiting for it and report PENDING at once."),
  FERRY_PROVISIONING_WAIT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(600000)
    .default(5000)
    .describe("How long a mutation's response waits for its Automatic targets; targets still working then report PENDING in `provisioning` and their outcome arrives on the subscription."),
  FERRY_LANE_BATCH_SIZE: z.coerce.number().int().min(1).max(5000).default(200).describe("Work items a target's lane takes per transaction (payloads load set-based per batch)."),
  FERRY_VALIDITY_SWEEP_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(15)
    .describe('How often the server looks for validity windows (of group memberships, roles, identity links) that opened or closed since it last looked; the people and groups concerned are re-provisioned (PR/GR). A window is noticed at most this long after it opens or closes.'),
  FERRY_LANES_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(8)
    .describe('Target lanes running at once in one process; each holds a database connection while its batch runs (keep it below the pool size, 20).'),
  FERRY_SECRETS_KEY: z
    .string()
    .min(32)
    .optional()
    .describe('Key that encrypts target secrets at rest: 32 bytes as base64 or 64 hex digits (`openssl rand -base64 32`). Wins over the key file.'),
  FERRY_SECRETS_KEY_FILE: z
    .string()
    .min(1)
    .optional()
    .describe('File holding that key. Unset: `<FERRY_DATA_DIR>/secrets.key`, created on first start. Every process on one database needs the same key.'),
  FERRY_SHUTDOWN_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(10000)
    .describe('How long SIGTERM waits for in-flight requests before closing connections.'),
  FERRY_RETENTION_EVENTS_DAYS: retentionDays(90, 1).describe(
    'Provisioning events older than this many days are pruned, except those an open failure notification refers to and those an open subscription of the pruning process has yet to read. Also the replay window: a subscription can always resume from an event this young. At least 1; 0 keeps them forever.',
  ),
  FERRY_RETENTION_JOBS_DAYS: retentionDays(30).describe(
    'Finished jobs (completed, failed, cancelled and not running) are pruned this many days after they finished. Waiting and running jobs are never pruned. 0 keeps them forever.',
  ),
  FERRY_RETENTION_AUDIT_DAYS: retentionDays(365).describe('Audit entries older than this many days are pruned. 0 keeps them forever.'),
  FERRY_RETENTION_CHANGE_LOG_DAYS: retentionDays(365).describe(
    "Change-log entries older than this many days are pruned once every change-log consumer (the provisioning cursor, pending provisioning work) is past them. Audit entries older than this show no `changes` any more (keep it at least the audit age to keep them). 0 keeps them forever.",
  ),
  FERRY_RETENTION_RECONCILIATION_DAYS: retentionDays(90).describe(
    'Finished reconciliation runs (with their differences) are pruned this many days after they finished. 0 keeps them forever.',
  ),
  FERRY_RETENTION_INTERVAL_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(10080)
    .default(60)
    .describe('How often the pruning job runs (one run at a time across all processes); the first run comes this long after the first start.'),
  FERRY_RETENTION_BATCH_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(100000)
    .default(1000)
    .describe('Most rows one pruning transaction deletes; each batch commits on its own, so locks and memory stay small whatever the table size.'),
});

export type Config = z.infer<typeof configSchema> & { dataDir: string; introspection: boolean; landingPage: boolean };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings are treated as unset: `FOO= npm start` should mean the default.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    );
  }
  const production = env.NODE_ENV === 'production';
  const flag = (value: 'true' | 'false' | undefined) => (value === undefined ? !production : value === 'true');
  return {
    ...parsed.data,
    dataDir: path.resolve(parsed.data.FERRY_DATA_DIR),
    introspection: flag(parsed.data.FERRY_INTROSPECTION),
    landingPage: flag(parsed.data.FERRY_LANDING_PAGE),
  };
}
