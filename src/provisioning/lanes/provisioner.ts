import { sqlRows } from '../../db/sql';
import { v7 as uuidv7 } from 'uuid';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../../observability/logger';
import type { PluginRegistry } from '../../plugins/registry';
import {
  PermanentProvisioningError,
  type PendingClaim,
  type ProvisionBatch,
  type ProvisionerPlugin,
  type ProvisionRequest,
  type RemoteIdLookup,
  type TargetContext,
} from '../../plugins/plugin';
import { provisionEachOf } from '../../plugins/batch';
import { applyDataFilters } from '../../data-filters/filters';
import type { ProvisionabilityEngine } from '../../provisionability/provisionability.engine';
import { ProvisioningAction as A, SubjectType } from '../actions';
import { subjectLabel, type SubjectPayload } from '../payload';
import { ProvisioningStatus } from '../provisioned-state.entity';
import { ProvisioningEvent, ProvisioningOutcome } from '../provisioning-event.entity';
import { GroupSelection, type ProvisioningTarget } from '../provisioning-target.entity';
import { fenced, TargetHealth } from '../health/target-health';
import { inChildSpan } from '../../observability/spans';
import { ClaimWriter } from './claims';
import { recordMembers, writtenMembers, type MembersRecord } from './written-members';
import { deleteOf, effectiveAction, isDelete } from './decisions';

/** One subject for one target, as any caller asks for it (lane, job, explicit request, fix). */
export interface ProvisionOrder {
  action: A;
  subject: SubjectPayload;
  changeSeq: string | null;
  attempt?: number;
  jobId?: string | null;
  /**
   * Explicit requests (provision mutation, reprovision-all) hand the plugin the subject as it is,
   * skeleton included; automatic ones turn a non-provisionable person into a delete (spec 2.7).
   */
  explicit?: boolean;
}

export type RunOptions = Omit<ProvisionOrder, 'action' | 'subject'>;

export interface Prepared {
  subject: SubjectPayload;
  action: A;
  reason: string | null;
  skip: boolean;
  error: string | null;
}

/** A state row as locked for a batch (plain, written back in one statement). */
interface StateRow {
  id: string;
  subject_type: SubjectType;
  subject_id: string;
  status: ProvisioningStatus;
  remote_id: string | null;
  remote_key: string | null;
}

/** What one order ends as, before it is written back. */
interface Outcome {
  state: StateRow;
  attemptedAt: Date;
  succeeded: boolean;
  action: A;
  error: string | null;
}

/** Calls a plugin makes at once for one target when neither the target nor the plugin says. */
export const FALLBACK_CONCURRENCY = 1;

/**
 * Provisions subjects on one target: decides the effective action, locks the subjects' state rows
 * (one statement), calls the plugin for the whole batch with the target's concurrency, and writes
 * the states back (one statement). Every path that provisions goes through `runBatch`: the lanes,
 * queued jobs and their retries, explicit requests, reprovision-all, reconciliation fixes and the
 * provisionability recalculation. A failing call never throws: its failure is in its event, and
 * the rest of the batch goes on. Events are returned unsaved: the caller stores its transaction's
 * events last, with recordProvisioningEvents.
 */
export class Provisioner {
  /** Claims are committed on their own connection, the claims of concurrent calls in one statement. */
  private readonly claims: ClaimWriter;

  constructor(
    orm: MikroORM,
    private readonly plugins: PluginRegistry,
    private readonly provisionability: ProvisionabilityEngine,
    private readonly logger: Logger,
    /** Circuit breakers and call time limits (the settings come from the environment). */
    readonly targetHealth: TargetHealth = new TargetHealth(),
  ) {
    this.claims = new ClaimWriter(orm);
  }

  /** How many calls the target takes at once: its own setting, else its plugin's default. */
  concurrencyOf(target: Pick<ProvisioningTarget, 'plugin' | 'concurrency'>): number {
    if (target.concurrency) return target.concurrency;
    return this.plugins.find(target.plugin)?.defaultConcurrency ?? FALLBACK_CONCURRENCY;
  }

