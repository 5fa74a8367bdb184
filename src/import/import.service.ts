import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Actor } from '../auth/actor';
import { badInput, notFound } from '../common/errors';
import { sqlRows } from '../db/sql';
import { v7 as uuidv7 } from 'uuid';
import { JobState, type JobQueue, type RunningJob } from '../jobs/job-queue';
import { Channel, notify } from '../live/channels';
import type { Logger } from '../observability/logger';
import { PROVISIONABLE_PERSON_STATUSES } from '../provisioning/loading/mappers';
import { findReadableOrganization, findWritableOrganization } from '../registry/records';
import { ImportApplier } from './applier';
import { ImportFormat, type ParseOptions, type PopulationDocument } from './document';
import { parseCsv } from './formats/csv';
import { formatFerryJson, parseFerryJson } from './formats/ferry-json';
import { parseLdif } from './formats/ldif';
import { parseScim } from './formats/scim';
import { ImportRun, ImportState } from './import-run.entity';
import { planImport, type ImportPlan } from './planner';
import { population } from './queries';

export const IMPORT_JOB = 'import';

/** Refused records listed in a report (all are counted). */
const REFUSED_LISTED = 1000;
/** Keys shown per kind of change in a report. */
const SAMPLE = 10;

const PARSERS: Record<ImportFormat, (input: string, options: ParseOptions) => PopulationDocument> = {
  [ImportFormat.CSV]: parseCsv,
  [ImportFormat.LDIF]: parseLdif,
  [ImportFormat.SCIM]: parseScim,
  [ImportFormat.FERRY_JSON]: parseFerryJson,
};

export interface ImportRequest {
  organizationId: string;
  format: ImportFormat;
  document: string;
  matchBy: string;
  dryRun: boolean;
  removeMissing: boolean;
  allOrNothing: boolean;
}

interface ImportJobData extends Record<string, unknown> {
  importRunId: string;
  organizationId: string;
}

/**
 * Imports and exports: an import is stored with its file and run as a job (progress on the job
 * progress subscription, cancellable like any job, taken over by another process after a crash);
 * the job parses the file, plans against the organisation and, unless it is a dry run (or a
 * refused record stops an all-or-nothing import), applies the plan in chunks.
 */
export class ImportService {
  /** Without a job queue (the command line's short-lived services), imports are refused. */
  constructor(
    private readonly orm: MikroORM,
    private readonly applier: ImportApplier,
    private readonly logger: Logger,
    private readonly queue: JobQueue | null,
  ) {
    queue?.define<ImportJobData>(IMPORT_JOB, (job) => this.run(job), { concurrency: 1 });
  }

  async start(actor: Actor, request: ImportRequest): Promise<ImportRun> {
    const organization = await findWritableOrganization(actor.em, actor.principal, request.organizationId);
    if (!this.queue) throw badInput('This Ferry process has no job queue: imports run as jobs.');
    // The file goes in with plain SQL: through the unit of work, a file of a few megabytes took a
    // few hundred megabytes of heap (change set, snapshot and query building around one value).
    const em = this.orm.em.fork();
    const id = uuidv7();
    await sqlRows(em,
      `insert into import_run (id, organization_id, format, match_by, dry_run, remove_missing, all_or_nothing, state, document, requested_by_token_id, created_at)
       values (?, ?, ?, ?, ?, ?, ?, 'QUEUED', ?, ?, now())`,
      [id, organization.id, request.format, request.matchBy, request.dryRun, request.removeMissing, request.allOrNothing, request.document, actor.principal.tokenId],
    );
    const { jobId } = await this.queue.enqueue<ImportJobData>(IMPORT_JOB, { importRunId: id, organizationId: organization.id });
    await sqlRows(em, 'update import_run set job_id = ? where id = ?', [jobId, id]);
    const run = await em.findOneOrFail(ImportRun, id);
    this.logger.info({ importRunId: run.id, jobId, format: run.format, dryRun: run.dryRun }, 'import queued');
    return run;
  }

  async get(actor: Actor, id: string): Promise<ImportRun> {
    const run = await actor.em.findOne(ImportRun, id);
    if (!run) throw notFound('ImportRun', id);
    actor.principal.assertCanRead(run.organizationId, 'ImportRun', id);
    return this.withJobOutcome(actor, run);
  }

