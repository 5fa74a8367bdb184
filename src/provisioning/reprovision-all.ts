import type { EntityClass } from '@mikro-orm/core';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { OrgScopedEntity } from '../common/base-entity';
import { forbidden, notFound } from '../common/errors';
import type { JobInfo, JobQueue, RunningJob } from '../jobs/job-queue';
import type { Logger } from '../observability/logger';
import { ProvisioningAction, ProvisioningMode, SubjectType } from './actions';
import type { ProvisioningEngine } from './engine';
import { ProvisioningEvent, ProvisioningOutcome } from './provisioning-event.entity';
import { ProvisioningTarget } from './provisioning-target.entity';
import { SUBJECTS } from './subjects';
import { recordProvisioningEvents } from './event-log';
import { Channel, notify } from '../live/channels';

export const REPROVISION_ALL_JOB = 'reprovision-all';

export type ReprovisionPhase = 'PERSON' | 'GROUP' | 'EMAIL_LIST' | 'SERVICE';

/** A reprovision-all job's data: what to do, and how far it got (the resume cursor). */
export interface ReprovisionAllData extends Record<string, unknown> {
  organizationId: string;
  targetId: string;
  requestedByTokenId: string | null;
  /** The subject type being worked through. */
  phase: ReprovisionPhase;
  /** The last id of `phase` whose batch was committed; null: the phase has not started. */
  afterId: string | null;
  processed: number;
  succeeded: number;
  failed: number;
  /** People + groups + email lists + services of the organisation when the job was requested. */
  total: number;
  /** The error of the first subject that failed (the job's failReason when every subject failed). */
  firstError?: string | null;
}

/**
 * How a job that worked through subjects ends: when subjects were attempted and every one of them
 * failed, the job failed, with the first error as its reason (a wrong bind password, a target
 * down); otherwise it completed, its counts saying how many failed. Null: completed.
 */
export function allFailedReason(counts: { processed: number; failed: number; firstError?: string | null }): string | null {
  if (counts.processed === 0 || counts.failed < counts.processed) return null;
  return counts.firstError || `all ${counts.failed} subject(s) failed`;
}

export interface ReprovisionAllOptions {
  /** Subjects provisioned per transaction (and per progress save). */
  batchSize?: number;
  /** How long the job of a dead process stays locked before another process resumes it (queue default when left out). */
  lockLifetimeMs?: number;
}

interface PhaseSpec {
  phase: ReprovisionPhase;
  subjectType: SubjectType;
  entity: EntityClass<OrgScopedEntity>;
  action: ProvisioningAction;
}

const phase = (type: SubjectType): PhaseSpec => ({ phase: type, subjectType: type, entity: SUBJECTS[type].entity, action: SUBJECTS[type].reprovision });

/**
 * People first, so that group entries find their members' entries on an empty target and one run
 * is enough (spec D12: COmanage does groups first and needs two runs).
 */
const PHASES: readonly PhaseSpec[] = [
  phase(SubjectType.PERSON),
  phase(SubjectType.GROUP),
  // After people, so that list entries find their people's entries (COmanage starts with lists).
  phase(SubjectType.EMAIL_LIST),
  phase(SubjectType.SERVICE),
];

export const DEFAULT_BATCH_SIZE = 200;
/** Batches of a phase a Reprovision All runs side by side. */
export const BATCHES_AT_ONCE = 2;

/** What one batch did, and whether it was the last of its phase. */
interface BatchResult {
  lastId: string | null;
  phaseDone: boolean;
  events: ProvisioningEvent[];
}

/**
 * COmanage's "Reprovision All" (spec 2.7): every person (whatever their status), then every group,
 * then every email list, then every service of the organisation, pushed to one target as explicit requests, as a job.
 * Subjects go in id order (UUIDv7) in batches; each batch commits its states and events, then the
 * job saves its cursor, so a job taken over after a crash resumes at the batch in flight (redone,
 * plugins are idempotent) and neither skips nor repeats the batches before it.
 */
export class ReprovisionAll {
  private readonly batchSize: number;

  constructor(
    private readonly orm: MikroORM,
    private readonly engine: ProvisioningEngine,
    private readonly jobs: JobQueue,
    private readonly logger: Logger,
    options: ReprovisionAllOptions = {},
  ) {
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    // One at a time per process: a reprovision-all is long and holds a plugin connection busy.
    jobs.define<ReprovisionAllData>(REPROVISION_ALL_JOB, (job) => this.run(job), {
      concurrency: 1,
      lockLifetimeMs: options.lockLifetimeMs,
    });
  }

  /**
   * Queues a reprovision-all of the target (authorization is the caller's). While one for the same
   * target is still waiting, that one is returned: it has not started, so it covers this request.
   */
  async start(args: { organizationId: string; targetId: string; requestedByTokenId: string | null }): Promise<{ jobId: string }> {
    const em = this.orm.em.fork();
    const target = await em.findOne(ProvisioningTarget, { id: args.targetId, organization: args.organizationId });
    if (!target) throw notFound('ProvisioningTarget', args.targetId);
    if (target.mode === ProvisioningMode.DISABLED) {
      throw forbidden(`Target ${target.name} is disabled: enable it (any other mode) before reprovisioning everything to it.`);
    }
    const counts = await Promise.all(PHASES.map((spec) => em.count(spec.entity, { organization: args.organizationId })));
    const data: ReprovisionAllData = {
      organizationId: args.organizationId,
      targetId: target.id,
      requestedByTokenId: args.requestedByTokenId,
      phase: PHASES[0].phase,
      afterId: null,
      processed: 0,
      succeeded: 0,
      failed: 0,
      total: counts.reduce((sum, count) => sum + count, 0),
    };
    const { jobId } = await this.jobs.enqueue(REPROVISION_ALL_JOB, data, { dedupeOn: ['targetId'] });
    this.logger.info({ jobId, targetId: target.id, total: data.total }, 'reprovision-all queued');
    return { jobId };
  }

