import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../observability/logger';
import type { ProvisionerPlugin, RemoteIdLookup, TargetContext } from '../plugins/plugin';
import type { ProvisionabilityEngine } from '../provisionability/provisionability.engine';
import { ProvisioningAction as A, SubjectType } from './actions';
import type { Marshaller } from './marshaller';
import type { SubjectPayload } from './payload';
import { ProvisioningEvent, ProvisioningOutcome } from './provisioning-event.entity';
import type { ProvisioningTarget } from './provisioning-target.entity';
import type { TargetHealth } from './health/target-health';
import { Dispatcher } from './dispatch/dispatcher';
import { Signals } from './dispatch/signals';
import { hasProvisioningTargets, pendingWork, pendingWorkRows, targetsWithWork } from './dispatch/work-queue';
import { DEFAULT_LANE_SETTINGS, Lanes, type LaneSettings, type QueueHandoff } from './lanes/lanes';
import type { Provisioner, Prepared, ProvisionOrder, RunOptions } from './lanes/provisioner';

export { effectiveAction } from './lanes/decisions';
export type { RunOptions } from './lanes/provisioner';

export interface PipelineSettings extends LaneSettings {
  /** How long an Automatic mutation's response waits for its targets (FERRY_PROVISIONING_WAIT_MS). */
  responseWaitMs: number;
  /** How often the background loop looks for validity windows that opened or closed (FERRY_VALIDITY_SWEEP_SECONDS). */
  validitySweepMs: number;
}

export const DEFAULT_PIPELINE_SETTINGS: PipelineSettings = { ...DEFAULT_LANE_SETTINGS, responseWaitMs: 5000, validitySweepMs: 15_000 };

/** What the engine is assembled from (built by the composition root, src/services.ts). */
export interface EngineParts {
  /** Folder-rule provisionability: the dispatcher keeps it current, the provisioner asks it. */
  provisionability: ProvisionabilityEngine;
  /** The one path every provisioning call takes. */
  provisioner: Provisioner;
  marshaller: Marshaller;
  /** Where Queue and Queue On Error targets' work goes; null in a process without a job queue. */
  queue: QueueHandoff | null;
}

/**
 * The provisioning pipeline, assembled: the dispatcher (change-log cursor -> planned, routed work
 * rows; no target I/O), the lanes (one per target: batches of work -> plugin calls -> outcomes)
 * and the provisioner every other path shares (queued jobs, explicit requests, reprovision-all,
 * reconciliation fixes). It also runs the background loop and lets a mutation wait, within a
 * bound, for the outcomes of the changes it committed.
 */
export class ProvisioningEngine {
  readonly signals = new Signals();
  readonly provisionability: ProvisionabilityEngine;
  readonly provisioner: Provisioner;
  readonly marshaller: Marshaller;
  readonly dispatcher: Dispatcher;
  readonly lanes: Lanes;
  private dispatching: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = false;
  private lastSweep = 0;

  constructor(
    private readonly orm: MikroORM,
    { provisionability, provisioner, marshaller, queue }: EngineParts,
    private readonly logger: Logger,
    readonly settings: PipelineSettings = DEFAULT_PIPELINE_SETTINGS,
    private readonly pollIntervalMs = 1000,
  ) {
    this.provisionability = provisionability;
    this.provisioner = provisioner;
    this.marshaller = marshaller;
    this.dispatcher = new Dispatcher(orm, provisionability, this.signals, logger);
    this.lanes = new Lanes(orm, provisioner, marshaller, this.signals, logger, queue, settings);
    // Routed work starts its targets' lanes at once; a settled batch may free work that waited
    // for it on another target (targets in order), so those lanes look again.
    this.signals.on('workRouted', ({ targetIds }) => this.lanes.kick(targetIds));
    this.signals.on('workSettled', () => void this.kickWaitingLanes());
  }