  async runOnTarget(em: EntityManager, target: ProvisioningTarget, requested: A, subject: SubjectPayload, options: RunOptions): Promise<ProvisioningEvent> {
    const [event] = await this.runBatch(em, target, [{ ...options, action: requested, subject }]);
    return event;
  }

  /** The orders of one target, in one transaction; returns one event per order, in order. */
  async runBatch(em: EntityManager, target: ProvisioningTarget, orders: ProvisionOrder[]): Promise<ProvisioningEvent[]> {
    if (orders.length === 0) return [];
    const prepared: Prepared[] = [];
    for (const order of orders) prepared.push(await this.prepare(em, target, order.action, order.subject, order.explicit ?? false));
    const { states, claims } = await this.lockStates(em, target, prepared.map((p) => p.subject));
    const events = orders.map((order, i) => this.newEvent(target, prepared[i].action, prepared[i].subject, order));

    // Decide, without the target, which orders go out.
    const takesLists = prepared.some((p) => p.subject.subjectType === 'EMAIL_LIST') && this.takesEmailLists(target);
    const calls: number[] = [];
    orders.forEach((order, i) => {
      const { action, reason, skip, error, subject } = prepared[i];
      const event = events[i];
      const state = states.get(key(subject))!;
      if (subject.subjectType === 'EMAIL_LIST' && !takesLists) {
        // The target's plugin does not provision email lists (README, "Email lists"): nothing is
        // sent; an explicit request records why, an automatic change records nothing (no noise).
        event.outcome = ProvisioningOutcome.SKIPPED;
        event.detail = NO_EMAIL_LISTS;
        event.unrecorded = !order.explicit;
      } else if (error && !skip) {
        // A filter that throws fails this target only; the plugin is not called.
        event.outcome = ProvisioningOutcome.FAILED;
        event.error = error;
      } else if (quietOnFolderRules(target, subject, action, skip, order.explicit ?? false) && !inTarget(state, claims.has(key(subject)))) {
        // A group that is not provisionable on this folder-rules target and is not there: nothing
        // changed for this target, so no event is stored (it would be noise on every change).
        event.outcome = ProvisioningOutcome.SKIPPED;
        event.detail = reason;
        event.unrecorded = true;
      } else if (skip) {
        event.outcome = ProvisioningOutcome.SKIPPED;
        event.detail = reason;
      } else if (isDelete(action) && !inTarget(state, claims.has(key(subject))) && !order.explicit) {
        // Never provisioned here: nothing to delete (spec D9/D13: never guess at an entry).
        event.outcome = ProvisioningOutcome.SKIPPED;
        event.detail = reason ? `${reason}; not provisioned on this target` : 'not provisioned on this target';
      } else calls.push(i);
    });
    if (calls.length === 0) return events;

    const settledClaims: { subjectType: SubjectType; subjectId: string }[] = [];
    const memberRecords: MembersRecord[] = [];
    const outcomes: Outcome[] = [];
    let plugin: ProvisionerPlugin;
    let context: TargetContext<unknown>;
    try {
      ({ plugin, context } = this.pluginFor(em, target));
    } catch (error) {
      for (const i of calls) this.fail(events[i], prepared[i], states.get(key(prepared[i].subject))!, error, 0, outcomes);
      await this.writeStates(em, outcomes);
      return events;
    }
    const claimed = new Set<string>();
    const requests = calls.map((i): ProvisionRequest => {
      const { subject, action } = prepared[i];
      const state = states.get(key(subject))!;
      const pendingClaim = claims.get(key(subject)) ?? null;
      if (pendingClaim) claimed.add(key(subject));
      return { action, subject, remoteId: state.remote_id, remoteKey: state.remote_key, pendingClaim };
    });
    const attemptedAt = new Date();
    const took: number[] = requests.map(() => 0);
    const batch: ProvisionBatch<unknown> = {
      requests,
      concurrency: this.concurrencyOf(target),
      // Through the target's circuit and within the call's time limit: a call past its limit
      // fails as transient (its claim stays) and can no longer claim or look up anything.
      call: async (index, work) => {
        const request = requests[index];
        const started = performance.now();
        const attributes = { 'ferry.plugin': plugin.name, 'ferry.target.id': target.id, 'ferry.target.name': target.name, 'ferry.action': request.action, 'ferry.subject.type': request.subject.subjectType, 'ferry.subject.id': request.subject.id };
        try {
          return await inChildSpan(`ferry.provision ${plugin.name}`, attributes, () =>
            this.targetHealth.call(target.id, context.config, (fence) =>
              work(fenced(context, fence), {
                ...request,
                claim: async (remoteId) => {
                  fence.check();
                  await this.claims.claim({ targetId: target.id, subjectType: SubjectType[request.subject.subjectType], subjectId: request.subject.id, remoteId });
                  claimed.add(key(request.subject));
                },
              }),
            ),
          );
        } finally {
          took[index] = performance.now() - started;
        }
      },
    };
    // The plugin's own batch call, or its single call for each request, `concurrency` at a time.
    const results = await (plugin.provisionBatch ? plugin.provisionBatch(context, batch) : provisionEachOf(plugin, batch));
    calls.forEach((i, n) => {
      const outcome = results[n] ?? { ok: false, error: new Error('the plugin returned no outcome for this request') };
      const { subject, action, reason } = prepared[i];
      const state = states.get(key(subject))!;
      const event = events[i];
      event.durationMs = Math.round(took[n]);
      event.calledPlugin = plugin.name;
      if (outcome.ok) {
        const { result } = outcome;
        if (result.remoteKey !== undefined) state.remote_key = result.remoteId ? result.remoteKey : null;
        else if (result.remoteId !== state.remote_id) state.remote_key = null;
        state.remote_id = result.remoteId;
        state.status = result.remoteId && !isDelete(action) ? ProvisioningStatus.PROVISIONED : ProvisioningStatus.NOT_PROVISIONED;
        outcomes.push({ state, attemptedAt, succeeded: true, action, error: null });
        event.outcome = ProvisioningOutcome.SUCCEEDED;
        event.detail = reason ? `${reason}: ${result.detail}` : result.detail;
        if (claimed.has(key(subject))) settledClaims.push({ subjectType: SubjectType[subject.subjectType], subjectId: subject.id });
        if (subject.subjectType === 'GROUP' && (!result.remoteId || result.members !== undefined)) {
          memberRecords.push({ groupId: subject.id, members: result.remoteId ? (result.members ?? []) : null });
        }
        for (const groupId of result.remoteId ? (result.addedToGroups ?? []) : []) memberRecords.push({ groupId, added: result.remoteId! });
      } else {
        // A permanent failure says the claimed object was not created; a transient one may hide a
        // create the target applied, so its claim stays for the next attempt.
        if (claimed.has(key(subject)) && (outcome.error as { transient?: boolean }).transient !== true) {
          settledClaims.push({ subjectType: SubjectType[subject.subjectType], subjectId: subject.id });
        }
        this.fail(event, prepared[i], state, outcome.error, took[n], outcomes, attemptedAt);
        this.logger.warn({ target: target.name, subjectId: subject.id, action, err: event.error }, 'provisioning failed');
      }
    });
    await this.writeStates(em, outcomes);
    await this.settleClaims(em, target.id, settledClaims);
    await recordMembers(em, target.id, memberRecords);
    return events;
  }

