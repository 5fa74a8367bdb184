import { ref } from '@mikro-orm/core';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { ObservedEvent } from '../observability/metrics';
import { sqlRows } from '../db/sql';
import { Channel } from '../live/channels';
import { FailureNotification } from './failure-notification.entity';
import { ProvisioningEvent, ProvisioningOutcome } from './provisioning-event.entity';
import { ProvisioningTarget } from './provisioning-target.entity';

/**
 * Every transaction that stores provisioning events takes this advisory lock first and keeps it
 * until it commits. Event sequences are therefore handed out in commit order, so a reader that
 * resumes "after sequence N" (a subscription, another process) never skips an event that a
 * slower transaction commits later.
 */
export const PROVISIONING_EVENTS_LOCK = 0x4665727245; // "FerrE"

const FAILED_ATTEMPT = new Set([ProvisioningOutcome.FAILED, ProvisioningOutcome.RETRY_SCHEDULED]);

/** Told of the events each committed transaction stored (the metrics), per ORM instance. */
const observers = new WeakMap<object, (events: readonly ObservedEvent[]) => void>();

/** Calls `observer` with the events of every transaction of this ORM that commits them. */
export function observeCommittedEvents(orm: MikroORM, observer: (events: readonly ObservedEvent[]) => void): void {
  observers.set(orm.config, observer);
}

/** A knex transaction as far as its commit is concerned (savepoints point to their parent). */
interface CommitWatch {
  executionPromise?: Promise<unknown>;
  parentTransaction?: CommitWatch;
}

/** Runs `then` once the outermost transaction of `em` commits (at once outside one); never on rollback. */
function afterCommit(em: EntityManager, then: () => void): void {
  let transaction = em.getTransactionContext<CommitWatch>();
  while (transaction?.parentTransaction) transaction = transaction.parentTransaction;
  if (!transaction?.executionPromise) then();
  else transaction.executionPromise.then(then, () => undefined);
}

/**
 * The one way provisioning events are stored. Call it last in the transaction, after every
 * plugin call and row lock: the events lock is then held only for the insert and the commit.
 * It also keeps the admins' failure notifications in step with the events.
 *
 * One statement takes the lock, inserts the events, queues the NOTIFY (delivered at commit) and
 * says whether any of the subjects has an open failure notification on its target; only a batch
 * with a failed attempt, or with a subject whose notification a success resolves, takes more.
 */
export async function recordProvisioningEvents(em: EntityManager, all: ProvisioningEvent[]): Promise<void> {
  const events = all.filter((event) => !event.unrecorded);
  if (events.length === 0) return;
  const { openFailures } = await insertEvents(em, events);
  const observer = observers.get(em.config);
  if (observer) afterCommit(em, () => observer(events));
  if (openFailures || events.some((event) => FAILED_ATTEMPT.has(event.outcome))) {
    await updateFailureNotifications(em, events);
    await em.flush();
  }
}

/**
 * The events in one multi-row statement of plain rows (no unit of work), in order: each gets its
 * sequence, handed out in the order of the batch, after the events lock (every row of the insert
 * joins the lock's one row, so no sequence is taken before it is held).
 */
