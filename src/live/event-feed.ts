import type { FilterQuery } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Principal } from '../auth/principal';
import type { Logger } from '../observability/logger';
import { ProvisioningEvent } from '../provisioning/provisioning-event.entity';
import { Channel } from './channels';
import { EventStream, type EventFilter, type EventSource } from './event-stream';
import type { PgListener } from './pg-listener';

const READ_BATCH = 1000;

export interface EventFeedOptions {
  /** Events a subscriber may have waiting in memory before it reads them back from the table. */
  bufferCapacity: number;
  /** A safety net for a lost notification; the normal path is NOTIFY. */
  pollIntervalMs: number;
}

/**
 * Reads newly committed provisioning events once per process and hands them to every
 * subscription in it. Producers in any process NOTIFY after committing; the feed then reads the
 * table after its head. The table is the only source, so an event reaches a subscriber the same
 * way whether it was produced here, by a worker, or by another server.
 */
export class ProvisioningEventFeed implements EventSource {
  private current = 0n;
  private readonly streams = new Set<EventStream>();
  private pumping: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;

  constructor(
    private readonly orm: MikroORM,
    private readonly listener: PgListener,
    private readonly logger: Logger,
    private readonly options: EventFeedOptions,
  ) {}

  get head(): bigint {
    return this.current;
  }

  get subscriptions(): ReadonlySet<EventStream> {
    return this.streams;
  }

  async start(): Promise<void> {
    await this.skipToEnd();
    this.stopped = false;
    this.listener.on('notification', (channel, payload) => {
      if (channel === Channel.PROVISIONING_EVENTS) this.announce(payload);
    });
    this.listener.on('reconnected', () => this.pump());
    const poll = () => {
      this.timer = setTimeout(() => {
        this.pump();
        if (!this.stopped) poll();
      }, this.options.pollIntervalMs);
      this.timer.unref();
    };
    poll();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const stream of [...this.streams]) stream.end();
    await this.pumping;
  }

  /** A new subscription; `after` null starts at the live edge. */
  subscribe(principal: Principal, filter: EventFilter, after: bigint | null): EventStream {
    const stream = new EventStream(this, filter, principal, after, this.options.bufferCapacity, (ended) => this.streams.delete(ended));
    this.streams.add(stream);
    return stream;
  }

  read(filter: EventFilter, cursor: bigint, upTo: bigint, limit: number): Promise<ProvisioningEvent[]> {
    const where: FilterQuery<ProvisioningEvent> = {
      seq: { $gt: cursor.toString(), $lte: upTo.toString() },
      ...(filter.organizationId ? { organizationId: filter.organizationId } : {}),
      ...(filter.targetId ? { targetId: filter.targetId } : {}),
      ...(filter.subjectType ? { subjectType: filter.subjectType } : {}),
      ...(filter.subjectId ? { subjectId: filter.subjectId } : {}),
      ...(filter.outcomes?.length ? { outcome: { $in: filter.outcomes } } : {}),
    };
    // A fresh EntityManager per page: nothing accumulates in an identity map.
    return this.orm.em.fork().find(ProvisioningEvent, where, { orderBy: { seq: 'asc' }, limit });
  }

  private async skipToEnd(): Promise<void> {
    const [row] = await this.orm.em.fork().execute<{ seq: string | null }[]>('select max(seq)::text as seq from provisioning_event');
    const end = BigInt(row?.seq ?? 0);
    if (end > this.current && this.streams.size === 0) this.current = end;
  }

  /** A producer committed events up to `payload`. */
  private announce(payload: string): void {
    if (!/^\d+$/.test(payload)) return;
    if (this.streams.size === 0) {
      // Nobody listens here: just move the edge, nothing to read.
      if (BigInt(payload) > this.current) this.current = BigInt(payload);
      return;
    }
    this.pump();
  }

  /** Reads everything after the head and hands it over; concurrent calls share one run. */
  private pump(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = (async () => {
      try {
        do {
          this.again = false;
          if (this.streams.size === 0) {
            await this.skipToEnd();
            // Someone subscribed meanwhile: read the events for them below.
            if (this.streams.size === 0) continue;
          }
          for (;;) {
            const batch = await this.orm.em
              .fork()
              .find(ProvisioningEvent, { seq: { $gt: this.current.toString() } }, { orderBy: { seq: 'asc' }, limit: READ_BATCH });
            if (batch.length === 0) break;
            const end = BigInt(batch[batch.length - 1].seq);
            // Head and hand-over move together, synchronously: see EventStream.catchUp.
            this.current = end;
            for (const stream of this.streams) stream.offer(batch, end);
            if (batch.length < READ_BATCH) break;
          }
        } while (this.again && !this.stopped);
      } catch (error) {
        this.logger.warn({ err: error }, 'reading new provisioning events failed; the next notification or poll retries');
      } finally {
        this.pumping = null;
      }
    })();
  }
}
