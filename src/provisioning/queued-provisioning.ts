import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { JobQueue, RunningJob } from '../jobs/job-queue';
import type { Logger } from '../observability/logger';
import { ProvisioningAction, ProvisioningMode, SubjectType } from './actions';
import type { ProvisioningEngine } from './engine';
import type { SubjectPayload } from './payload';
import { ProvisioningEvent, ProvisioningOutcome } from './provisioning-event.entity';
import { ProvisioningTarget } from './provisioning-target.entity';
import { closeFailuresOfDeletedSubjects } from './failure-closing';
import { recordProvisioningEvents } from './event-log';

export const PROVISION_JOB = 'provision';

/** What a queued provisioning job carries. The payload itself is built when the job runs. */
export interface ProvisionJobData extends Record<string, unknown> {
  organizationId: string;
  targetId: string;
  subjectType: SubjectType;
  subjectId: string;
  action: ProvisioningAction;
  changeSeq: string | null;
  attempt: number;
  /** Deletes only: the subject as it was (it cannot be read back from the registry). */
  snapshot: SubjectPayload | null;
}

/** The fields that make two requests "the same job" while one is waiting. */
const DEDUPE_ON = ['targetId', 'subjectType', 'subjectId', 'action'];

/**
 * The queue path of the engine: Queue targets get jobs instead of inline calls, Queue On Error
 * targets get a job when an inline call fails transiently, and failed jobs are retried as new jobs
 * per the target's retry interval and maximum.
 */
export class QueuedProvisioning {
  constructor(
    private readonly orm: MikroORM,
    private readonly engine: ProvisioningEngine,
    private readonly jobs: JobQueue,
    private readonly logger: Logger,
  ) {
    // One job at a time per process, in queue order: actions for one subject stay in order.
    jobs.define<ProvisionJobData>(PROVISION_JOB, (job) => this.run(job), { concurrency: 1 });
  }

  /**
   * Queues the action, or records it as coalesced into an identical job that is still waiting
   * (that job will build the payload from the latest data when it runs).
   */
  async enqueue(
    em: EntityManager,
    target: ProvisioningTarget,
    action: ProvisioningAction,
    subject: SubjectPayload,
    options: { changeSeq: string | null; attempt?: number; runAt?: Date; snapshot?: boolean },
  ): Promise<ProvisioningEvent> {
    const attempt = options.attempt ?? 1;
    const data = this.jobData(target, action, subject, { changeSeq: options.changeSeq, attempt, snapshot: options.snapshot ?? false });
    const { jobId, created } = await this.jobs.enqueue(PROVISION_JOB, data, { dedupeOn: DEDUPE_ON, runAt: options.runAt });
    if (created) await this.engine.markQueued(em, target, [subject]);
    return this.queuedEvent(target, data, subject, jobId, created);
  }

  /**
   * enqueue() for a batch (a Queue target's lane): one dedupe lookup and one insert for the
   * jobs, one statement marking the subjects QUEUED; the events come back in order.
   */
  async enqueueMany(
    em: EntityManager,
    target: ProvisioningTarget,
    orders: { action: ProvisioningAction; subject: SubjectPayload; changeSeq: string | null; snapshot: boolean }[],
  ): Promise<ProvisioningEvent[]> {
    const data = orders.map((order) => this.jobData(target, order.action, order.subject, { changeSeq: order.changeSeq, attempt: 1, snapshot: order.snapshot }));
    // Jobs run in run-time order: a subject's later jobs of the batch are due a millisecond
    // after its earlier ones, so its changes keep their order (other subjects are not held).
    const now = Date.now();
    const seen = new Map<string, number>();
    const jobs = data.map((d) => {
      const earlier = seen.get(d.subjectId) ?? 0;
      seen.set(d.subjectId, earlier + 1);
      return { data: d, runAt: new Date(now + earlier) };
    });
    const results = await this.jobs.enqueueMany(PROVISION_JOB, jobs, { dedupeOn: DEDUPE_ON });
    await this.engine.markQueued(em, target, orders.filter((_, i) => results[i].created).map((order) => order.subject));
    return orders.map((order, i) => this.queuedEvent(target, data[i], order.subject, results[i].jobId, results[i].created));
  }

  private queuedEvent(target: ProvisioningTarget, data: ProvisionJobData, subject: SubjectPayload, jobId: string, created: boolean): ProvisioningEvent {
    const event = this.engine.newEvent(target, data.action, subject, { changeSeq: data.changeSeq, attempt: data.attempt, jobId });
    event.outcome = created ? ProvisioningOutcome.QUEUED : ProvisioningOutcome.COALESCED;
    event.detail = created ? 'queued' : `coalesced into waiting job ${jobId}`;
    return event;
  }