async function insertEvents(em: EntityManager, events: ProvisioningEvent[]): Promise<{ openFailures: boolean }> {
  const column = <T>(value: (event: ProvisioningEvent) => T) => events.map(value);
  const [result]: { seqs: string[]; open_failures: boolean }[] = await sqlRows(em,
    `with events_lock as (select pg_advisory_xact_lock(?) as held),
     inserted as (
       insert into provisioning_event (organization_id, target_id, target_name, subject_type, subject_id, subject_label, action, outcome,
                                       detail, error, retryable, attempt, duration_ms, job_id, change_seq, occurred_at)
       select v.organization_id, v.target_id, v.target_name, v.subject_type::subject_type, v.subject_id, v.subject_label,
              v.action::provisioning_action, v.outcome::provisioning_outcome, v.detail, v.error, v.retryable, v.attempt, v.duration_ms,
              v.job_id, v.change_seq, v.occurred_at
         from unnest(?::uuid[], ?::uuid[], ?::text[], ?::text[], ?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
                     ?::boolean[], ?::int[], ?::int[], ?::text[], ?::bigint[], ?::timestamptz[])
              with ordinality as v(organization_id, target_id, target_name, subject_type, subject_id, subject_label, action, outcome,
                                   detail, error, retryable, attempt, duration_ms, job_id, change_seq, occurred_at, ord)
              cross join events_lock
        order by v.ord
       returning seq)
     select array_agg(seq::text order by seq) as seqs,
            pg_notify(?, max(seq)::text) is not null as notified,
            exists (select 1 from failure_notification f
                     where f.resolved_at is null and f.target_id = any(?::uuid[]) and f.subject_id = any(?::uuid[])) as open_failures
       from inserted`,
    [
      PROVISIONING_EVENTS_LOCK,
      column((e) => e.organizationId),
      column((e) => e.targetId),
      column((e) => e.targetName),
      column((e) => e.subjectType),
      column((e) => e.subjectId),
      column((e) => e.subjectLabel),
      column((e) => e.action),
      column((e) => e.outcome),
      column((e) => e.detail),
      column((e) => e.error),
      column((e) => e.retryable),
      column((e) => e.attempt),
      column((e) => Math.round(e.durationMs)),
      column((e) => e.jobId),
      column((e) => e.changeSeq),
      column((e) => (e.occurredAt ?? new Date()).toISOString()),
      Channel.PROVISIONING_EVENTS,
      [...new Set(column((e) => e.targetId))],
      [...new Set(column((e) => e.subjectId))],
    ],
  );
  // Sequence values are taken row by row in the order above: ascending is the batch's order.
  events.forEach((event, i) => (event.seq = result.seqs[i]));
  return { openFailures: result.open_failures };
}

/** A failed attempt opens (or adds to) the subject's notification; a success resolves it. */
async function updateFailureNotifications(em: EntityManager, events: ProvisioningEvent[]): Promise<void> {
  // A ride-along's outcome is its head's: one attempt, counted once.
  const relevant = events.filter((event) => event.coalescedWith === null && (FAILED_ATTEMPT.has(event.outcome) || event.outcome === ProvisioningOutcome.SUCCEEDED));
  if (relevant.length === 0) return;
  const open = await em.find(FailureNotification, {
    resolvedAt: null,
    target: { $in: [...new Set(relevant.map((event) => event.targetId))] },
    subjectId: { $in: [...new Set(relevant.map((event) => event.subjectId))] },
  });
  const key = (targetId: string, subjectType: string, subjectId: string) => `${targetId}:${subjectType}:${subjectId}`;
  const byKey = new Map(open.map((n) => [key(n.target.id, n.subjectType, n.subjectId), n]));
  for (const event of relevant) {
    const k = key(event.targetId, event.subjectType, event.subjectId);
    const notification = byKey.get(k);
    if (event.outcome === ProvisioningOutcome.SUCCEEDED) {
      if (!notification) continue;
      notification.resolvedAt = event.occurredAt;
      notification.resolvedByEventSeq = event.seq;
      notification.lastEventSeq = event.seq;
      notification.willRetry = false;
      byKey.delete(k);
      continue;
    }
    const failed = notification ?? openNotification(em, event);
    if (notification) failed.failures += 1;
    failed.action = event.action;
    failed.error = event.error ?? 'failed';
    failed.willRetry = event.outcome === ProvisioningOutcome.RETRY_SCHEDULED;
    failed.lastFailedAt = event.occurredAt;
    failed.lastEventSeq = event.seq;
    failed.subjectLabel = event.subjectLabel ?? failed.subjectLabel;
    byKey.set(k, failed);
  }
}

function openNotification(em: EntityManager, event: ProvisioningEvent): FailureNotification {
  const notification = new FailureNotification();
  Object.assign(notification, {
    organizationId: event.organizationId,
    target: ref(ProvisioningTarget, event.targetId),
    targetName: event.targetName,
    subjectType: event.subjectType,
    subjectId: event.subjectId,
    firstEventSeq: event.seq,
    firstFailedAt: event.occurredAt,
  });
  em.persist(notification);
  return notification;
}