  /**
   * A run whose job ended without it (cancelled before it started, or failed outside the run, e.g.
   * its process died and the queue gave up) takes the job's outcome, so it never shows QUEUED or
   * RUNNING for ever.
   */
  private async withJobOutcome(actor: Actor, run: ImportRun): Promise<ImportRun> {
    if ((run.state !== ImportState.QUEUED && run.state !== ImportState.RUNNING) || !run.jobId || !this.queue) return run;
    const job = await this.queue.get(run.jobId);
    if (job?.state !== JobState.CANCELLED && job?.state !== JobState.FAILED) return run;
    const failed = job.state === JobState.FAILED;
    await this.end(actor.em, run, failed ? ImportState.FAILED : ImportState.CANCELLED, job.lastFinishedAt ?? new Date(), failed ? job.failReason : null);
    return run;
  }

  /** A run that is over: its state, when, why (a failure), and its file dropped (the report stays). */
  private async end(em: EntityManager, run: ImportRun, state: ImportState, finishedAt: Date, error: string | null): Promise<void> {
    Object.assign(run, { state, finishedAt, error });
    await em.flush();
    await sqlRows(em, 'update import_run set document = null where id = ?', [run.id]);
  }

  /** The organisation's units, people and groups in Ferry's JSON format. */
  async export(actor: Actor, organizationId: string, matchBy: string): Promise<string> {
    const organization = await findReadableOrganization(actor.em, actor.principal, organizationId);
    return formatFerryJson(matchBy, await population(actor.em, organization.id, matchBy));
  }

  private async run(job: RunningJob<ImportJobData>): Promise<void> {
    const em = this.orm.em.fork();
    const run = await em.findOne(ImportRun, job.data.importRunId);
    if (!run || run.state === ImportState.DONE || run.state === ImportState.CANCELLED) return;
    const [{ document: file }] = await sqlRows<{ document: string | null }>(em, 'select document from import_run where id = ?', [run.id]);
    const log = this.logger.child({ importRunId: run.id, jobId: job.id });
    run.state = ImportState.RUNNING;
    await em.flush();
    try {
      const document = PARSERS[run.format](file ?? '', { matchBy: run.matchBy });
      const plan = await planImport(em.fork(), run.organizationId, document, { matchBy: run.matchBy, removeMissing: run.removeMissing });
      const report = await this.report(run, plan);
      const stopped = run.dryRun || (run.allOrNothing && plan.refused.length > 0);
      let cancelled = false;
      // Saved with the job and announced to its progress subscribers.
      const progress = async (percent: number) => {
        await job.saveProgress(percent);
        await notify(this.orm.em.fork(), Channel.JOB_PROGRESS, job.id);
      };
      if (!stopped) {
        await this.applier.apply(this.orm.em.fork(), run.organizationId, run.matchBy, plan, run.requestedByTokenId, async ({ done, total }) => {
          await progress(Math.min(99, Math.floor((done * 100) / Math.max(total, 1))));
          cancelled = await job.isCancelled();
          return !cancelled;
        });
      }
      run.report = { ...report, applied: !stopped && !cancelled, ...(stopped && !run.dryRun ? { stoppedBy: 'allOrNothing' } : {}) };
      await this.end(em, run, cancelled ? ImportState.CANCELLED : ImportState.DONE, new Date(), null);
      await progress(100);
      log.info({ applied: run.report.applied, refused: plan.refused.length }, 'import finished');
    } catch (error) {
      run.state = ImportState.FAILED;
      run.error = error instanceof Error ? error.message : String(error);
      run.finishedAt = new Date();
      await em.flush();
      throw error;
    }
  }

