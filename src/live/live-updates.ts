import type { MikroORM } from '@mikro-orm/postgresql';
import { validate as isUuid } from 'uuid';
import type { Actor } from '../auth/actor';
import type { JobsService } from '../provisioning/jobs.service';
import { badInput, isSequence, forbidden } from '../common/errors';
import { JobState, type JobInfo } from '../jobs/job-queue';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { FailureNotification } from '../provisioning/failure-notification.entity';
import type { ProvisioningEvent } from '../provisioning/provisioning-event.entity';
import { ProvisioningOutcome } from '../provisioning/provisioning-event.entity';
import { findReadableOrganization } from '../registry/records';
import { Channel } from './channels';
import { LiveConnections } from './connections';
import { ProvisioningEventFeed } from './event-feed';
import type { EventFilter, EventStream } from './event-stream';
import { PgListener } from './pg-listener';
import { ChangeStream, filterMap } from './streams';

export interface LiveOptions {
  databaseUrl: string;
  metrics: Metrics;
  bufferCapacity: number;
  pollIntervalMs: number;
  authRecheckMs: number;
}

export interface EventSubscriptionArgs {
  organizationId?: string | null;
  after?: string | null;
  targetId?: string | null;
  subjectType?: EventFilter['subjectType'];
  subjectId?: string | null;
  outcomes?: ProvisioningOutcome[] | null;
}

const FINAL_JOB_STATES = new Set([JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED]);
const FAILURE_OUTCOMES = [ProvisioningOutcome.FAILED, ProvisioningOutcome.RETRY_SCHEDULED, ProvisioningOutcome.SUCCEEDED];

/**
 * Everything a subscriber receives: provisioning events (stored, replayable, fanned out across
 * processes), failure notifications derived from them, and job progress. Started by the server
 * only; workers produce events and notify, they need no listener.
 */
export class LiveUpdates {
  private listener: PgListener | null = null;
  private feed: ProvisioningEventFeed | null = null;
  private readonly jobStreams = new Map<string, Set<ChangeStream<JobInfo>>>();
  private pollIntervalMs = 1000;
  readonly connections: LiveConnections;

  constructor(
    private readonly orm: MikroORM,
    private readonly logger: Logger,
    private readonly jobs: JobsService,
  ) {
    this.connections = new LiveConnections(orm, logger);
  }

  async start(options: LiveOptions): Promise<void> {
    this.pollIntervalMs = Math.min(options.pollIntervalMs, 1000);
    const listener = new PgListener(options.databaseUrl, Object.values(Channel), this.logger);
    await listener.start();
    this.listener = listener;
    this.feed = new ProvisioningEventFeed(this.orm, listener, this.logger, {
      bufferCapacity: options.bufferCapacity,
      pollIntervalMs: options.pollIntervalMs,
    });
    await this.feed.start();
    listener.on('notification', (channel, payload) => {
      if (channel === Channel.TOKEN_REVOKED) this.connections.revoked(payload);
      if (channel === Channel.JOB_PROGRESS) this.jobStreams.get(payload)?.forEach((stream) => stream.poke());
    });
    listener.on('reconnected', () => void this.connections.recheck());
    this.connections.startRecheck(options.authRecheckMs);
    options.metrics.attach({ live: () => this.gaugeSnapshot() });
  }

  async stop(): Promise<void> {
    this.connections.stop();
    await this.feed?.stop();
    await this.listener?.stop();
  }

  /** Stored events after `after` (if given), then live ones, as the caller may see them. */
  async events(actor: Actor, args: EventSubscriptionArgs): Promise<EventStream> {
    const filter = await this.filterFor(actor, args);
    return this.requireFeed().subscribe(actor.principal, filter, parseCursor(args.after));
  }

  /**
   * Failure notifications as they open, grow and resolve. Only admins (of the organisation, or
   * of the platform) receive them.
   */
  async failures(actor: Actor, args: { organizationId?: string | null; after?: string | null }) {
    const filter = await this.filterFor(actor, { organizationId: args.organizationId, outcomes: FAILURE_OUTCOMES });
    if (!actor.principal.isPlatformAdmin && !actor.principal.canWrite(filter.organizationId!)) {
      throw forbidden('Only admins of the organisation receive its failure notifications.');
    }
    const stream = this.requireFeed().subscribe(actor.principal, filter, parseCursor(args.after));
    return filterMap(stream, (event: ProvisioningEvent) =>
      this.orm.em.fork().findOne(FailureNotification, { organizationId: event.organizationId, lastEventSeq: event.seq }),
    );
  }

  /** A job's state each time it changes, ending with its final state. */
  async jobProgress(actor: Actor, jobId: string): Promise<AsyncIterableIterator<JobInfo>> {
    const first = await this.jobs.get(actor, jobId);
    const streams = this.jobStreams.get(jobId) ?? new Set();
    this.jobStreams.set(jobId, streams);
    const stream: ChangeStream<JobInfo> = new ChangeStream(
      first,
      () => this.jobs.get(actor, jobId).catch(() => null),
      (job) => JSON.stringify([job.state, job.progress, job.failReason, job.lastFinishedAt, job.data.processed, job.data.failed]),
      (job) => FINAL_JOB_STATES.has(job.state),
      this.pollIntervalMs,
      () => {
        streams.delete(stream);
        if (streams.size === 0) this.jobStreams.delete(jobId);
      },
    );
    streams.add(stream);
    return stream;
  }

  private async filterFor(actor: Actor, args: EventSubscriptionArgs): Promise<EventFilter> {
    const { principal } = actor;
    for (const field of ['organizationId', 'targetId', 'subjectId'] as const) {
      const value = args[field];
      if (value && !isUuid(value)) throw badInput(`${field} must be a UUID.`, field);
    }
    let organizationId = args.organizationId ?? null;
    if (organizationId) organizationId = (await findReadableOrganization(actor.em, principal, organizationId)).id;
    else if (!principal.isPlatformAdmin) organizationId = principal.organizationId;
    return {
      organizationId,
      targetId: args.targetId ?? null,
      subjectType: args.subjectType ?? null,
      subjectId: args.subjectId ?? null,
      outcomes: args.outcomes?.length ? args.outcomes : null,
    };
  }

  private requireFeed(): ProvisioningEventFeed {
    if (!this.feed) throw forbidden('This Ferry process does not serve subscriptions.');
    return this.feed;
  }

  /**
   * The lowest position of this process's open event subscriptions (what they may still read back
   * from the event table starts after it), or null when none is open: retention keeps those events.
   */
  lowestSubscriptionPosition(): bigint | null {
    let lowest: bigint | null = null;
    for (const stream of this.feed?.subscriptions ?? []) if (lowest === null || stream.position < lowest) lowest = stream.position;
    return lowest;
  }

  /** Subscriptions open in this process and their buffers, for the metrics. */
  private gaugeSnapshot(): { subscriptions: number; buffered: number[]; lagging: number } {
    const streams = [...(this.feed?.subscriptions ?? [])];
    return { subscriptions: streams.length, buffered: streams.map((stream) => stream.buffered), lagging: streams.filter((stream) => stream.lagging).length };
  }
}

/** An event sequence from a client: digits only, at most a 64-bit integer. */
export function parseCursor(after: string | null | undefined): bigint | null {
  if (after === null || after === undefined || after === '') return null;
  if (!isSequence(after)) throw badInput('after must be an event sequence (the seq of an event you received).', 'after');
  return BigInt(after);
}
