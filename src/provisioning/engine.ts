import { LockMode } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { ChangeKind, ChangeLogEntry } from '../changelog/change-log-entry.entity';
import type { Logger } from '../observability/logger';
import type { PluginRegistry } from '../plugins/registry';
import { PermanentProvisioningError, type PendingClaim, type ProvisionerPlugin, type RemoteIdLookup, type TargetContext } from '../plugins/plugin';
import { RecordStatus } from '../registry/enums';
import { GroupMembership } from '../registry/groups/group-membership.entity';
import { PersonRole } from '../registry/people/person-role.entity';
import { OrgIdentityLink } from '../registry/sources/org-identity-link.entity';
import { ProvisioningAction as A, ProvisioningMode, SubjectType } from './actions';
import { EngineCursor } from './engine-cursor.entity';
import { Marshaller } from './marshaller';
import { subjectLabel, type GroupPayload, type PersonPayload, type SubjectPayload } from './payload';
import { recordProvisioningEvents } from './event-log';
import { isDelete, Planner, type WorkItem } from './planner';
import { ProvisionedState, ProvisioningStatus } from './provisioned-state.entity';
import { ProvisioningEvent, ProvisioningOutcome } from './provisioning-event.entity';
import { GroupSelection, ProvisioningTarget } from './provisioning-target.entity';
import type { QueuedProvisioning } from './queued-provisioning';
import { ProvisionabilityService, type ProvisionabilityChange } from '../provisionability/provisionability.service';
import { applyDataFilters } from '../data-filters/filters';
import { fenced, TargetHealth } from './health/target-health';

const CURSOR = 'provisioning';
const VALIDITY_CURSOR = 'validity';
const BATCH_ENTRIES = 500;

/** Modes that take part in automatic provisioning (spec 1.2). */
const AUTOMATIC_MODES = [ProvisioningMode.AUTOMATIC, ProvisioningMode.QUEUE, ProvisioningMode.QUEUE_ON_ERROR];

export interface RunOptions {
  changeSeq: string | null;
  attempt?: number;
  jobId?: string | null;
  /**
   * Explicit requests (provision mutation, reprovision-all) hand the plugin the subject as it is,
   * skeleton included; automatic ones turn a non-provisionable person into a delete (spec 2.7).
   */
  explicit?: boolean;
}

/**
 * Consumes the change log with a durable cursor and applies each change to every target, in
 * order. The cursor row is locked while a batch is applied, so several Ferry processes share the
 * work without applying one change twice; state, events and cursor commit together, and a crash
 * mid-batch replays it (plugins are idempotent).
 */
export class ProvisioningEngine {
  private readonly planner = new Planner();
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = false;
  private lastSweep = 0;
  private queue: QueuedProvisioning | null = null;
  private rulesChanged: ((targetId: string, organizationId: string) => void) | null = null;
  private targetChanged: ((targetId: string, changedFields: string[]) => void) | null = null;
  readonly provisionability = new ProvisionabilityService();
  targetHealth = new TargetHealth();

  constructor(
    private readonly orm: MikroORM,
    private readonly plugins: PluginRegistry,
    private readonly logger: Logger,
    readonly marshaller = new Marshaller(),
    private readonly pollIntervalMs = 1000,
    private readonly validitySweepIntervalMs = 60_000,
  ) {}