  get targetHealth(): TargetHealth {
    return this.provisioner.targetHealth;
  }

  /** Starts the background loop; it also catches up on changes made (and work left) while Ferry was down. */
  start(): void {
    this.stopped = false;
    this.lanes.start();
    const tick = () => {
      if (this.stopped) return;
      const sweepDue = Date.now() - this.lastSweep >= this.settings.validitySweepMs;
      this.ticking = this.dispatch()
        .then(() => (sweepDue && !this.stopped ? this.sweep() : undefined))
        // Work routed by other processes, or left by one that died, is picked up here.
        .then(() => (this.stopped ? undefined : this.kickWaitingLanes()))
        .catch((error) => this.logger.error({ err: error }, 'provisioning loop failed; it will be retried'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.pollIntervalMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    // The tick in progress, validity sweep included, and the lanes' batches in progress: nothing
    // of the pipeline runs after this returns.
    await this.ticking;
    await this.dispatching;
    await this.lanes.stop();
  }

  /** Dispatches everything committed so far; concurrent callers share one run. */
  dispatch(): Promise<void> {
    if (this.dispatching) {
      this.again = true;
      return this.dispatching;
    }
    this.dispatching = (async () => {
      try {
        do {
          this.again = false;
          while ((await this.dispatcher.dispatchNext()).more) {
            /* keep going until a pass reads less than its limit: the log is consumed */
          }
        } while (this.again);
      } catch (error) {
        this.logger.error({ err: error }, 'provisioning dispatch failed; it will be retried');
      } finally {
        this.dispatching = null;
      }
    })();
    return this.dispatching;
  }

  /** Dispatches what is committed and waits until this process's lanes have nothing left they can do. */
  async drain(): Promise<void> {
    await this.dispatch();
    await this.kickWaitingLanes();
    await this.lanes.idle();
  }

  /**
   * Waits until the work these change-log entries caused is done (by this or another process), at
   * most `boundMs`, and not at all for targets this process knows to be stalled. Returns whether
   * it is all done.
   */
  async settle(changeSeqs: string | readonly string[], options: { boundMs?: number; organizationIds?: readonly string[] } = {}): Promise<boolean> {
    const seqs = typeof changeSeqs === 'string' ? [changeSeqs] : [...changeSeqs];
    const deadline = Date.now() + (options.boundMs ?? this.settings.responseWaitMs);
    const em = this.orm.em.fork();
    if (options.organizationIds && !(await hasProvisioningTargets(em, options.organizationIds))) {
      // Organisations without targets: the dispatch pass has nothing to do for them that a
      // response would wait for (it runs all the same, to move the cursor on).
      void this.dispatch();
      return true;
    }
    await this.dispatch();
    // The work rows of these changes (all routed: the dispatch pass has run) are read once; the
    // rows this process's lanes settle are crossed off as they report them, so the database is
    // asked again only when a wait runs out (another process's lane may have settled some).
    // Listening before looking: a batch that settles while the rows are read still counts.
    const settledIds = new Set<string>();
    let pending: Map<string, string> | null = null;
    let wake = () => {};
    const off = this.signals.on('workSettled', ({ workIds }) => {
      let ours = false;
      for (const id of workIds) {
        settledIds.add(id);
        if (pending?.has(id)) ours = true;
      }
      if (ours) wake();
    });
    try {
      pending = await pendingWorkRows(em, seqs);
      let readAt = Date.now();
      for (;;) {
        for (const id of settledIds) pending.delete(id);
        if (pending.size === 0) return true;
        // A target known to be stalled (a call hanging, its circuit open) does not hold the response.
        if ([...pending.values()].every((targetId) => this.targetHealth.stalled(targetId))) return false;
        const left = deadline - Date.now();
        if (left <= 0) return false;
        // Woken by this process's lanes settling one of the rows; read again every 250 ms for other processes' lanes.
        const woken = new Promise<boolean>((resolve) => (wake = () => resolve(true)));
        let timer: NodeJS.Timeout | undefined;
        const poll = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.min(left, Math.max(0, readAt + 250 - Date.now())))));
        const byLane = await Promise.race([woken, poll]);
        clearTimeout(timer);
        if (!byLane) {
          pending = await pendingWorkRows(em, seqs);
          readAt = Date.now();
        }
      }
    } finally {
      off();
    }
  }

