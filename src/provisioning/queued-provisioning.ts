import { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './retry-backoff';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { JobQueue, RunningJob } from '../jobs/job-queue';
import { ProvisioningAction, ProvisioningMode, SubjectType } from './actions';
import type { Marshaller } from './marshaller';
import type { Provisioner } from './lanes/provisioner';
import type { QueueHandoff } from './lanes/lanes';
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

/** How many queued jobs of one target a worker runs in one pass (one transaction, one batch). */
export const JOBS_PER_RUN = 100;

/**
 * How many of a target's due jobs (in queue order) may run with `head`: those up to the first
 * of another subject type, or of a subject already in the run.
 */
export function queuedBehind(head: Pick<ProvisionJobData, 'subjectType' | 'subjectId'>, due: Pick<ProvisionJobData, 'subjectType' | 'subjectId'>[]): number {
  const subjects = new Set([head.subjectId]);
  for (const [i, data] of due.entries()) {
    if (data.subjectType !== head.subjectType || subjects.has(data.subjectId)) return i;
    subjects.add(data.subjectId);
  }
  return due.length;
}

/** The fields that make two requests "the same job" while one is waiting. */
const DEDUPE_ON = ['targetId', 'subjectType', 'subjectId', 'action'];

/**
 * The queue path of the engine: Queue targets get jobs instead of inline calls, Queue On Error
 * targets get a job when an inline call fails transiently, and failed jobs are retried as new jobs
 * per the target's retry interval and maximum.
 */
export class QueuedProvisioning implements QueueHandoff {
  constructor(
    private readonly orm: MikroORM,
    private readonly provisioner: Provisioner,
    private readonly marshaller: Marshaller,
    private readonly jobs: JobQueue,
    /** The waits between retries (FERRY_RETRY_MAX_INTERVAL_SECONDS). */
    private readonly retryPolicy: RetryPolicy = DEFAULT_RETRY_POLICY,
    /** Jobs one run takes: the job and the due jobs of its target queued right behind it. */
    private readonly jobsPerRun = JOBS_PER_RUN,
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
    if (created) await this.provisioner.markQueued(em, target, [subject]);
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
    // Jobs run in run-time order, and jobs due at the same instant in any order. So the batch's
    // order is kept where it matters: a job is due a millisecond after the one before it when its
    // subject type differs (people before groups) or its subject already has a job in the batch.
    const now = Date.now();
    let offset = 0;
    const seen = new Set<string>();
    const jobs = data.map((d, i) => {
      if (i > 0 && (d.subjectType !== data[i - 1].subjectType || seen.has(d.subjectId))) {
        offset += 1;
        seen.clear();
      }
      seen.add(d.subjectId);
      return { data: d, runAt: new Date(now + offset) };
    });
    const results = await this.jobs.enqueueMany(PROVISION_JOB, jobs, { dedupeOn: DEDUPE_ON });
    await this.provisioner.markQueued(em, target, orders.filter((_, i) => results[i].created).map((order) => order.subject));
    return orders.map((order, i) => this.queuedEvent(target, data[i], order.subject, results[i].jobId, results[i].created));
  }

  private queuedEvent(target: ProvisioningTarget, data: ProvisionJobData, subject: SubjectPayload, jobId: string, created: boolean): ProvisioningEvent {
    const event = this.provisioner.newEvent(target, data.action, subject, { changeSeq: data.changeSeq, attempt: data.attempt, jobId });
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
    // Backoff doubled per failed attempt, capped and jittered; a target that said when to come
    // back (HTTP 429 Retry-After) is not asked earlier.
    const runAt = new Date(Date.now() + retryDelayMs(target.retryIntervalSeconds, failed.attempt, this.retryPolicy, failed.retryAfterMs ?? null));
    const data = this.jobData(target, failed.action, subject, { changeSeq: failed.changeSeq, attempt: failed.attempt + 1, snapshot });
    const { jobId } = await this.jobs.enqueue(PROVISION_JOB, data, { runAt });
    await this.provisioner.markQueued(em, target, [subject]);
    return { jobId, detail: `retry ${data.attempt} of ${1 + target.maxRetries} at ${runAt.toISOString()} (job ${jobId})` };
  }

  /** A retry is due when the failure was transient and the target's budget is not spent. */
  mayRetry(target: ProvisioningTarget, attempt: number): boolean {
    return target.retryIntervalSeconds > 0 && attempt <= target.maxRetries;
  }

  /**
   * Runs a job and the due jobs of the same target queued right behind it (taken along, up to
   * JOBS_PER_RUN): one transaction, the payloads loaded set-based, one provisioner batch, each
   * job with its own event, attempt and outcome. Only a prefix of the target's due jobs of one
   * subject type, each subject once, is taken, so a subject's jobs and people before groups keep
   * the queue's order. A job whose attempt failed fails (its retry, if any, is a new job).
   */
  private async run(job: RunningJob<ProvisionJobData>): Promise<void> {
    const along = await job.takeAlong({ targetId: job.data.targetId }, this.jobsPerRun - 1, (due) => queuedBehind(job.data, due.map((d) => d.data)));
    const jobs = [{ id: job.id, data: job.data }, ...along];
    const failures = await this.orm.em.fork().transactional((em) => this.runJobs(em, jobs));
    await job.settleTaken(along.map((taken) => ({ id: taken.id, error: failures.get(taken.id) ?? null })));
    // The job itself failed even when a retry follows: its history says so.
    const failure = failures.get(job.id);
    if (failure) throw new Error(failure);
  }

  /** The jobs' attempts, stored with their events; returns the failure of each job that failed. */
  private async runJobs(em: EntityManager, jobs: { id: string; data: ProvisionJobData }[]): Promise<Map<string, string>> {
    const failures = new Map<string, string>();
    const target = await em.findOne(ProvisioningTarget, { id: jobs[0].data.targetId }, { populate: ['secrets'] });
    if (!target) return failures; // the target was deleted: nothing to do, nothing to tell
    const subjects = await this.marshaller.forWork(em, jobs.map((j) => j.data));
    const subjectOf = (data: ProvisionJobData) => subjects.get(data.subjectId) ?? null;
    const options = (j: { id: string; data: ProvisionJobData }) => ({ changeSeq: j.data.changeSeq, attempt: j.data.attempt, jobId: j.id });

    const skipped: ProvisioningEvent[] = [];
    const gone: { event: ProvisioningEvent; subjectType: SubjectType; subjectId: string }[] = [];
    const runnable = jobs.filter((j) => {
      const subject = subjectOf(j.data);
      if (target.mode !== ProvisioningMode.DISABLED && subject) return true;
      const event = this.provisioner.newEvent(target, j.data.action, subject ?? { subjectType: j.data.subjectType, id: j.data.subjectId }, options(j));
      event.outcome = ProvisioningOutcome.SKIPPED;
      event.detail = !subject ? 'the subject no longer exists' : 'the target is disabled';
      skipped.push(event);
      if (!subject) gone.push({ event, subjectType: j.data.subjectType, subjectId: j.data.subjectId });
      return false;
    });
    const attempts = await this.provisioner.runBatch(
      em,
      target,
      runnable.map((j) => ({ ...options(j), action: j.data.action, subject: subjectOf(j.data)! })),
    );
    for (const [i, event] of attempts.entries()) {
      if (event.outcome !== ProvisioningOutcome.FAILED) continue;
      const j = runnable[i];
      failures.set(j.id, event.error ?? 'failed');
      const retry = await this.retryLater(em, target, event, subjectOf(j.data)!, j.data.snapshot !== null);
      if (retry) {
        event.outcome = ProvisioningOutcome.RETRY_SCHEDULED;
        event.detail = retry.detail;
      }
    }
    await recordProvisioningEvents(em, [...skipped, ...attempts]);
    // A retry that lost its subject (deleted meanwhile) closes the failure it was retrying.
    for (const { event, subjectType, subjectId } of gone) {
      await closeFailuresOfDeletedSubjects(em, [{ subjectType, subjectId }], { targetId: target.id, lastEventSeq: event.seq });
    }
    return failures;
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