  /**
   * Schedules the next attempt after a transient failure, if the target allows. The failed
   * attempt's own event tells it (RETRY_SCHEDULED), so the retry job gets no event of its own.
   */
  async retryLater(
    em: EntityManager,
    target: ProvisioningTarget,
    failed: ProvisioningEvent,
    subject: SubjectPayload,
    snapshot: boolean,
  ): Promise<{ jobId: string; detail: string } | null> {
    if (!failed.retryable || !this.mayRetry(target, failed.attempt)) return null;
    // A target that said when to come back (HTTP 429 Retry-After) is not asked earlier.
    const runAt = new Date(Date.now() + Math.max(target.retryIntervalSeconds * 1000, failed.retryAfterMs ?? 0));
    const data = this.jobData(target, failed.action, subject, { changeSeq: failed.changeSeq, attempt: failed.attempt + 1, snapshot });
    const { jobId } = await this.jobs.enqueue(PROVISION_JOB, data, { runAt });
    await this.engine.markQueued(em, target, [subject]);
    return { jobId, detail: `retry ${data.attempt} of ${1 + target.maxRetries} at ${runAt.toISOString()} (job ${jobId})` };
  }

  /** A retry is due when the failure was transient and the target's budget is not spent. */
  mayRetry(target: ProvisioningTarget, attempt: number): boolean {
    return target.retryIntervalSeconds > 0 && attempt <= target.maxRetries;
  }

  private async run(job: RunningJob<ProvisionJobData>): Promise<void> {
    const data = job.data;
    const { event, error } = await this.orm.em.fork().transactional(async (em) => {
      const target = await em.findOne(ProvisioningTarget, { id: data.targetId }, { populate: ['secrets'] });
      const subject = data.snapshot ?? (await this.engine.load(em, data.subjectType, data.subjectId));
      if (!target || target.mode === ProvisioningMode.DISABLED || !subject) {
        const reason = !target ? 'the target was deleted' : !subject ? 'the subject no longer exists' : 'the target is disabled';
        if (!target) return { event: null, error: null };
        const skipped = this.engine.newEvent(target, data.action, subject ?? { subjectType: data.subjectType, id: data.subjectId }, {
          changeSeq: data.changeSeq,
          attempt: data.attempt,
          jobId: job.id,
        });
        skipped.outcome = ProvisioningOutcome.SKIPPED;
        skipped.detail = reason;
        await recordProvisioningEvents(em, [skipped]);
        // A retry that lost its subject (deleted meanwhile) closes the failure it was retrying.
        if (!subject) {
          await closeFailuresOfDeletedSubjects(em, [{ subjectType: data.subjectType, subjectId: data.subjectId }], { targetId: target.id, lastEventSeq: skipped.seq });
        }
        return { event: skipped, error: null };
      }
      const attemptEvent = await this.engine.runOnTarget(em, target, data.action, subject, {
        changeSeq: data.changeSeq,
        attempt: data.attempt,
        jobId: job.id,
      });
      if (attemptEvent.outcome !== ProvisioningOutcome.FAILED) {
        await recordProvisioningEvents(em, [attemptEvent]);
        return { event: attemptEvent, error: null };
      }
      const failure = attemptEvent.error ?? 'failed';
      const retry = await this.retryLater(em, target, attemptEvent, subject, data.snapshot !== null);
      if (retry) {
        attemptEvent.outcome = ProvisioningOutcome.RETRY_SCHEDULED;
        attemptEvent.detail = retry.detail;
      }
      await recordProvisioningEvents(em, [attemptEvent]);
      return { event: attemptEvent, error: failure };
    });
    // The job itself failed even when a retry follows: its history says so.
    if (error) throw new Error(error);
  }

  private jobData(
    target: ProvisioningTarget,
    action: ProvisioningAction,
    subject: SubjectPayload,
    options: { changeSeq: string | null; attempt: number; snapshot: boolean },
  ): ProvisionJobData {
    return {
      organizationId: target.organization.id,
      targetId: target.id,
      subjectType: SubjectType[subject.subjectType],
      subjectId: subject.id,
      action,
      changeSeq: options.changeSeq,
      attempt: options.attempt,
      snapshot: options.snapshot ? subject : null,
    };
  }
}
