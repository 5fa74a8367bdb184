import { ApiTokenService } from './auth/api-token.service';
import { ChangeLogService } from './changelog/change-log.service';
import { AutomaticGroups } from './registry/groups/automatic-groups';
import { GroupService } from './registry/groups/group.service';
import { Memberships } from './registry/groups/memberships';
import { OrganizationService } from './registry/organizations/organization.service';
import { PeopleService } from './registry/people/people.service';
import { PersonAttributeService } from './registry/people/person-attribute.service';
import { PersonRoleService } from './registry/people/person-role.service';
import { CatalogService } from './registry/catalog.service';
import { createPluginRegistry, installedPlugins } from './plugins/registry';
import { TargetService } from './provisioning/target.service';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from './observability/logger';
import type { ProvisionerPlugin } from './plugins/plugin';
import { DEFAULT_PIPELINE_SETTINGS, ProvisioningEngine, type PipelineSettings } from './provisioning/engine';
import { Marshaller } from './provisioning/marshaller';
import { Provisioner } from './provisioning/lanes/provisioner';
import { ProvisionabilityEngine } from './provisionability/provisionability.engine';
import { TargetHealth, targetHealthSettings, type TargetHealthSettings } from './provisioning/health/target-health';
import { ProvisioningService } from './provisioning/provisioning.service';
import type { JobQueue } from './jobs/job-queue';
import { JobsService } from './provisioning/jobs.service';
import { QueuedProvisioning } from './provisioning/queued-provisioning';
import { ReprovisionAll } from './provisioning/reprovision-all';
import { ReprovisionAllService } from './provisioning/reprovision-all.service';
import { LiveUpdates } from './live/live-updates';
import { AuditLog } from './audit/audit-log';
import { UrlAllowlist } from './security/url-allowlist';
import { OutboundPolicy } from './security/outbound-addresses';
import { FullRecalculation } from './provisionability/full-recalculation';
import { Reconciler } from './reconciliation/reconciler';
import { ReconciliationService } from './reconciliation/reconciliation.service';
import { ProvisionabilityService } from './provisionability/provisionability.service';
import { ImportApplier } from './import/applier';
import { ImportService } from './import/import.service';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './provisioning/retry-backoff';
import { createRetention } from './retention/retention';
import { DEFAULT_RETENTION_SETTINGS, retentionSettings, type RetentionKind, type RetentionSettings } from './retention/retention.settings';
import type { Config } from './config/config';
import type { Metrics } from './observability/metrics';

export interface ServiceDependencies {
  orm: MikroORM;
  logger: Logger;
  /** The target plugins; defaults to the ones Ferry ships. */
  plugins?: ProvisionerPlugin<any>[];
  /** FERRY_TARGET_URL_ALLOWLIST. */
  urlAllowlist?: string;
  /** FERRY_TARGET_ALLOWED_NETWORKS. */
  allowedNetworks?: string;
  /** Circuit breakers and call time limits (FERRY_TARGET_FAILURE_THRESHOLD and the like). */
  targetHealth?: TargetHealthSettings;
  /** Lanes and the mutation response's wait (FERRY_LANE_BATCH_SIZE, FERRY_LANES_MAX, FERRY_PROVISIONING_WAIT_MS). */
  pipeline?: Partial<PipelineSettings>;
  /** Waits between retries (FERRY_RETRY_MAX_INTERVAL_SECONDS). */
  retry?: RetryPolicy;
  /** Retention ages, interval and batch size (FERRY_RETENTION_*); the defaults when left out. */
  retention?: RetentionSettings;
  /** Told of the rows each retention batch deleted, by kind (the metrics). */
  onPruned?: (kind: RetentionKind, deleted: number) => void;
  /** The job queue (a server or a worker); left out by the command line, whose job-based features then refuse. */
  jobQueue?: JobQueue | null;
}

/** The pipeline settings from the environment (src/config/config.ts). */
export function pipelineSettings(config: { FERRY_PROVISIONING_WAIT_MS: number; FERRY_LANE_BATCH_SIZE: number; FERRY_LANES_MAX: number; FERRY_VALIDITY_SWEEP_SECONDS: number }): PipelineSettings {
  return { responseWaitMs: config.FERRY_PROVISIONING_WAIT_MS, batchSize: config.FERRY_LANE_BATCH_SIZE, maxLanes: config.FERRY_LANES_MAX, validitySweepMs: config.FERRY_VALIDITY_SWEEP_SECONDS * 1000 };
}

/** The retry waits from the environment. */
export function retryPolicy(config: { FERRY_RETRY_MAX_INTERVAL_SECONDS: number }): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, maxIntervalSeconds: config.FERRY_RETRY_MAX_INTERVAL_SECONDS };
}