  /**
   * Fails the orders of a target whose circuit refuses calls, without building their payloads: the
   * refusal is each one's failure (transient), except deletes of subjects never provisioned there,
   * which are skipped as always. States in one statement, as for a batch that was called.
   */
  async refuseBatch(em: EntityManager, target: ProvisioningTarget, orders: { action: A; subject: { subjectType: string; id: string }; changeSeq: string | null }[], refusal: Error): Promise<ProvisioningEvent[]> {
    if (orders.length === 0) return [];
    const { states, claims } = await this.lockStates(em, target, orders.map((o) => o.subject));
    const outcomes: Outcome[] = [];
    const attemptedAt = new Date();
    const events = orders.map((order) => {
      const event = this.newEvent(target, order.action, order.subject, order, null);
      const state = states.get(key(order.subject))!;
      if (isDelete(order.action) && !state.remote_id && !claims.has(key(order.subject)) && state.status !== ProvisioningStatus.FAILED) {
        event.outcome = ProvisioningOutcome.SKIPPED;
        event.detail = 'not provisioned on this target';
      } else {
        this.fail(event, { action: order.action, reason: null } as Prepared, state, refusal, 0, outcomes, attemptedAt);
      }
      return event;
    });
    await this.writeStates(em, outcomes);
    return events;
  }

