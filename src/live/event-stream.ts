import type { Principal } from '../auth/principal';
import type { ProvisioningEvent, ProvisioningOutcome } from '../provisioning/provisioning-event.entity';
import type { SubjectType } from '../provisioning/actions';

/** What a subscriber asked for. `organizationId` null means every organisation the token may read. */
export interface EventFilter {
  organizationId: string | null;
  targetId?: string | null;
  subjectType?: SubjectType | null;
  subjectId?: string | null;
  outcomes?: ProvisioningOutcome[] | null;
}

/** The part of the feed a stream reads from. */
export interface EventSource {
  /** The highest sequence the feed has read and handed to live streams. */
  readonly head: bigint;
  /** Stored events matching the filter with cursor < seq <= upTo, in order, at most `limit`. */
  read(filter: EventFilter, cursor: bigint, upTo: bigint, limit: number): Promise<ProvisioningEvent[]>;
}

export function matchesFilter(filter: EventFilter, event: ProvisioningEvent): boolean {
  return (
    (!filter.organizationId || event.organizationId === filter.organizationId) &&
    (!filter.targetId || event.targetId === filter.targetId) &&
    (!filter.subjectType || event.subjectType === filter.subjectType) &&
    (!filter.subjectId || event.subjectId === filter.subjectId) &&
    (!filter.outcomes?.length || filter.outcomes.includes(event.outcome))
  );
}

/**
 * One subscriber's view of the event log: stored events after its cursor, then live ones, with
 * no gap and no duplicate. While the subscriber keeps up, the feed pushes new events into a
 * small buffer; when the buffer is full (a slow or stalled client), the stream stops buffering
 * and, once the client reads again, fetches what it missed from the table, page by page. So
 * memory per subscriber never exceeds `capacity` events, and the feed never waits for anyone.
 *
 * The cursor means: every event with seq <= cursor has been buffered, delivered, or does not
 * match. It is a plain async iterator (not a generator) so that `return()` ends it at once,
 * even while it waits for news.
 */
export class EventStream implements AsyncIterableIterator<ProvisioningEvent> {
  private buffer: ProvisioningEvent[] = [];
  private live: boolean;
  private cursor: bigint;

  /** Every event with seq <= this has been buffered, delivered, or does not match (retention keeps what follows). */
  get position(): bigint {
    return this.cursor;
  }
  private wake: (() => void) | null = null;
  private ended = false;

  constructor(
    private readonly source: EventSource,
    readonly filter: EventFilter,
    readonly principal: Principal,
    after: bigint | null,
    private readonly capacity: number,
    private readonly onEnd: (stream: EventStream) => void,
  ) {
    this.cursor = after ?? source.head;
    this.live = this.cursor >= source.head;
  }

  get buffered(): number {
    return this.buffer.length;
  }

  get lagging(): boolean {
    return !this.live;
  }

  /** The feed hands over each new batch, in order; `end` is the batch's last sequence. */
  offer(batch: ProvisioningEvent[], end: bigint): void {
    if (!this.live || this.ended) return;
    for (const event of batch) {
      const seq = BigInt(event.seq);
      if (seq <= this.cursor || !this.accepts(event)) continue;
      if (this.buffer.length >= this.capacity) {
        // Behind: the rest of this batch and what follows are read back from the table later.
        this.cursor = seq - 1n;
        this.live = false;
        this.notify();
        return;
      }
      this.buffer.push(event);
    }
    if (end > this.cursor) this.cursor = end;
    this.notify();
  }

  async next(): Promise<IteratorResult<ProvisioningEvent>> {
    for (;;) {
      if (this.ended) return { value: undefined, done: true };
      const event = this.buffer.shift();
      if (event) return { value: event, done: false };
      if (!this.live) {
        await this.catchUp();
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async return(): Promise<IteratorResult<ProvisioningEvent>> {
    this.end();
    return { value: undefined, done: true };
  }

  async throw(error?: unknown): Promise<IteratorResult<ProvisioningEvent>> {
    this.end();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.buffer = [];
    this.onEnd(this);
    this.notify();
  }

  /** Authorization is checked per event, not only at subscribe time. */
  private accepts(event: ProvisioningEvent): boolean {
    return this.principal.canRead(event.organizationId) && matchesFilter(this.filter, event);
  }

  private async catchUp(): Promise<void> {
    const upTo = this.source.head;
    if (this.cursor < upTo) {
      const page = await this.source.read(this.filter, this.cursor, upTo, this.capacity);
      if (this.ended) return;
      this.buffer.push(...page.filter((event) => this.accepts(event)));
      this.cursor = page.length === this.capacity ? BigInt(page[page.length - 1].seq) : upTo;
    }
    // Synchronous with the feed's hand-over: no batch can slip between this check and going live.
    if (this.cursor >= this.source.head) this.live = true;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
