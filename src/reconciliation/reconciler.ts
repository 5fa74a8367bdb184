import { ref } from '@mikro-orm/core';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { nextRun } from '../common/cron';
import { JobState, type JobQueue, type RunningJob } from '../jobs/job-queue';
import type { Logger } from '../observability/logger';
import type { ProvisionerPlugin, Rendering, TargetContext } from '../plugins/plugin';
import { ProvisioningAction as A, ProvisioningMode, SubjectType } from '../provisioning/actions';
import type { ProvisioningEngine } from '../provisioning/engine';
import { recordProvisioningEvents } from '../provisioning/event-log';
import { isDelete } from '../provisioning/planner';
import { subjectLabel } from '../provisioning/payload';
import { ProvisionedState, ProvisioningStatus } from '../provisioning/provisioned-state.entity';
import { skeletonPerson } from '../provisioning/loading/mappers';
import { PersonStatus } from '../registry/enums';
import type { ProvisioningEvent } from '../provisioning/provisioning-event.entity';
import { ProvisioningOutcome } from '../provisioning/provisioning-event.entity';
import { ProvisioningTarget } from '../provisioning/provisioning-target.entity';
import { SUBJECTS } from '../provisioning/subjects';
import { DifferenceKind, ReconciliationDifference, ReconciliationRun, ReconciliationStatus } from './reconciliation.entities';

export const RECONCILE_JOB = 'reconcile';

export interface ReconcileJobData extends Record<string, unknown> {
  organizationId: string;
  targetId: string;
  dryRun: boolean;
  confirmDeletions: boolean;
  /** SCHEDULED runs schedule the next one from the target's cron expression. */
  trigger: 'SCHEDULED' | 'ON_DEMAND';
  runId?: string;
}

/** What reconciliation compares: people, then groups, then email lists where the target provisions them. */
const RECONCILED = [SUBJECTS[SubjectType.PERSON], SUBJECTS[SubjectType.GROUP], SUBJECTS[SubjectType.EMAIL_LIST]];
const BATCH = 200;

/** LDAP DNs compare without case and without spaces around separators; so do most values. */
export const normalise = (value: string) => value.replace(/\s*([,=+])\s*/g, '$1').replace(/\s+/g, ' ').trim().toLowerCase();
const key = (remoteId: string) => normalise(remoteId);

interface Wanted {
  subjectType: SubjectType;
  subjectId: string;
  label: string;
  action: A;
  rendering: Rendering;
}

/**
 * Compares what a target holds in its managed scope with what Ferry would provision now, reports
 * every difference, and (unless a dry run) fixes them: missing and different objects are
 * provisioned again, objects of subjects that must go are deleted, orphans are removed only when
 * the target allows it. A run that would delete more than the target's threshold stops before
 * changing anything unless the deletions were confirmed.
 */
export class Reconciler {
  constructor(
    private readonly orm: MikroORM,
    private readonly engine: ProvisioningEngine,
    private readonly jobs: JobQueue,
    private readonly logger: Logger,
  ) {
    jobs.define<ReconcileJobData>(RECONCILE_JOB, (job) => this.run(job), { concurrency: 1 });
  }

  async request(target: ProvisioningTarget, options: { dryRun: boolean; confirmDeletions: boolean }): Promise<{ jobId: string }> {
    return this.jobs.enqueue(RECONCILE_JOB, {
      organizationId: target.organization.id,
      targetId: target.id,
      dryRun: options.dryRun,
      confirmDeletions: options.confirmDeletions,
      trigger: 'ON_DEMAND',
    } satisfies ReconcileJobData);
  }

  /** Schedules the target's next scheduled run (one waiting per target), if it has a schedule. */
  async schedule(target: Pick<ProvisioningTarget, 'id' | 'reconcileSchedule' | 'organization'>): Promise<void> {
    await this.scheduleMany([target]);
  }

  /** schedule() for many targets: one dedupe lookup and one insert for the lot. */
  private async scheduleMany(targets: Pick<ProvisioningTarget, 'id' | 'reconcileSchedule' | 'organization'>[]): Promise<void> {
    const runs = targets.flatMap((target) =>
      target.reconcileSchedule
        ? [{
            data: { organizationId: target.organization.id, targetId: target.id, dryRun: false, confirmDeletions: false, trigger: 'SCHEDULED' } satisfies ReconcileJobData,
            runAt: nextRun(target.reconcileSchedule),
          }]
        : [],
    );
    await this.jobs.enqueueMany(RECONCILE_JOB, runs, { dedupeOn: ['targetId', 'trigger'] });
  }

