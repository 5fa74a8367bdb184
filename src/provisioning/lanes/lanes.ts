import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../../observability/logger';
import { DELETE_ACTIONS, ProvisioningMode } from '../actions';
import { recordProvisioningEvents } from '../event-log';
import { inChildSpan } from '../../observability/spans';
import type { Marshaller } from '../marshaller';
import type { SubjectPayload } from '../payload';
import { ProvisioningEvent, ProvisioningOutcome } from '../provisioning-event.entity';
import { ProvisioningTarget } from '../provisioning-target.entity';
import type { ProvisioningAction } from '../actions';
import { AUTOMATIC_MODES } from '../dispatch/router';
import type { Signals } from '../dispatch/signals';
import { claimWork, completeWork, type ClaimedWork } from '../dispatch/work-queue';
import { effectiveAction } from './decisions';
import type { Provisioner, ProvisionOrder } from './provisioner';


/**
 * Where lanes hand work to the job queue (queued-provisioning.ts implements it): Queue targets'
 * work as jobs, and Queue On Error targets' failures as retries.
 */
export interface QueueHandoff {
  enqueueMany(
    em: EntityManager,
    target: ProvisioningTarget,
    orders: { action: ProvisioningAction; subject: SubjectPayload; changeSeq: string | null; snapshot: boolean }[],
  ): Promise<ProvisioningEvent[]>;
  retryLater(em: EntityManager, target: ProvisioningTarget, failed: ProvisioningEvent, subject: SubjectPayload, snapshot: boolean): Promise<{ jobId: string; detail: string } | null>;
}

export interface LaneSettings {
  /** Work rows a lane takes per transaction (FERRY_LANE_BATCH_SIZE). */
  batchSize: number;
  /** Lanes running at once in this process, each on a database connection of its own (FERRY_LANES_MAX). */
  maxLanes: number;
}

export const DEFAULT_LANE_SETTINGS: LaneSettings = { batchSize: 200, maxLanes: 8 };

/** No row rides along with a delete or behind one, nor on a Queue target (its waiting jobs coalesce instead). */
const RIDE_ALONG_RULES = { deleteActions: [...DELETE_ACTIONS], rideAlongExceptModes: [ProvisioningMode.QUEUE] };

/**
 * The second stage of the pipeline: one lane per target. A lane takes a batch of its target's
 * routed work (rows other processes hold are skipped), loads the payloads set-based, provisions
 * them through the Provisioner with the target's concurrency, stores the outcomes and deletes the
 * rows, all in one transaction; then takes the next batch until nothing can run. Lanes of
 * different targets run independently: a slow or dead target holds only its own lane (and one
 * database connection), never another target, organisation or the registry.
 */
export class Lanes {
  private readonly running = new Map<string, Promise<void>>();
  private readonly rerun = new Set<string>();
  private readonly waiting: (() => void)[] = [];
  private inUse = 0;
  private stopped = false;

  constructor(
    private readonly orm: MikroORM,
    private readonly provisioner: Provisioner,
    private readonly marshaller: Marshaller,
    private readonly signals: Signals,
    private readonly logger: Logger,
    /** Where Queue and Queue On Error targets' work goes; null in a process without a job queue (the command line). */
    private readonly queue: QueueHandoff | null,
    private readonly settings: LaneSettings = DEFAULT_LANE_SETTINGS,
  ) {}

  /** Makes each target's lane look for work (now, or once more after the batch it is on). */
  kick(targetIds: Iterable<string>): void {
    if (this.stopped) return;
    for (const targetId of targetIds) {
      if (this.running.has(targetId)) {
        this.rerun.add(targetId);
        continue;
      }
      const lane = this.run(targetId).finally(() => {
        this.running.delete(targetId);
        if (this.rerun.delete(targetId)) this.kick([targetId]);
      });
      this.running.set(targetId, lane);
    }
  }

  /** The targets whose lane this process runs now. */
  runningTargets(): string[] {
    return [...this.running.keys()];
  }

  /** Resolves when no lane of this process is running. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  /** Stops taking batches; the batches in progress finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.rerun.clear();
    await this.idle();
  }

  start(): void {
    this.stopped = false;
  }

  private async run(targetId: string): Promise<void> {
    await this.acquire();
    try {
      while (!this.stopped) {
        const done = await this.batch(targetId).catch((error) => {
          this.logger.error({ err: error, targetId }, 'a provisioning lane batch failed; its work stays and is retried');
          return null;
        });
        if (!done) break;
        this.signals.emit('workSettled', { targetId, changeSeqs: done.changeSeqs, workIds: done.workIds });
      }
    } finally {
      this.release();
    }
  }

  private async acquire(): Promise<void> {
    if (this.inUse < this.settings.maxLanes) {
      this.inUse += 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inUse -= 1;
  }

  /** One batch of the target's work in one transaction; null when none could run. */
  private async batch(targetId: string): Promise<{ changeSeqs: string[]; workIds: string[] } | null> {
    return inChildSpan('ferry.lane.batch', { 'ferry.target.id': targetId }, async (span) => {
      const done = await this.batchInTransaction(targetId);
      span?.setAttribute('ferry.change_log.seqs', done?.changeSeqs ?? []);
      return done;
    });
  }