  /** What the plan does (or would do), with samples, the refused records, and what it provisions on each target. */
  private async report(run: ImportRun, plan: ImportPlan): Promise<Record<string, unknown>> {
    const keys = <T>(list: T[], key: (item: T) => string) => list.slice(0, SAMPLE).map(key);
    const [{ people: inOrganization }] = await sqlRows<{ people: number }>(this.orm.em.fork(),
      `select count(*)::int as people from person where organization_id = ? and status <> 'DELETED'`, [run.organizationId]);
    const matched = plan.people.update.length + plan.people.unchanged;
    return {
      units: {
        created: plan.units.create.length,
        updated: plan.units.update.length,
        unchanged: plan.units.unchanged,
        sample: { created: keys(plan.units.create, (step) => step.unit.name), updated: plan.units.update.slice(0, SAMPLE).map((step) => ({ name: step.unit.name, changes: step.changes })) },
      },
      people: {
        created: plan.people.create.length,
        updated: plan.people.update.length,
        unchanged: plan.people.unchanged,
        removed: plan.people.remove.length,
        ...(plan.people.removalsSkipped ? { removalsSkipped: 'removeMissing removes nobody from a file with refused records: fix them (or leave them out) and import again' } : {}),
        notInFile: run.removeMissing ? 0 : Math.max(0, inOrganization - matched),
        sample: {
          created: keys(plan.people.create, (step) => step.person.key),
          updated: plan.people.update.slice(0, SAMPLE).map((step) => ({ key: step.person.key, changes: step.changes })),
          removed: keys(plan.people.remove, (person) => person.key || person.id),
        },
      },
      groups: {
        created: plan.groups.create.length,
        updated: plan.groups.update.length,
        unchanged: plan.groups.unchanged,
        sample: { created: keys(plan.groups.create, (step) => step.group.fullName), updated: keys(plan.groups.update, (step) => step.group.fullName) },
      },
      memberships: {
        added: plan.memberships.steps.filter((step) => step.action === 'add').length,
        updated: plan.memberships.steps.filter((step) => step.action === 'update').length,
        removed: plan.memberships.steps.filter((step) => step.action === 'remove').length,
        unchanged: plan.memberships.unchanged,
      },
      nestings: {
        added: plan.nestings.steps.filter((step) => step.action === 'add').length,
        removed: plan.nestings.steps.filter((step) => step.action === 'remove').length,
        unchanged: plan.nestings.unchanged,
      },
      refusedCount: plan.refused.length,
      refused: plan.refused.slice(0, REFUSED_LISTED),
      targets: await this.provisioningPreview(run, plan),
    };
  }

  /**
   * What the import hands each target of the organisation that provisions changes (Automatic,
   * Queue, Queue On Error): subjects by action, with a sample, before the target's own rules
   * (provisioning group, folder rules, data filters), which decide when the changes are provisioned.
   */
  private async provisioningPreview(run: ImportRun, plan: ImportPlan): Promise<Record<string, unknown>[]> {
    const targets = await sqlRows<{ id: string; name: string; mode: string }>(this.orm.em.fork(),
      `select id, name, mode::text from provisioning_target where organization_id = ? and mode::text = any(?::text[]) order by "order", name`,
      [run.organizationId, ['AUTOMATIC', 'QUEUE', 'QUEUE_ON_ERROR']],
    );
    const provisionable = (status: string | undefined) => PROVISIONABLE_PERSON_STATUSES.has((status ?? 'ACTIVE') as never);
    const added = plan.people.create.filter((step) => provisionable(step.person.status)).map((step) => step.person.key);
    const updated = plan.people.update.filter((step) => provisionable(step.person.status ?? step.existing!.status)).map((step) => step.person.key);
    const deleted = [
      ...plan.people.update.filter((step) => !provisionable(step.person.status ?? step.existing!.status)).map((step) => step.person.key),
      ...plan.people.remove.map((person) => person.key || person.id),
    ];
    const groupsTouched = new Set([
      ...plan.groups.create.map((step) => step.group.fullName),
      ...plan.groups.update.map((step) => step.group.fullName),
      ...plan.memberships.steps.map((step) => step.fullName),
      ...plan.nestings.steps.map((step) => step.fullName),
    ]);
    const counted = (list: string[]) => ({ count: list.length, sample: list.slice(0, SAMPLE) });
    return targets.map((target) => ({
      targetId: target.id,
      name: target.name,
      mode: target.mode,
      PERSON_ADDED: counted(added),
      PERSON_UPDATED: counted(updated),
      PERSON_DELETED: counted(deleted),
      GROUP_ADDED_OR_UPDATED: counted([...groupsTouched]),
    }));
  }
}
