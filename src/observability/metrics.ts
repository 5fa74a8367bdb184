import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per Ferry instance, so tests that start several servers in one process do not collide. */
export class Metrics {
  readonly registry = new Registry();

  readonly sqlQueries = new Counter({
    name: 'ferry_sql_queries_total',
    help: 'SQL statements sent to PostgreSQL.',
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

  constructor() {
    // Under their standard names (process_cpu_seconds_total, nodejs_eventloop_lag_seconds, ...), so
    // stock Node dashboards work; Ferry's own metrics carry the ferry_ prefix.
    collectDefaultMetrics({ register: this.registry });
  }
}