  /**
   * The target's schedule was set, changed or removed: its waiting scheduled run is cancelled and
   * the next one queued from the schedule as it is now (none when it was removed, or the target is
   * disabled or deleted).
   */
  async reschedule(target: Pick<ProvisioningTarget, 'id' | 'reconcileSchedule' | 'organization' | 'mode'>): Promise<void> {
    const waiting = await this.jobs.list({ name: RECONCILE_JOB, organizationId: target.organization.id, targetId: target.id, state: JobState.QUEUED, limit: 100 });
    for (const job of waiting) if (job.data.trigger === 'SCHEDULED') await this.jobs.cancel(job.id);
    if (target.mode !== ProvisioningMode.DISABLED) await this.schedule(target);
  }

  /**
   * Queues the next run of every target that has a schedule (a waiting run stays as it is): at
   * start, so a schedule saved just before a process stopped, or a run that stopped before
   * scheduling its successor, is not lost.
   */
  async scheduleAll(): Promise<number> {
    const targets = await this.orm.em
      .fork()
      .find(ProvisioningTarget, { reconcileSchedule: { $ne: null }, mode: { $ne: ProvisioningMode.DISABLED } }, { fields: ['id', 'reconcileSchedule', 'organization'] });
    await this.scheduleMany(targets);
    return targets.length;
  }

  private async run(job: RunningJob<ReconcileJobData>): Promise<void> {
    const { targetId, dryRun, confirmDeletions, trigger } = job.data;
    const em = this.orm.em.fork();
    const target = await em.findOne(ProvisioningTarget, targetId, { populate: ['secrets'] });
    if (!target) return;
    const run = new ReconciliationRun();
    Object.assign(run, { organizationId: target.organization.id, target: ref(target), jobId: job.id, dryRun, confirmDeletions });
    await em.persistAndFlush(run);
    try {
      await this.reconcile(em, job, target, run);
    } catch (error) {
      run.status = ReconciliationStatus.FAILED;
      run.reason = error instanceof Error ? error.message : String(error);
      this.logger.warn({ err: error, targetId }, 'reconciliation failed');
    }
    run.finishedAt = new Date();
    await em.flush();
    if (trigger === 'SCHEDULED' && target.mode !== ProvisioningMode.DISABLED) await this.schedule(target);
    if (run.status === ReconciliationStatus.FAILED) throw new Error(run.reason ?? 'reconciliation failed');
  }