  private async batchInTransaction(targetId: string): Promise<{ changeSeqs: string[]; workIds: string[] } | null> {
    return this.orm.em.fork().transactional(async (tx) => {
      // Later changes of the same subjects ride along (inline targets; Queue targets coalesce into waiting jobs).
      const { heads: claimed, along: absorbed } = await claimWork(tx, targetId, this.settings.batchSize, RIDE_ALONG_RULES);
      if (claimed.length === 0) return null;
      const target = await tx.findOne(ProvisioningTarget, { id: targetId }, { populate: ['secrets'] });
      let events: ProvisioningEvent[] = [];
      // A target switched to Manual or Disabled since the work was routed gets none of it.
      const inline = target && target.mode !== ProvisioningMode.QUEUE;
      const refusal = inline ? this.provisioner.targetHealth.refuse(target.id) : null;
      if (target && refusal && (AUTOMATIC_MODES.includes(target.mode) || target.mode === ProvisioningMode.ENROLLMENT)) {
        // The target's circuit is open: its rows fail at once, without building their payloads.
        const orders = claimed.map((w) => ({ action: w.action, subject: { subjectType: w.subjectType, id: w.subjectId }, changeSeq: w.changeSeq }));
        events = await this.provisioner.refuseBatch(tx, target, orders, refusal);
        this.provisioner.targetHealth.countShortCircuited(target.id, events.filter((e) => e.outcome === ProvisioningOutcome.FAILED).length);
        await this.retryLater(tx, target, events, claimed.map((w) => w.snapshot ?? ({ subjectType: w.subjectType, id: w.subjectId } as SubjectPayload)), claimed);
      } else if (target && (AUTOMATIC_MODES.includes(target.mode) || target.mode === ProvisioningMode.ENROLLMENT)) {
        const subjects = await this.marshaller.forWork(tx, claimed);
        // Gone since (its delete is a change of its own, with its own work): nothing to do.
        const present = claimed.filter((work) => subjects.has(work.subjectId));
        if (target.mode === ProvisioningMode.QUEUE && this.queue) events = await this.enqueue(tx, target, present, subjects);
        else events = await this.provision(tx, target, present, subjects);
      }
      events.push(...alongside(events, claimed, absorbed));
      await recordProvisioningEvents(tx, events);
      const done = [...claimed, ...absorbed];
      await completeWork(tx, done.map((work) => work.id));
      return { changeSeqs: [...new Set(done.flatMap((work) => (work.changeSeq ? [work.changeSeq] : [])))], workIds: done.map((work) => String(work.id)) };
    });
  }

  /** Inline: Automatic, Queue On Error (a transient failure becomes a retry job) and Enrollment targets. */
  private async provision(
    tx: EntityManager,
    target: ProvisioningTarget,
    work: ClaimedWork[],
    subjects: Map<string, SubjectPayload>,
  ): Promise<ProvisioningEvent[]> {
    const orders: ProvisionOrder[] = work.map((w) => ({ action: w.action, subject: subjects.get(w.subjectId)!, changeSeq: w.changeSeq }));
    const events = await this.provisioner.runBatch(tx, target, orders);
    await this.retryLater(tx, target, events, orders.map((o) => o.subject), work);
    return events;
  }

  /** Queue On Error: a failed attempt becomes a retry job (RETRY_SCHEDULED) if the target allows. */
  private async retryLater(
    tx: EntityManager,
    target: ProvisioningTarget,
    events: ProvisioningEvent[],
    subjects: SubjectPayload[],
    work: ClaimedWork[],
  ): Promise<void> {
    if (target.mode !== ProvisioningMode.QUEUE_ON_ERROR || !this.queue) return;
    for (const [i, event] of events.entries()) {
      if (event.outcome !== ProvisioningOutcome.FAILED) continue;
      const retry = await this.queue.retryLater(tx, target, event, subjects[i], work[i].snapshot !== null);
      if (retry) {
        event.outcome = ProvisioningOutcome.RETRY_SCHEDULED;
        event.detail = retry.detail;
        event.jobId = retry.jobId;
      }
    }
  }

  /** Queue targets: a job per subject (or coalesced into the identical job still waiting), the batch's jobs in one insert. */
  private async enqueue(
    tx: EntityManager,
    target: ProvisioningTarget,
    work: ClaimedWork[],
    subjects: Map<string, SubjectPayload>,
  ): Promise<ProvisioningEvent[]> {
    const orders = work.map((w) => {
      const subject = subjects.get(w.subjectId)!;
      return { action: effectiveAction(target, w.action, subject, false).action, subject, changeSeq: w.changeSeq, snapshot: w.snapshot !== null };
    });
    return this.queue!.enqueueMany(tx, target, orders);
  }
}

/**
 * The events of rows that rode along with a head: the head's outcome, for the ride-along's own
 * change and action (so each change's response and history show what became of it). They do
 * not count as attempts of their own in failure notifications.
 */
function alongside(events: ProvisioningEvent[], heads: ClaimedWork[], absorbed: (ClaimedWork & { headId: string })[]): ProvisioningEvent[] {
  if (absorbed.length === 0) return [];
  const headOf = new Map(heads.map((head) => [head.id, head]));
  const eventOf = new Map(events.map((event) => [event.subjectId, event]));
  return absorbed.flatMap((row) => {
    const head = headOf.get(row.headId)!;
    const first = eventOf.get(head.subjectId);
    if (!first) return []; // the subject is gone: nothing was done for the head either
    const event = new ProvisioningEvent();
    Object.assign(event, {
      organizationId: first.organizationId,
      targetId: first.targetId,
      targetName: first.targetName,
      subjectType: first.subjectType,
      subjectId: first.subjectId,
      subjectLabel: first.subjectLabel,
      action: row.action,
      outcome: first.outcome,
      error: first.error,
      retryable: first.retryable,
      attempt: first.attempt,
      durationMs: first.durationMs,
      jobId: first.jobId,
      changeSeq: row.changeSeq,
      detail: `in one call with change ${head.changeSeq ?? '(validity sweep)'}${first.detail ? `: ${first.detail}` : ''}`,
      coalescedWith: head.changeSeq,
      unrecorded: first.unrecorded,
    });
    return [event];
  });
}