  /** Starts the background loop; it also catches up on changes made while Ferry was down. */
  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      const sweepDue = Date.now() - this.lastSweep >= this.validitySweepIntervalMs;
      this.ticking = this.drain()
        .then(() => (sweepDue && !this.stopped ? this.sweepValidity() : 0))
        .then(() => undefined)
        .catch((error) => this.logger.error({ err: error }, 'validity sweep failed; it will be retried'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.pollIntervalMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    // The tick in progress, validity sweep included: nothing of the loop runs after this returns.
    await this.ticking;
    await this.running;
  }

  /** Applies everything committed so far; concurrent callers share one run. */
  drain(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          while ((await this.applyNextChange()) > 0) {
            /* keep going until the log is consumed */
          }
        } while (this.again);
      } catch (error) {
        this.logger.error({ err: error }, 'provisioning engine batch failed; it will be retried');
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** Waits until the change with this sequence has been applied (by this or another process). */
  async settle(seq: string, timeoutMs = 30000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.drain();
      if (BigInt(await this.cursor()) >= BigInt(seq) || Date.now() > deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async cursor(): Promise<string> {
    const row = await this.orm.em.fork().findOne(EngineCursor, { name: CURSOR });
    return row?.seq ?? '0';
  }

  /** Applies the next committed transaction's changes. Returns how many entries it consumed. */
  private async applyNextChange(): Promise<number> {
    const em = this.orm.em.fork();
    return em.transactional(async (tx) => {
      await tx.execute(`insert into engine_cursor (name, seq, updated_at) values (?, 0, now()) on conflict do nothing`, [CURSOR]);
      const cursor = await tx.findOneOrFail(EngineCursor, { name: CURSOR }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const entries = await tx.find(
        ChangeLogEntry,
        { seq: { $gt: cursor.seq } },
        { orderBy: { seq: 'asc' }, limit: BATCH_ENTRIES, populate: ['transactionId'] },
      );
      if (entries.length === 0) return 0;
      // One transaction's entries are contiguous (writers serialise on the registry lock).
      const end = entries.findIndex((entry) => entry.transactionId !== entries[0].transactionId);
      const change = end === -1 ? entries : entries.slice(0, end);
      // Folder rules first: a group that became provisionable (or stopped) is provisioned to
      // (or removed from) that target, along with whatever else the change asks for.
      const provisionability = await this.provisionability.onChange(tx, change);
      const items = await this.planner.plan(tx, change);
      items.push(...this.provisionabilityItems(items, provisionability.changes));
      const produced: ProvisioningEvent[] = [];
      for (const item of items) {
        produced.push(...(await this.apply(tx, item)));
      }
      for (const target of provisionability.rulesChangedOn) this.rulesChanged?.(target.targetId, target.organizationId);
      for (const entry of change) {
        if (entry.entityType === 'ProvisioningTarget' && entry.kind !== ChangeKind.DELETED) this.targetChanged?.(entry.entityId, entry.changedFields);
      }
      await recordProvisioningEvents(tx, produced);
      cursor.seq = change[change.length - 1].seq;
      cursor.updatedAt = new Date();
      await tx.flush();
      return change.length;
    });
  }

  /**
   * Roles, memberships and identity links start and stop counting when their validity window
   * opens or closes, without any registry write. This finds the windows that opened or closed
   * since the last sweep and re-provisions the people and groups concerned (COmanage's
   * reprovisionByValidity job). Returns how many subjects it re-provisioned.
   */
  async sweepValidity(now = new Date()): Promise<number> {
    this.lastSweep = Date.now();
    const em = this.orm.em.fork();
    return em.transactional(async (tx) => {
      await tx.execute(`insert into engine_cursor (name, seq, updated_at) values (?, 0, now()) on conflict do nothing`, [VALIDITY_CURSOR]);
      const cursor = await tx.findOneOrFail(EngineCursor, { name: VALIDITY_CURSOR }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const since = cursor.updatedAt;
      const crossed = {
        $or: [{ validFrom: { $gt: since, $lte: now } }, { validThrough: { $gte: since, $lt: now } }],
      };
      const [memberships, roles, links] = await Promise.all([
        tx.find(GroupMembership, crossed),
        tx.find(PersonRole, crossed),
        tx.find(OrgIdentityLink, crossed),
      ]);
      const items = new Map<string, WorkItem>();
      const add = (subjectType: SubjectType, subjectId: string, organizationId: string) =>
        items.set(`${subjectType}:${subjectId}`, {
          subjectType,
          subjectId,
          organizationId,
          action: subjectType === SubjectType.PERSON ? A.PERSON_UPDATED : A.GROUP_UPDATED,
          changeSeq: null,
        });
      for (const row of [...memberships, ...roles, ...links]) add(SubjectType.PERSON, row.person.id, row.organization.id);
      for (const row of memberships) add(SubjectType.GROUP, row.group.id, row.organization.id);
      const produced: ProvisioningEvent[] = [];
      // People first, so groups find their members' entries.
      for (const item of [...items.values()].sort((a, b) => (a.subjectType === SubjectType.PERSON ? -1 : 1) - (b.subjectType === SubjectType.PERSON ? -1 : 1))) {
        produced.push(...(await this.apply(tx, item)));
      }
      await recordProvisioningEvents(tx, produced);
      cursor.updatedAt = now;
      await tx.flush();
      return items.size;
    });
  }

  /** Groups whose provisionability flipped on a target, unless the change provisions them anyway. */
  private provisionabilityItems(items: WorkItem[], changes: ProvisionabilityChange[]): WorkItem[] {
    const planned = new Set(items.filter((item) => item.subjectType === SubjectType.GROUP).map((item) => item.subjectId));
    const byGroup = new Map<string, WorkItem>();
    for (const change of changes) {
      if (planned.has(change.groupId)) continue;
      const item = byGroup.get(change.groupId);
      if (item) item.targetIds!.push(change.targetId);
      else {
        byGroup.set(change.groupId, {
          subjectType: SubjectType.GROUP,
          subjectId: change.groupId,
          organizationId: change.organizationId,
          action: A.GROUP_UPDATED,
          changeSeq: change.changeSeq,
          targetIds: [change.targetId],
        });
      }
    }
    return [...byGroup.values()];
  }

  /** Called with a target whose folder rules changed (the full recalculation job schedules itself). */
  onRulesChanged(listener: (targetId: string, organizationId: string) => void): void {
    this.rulesChanged = listener;
  }

  /** Called, while the change is applied, with each target created or updated and the fields that changed. */
  onTargetChanged(listener: (targetId: string, changedFields: string[]) => void): void {
    this.targetChanged = listener;
  }

  /** Applies one work item to every target that takes part, in target order. */
  async apply(em: EntityManager, item: WorkItem): Promise<ProvisioningEvent[]> {
    const modes = item.enrollment ? [...AUTOMATIC_MODES, ProvisioningMode.ENROLLMENT] : AUTOMATIC_MODES;
    const targets = await em.find(
      ProvisioningTarget,
      { organization: item.organizationId, mode: { $in: modes }, ...(item.targetIds ? { id: { $in: item.targetIds } } : {}) },
      { orderBy: { order: 'asc', id: 'asc' }, populate: ['secrets'] },
    );
    // Building a payload is the costly part: skip it when no target takes part.
    if (targets.length === 0) return [];
    const subject = item.snapshot ?? (await this.load(em, item.subjectType, item.subjectId));
    if (!subject) return []; // gone since; its delete is (or was) its own change-log entry
    // Deletes (and people or groups on their way out) go to the targets in reverse order (CO-1356).
    const reverse =
      isDelete(item.action) ||
      (subject.subjectType === 'PERSON' && subject.skeleton) ||
      (subject.subjectType === 'GROUP' && subject.status !== RecordStatus.ACTIVE);
    if (reverse) targets.reverse();
    const events: ProvisioningEvent[] = [];
    for (const target of targets) {
      events.push(await this.applyToTarget(em, target, item, subject));
    }
    return events;
  }

  /** Inline for Automatic and Queue On Error targets, as a job for Queue targets (spec 2.5). */
  private async applyToTarget(em: EntityManager, target: ProvisioningTarget, item: WorkItem, subject: SubjectPayload) {
    const snapshot = item.snapshot !== undefined;
    if (target.mode === ProvisioningMode.QUEUE && this.queue) {
      const { action } = effectiveAction(target, item.action, subject, false);
      return this.queue.enqueue(em, target, action, subject, { changeSeq: item.changeSeq, snapshot });
    }
    const event = await this.runOnTarget(em, target, item.action, subject, { changeSeq: item.changeSeq });
    if (target.mode === ProvisioningMode.QUEUE_ON_ERROR && this.queue && event.outcome === ProvisioningOutcome.FAILED) {
      const retry = await this.queue.retryLater(em, target, event, subject, snapshot);
      if (retry) {
        event.outcome = ProvisioningOutcome.RETRY_SCHEDULED;
        event.detail = retry.detail;
        event.jobId = retry.jobId;
      }
    }
    return event;
  }

  /** Connects the job queue: from then on Queue and Queue On Error targets use it. */
  attachQueue(queue: QueuedProvisioning): void {
    this.queue = queue;
  }

  load(em: EntityManager, subjectType: SubjectType, subjectId: string): Promise<SubjectPayload | null> {
    if (subjectType === SubjectType.PERSON) return this.marshaller.person(em, subjectId);
    if (subjectType === SubjectType.GROUP) return this.marshaller.group(em, subjectId);
    return this.marshaller.service(em, subjectId);
  }

  /**
   * One subject on one target: decide the effective action, call the plugin, update the state.
   * A failing target never throws: the failure is in the event, and the other targets go on.
   * The event is returned unsaved: the caller stores its transaction's events last, with
   * recordProvisioningEvents.
   */
  async runOnTarget(
    em: EntityManager,
    target: ProvisioningTarget,
    requested: A,
    subject: SubjectPayload,
    options: RunOptions,
  ): Promise<ProvisioningEvent> {
    const prepared = await this.prepare(em, target, requested, subject, options.explicit ?? false);
    const { action, reason, skip } = prepared;
    subject = prepared.subject;
    const subjectType = SubjectType[subject.subjectType];
    const state = await this.lockState(em, target, subjectType, subject.id);
    const event = this.newEvent(target, action, subject, options);

    if (skip) {
      event.outcome = ProvisioningOutcome.SKIPPED;
      event.detail = reason;
      return event;
    }
    if (prepared.error) {
      // A filter that throws fails this target only; the plugin is not called.
      event.outcome = ProvisioningOutcome.FAILED;
      event.error = prepared.error;
      return event;
    }

    const pendingClaim = await this.pendingClaim(em, target.id, subjectType, subject.id);
    if (isDelete(action) && !state.remoteId && !pendingClaim && state.status !== ProvisioningStatus.FAILED && !options.explicit) {
      // Never provisioned here: nothing to delete (spec D9/D13: never guess at an entry).
      event.outcome = ProvisioningOutcome.SKIPPED;
      event.detail = reason ? `${reason}; not provisioned on this target` : 'not provisioned on this target';
      return event;
    }

    const started = performance.now();
    const record = state;
    record.lastAttemptAt = new Date();
    record.lastAction = action;
    let claimed = pendingClaim !== null;
    try {
      const { plugin, context } = this.pluginFor(em, target);
      // Through the target's circuit and within the call's time limit: a call past its limit
      // fails as transient (its claim stays) and can no longer claim or look up anything.
      const result = await this.targetHealth.call(target.id, context.config, (fence) =>
        plugin.provision(fenced(context, fence), {
          action,
          subject,
          remoteId: record.remoteId,
          remoteKey: record.remoteKey,
          pendingClaim,
          claim: async (remoteId) => {
            fence.check();
            await this.claim(target.id, subjectType, subject.id, remoteId);
            claimed = true;
          },
        }),
      );
      if (result.remoteKey !== undefined) record.remoteKey = result.remoteId ? result.remoteKey : null;
      else if (result.remoteId !== record.remoteId) record.remoteKey = null;
      record.remoteId = result.remoteId;
      record.status = result.remoteId && !isDelete(action) ? ProvisioningStatus.PROVISIONED : ProvisioningStatus.NOT_PROVISIONED;
      record.lastSuccessAt = new Date();
      record.lastError = null;
      event.outcome = ProvisioningOutcome.SUCCEEDED;
      event.detail = reason ? `${reason}: ${result.detail}` : result.detail;
      if (claimed) await this.settleClaim(em, target.id, subjectType, subject.id);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // A permanent failure says the claimed object was not created; a transient one may hide a
      // create the target applied, so its claim stays for the next attempt.
      if (claimed && (error as { transient?: boolean }).transient !== true) await this.settleClaim(em, target.id, subjectType, subject.id);
      record.status = ProvisioningStatus.FAILED;
      record.lastError = message;
      event.outcome = ProvisioningOutcome.FAILED;
      event.error = message;
      event.retryable = (error as { transient?: boolean }).transient === true;
      event.retryAfterMs = (error as { retryAfterMs?: number | null }).retryAfterMs ?? null;
      event.detail = reason ?? null;
      this.logger.warn({ target: target.name, subjectId: subject.id, action, err: message }, 'provisioning failed');
    } finally {
      event.durationMs = Math.round(performance.now() - started);
    }
    return event;
  }

  /** The claim an earlier attempt left for this subject on this target, if any. */
  private async pendingClaim(em: EntityManager, targetId: string, subjectType: SubjectType, subjectId: string): Promise<PendingClaim | null> {
    const rows: { remote_id: string; claimed_at: Date }[] = await em.execute(
      'select remote_id, claimed_at from provisioning_claim where target_id = ? and subject_type = ? and subject_id = ?',
      [targetId, subjectType, subjectId],
    );
    return rows[0] ? { remoteId: rows[0].remote_id, since: new Date(rows[0].claimed_at) } : null;
  }

  /**
   * Commits the claim at once, on a connection of its own: it must outlive the transaction the
   * plugin is called in, which a crash rolls back. The subject's state row, which that
   * transaction holds locked, is not touched, so the two cannot wait on each other.
   */
  private async claim(targetId: string, subjectType: SubjectType, subjectId: string, remoteId: string): Promise<void> {
    await this.orm.em.fork().getConnection().execute(
      `insert into provisioning_claim (target_id, subject_type, subject_id, remote_id, claimed_at) values (?, ?, ?, ?, now())
       on conflict (target_id, subject_type, subject_id) do update set remote_id = excluded.remote_id, claimed_at = excluded.claimed_at`,
      [targetId, subjectType, subjectId, remoteId],
    );
  }

  /** Drops the claim with the result that settles it, in the result's transaction. */
  private async settleClaim(em: EntityManager, targetId: string, subjectType: SubjectType, subjectId: string): Promise<void> {
    await em.execute('delete from provisioning_claim where target_id = ? and subject_type = ? and subject_id = ?', [targetId, subjectType, subjectId]);
  }

  /**
   * The subject's state row on the target, created if missing and locked for the rest of the
   * transaction. The lock is what keeps the engine and job workers (in any process) from working
   * on one subject for one target at the same time, and from racing to create the row.
   */
  async lockState(em: EntityManager, target: ProvisioningTarget, subjectType: SubjectType, subjectId: string): Promise<ProvisionedState> {
    await em.execute(
      `insert into provisioned_state (id, created_at, updated_at, target_id, organization_id, subject_type, subject_id, status)
       values (?, now(), now(), ?, ?, ?, ?, ?) on conflict (target_id, subject_type, subject_id) do nothing`,
      [uuidv7(), target.id, target.organization.id, subjectType, subjectId, ProvisioningStatus.NOT_PROVISIONED],
    );
    return em.findOneOrFail(
      ProvisionedState,
      { target: target.id, subjectType, subjectId },
      { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
    );
  }

  /**
   * Everything decided before the plugin is called, in order: the target's view of the person's
   * groups, the effective action (status rules, provisioning group, skipped source, folder
   * rules) and the data filters. Provisioning, preview and reconciliation all start here.
   */
  async prepare(
    em: EntityManager,
    target: ProvisioningTarget,
    requested: A,
    original: SubjectPayload,
    explicit: boolean,
  ): Promise<{ subject: SubjectPayload; action: A; reason: string | null; skip: boolean; error: string | null }> {
    const subject = await this.withTargetGroups(em, target, original);
    const groupRule =
      target.groupSelection === GroupSelection.FOLDER_RULES && subject.subjectType === 'GROUP'
        ? await this.provisionability.stored(em, target.id, subject.id)
        : null;
    const decided = effectiveAction(target, requested, subject, explicit, groupRule);
    const filtered = this.filter(target, decided.action, subject);
    if (filtered.excluded) return { subject: filtered.subject, action: deleteOf(subject), reason: filtered.excluded, skip: false, error: null };
    return { subject: filtered.subject, action: decided.action, reason: decided.reason, skip: decided.skip ?? false, error: filtered.error };
  }

  /**
   * The target's data filters, for what is still sent (deletes go out as they are). Returns the
   * filtered subject, the reason if a filter excluded it, or the error if one threw.
   */
  private filter(target: ProvisioningTarget, action: A, subject: SubjectPayload): { subject: SubjectPayload; excluded: string | null; error: string | null } {
    if (isDelete(action) || target.dataFilters.length === 0) return { subject, excluded: null, error: null };
    try {
      const result = applyDataFilters(target.dataFilters, subject);
      return { subject: result.subject, excluded: result.excluded, error: null };
    } catch (error) {
      return { subject, excluded: null, error: `data filter failed: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  /**
   * On a folder-rules target a person's memberships list only the groups provisionable there
   * (isMemberOf and the like must not name groups the target does not have).
   */
  private async withTargetGroups(em: EntityManager, target: ProvisioningTarget, subject: SubjectPayload): Promise<SubjectPayload> {
    if (target.groupSelection !== GroupSelection.FOLDER_RULES || subject.subjectType !== 'PERSON' || subject.skeleton) return subject;
    const allowed = await this.provisionability.provisionableAmong(em, target.id, subject.memberships.map((m) => m.groupId));
    return { ...subject, memberships: subject.memberships.filter((m) => allowed.has(m.groupId)) };
  }

  /** An event about a subject on a target, not yet persisted (its outcome is set by the caller). */
  newEvent(
    target: ProvisioningTarget,
    action: A,
    subject: { subjectType: string; id: string },
    options: Pick<RunOptions, 'changeSeq' | 'attempt' | 'jobId'>,
  ): ProvisioningEvent {
    const event = new ProvisioningEvent();
    Object.assign(event, {
      organizationId: target.organization.id,
      targetId: target.id,
      targetName: target.name,
      subjectType: subject.subjectType as SubjectType,
      subjectId: subject.id,
      subjectLabel: subjectLabel(subject),
      action,
      changeSeq: options.changeSeq,
      attempt: options.attempt ?? 1,
      jobId: options.jobId ?? null,
    });
    return event;
  }

  /** Circuit breakers and call time limits (the settings come from the environment). */
  useTargetHealth(health: TargetHealth): void {
    this.targetHealth = health;
  }

  /** The target's plugin and what it is told about the target (secrets must be loaded). */
  pluginFor(em: EntityManager, target: ProvisioningTarget): { plugin: ProvisionerPlugin; context: TargetContext<unknown> } {
    const plugin = this.plugins.get(target.plugin);
    const config = plugin.configSchema.parse({ ...target.config, ...target.secrets });
    try {
      // Also here: the allow-list may have been narrowed since the target was saved.
      this.plugins.assertUrlsAllowed(plugin, config as Record<string, unknown>);
    } catch (error) {
      throw new PermanentProvisioningError((error as Error).message);
    }
    return {
      plugin,
      context: {
        targetId: target.id,
        targetName: target.name,
        organizationId: target.organization.id,
        config,
        remoteIds: this.remoteIds(em, target.id),
        logger: this.logger.child({ target: target.name }),
        outbound: this.plugins.outbound,
      },
    };
  }

  /** Identifiers stored for this target only (spec D10: never another target's DNs). */
  remoteIds(em: EntityManager, targetId: string): RemoteIdLookup {
    const getMany = async (subjectType: SubjectType, subjectIds: string[]) => {
      if (subjectIds.length === 0) return new Map<string, string>();
      const rows = await em.find(
        ProvisionedState,
        { target: targetId, subjectType, subjectId: { $in: subjectIds }, remoteId: { $ne: null } },
        { fields: ['subjectId', 'remoteId'] },
      );
      return new Map(rows.map((row) => [row.subjectId, row.remoteId!]));
    };
    return {
      getMany,
      get: async (subjectType, subjectId) => (await getMany(subjectType, [subjectId])).get(subjectId) ?? null,
      holderOfKey: async (subjectType, remoteKey) => {
        const rows: { subject_id: string }[] = await em.execute(
          'select subject_id from provisioned_state where target_id = ? and subject_type = ? and remote_key = ? limit 1',
          [targetId, subjectType, remoteKey],
        );
        return rows[0]?.subject_id ?? null;
      },
    };
  }
}

/**
 * The action a target actually gets (spec 2.4, 2.6 with the [R] fixes): non-provisionable people
 * are deleted, the provisioning group turns non-members into deletes, and people from the
 * skipped identity source are deleted (not "group deleted", D2).
 */
export function effectiveAction(
  target: ProvisioningTarget,
  requested: A,
  subject: SubjectPayload,
  explicit: boolean,
  groupRule: { provisionable: boolean; explanation: string } | null = null,
): { action: A; reason: string | null; skip?: boolean } {
  if (isDelete(requested)) return { action: requested, reason: null };
  if (groupRule && !groupRule.provisionable) {
    // Folder rules (Grouper model): a group that is not provisionable here is removed, or left
    // alone when the target keeps groups that are merely no longer provisionable.
    const reason = `not provisionable on this target: ${groupRule.explanation}`;
    if (target.keepUnprovisionableGroups) return { action: requested, reason: `${reason}; the target keeps such groups`, skip: true };
    return { action: A.GROUP_DELETED, reason };
  }
  if (subject.subjectType === 'PERSON') {
    const person = subject as PersonPayload;
    if (person.skeleton && !explicit) return { action: A.PERSON_DELETED, reason: `status ${person.status} is not provisioned` };
    const groupId = target.provisioningGroup?.id;
    if (groupId && !person.memberships.some((m) => m.groupId === groupId && (m.member || m.owner))) {
      return { action: A.PERSON_DELETED, reason: 'not in provisioning group' };
    }
    const sourceId = target.skipIfFromSource?.id;
    if (sourceId && person.orgIdentityLinks.some((link) => link.sourceId === sourceId)) {
      return { action: A.PERSON_DELETED, reason: 'linked to the skipped identity source' };
    }
  }
  if (subject.subjectType === 'GROUP') {
    const group = subject as GroupPayload;
    const groupId = target.provisioningGroup?.id;
    if (groupId && group.id !== groupId) return { action: A.GROUP_DELETED, reason: 'not the provisioning group' };
  }
  return { action: requested, reason: null };
}

const deleteOf = (subject: SubjectPayload): A =>
  subject.subjectType === 'PERSON' ? A.PERSON_DELETED : subject.subjectType === 'GROUP' ? A.GROUP_DELETED : A.SERVICE_DELETED;