  private async reconcile(em: EntityManager, job: RunningJob<ReconcileJobData>, target: ProvisioningTarget, run: ReconciliationRun): Promise<void> {
    const { plugin, context } = this.engine.pluginFor(em, target);
    if (!plugin.render || !plugin.list) throw new Error(`The ${plugin.name} plugin cannot list what its targets hold, so it cannot reconcile.`);
    const takesLists = this.engine.provisioner.takesEmailLists(target);
    const kinds = RECONCILED.filter((spec) => spec.type !== SubjectType.EMAIL_LIST || takesLists);

    // 1. What Ferry would provision now, subject by subject, decided as provisioning decides.
    const wanted = new Map<string, Wanted>();
    const wantedBySubject = new Map<string, Wanted>();
    const mustGo = new Map<string, { subjectType: SubjectType; subjectId: string; label: string; action: A }>();
    const keptAsIs = new Set<string>();
    const inRegistry = new Set<string>();
    const states = new Map(
      (await em.find(ProvisionedState, { target: target.id, remoteId: { $ne: null } })).map((state) => [state.subjectId, state]),
    );
    for (const [index, spec] of kinds.entries()) {
      let afterId: string | null = null;
      for (;;) {
        const rows: { id: string }[] = await em
          .createQueryBuilder(spec.entity)
          .select('id')
          .where({ organization: target.organization.id, ...(afterId ? { id: { $gt: afterId } } : {}) })
          .orderBy({ id: 'asc' })
          .limit(BATCH)
          .execute('all');
        for (const { id } of rows) {
          const payload = await this.engine.load(em, spec.type, id);
          if (!payload) continue;
          inRegistry.add(id);
          run.subjects += 1;
          const prepared = await this.engine.prepare(em, target, spec.reprovision, payload, false);
          const stored = states.get(id)?.remoteId ?? null;
          const label = subjectLabel(payload) ?? id;
          if (prepared.skip) {
            if (stored) keptAsIs.add(key(stored));
            continue;
          }
          if (prepared.error) throw new Error(prepared.error);
          if (isDelete(prepared.action)) {
            // A target that keeps the object of a deprovisioned subject (SCIM's DEACTIVATE) renders
            // what it keeps: that object is compared like any other, not reported as one to delete.
            const kept = stored ? await plugin.render(context, { action: prepared.action, subject: prepared.subject, remoteId: stored }) : null;
            if (kept?.object) {
              const item: Wanted = { subjectType: spec.type, subjectId: id, label, action: spec.reprovision, rendering: kept };
              wantedBySubject.set(id, item);
              wanted.set(key(kept.object.remoteId ?? stored!), item);
            } else if (stored) mustGo.set(key(stored), { subjectType: spec.type, subjectId: id, label, action: prepared.action });
            continue;
          }
          const rendering = await plugin.render(context, { action: prepared.action, subject: prepared.subject, remoteId: stored });
          if (!rendering.object) {
            if (stored) mustGo.set(key(stored), { subjectType: spec.type, subjectId: id, label, action: spec.deleted });
            continue;
          }
          const item: Wanted = { subjectType: spec.type, subjectId: id, label, action: spec.reprovision, rendering };
          wantedBySubject.set(id, item);
          const remoteId = rendering.object.remoteId ?? stored;
          if (remoteId) wanted.set(key(remoteId), item);
        }
        afterId = rows.at(-1)?.id ?? afterId;
        if (rows.length < BATCH) break;
      }
      await job.saveProgress(Math.round((50 * (index + 1)) / kinds.length));
    }
    // People deleted from the registry whose object the target keeps (deprovisioned, not deleted:
    // SCIM's DEACTIVATE): compared with what deprovisioning leaves, found by their stored id only
    // (one that vanished from the target is not missing).
    for (const state of states.values()) {
      if (state.subjectType !== SubjectType.PERSON || inRegistry.has(state.subjectId) || state.status !== ProvisioningStatus.NOT_PROVISIONED) continue;
      const gone = skeletonPerson(state.subjectId, target.organization.id, PersonStatus.DELETED);
      const rendering = await plugin.render(context, { action: A.PERSON_DELETED, subject: gone, remoteId: state.remoteId });
      if (rendering.object) {
        wanted.set(key(state.remoteId!), { subjectType: SubjectType.PERSON, subjectId: state.subjectId, label: state.remoteId!, action: A.PERSON_DELETED, rendering });
      }
    }

    // 2. What the target holds, and the differences.
    const differences: ReconciliationDifference[] = [];
    const difference = (fields: Partial<ReconciliationDifference>) => {
      const row = Object.assign(new ReconciliationDifference(), { run: ref(run) }, fields);
      differences.push(row);
      return row;
    };
    const matched = new Set<string>();
    for (const spec of kinds) {
      for await (const object of plugin.list(context, spec.type)) {
        run.remoteObjects += 1;
        const objectKey = key(object.remoteId);
        const expected = wanted.get(objectKey) ?? (object.subjectId ? wantedBySubject.get(object.subjectId) : undefined);
        if (expected) {
          matched.add(expected.subjectId);
          const diffs = await this.compare(plugin, context, spec.type, object.remoteId, expected.rendering);
          if (diffs.length > 0) {
            difference({ kind: DifferenceKind.DIFFERENT, subjectType: spec.type, subjectId: expected.subjectId, remoteId: object.remoteId, label: expected.label, attributes: diffs, fix: 'provision the subject again' });
          }
          continue;
        }
        if (keptAsIs.has(objectKey)) continue;
        const leaving = mustGo.get(objectKey);
        if (leaving) {
          difference({ kind: DifferenceKind.EXTRA, subjectType: spec.type, subjectId: leaving.subjectId, remoteId: object.remoteId, label: leaving.label, fix: `delete (${leaving.action})`, deletes: true });
          continue;
        }
        difference({
          kind: DifferenceKind.EXTRA,
          subjectType: spec.type,
          remoteId: object.remoteId,
          label: object.label,
          fix: target.reconcileDeletesOrphans && plugin.removeRemote ? 'remove the orphan' : 'report only: the target does not allow deleting orphans',
          deletes: Boolean(target.reconcileDeletesOrphans && plugin.removeRemote),
        });
      }
    }
    for (const item of wantedBySubject.values()) {
      if (matched.has(item.subjectId)) continue;
      const remoteId = item.rendering.object!.remoteId;
      difference({ kind: DifferenceKind.MISSING, subjectType: item.subjectType, subjectId: item.subjectId, remoteId, label: item.label, fix: 'provision the subject' });
    }
    run.missing = differences.filter((d) => d.kind === DifferenceKind.MISSING).length;
    run.extra = differences.filter((d) => d.kind === DifferenceKind.EXTRA).length;
    run.different = differences.filter((d) => d.kind === DifferenceKind.DIFFERENT).length;
    run.deletions = differences.filter((d) => d.deletes).length;
    em.persist(differences);
    await job.saveProgress(75);

    // 3. Deletion safety, then the fixes.
    const share = run.remoteObjects === 0 ? 0 : (100 * run.deletions) / run.remoteObjects;
    if (run.deletions > 0 && share > target.deletionThresholdPercent && !run.confirmDeletions) {
      run.status = ReconciliationStatus.BLOCKED;
      run.reason = `it would delete ${run.deletions} of the ${run.remoteObjects} objects on the target (${share.toFixed(1)}%), more than the ${target.deletionThresholdPercent}% allowed without confirmation; nothing was changed. Run it again with confirmDeletions: true if that is intended.`;
      if (run.dryRun) run.status = ReconciliationStatus.COMPLETED;
      await em.flush();
      return;
    }
    if (!run.dryRun) await this.apply(em, job, target, plugin, context, differences, run);
    run.status = ReconciliationStatus.COMPLETED;
    await em.flush();
    await job.saveProgress(100);
  }