  /** The job as the API shows it. */
  job(jobId: string): Promise<JobInfo | null> {
    return this.jobs.get(jobId);
  }

  private async run(job: RunningJob<ReprovisionAllData>): Promise<void> {
    const progress: ReprovisionAllData = { ...job.data };
    const log = this.logger.child({ jobId: job.id, targetId: progress.targetId });
    const first = PHASES.findIndex((spec) => spec.phase === progress.phase);
    if (first < 0) throw new Error(`Unknown reprovision-all phase ${String(progress.phase)}.`);
    if (progress.processed > 0 || progress.afterId !== null || first > 0) {
      log.info({ phase: progress.phase, afterId: progress.afterId, processed: progress.processed }, 'reprovision-all resumes');
    }
    for (let index = first; index < PHASES.length; index++) {
      const spec = PHASES[index];
      let phaseDone = false;
      while (!phaseDone) {
        if (await job.isCancelled()) {
          log.info({ processed: progress.processed, total: progress.total }, 'reprovision-all cancelled');
          return;
        }
        const batch = await this.runBatches(job.id, progress, spec);
        for (const event of batch.events) {
          progress.processed += 1;
          if (event.outcome === ProvisioningOutcome.FAILED) {
            progress.failed += 1;
            progress.firstError ??= event.error ?? event.detail ?? 'failed without an error message';
          } else progress.succeeded += 1;
        }
        phaseDone = batch.phaseDone;
        const next = phaseDone ? PHASES[index + 1] : spec;
        if (next) {
          progress.phase = next.phase;
          progress.afterId = phaseDone ? null : batch.lastId;
        } else {
          progress.afterId = batch.lastId;
        }
        await job.saveProgress(next ? this.percent(progress) : 100, this.cursor(progress));
        await notify(this.orm.em.fork(), Channel.JOB_PROGRESS, job.id);
      }
    }
    log.info(
      { processed: progress.processed, succeeded: progress.succeeded, failed: progress.failed },
      `reprovision-all finished: processed ${progress.processed} record(s) (${progress.succeeded} success, ${progress.failed} error)`,
    );
    // Every subject failed: the job failed (the queue records the reason; the counts are saved above).
    const reason = allFailedReason(progress);
    if (reason !== null) throw new Error(reason);
  }

  /**
   * The next BATCHES_AT_ONCE batches of the phase after the cursor, side by side, each in its own
   * transaction (their subjects differ): one batch's database work overlaps the other's calls to
   * the target. The cursor moves past them once all committed; a restart in between redoes them.
   */
  private async runBatches(jobId: string, progress: ReprovisionAllData, spec: PhaseSpec): Promise<BatchResult> {
    const rows: { id: string }[] = await this.orm.em
      .fork()
      .createQueryBuilder(spec.entity)
      .select('id')
      .where({ organization: progress.organizationId, ...(progress.afterId ? { id: { $gt: progress.afterId } } : {}) })
      .orderBy({ id: 'asc' })
      .limit(this.batchSize * BATCHES_AT_ONCE)
      .execute('all');
    const slices: string[][] = [];
    for (let i = 0; i < rows.length; i += this.batchSize) slices.push(rows.slice(i, i + this.batchSize).map((row) => row.id));
    const done = await Promise.all(slices.map((ids) => this.orm.em.fork().transactional((em) => this.runBatch(em, jobId, progress, spec, ids))));
    return {
      lastId: rows.at(-1)?.id ?? progress.afterId,
      phaseDone: rows.length < this.batchSize * BATCHES_AT_ONCE,
      events: done.flat(),
    };
  }

  /** Provisions one batch of subjects of one type in one transaction; returns its events. */
  private async runBatch(em: EntityManager, jobId: string, progress: ReprovisionAllData, spec: PhaseSpec, ids: string[]): Promise<ProvisioningEvent[]> {
    // Read per batch: a target edited meanwhile is used as it is now, a disabled one stops the job.
    const target = await em.findOne(ProvisioningTarget, { id: progress.targetId }, { populate: ['secrets'] });
    if (!target) throw new Error(`Target ${progress.targetId} was deleted; reprovision-all stopped.`);
    if (target.mode === ProvisioningMode.DISABLED) throw new Error(`Target ${target.name} was disabled; reprovision-all stopped.`);
    // The whole batch's payloads in one set-based load (a fixed number of statements per kind of record).
    const subjects = await this.engine.marshaller.many(em, spec.subjectType, ids);
    // Gone since the ids were read: its delete is a change of its own.
    const present = ids.flatMap((id) => (subjects.has(id) ? [subjects.get(id)!] : []));
    // The whole batch through the provisioner: state rows locked and written in one statement
    // each, plugin calls with the target's concurrency.
    const events = await this.engine.runBatch(
      em,
      target,
      present.map((subject) => ({ action: spec.action, subject, changeSeq: null, explicit: true, jobId })),
    );
    await recordProvisioningEvents(em, events);
    await em.flush();
    return events;
  }

  private percent(progress: ReprovisionAllData): number {
    if (progress.total === 0) return 99;
    // Subjects added since the start can take `processed` past `total`: 100 means finished.
    return Math.min(99, Math.floor((progress.processed * 100) / progress.total));
  }

  private cursor(progress: ReprovisionAllData): Partial<ReprovisionAllData> {
    const { phase, afterId, processed, succeeded, failed, total, firstError } = progress;
    return { phase, afterId, processed, succeeded, failed, total, firstError: firstError ?? null };
  }
}