  /**
   * What a mutation reports for targets still working on its changes when the wait is over: a
   * PENDING outcome per subject and target (never stored; the final outcome is, and it reaches
   * subscribers).
   */
  async pendingOutcomes(em: EntityManager, changeSeqs: readonly string[]): Promise<ProvisioningEvent[]> {
    const rows = await pendingWork(em, changeSeqs);
    return rows.map((row) => {
      const event = this.provisioner.newEvent(
        { id: row.targetId, name: row.targetName, organization: { id: row.organizationId } as ProvisioningTarget['organization'] },
        row.action,
        { subjectType: row.subjectType, id: row.subjectId },
        { changeSeq: row.changeSeq },
      );
      event.seq = '0';
      event.outcome = ProvisioningOutcome.PENDING;
      event.detail = 'the target is still working on it; the outcome will arrive on the provisioningEvents subscription';
      event.occurredAt = new Date();
      return event;
    });
  }

  async cursor(): Promise<string> {
    return this.dispatcher.cursor();
  }

  /** Routes the subjects whose validity windows opened or closed since the last sweep, and provisions them. */
  async sweepValidity(now = new Date()): Promise<number> {
    const swept = await this.sweep(now);
    await this.lanes.idle();
    return swept;
  }

  private sweep(now = new Date()): Promise<number> {
    this.lastSweep = Date.now();
    return this.dispatcher.sweepValidity(now);
  }

  private async kickWaitingLanes(): Promise<void> {
    if (this.stopped) return;
    try {
      this.lanes.kick(await targetsWithWork(this.orm.em.fork()));
    } catch (error) {
      this.logger.warn({ err: error }, 'could not look for waiting provisioning work');
    }
  }

  load(em: EntityManager, subjectType: SubjectType, subjectId: string): Promise<SubjectPayload | null> {
    return this.marshaller.one(em, subjectType, subjectId);
  }

  /** One subject on one target, through the provisioner (see Provisioner.runBatch). */
  runOnTarget(em: EntityManager, target: ProvisioningTarget, requested: A, subject: SubjectPayload, options: RunOptions): Promise<ProvisioningEvent> {
    return this.provisioner.runOnTarget(em, target, requested, subject, options);
  }

  runBatch(em: EntityManager, target: ProvisioningTarget, orders: ProvisionOrder[]): Promise<ProvisioningEvent[]> {
    return this.provisioner.runBatch(em, target, orders);
  }

  prepare(em: EntityManager, target: ProvisioningTarget, requested: A, original: SubjectPayload, explicit: boolean): Promise<Prepared> {
    return this.provisioner.prepare(em, target, requested, original, explicit);
  }

  markQueued(em: EntityManager, target: ProvisioningTarget, subjects: { subjectType: string; id: string }[]): Promise<void> {
    return this.provisioner.markQueued(em, target, subjects);
  }

  newEvent(target: ProvisioningTarget, action: A, subject: { subjectType: string; id: string }, options: Pick<RunOptions, 'changeSeq' | 'attempt' | 'jobId'>): ProvisioningEvent {
    return this.provisioner.newEvent(target, action, subject, options);
  }

  pluginFor(em: EntityManager, target: ProvisioningTarget): { plugin: ProvisionerPlugin; context: TargetContext<unknown> } {
    return this.provisioner.pluginFor(em, target);
  }

  remoteIds(em: EntityManager, targetId: string): RemoteIdLookup {
    return this.provisioner.remoteIds(em, targetId);
  }
}
