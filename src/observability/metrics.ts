import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** A job name's backlog as the job store counts it (JobQueue.depth). */
export interface JobDepth {
  name: string;
  /** Due now and not running. */
  due: number;
  /** Waiting for a later run time (retries, schedules). */
  scheduled: number;
  running: number;
  /** Seconds since the oldest due job's run time; 0 when none is due. */
  oldestDueSeconds: number;
}

/** The dispatch cursor and the lanes' work as the database shows them (every process sees the same). */
export interface PipelineStatus {
  /** Committed change-log entries after the dispatch cursor. */
  lagEntries: number;
  /** Seconds since the oldest of them was written; 0 when none. */
  lagSeconds: number;
  pending: { targetId: string; targetName: string; items: number; oldestSeconds: number }[];
}

/** What the gauges read when scraped; each is attached by the part of Ferry that owns it. */
export interface MetricSources {
  circuits?: () => Iterable<{ targetId: string; state: number }>;
  live?: () => { subscriptions: number; buffered: number[]; lagging: number };
  jobs?: () => Promise<JobDepth[]>;
  pipeline?: () => Promise<PipelineStatus>;
  lanes?: () => Iterable<string>;
}

/** What a committed provisioning event tells the metrics. */
export interface ObservedEvent {
  targetId: string;
  targetName: string;
  action: string;
  outcome: string;
  /** The plugin, when the event called it (durationMs is then the call's). */
  calledPlugin: string | null;
  durationMs: number;
}

const SECONDS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const LONG_BUCKETS = [0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600];

