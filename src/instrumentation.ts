import type { MikroORM } from '@mikro-orm/postgresql';
import type { JobQueue } from './jobs/job-queue';
import type { Metrics } from './observability/metrics';
import { observeCommittedEvents } from './provisioning/event-log';
import type { Services } from './services';

/**
 * Connects the metrics catalogue to the parts of a process that know the values: committed
 * provisioning events and plugin call times, circuits, lanes, the dispatch cursor and lane
 * backlog, the job queue. The server and the workers both call it (subscriptions attach
 * themselves when the server starts them).
 */
export function instrument(metrics: Metrics, orm: MikroORM, services: Services, jobs: JobQueue): void {
  observeCommittedEvents(orm, (events) => metrics.observeEvents(events));
  services.targetHealth.onShortCircuit = (targetId, count) => metrics.shortCircuited.inc({ target: targetId }, count);
  metrics.attach({
    circuits: () => services.targetHealth.circuitStates(),
    lanes: () => services.engine.lanes.runningTargets(),
    pipeline: () => services.engine.dispatcher.status(),
    jobs: () => jobs.depth(),
  });
}
