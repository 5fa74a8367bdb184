import type { Actor } from '../auth/actor';
import { forbidden, notFound } from '../common/errors';
import { paginate, SEQ_ORDER, sequenceCodec, type Page, type PageArgs } from '../common/pagination';
import { inWriteTransaction, type WriteResult } from '../db/transaction';
import { Person } from '../registry/people/person.entity';
import { findReadable, findReadableOrganization, findWritable } from '../registry/records';
import { ProvisioningMode, SubjectType } from './actions';
import type { ProvisioningEngine } from './engine';
import { ProvisionedState } from './provisioned-state.entity';
import { ProvisioningEvent } from './provisioning-event.entity';
import { ProvisioningTarget } from './provisioning-target.entity';
import { recordProvisioningEvents } from './event-log';
import type { EventFilter } from '../live/event-stream';
import { SUBJECTS } from './subjects';

export interface SubjectTargetStatus {
  target: ProvisioningTarget;
  state: ProvisionedState | null;
}

export class ProvisioningService {
  constructor(readonly engine: ProvisioningEngine) {}

  /**
   * Provisions one subject to one target now, whatever the target's mode (spec 2.7), except
   * Disabled targets. The outcome is returned and stored like any other.
   */
  async provisionOne(actor: Actor, targetId: string, subjectType: SubjectType, subjectId: string): Promise<ProvisioningEvent> {
    const { em, principal } = actor;
    const target = await findWritable(em, principal, ProvisioningTarget, targetId, 'ProvisioningTarget');
    if (target.mode === ProvisioningMode.DISABLED) throw forbidden(`Target ${target.name} is disabled.`);
    const subjectRecord = await findReadable(em, principal, SUBJECTS[subjectType].entity, subjectId, SUBJECTS[subjectType].label);
    if (subjectRecord.organization.id !== target.organization.id) throw notFound(SUBJECTS[subjectType].label, subjectId);
    const subject = (await this.engine.marshaller.many(em, subjectType, [subjectId])).get(subjectId) ?? null;
    if (!subject) throw notFound(SUBJECTS[subjectType].label, subjectId);
    return em.transactional(async (tx) => {
      const managedTarget = await tx.findOneOrFail(ProvisioningTarget, target.id, { populate: ['secrets'] });
      const event = await this.engine.runOnTarget(tx, managedTarget, SUBJECTS[subjectType].reprovision, subject, { changeSeq: null, explicit: true });
      await recordProvisioningEvents(tx, [event]);
      return event;
    });
  }

  /** Where a subject is provisioned: every non-disabled target of its organisation, with its state. */
  async statusOf(actor: Actor, subjectType: SubjectType, subjectId: string): Promise<SubjectTargetStatus[]> {
    const { em, principal } = actor;
    const subject = await findReadable(em, principal, SUBJECTS[subjectType].entity, subjectId, SUBJECTS[subjectType].label);
    const targets = await em.find(
      ProvisioningTarget,
      { organization: subject.organization.id, mode: { $ne: ProvisioningMode.DISABLED } },
      { orderBy: { order: 'asc', id: 'asc' } },
    );
    const states = await em.find(ProvisionedState, { subjectType, subjectId, target: { $in: targets.map((t) => t.id) } });
    const byTarget = new Map(states.map((s) => [s.target.id, s]));
    return targets.map((target) => ({ target, state: byTarget.get(target.id) ?? null }));
  }

  /** Stored events of an organisation after a sequence, filtered like the subscription. */
  /** An organisation's stored provisioning events, in sequence order, one page (the cursor is the event's seq). */
  async events(actor: Actor, organizationId: string, filter: Omit<EventFilter, 'organizationId'>, page: PageArgs): Promise<Page<ProvisioningEvent>> {
    const organization = await findReadableOrganization(actor.em, actor.principal, organizationId);
    const where = {
      organizationId: organization.id,
      ...(filter.subjectId ? { subjectId: filter.subjectId } : {}),
      ...(filter.targetId ? { targetId: filter.targetId } : {}),
      ...(filter.subjectType ? { subjectType: filter.subjectType } : {}),
      ...(filter.outcomes?.length ? { outcome: { $in: filter.outcomes } } : {}),
    };
    return paginate(actor.em, ProvisioningEvent, where, page, { sort: SEQ_ORDER, codec: sequenceCodec<ProvisioningEvent>('seq') });
  }

  /**
   * The events a mutation's change-log entries caused, once the lanes have applied them: inline
   * outcomes, QUEUED / COALESCED events (with job ids) for queued targets, and PENDING for
   * targets still working when the response's wait (FERRY_PROVISIONING_WAIT_MS) ended.
   */
  async outcomesOf(actor: Actor, changes: { seq: string }[]): Promise<ProvisioningEvent[]> {
    if (changes.length === 0) return [];
    const seqs = changes.map((change) => change.seq);
    const settled = await this.engine.settle(seqs);
    // Targets still working when the wait ended: PENDING now, the outcome on the subscription.
    // Read before the stored events, so work finishing in between shows as its outcome.
    const pending = settled ? [] : await this.engine.pendingOutcomes(actor.em, seqs);
    const events = await actor.em.find(ProvisioningEvent, { changeSeq: { $in: seqs } }, { orderBy: { seq: 'asc' } });
    const done = new Set(events.map((event) => `${event.targetId}:${event.subjectId}:${event.changeSeq}`));
    events.push(...pending.filter((event) => !done.has(`${event.targetId}:${event.subjectId}:${event.changeSeq}`)));
    return events.filter((event) => actor.principal.canRead(event.organizationId));
  }

  /** Marks the person's enrollment finished: Enrollment-mode targets run for them now. */
  finishEnrollment(actor: Actor, personId: string): Promise<WriteResult<Person>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const person = await findWritable(em, actor.principal, Person, personId, 'person');
      person.enrollmentFinishedAt = new Date();
      return person;
    });
  }
}