/**
 * Every metric Ferry exports, in one catalogue (the README's metrics table is generated from it:
 * `npm run metrics:doc`). One registry per Ferry instance, so tests that start several servers in
 * one process do not collide. Gauges read their source when scraped; a source not attached in
 * this process (a worker has no subscriptions) leaves its gauge empty.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly sources: MetricSources = {};

  readonly sqlQueries = new Counter({
    name: 'ferry_sql_queries_total',
    help: 'SQL statements sent to PostgreSQL by the ORM.',
    registers: [this.registry],
  });

  readonly graphqlOperations = new Counter({
    name: 'ferry_graphql_operations_total',
    help: 'GraphQL operations executed, by type and outcome.',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly graphqlDuration = new Histogram({
    name: 'ferry_graphql_operation_duration_seconds',
    help: 'Duration of GraphQL operations.',
    labelNames: ['type'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly provisioningEvents = new Counter({
    name: 'ferry_provisioning_events_total',
    help: 'Provisioning events committed by this process, by target (id and name), action and outcome (SUCCEEDED, FAILED, RETRY_SCHEDULED, QUEUED, SKIPPED, ...).',
    labelNames: ['target', 'target_name', 'action', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly provisioningDuration = new Histogram({
    name: 'ferry_provisioning_duration_seconds',
    help: 'Duration of one plugin call for one subject (LDAP, SCIM, webhook), by plugin and outcome (ok, error).',
    labelNames: ['plugin', 'outcome'] as const,
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });

  readonly jobWait = new Histogram({
    name: 'ferry_job_wait_seconds',
    help: "Time from a job's run time to its start in this process, by job name: the queue's latency.",
    labelNames: ['name'] as const,
    buckets: LONG_BUCKETS,
    registers: [this.registry],
  });

  readonly jobDuration = new Histogram({
    name: 'ferry_job_duration_seconds',
    help: 'Run time of jobs in this process, by job name and outcome (completed, failed).',
    labelNames: ['name', 'outcome'] as const,
    buckets: LONG_BUCKETS,
    registers: [this.registry],
  });

  readonly jobQueueDepth = new Gauge({
    name: 'ferry_job_queue_depth',
    help: 'Jobs by name and state: due (waiting to start), scheduled (a later run time, e.g. a retry), running. Read from the job store: every process reports the same figures.',
    labelNames: ['name', 'state'] as const,
    registers: [this.registry],
    collect: async () => {
      const rows = await this.read('jobs', this.sources.jobs);
      this.jobQueueDepth.reset();
      for (const row of rows ?? []) {
        this.jobQueueDepth.set({ name: row.name, state: 'due' }, row.due);
        this.jobQueueDepth.set({ name: row.name, state: 'scheduled' }, row.scheduled);
        this.jobQueueDepth.set({ name: row.name, state: 'running' }, row.running);
      }
    },
  });

  readonly jobOldestDue = new Gauge({
    name: 'ferry_job_oldest_due_seconds',
    help: 'Seconds since the run time of the oldest due job not yet started, by job name (0 when none is due).',
    labelNames: ['name'] as const,
    registers: [this.registry],
    collect: async () => {
      const rows = await this.read('jobs', this.sources.jobs);
      this.jobOldestDue.reset();
      for (const row of rows ?? []) this.jobOldestDue.set({ name: row.name }, row.oldestDueSeconds);
    },
  });

  readonly changeLogLagEntries = new Gauge({
    name: 'ferry_changelog_lag_entries',
    help: 'Committed change-log entries the dispatch cursor has not passed yet.',
    registers: [this.registry],
    collect: async () => {
      const status = await this.read('pipeline', this.sources.pipeline);
      this.changeLogLagEntries.reset();
      if (status) this.changeLogLagEntries.set(status.lagEntries);
    },
  });

  readonly changeLogLagSeconds = new Gauge({
    name: 'ferry_changelog_lag_seconds',
    help: 'Age of the oldest change-log entry the dispatch cursor has not passed (0 when it is at the end).',
    registers: [this.registry],
    collect: async () => {
      const status = await this.read('pipeline', this.sources.pipeline);
      this.changeLogLagSeconds.reset();
      if (status) this.changeLogLagSeconds.set(status.lagSeconds);
    },
  });

  readonly lanePending = new Gauge({
    name: 'ferry_lane_pending_items',
    help: "Work items waiting in each target's lane (all processes; targets with none are not listed).",
    labelNames: ['target', 'target_name'] as const,
    registers: [this.registry],
    collect: async () => {
      const status = await this.read('pipeline', this.sources.pipeline);
      this.lanePending.reset();
      for (const row of status?.pending ?? []) this.lanePending.set({ target: row.targetId, target_name: row.targetName }, row.items);
    },
  });

  readonly laneOldestPending = new Gauge({
    name: 'ferry_lane_oldest_pending_seconds',
    help: "Age of the oldest work item waiting in each target's lane.",
    labelNames: ['target', 'target_name'] as const,
    registers: [this.registry],
    collect: async () => {
      const status = await this.read('pipeline', this.sources.pipeline);
      this.laneOldestPending.reset();
      for (const row of status?.pending ?? []) this.laneOldestPending.set({ target: row.targetId, target_name: row.targetName }, row.oldestSeconds);
    },
  });

  readonly laneRunning = new Gauge({
    name: 'ferry_lane_running',
    help: "1 for each target whose lane this process is running now.",
    labelNames: ['target'] as const,
    registers: [this.registry],
    collect: () => {
      this.laneRunning.reset();
      for (const targetId of this.sources.lanes?.() ?? []) this.laneRunning.set({ target: targetId }, 1);
    },
  });

  readonly circuitState = new Gauge({
    name: 'ferry_target_circuit_state',
    help: "State of each target's circuit breaker in this process: 0 closed, 1 half-open, 2 open. Targets never called are not listed.",
    labelNames: ['target'] as const,
    registers: [this.registry],
    collect: () => {
      this.circuitState.reset();
      for (const { targetId, state } of this.sources.circuits?.() ?? []) this.circuitState.set({ target: targetId }, state);
    },
  });

  readonly shortCircuited = new Counter({
    name: 'ferry_target_calls_short_circuited_total',
    help: 'Plugin calls refused without contacting the target because its circuit was open (this process).',
    labelNames: ['target'] as const,
    registers: [this.registry],
  });

  readonly liveSubscriptions = new Gauge({
    name: 'ferry_live_subscriptions',
    help: 'Open provisioning-event subscriptions in this process.',
    registers: [this.registry],
    collect: () => {
      const live = this.sources.live?.();
      this.liveSubscriptions.reset();
      if (live) this.liveSubscriptions.set(live.subscriptions);
    },
  });

  readonly liveBuffered = new Gauge({
    name: 'ferry_live_buffered_events',
    help: 'Events waiting in memory for subscribers, summed and at most per subscriber.',
    labelNames: ['measure'] as const,
    registers: [this.registry],
    collect: () => {
      const live = this.sources.live?.();
      this.liveBuffered.reset();
      if (!live) return;
      this.liveBuffered.set({ measure: 'sum' }, live.buffered.reduce((a, b) => a + b, 0));
      this.liveBuffered.set({ measure: 'max' }, Math.max(0, ...live.buffered));
    },
  });

  readonly liveLagging = new Gauge({
    name: 'ferry_live_lagging_subscriptions',
    help: 'Subscribers too far behind to buffer for; they read back from the event table.',
    registers: [this.registry],
    collect: () => {
      const live = this.sources.live?.();
      this.liveLagging.reset();
      if (live) this.liveLagging.set(live.lagging);
    },
  });

  readonly retentionPruned = new Counter({
    name: 'ferry_retention_pruned_rows_total',
    help: 'Rows the retention job deleted, by kind (events, jobs, audit, changeLog, reconciliation).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  /** Reads shared by two gauges of one scrape are made once. */
  private readonly pendingReads = new Map<string, Promise<unknown>>();

  constructor(private readonly onSourceError: (source: string, error: unknown) => void = () => undefined) {
    // Under their standard names (process_cpu_seconds_total, nodejs_eventloop_lag_seconds, ...), so
    // stock Node dashboards work; Ferry's own metrics carry the ferry_ prefix.
    collectDefaultMetrics({ register: this.registry });
  }

  /** Connects gauges to the parts of this process that know their values. */
  attach(sources: MetricSources): void {
    Object.assign(this.sources, sources);
  }

  /** Counts committed events and times the plugin calls among them. */
  observeEvents(events: readonly ObservedEvent[]): void {
    for (const event of events) {
      this.provisioningEvents.inc({ target: event.targetId, target_name: event.targetName, action: event.action, outcome: event.outcome });
      if (event.calledPlugin) {
        this.provisioningDuration.observe({ plugin: event.calledPlugin, outcome: event.outcome === 'SUCCEEDED' ? 'ok' : 'error' }, event.durationMs / 1000);
      }
    }
  }

  /** The job queue's hooks: when a job starts (its wait) and ends (its run time). */
  readonly jobObserver = {
    started: (name: string, waitedMs: number) => this.jobWait.observe({ name }, Math.max(0, waitedMs) / 1000),
    finished: (name: string, failed: boolean, ranMs: number) => this.jobDuration.observe({ name, outcome: failed ? 'failed' : 'completed' }, ranMs / 1000),
  };

  /**
   * A source's value for this scrape; null when it is not attached or fails (the gauge is then
   * left empty rather than failing the whole scrape). Gauges of one scrape share the read.
   */
  private async read<T>(key: string, source: (() => Promise<T>) | undefined): Promise<T | null> {
    if (!source) return null;
    let pending = this.pendingReads.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = source();
      this.pendingReads.set(key, pending);
      const forget = () => this.pendingReads.delete(key);
      pending.then(forget, forget);
    }
    try {
      return await pending;
    } catch (error) {
      this.onSourceError(key, error);
      return null;
    }
  }
}