  private fail(event: ProvisioningEvent, prepared: Prepared, state: StateRow, error: unknown, ms: number, outcomes: Outcome[], attemptedAt = new Date()): void {
    const message = error instanceof Error ? error.message : String(error);
    state.status = ProvisioningStatus.FAILED;
    outcomes.push({ state, attemptedAt, succeeded: false, action: prepared.action, error: message });
    event.outcome = ProvisioningOutcome.FAILED;
    event.error = message;
    event.retryable = (error as { transient?: boolean }).transient === true;
    event.retryAfterMs = (error as { retryAfterMs?: number | null }).retryAfterMs ?? null;
    event.detail = prepared.reason ?? null;
    event.durationMs = Math.round(ms);
  }

  /**
   * The subjects' state rows on the target, created if missing and locked for the rest of the
   * transaction, in two statements for the whole batch (in subject order, so two batches never
   * wait on each other in a cycle), with the claims earlier attempts left for them. The lock
   * keeps lanes, job workers and explicit requests (in any process) from working on one subject
   * for one target at the same time.
   */
  private async lockStates(
    em: EntityManager,
    target: ProvisioningTarget,
    subjects: { subjectType: string; id: string }[],
  ): Promise<{ states: Map<string, StateRow>; claims: Map<string, PendingClaim> }> {
    await this.insertStates(em, target, subjects, ProvisioningStatus.NOT_PROVISIONED, 'keep');
    const rows: (StateRow & { claim_remote_id: string | null; claimed_at: Date | null })[] = await sqlRows(em,
      `select s.id, s.subject_type, s.subject_id, s.status, s.remote_id, s.remote_key, c.remote_id as claim_remote_id, c.claimed_at
         from provisioned_state s join unnest(?::text[], ?::uuid[]) as v(subject_type, subject_id)
           on s.subject_type = v.subject_type::subject_type and s.subject_id = v.subject_id
         left join provisioning_claim c on c.target_id = s.target_id and c.subject_type = s.subject_type and c.subject_id = s.subject_id
        where s.target_id = ?
        order by s.subject_id
        for update of s`,
      [subjects.map((s) => s.subjectType), subjects.map((s) => s.id), target.id],
    );
    const states = new Map<string, StateRow>();
    const claims = new Map<string, PendingClaim>();
    for (const { claim_remote_id: remoteId, claimed_at: claimedAt, ...state } of rows) {
      const subject = `${state.subject_type}:${state.subject_id}`;
      states.set(subject, state);
      if (remoteId !== null) claims.set(subject, { remoteId, since: new Date(claimedAt!) });
    }
    return { states, claims };
  }

  /**
   * Creates the subjects' missing state rows with `status`, in subject order; rows that exist
   * keep their status, or take `status` too.
   */
  private async insertStates(
    em: EntityManager,
    target: ProvisioningTarget,
    subjects: { subjectType: string; id: string }[],
    status: ProvisioningStatus,
    existing: 'keep' | 'overwrite',
  ): Promise<void> {
    const onConflict = existing === 'keep' ? 'do nothing' : 'do update set status = excluded.status, updated_at = now()';
    await sqlRows(em,
      `insert into provisioned_state (id, created_at, updated_at, target_id, organization_id, subject_type, subject_id, status)
       select v.id, now(), now(), ?, ?, v.subject_type::subject_type, v.subject_id, ?
         from unnest(?::uuid[], ?::text[], ?::uuid[]) as v(id, subject_type, subject_id)
       order by v.subject_id
       on conflict (target_id, subject_type, subject_id) ${onConflict}`,
      [target.id, target.organization.id, status, subjects.map(() => uuidv7()), subjects.map((s) => s.subjectType), subjects.map((s) => s.id)],
    );
  }