/** The services of a Ferry process (server or worker) as its configuration sets them up. */
export function createConfiguredServices(config: Config, base: Pick<ServiceDependencies, 'orm' | 'logger' | 'plugins' | 'jobQueue'> & { metrics: Metrics }) {
  return createServices({
    ...base,
    urlAllowlist: config.FERRY_TARGET_URL_ALLOWLIST,
    allowedNetworks: config.FERRY_TARGET_ALLOWED_NETWORKS,
    targetHealth: targetHealthSettings(config),
    pipeline: pipelineSettings(config),
    retry: retryPolicy(config),
    retention: retentionSettings(config),
    onPruned: (kind, deleted) => base.metrics.retentionPruned.inc({ kind }, deleted),
  });
}

/**
 * The composition root of the domain services: plain constructor wiring. Resolvers reach the
 * services through the request context. With a job queue (a server or a worker), Queue targets,
 * Reprovision All, reconciliation, folder-rule recalculation, imports and retention run as its
 * jobs; without one (the command line), those refuse.
 */
export function createServices({ orm, logger, plugins: pluginList, urlAllowlist, allowedNetworks, targetHealth: healthSettings, pipeline, retry, retention: retentionConfig, onPruned, jobQueue = null }: ServiceDependencies) {
  const memberships = new Memberships();
  const automaticGroups = new AutomaticGroups(memberships);
  const plugins = createPluginRegistry(pluginList ?? installedPlugins(), new UrlAllowlist(urlAllowlist), new OutboundPolicy(allowedNetworks));
  // The provisioning pipeline: the provisioner every path shares, the queue path (with a job
  // queue), and the engine around them (dispatcher + lanes).
  const provisionability = new ProvisionabilityEngine();
  const targetHealth = new TargetHealth(healthSettings);
  const marshaller = new Marshaller();
  const provisioner = new Provisioner(orm, plugins, provisionability, logger, targetHealth);
  const queue = jobQueue ? new QueuedProvisioning(orm, provisioner, marshaller, jobQueue, retry) : null;
  const engine = new ProvisioningEngine(orm, { provisionability, provisioner, marshaller, queue }, logger, { ...DEFAULT_PIPELINE_SETTINGS, ...pipeline });
  const jobs = new JobsService(() => jobQueue);
  const live = new LiveUpdates(orm, logger, jobs);
  const imports = new ImportService(orm, new ImportApplier(automaticGroups, memberships), logger, jobQueue);
  const reprovisionAll = jobQueue ? new ReprovisionAll(orm, engine, jobQueue, logger) : null;
  const fullRecalculation = jobQueue ? new FullRecalculation(orm, engine, jobQueue, logger) : null;
  const reconciler = jobQueue ? new Reconciler(orm, engine, jobQueue, logger) : null;
  const retention = jobQueue
    ? createRetention({ orm, queue: jobQueue, live, logger, settings: retentionConfig ?? DEFAULT_RETENTION_SETTINGS, onBatch: onPruned })
    : null;
  if (fullRecalculation) {
    engine.signals.on('rulesChanged', ({ targetId, organizationId }) =>
      void fullRecalculation.scheduleDaily(targetId, organizationId).catch((error) => logger.warn({ err: error, targetId }, 'could not schedule the daily provisionability recalculation')),
    );
  }
  return {
    apiTokens: new ApiTokenService(),
    changeLog: new ChangeLogService(),
    memberships,
    automaticGroups,
    organizations: new OrganizationService(automaticGroups),
    people: new PeopleService(automaticGroups, memberships),
    personAttributes: new PersonAttributeService(),
    personRoles: new PersonRoleService(automaticGroups),
    groups: new GroupService(memberships),
    catalog: new CatalogService(),
    plugins,
    targets: new TargetService(plugins, async (target) => void (await reconciler?.reschedule(target))),
    /** Per-process circuit breakers of the targets (health field, resetTargetCircuit, metrics). */
    targetHealth,
    engine,
    provisioning: new ProvisioningService(engine),
    jobs,
    reprovisionAll: new ReprovisionAllService(() => reprovisionAll),
    /** Queues the next run of every scheduled reconciliation (at start; idempotent). */
    scheduleReconciliations: async () => (reconciler ? reconciler.scheduleAll() : 0),
    /** Subscriptions; started by the server (workers only produce events). */
    live,
    /** Pruning of old events, jobs, audit entries, change-log entries and reconciliation runs; null without a job queue. */
    retention: () => retention,
    audit: new AuditLog(orm, () => new Set(plugins.list().flatMap((plugin) => plugin.secretFields)), logger),
    provisionability: new ProvisionabilityService(engine.provisionability, () => fullRecalculation, jobs),
    reconciliation: new ReconciliationService(engine, () => reconciler, jobs),
    /** Imports (a job each) and exports of an organisation's people and groups. */
    imports,
  };
}

export type Services = ReturnType<typeof createServices>;