  private async apply(
    em: EntityManager,
    job: RunningJob<ReconcileJobData>,
    target: ProvisioningTarget,
    plugin: ProvisionerPlugin,
    context: TargetContext<unknown>,
    differences: ReconciliationDifference[],
    run: ReconciliationRun,
  ): Promise<void> {
    await em.flush();
    // People first, so that group entries find their members' entries.
    const ordered = [...differences].sort((a, b) => Number(a.subjectType !== SubjectType.PERSON) - Number(b.subjectType !== SubjectType.PERSON));
    for (const difference of ordered) {
      if (difference.kind === DifferenceKind.EXTRA && !difference.subjectId) {
        if (!difference.deletes) continue;
        try {
          await plugin.removeRemote!(context, difference.subjectType, difference.remoteId!);
          difference.applied = true;
        } catch (error) {
          difference.error = error instanceof Error ? error.message : String(error);
        }
        continue;
      }
      const event = await this.orm.em.fork().transactional(async (tx) => {
        const managed = await tx.findOneOrFail(ProvisioningTarget, target.id, { populate: ['secrets'] });
        const kind = SUBJECTS[difference.subjectType];
        const loaded = await this.engine.load(tx, difference.subjectType, difference.subjectId!);
        // A person deleted from the registry whose kept object drifted is deprovisioned again.
        const subject = loaded ?? (difference.subjectType === SubjectType.PERSON ? skeletonPerson(difference.subjectId!, target.organization.id, PersonStatus.DELETED) : null);
        if (!subject) return null;
        const requested = difference.deletes || !loaded ? kind.deleted : kind.reprovision;
        const produced: ProvisioningEvent = await this.engine.runOnTarget(tx, managed, requested, subject, { changeSeq: null, jobId: job.id });
        await recordProvisioningEvents(tx, [produced]);
        return produced;
      });
      if (!event) continue;
      difference.applied = event.outcome === ProvisioningOutcome.SUCCEEDED;
      if (event.outcome === ProvisioningOutcome.FAILED) difference.error = event.error;
    }
    run.applied = differences.filter((d) => d.applied).length;
    run.failed = differences.filter((d) => d.error).length;
  }

  /** Attribute by attribute, what the target holds against what Ferry would write. */
  private async compare(plugin: ProvisionerPlugin, context: TargetContext<unknown>, subjectType: SubjectType, remoteId: string, rendering: Rendering) {
    const actual = await plugin.readBack(context, subjectType, remoteId);
    const has = actual.attributes ?? {};
    const diffs: { attribute: string; expected: string[]; actual: string[] }[] = [];
    for (const [attribute, expected] of Object.entries(rendering.object!.attributes)) {
      const held = has[attribute] ?? [];
      const a = [...new Set(expected.map(normalise))].sort();
      const b = [...new Set(held.map(normalise))].sort();
      if (a.length !== b.length || a.some((value, i) => value !== b[i])) diffs.push({ attribute, expected, actual: held });
    }
    return diffs;
  }
}