  /** Writes the batch's states back in one statement. */
  private async writeStates(em: EntityManager, outcomes: Outcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    await sqlRows(em,
      `update provisioned_state s set
          status = v.status::provisioning_status, remote_id = v.remote_id, remote_key = v.remote_key,
          last_action = v.action::provisioning_action, last_attempt_at = v.attempted_at,
          last_success_at = case when v.succeeded then v.attempted_at else s.last_success_at end,
          last_error = v.error, updated_at = now()
         from unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[], ?::timestamptz[], ?::boolean[], ?::text[])
           as v(id, status, remote_id, remote_key, action, attempted_at, succeeded, error)
        where s.id = v.id`,
      [
        outcomes.map((o) => o.state.id),
        outcomes.map((o) => o.state.status),
        outcomes.map((o) => o.state.remote_id),
        outcomes.map((o) => o.state.remote_key),
        outcomes.map((o) => o.action),
        outcomes.map((o) => o.attemptedAt.toISOString()),
        outcomes.map((o) => o.succeeded),
        outcomes.map((o) => o.error),
      ],
    );
  }

  /** Drops the claims the batch's results settle, in the results' transaction. */
  private async settleClaims(em: EntityManager, targetId: string, subjects: { subjectType: SubjectType; subjectId: string }[]): Promise<void> {
    if (subjects.length === 0) return;
    await sqlRows(em,
      `delete from provisioning_claim c using unnest(?::text[], ?::uuid[]) as v(subject_type, subject_id)
        where c.target_id = ? and c.subject_type = v.subject_type::subject_type and c.subject_id = v.subject_id`,
      [subjects.map((s) => s.subjectType), subjects.map((s) => s.subjectId), targetId],
    );
  }

  /** Marks the subjects QUEUED on the target (state rows created where missing), in one statement. */
  async markQueued(em: EntityManager, target: ProvisioningTarget, subjects: { subjectType: string; id: string }[]): Promise<void> {
    if (subjects.length > 0) await this.insertStates(em, target, subjects, ProvisioningStatus.QUEUED, 'overwrite');
  }

  /**
   * Everything decided before the plugin is called, in order: the target's view of the person's
   * groups, the effective action (status rules, provisioning group, skipped source, folder
   * rules) and the data filters. Provisioning, preview and reconciliation all start here.
   */
  async prepare(em: EntityManager, target: ProvisioningTarget, requested: A, original: SubjectPayload, explicit: boolean): Promise<Prepared> {
    const subject = await this.withTargetGroups(em, target, original);
    const groupRule =
      target.groupSelection === GroupSelection.FOLDER_RULES && subject.subjectType === 'GROUP' ? await this.provisionability.stored(em, target.id, subject.id) : null;
    const decided = effectiveAction(target, requested, subject, explicit, groupRule);
    // Data filters are about people and groups: an email list goes as it is.
    if (subject.subjectType === 'EMAIL_LIST') return { subject, action: decided.action, reason: decided.reason, skip: false, error: null };
    const filtered = filter(target, decided.action, subject);
    if (filtered.excluded) return { subject: filtered.subject, action: deleteOf(subject), reason: filtered.excluded, skip: false, error: null };
    return { subject: filtered.subject, action: decided.action, reason: decided.reason, skip: decided.skip ?? false, error: filtered.error };
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
    target: Pick<ProvisioningTarget, 'id' | 'name' | 'organization'>,
    action: A,
    subject: { subjectType: string; id: string },
    options: Pick<RunOptions, 'changeSeq' | 'attempt' | 'jobId'>,
    label: string | null = subjectLabel(subject),
  ): ProvisioningEvent {
    const event = new ProvisioningEvent();
    Object.assign(event, {
      organizationId: target.organization.id,
      targetId: target.id,
      targetName: target.name,
      subjectType: subject.subjectType as SubjectType,
      subjectId: subject.id,
      subjectLabel: label,
      action,
      changeSeq: options.changeSeq,
      attempt: options.attempt ?? 1,
      jobId: options.jobId ?? null,
    });
    return event;
  }

