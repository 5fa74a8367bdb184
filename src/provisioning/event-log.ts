import { ref } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Channel, notify } from '../live/channels';
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

/**
 * The one way provisioning events are stored. Call it last in the transaction, after every
 * plugin call and row lock: the events lock is then held only for the insert and the commit.
 * It also keeps the admins' failure notifications in step with the events.
 */
export async function recordProvisioningEvents(em: EntityManager, events: ProvisioningEvent[]): Promise<void> {
  if (events.length === 0) return;
  await em.execute('select pg_advisory_xact_lock(?)', [PROVISIONING_EVENTS_LOCK]);
  em.persist(events);
  await em.flush();
  await updateFailureNotifications(em, events);
  await em.flush();
  await notify(em, Channel.PROVISIONING_EVENTS, events.at(-1)!.seq);
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