  /**
   * Whether the target's plugin provisions email lists with the target's configuration
   * (`provisionsEmailLists`). A configuration that does not parse counts as yes: the call then
   * fails with the reason, as any other would.
   */
  takesEmailLists(target: ProvisioningTarget): boolean {
    const plugin = this.plugins.find(target.plugin);
    if (!plugin?.provisionsEmailLists) return false;
    const parsed = plugin.configSchema.safeParse({ ...target.config, ...target.secrets });
    return parsed.success ? plugin.provisionsEmailLists(parsed.data) : true;
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
        writtenMembers: writtenMembers(em, target.id),
        logger: this.logger.child({ target: target.name }),
        outbound: this.plugins.outbound,
      },
    };
  }

  /** Identifiers stored for this target only (spec D10: never another target's DNs). */
  remoteIds(em: EntityManager, targetId: string): RemoteIdLookup {
    const getMany = async (subjectType: SubjectType, subjectIds: string[]) => {
      if (subjectIds.length === 0) return new Map<string, string>();
      const rows: { subject_id: string; remote_id: string }[] = await sqlRows(em,
        'select subject_id, remote_id from provisioned_state where target_id = ? and subject_type = ? and subject_id = any(?::uuid[]) and remote_id is not null',
        [targetId, subjectType, subjectIds],
      );
      return new Map(rows.map((row) => [row.subject_id, row.remote_id]));
    };
    return {
      getMany,
      get: async (subjectType, subjectId) => (await getMany(subjectType, [subjectId])).get(subjectId) ?? null,
      holderOfKey: async (subjectType, remoteKey) => {
        const rows: { subject_id: string }[] = await sqlRows(em,
          'select subject_id from provisioned_state where target_id = ? and subject_type = ? and remote_key = ? limit 1',
          [targetId, subjectType, remoteKey],
        );
        return rows[0]?.subject_id ?? null;
      },
    };
  }
}

/** The detail of an email list skipped on a target whose plugin does not provision lists. */
export const NO_EMAIL_LISTS = 'this target does not provision email lists';

const key = (subject: { subjectType: string; id: string }) => `${subject.subjectType}:${subject.id}`;

/**
 * The target's data filters, for what is still sent (deletes go out as they are). Returns the
 * filtered subject, the reason if a filter excluded it, or the error if one threw.
 */
function filter(target: ProvisioningTarget, action: A, subject: SubjectPayload): { subject: SubjectPayload; excluded: string | null; error: string | null } {
  if (isDelete(action) || target.dataFilters.length === 0) return { subject, excluded: null, error: null };
  try {
    const result = applyDataFilters(target.dataFilters, subject);
    return { subject: result.subject, excluded: result.excluded, error: null };
  } catch (error) {
    return { subject, excluded: null, error: `data filter failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Whether a target holds (or may hold) the subject: a remote id, a pending claim, or a failed attempt that may have left something. */
function inTarget(state: StateRow, claimed: boolean): boolean {
  return Boolean(state.remote_id) || claimed || state.status === ProvisioningStatus.FAILED;
}

/**
 * A group on a folder-rules target that the rules keep off it (removed, or left alone where the
 * target keeps such groups): when the target does not hold it, the order records no event.
 */
function quietOnFolderRules(target: ProvisioningTarget, subject: SubjectPayload, action: A, skip: boolean, explicit: boolean): boolean {
  return target.groupSelection === GroupSelection.FOLDER_RULES && subject.subjectType === 'GROUP' && !explicit && (skip || isDelete(action));
}
