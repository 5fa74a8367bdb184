import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../auth/actor';
import type { JobsService } from '../provisioning/jobs.service';
import { SUBJECTS } from '../provisioning/subjects';
import { forbidden, notFound } from '../common/errors';
import type { JobInfo } from '../jobs/job-queue';
import { ProvisioningAction as A, SubjectType } from '../provisioning/actions';
import { withinBudget } from '../provisioning/health/target-health';
import type { ProvisioningEngine } from '../provisioning/engine';
import { isDelete } from '../provisioning/planner';
import { NO_EMAIL_LISTS } from '../provisioning/lanes/provisioner';
import { ProvisionedState } from '../provisioning/provisioned-state.entity';
import { ProvisioningTarget } from '../provisioning/provisioning-target.entity';
import { findReadable, findWritable } from '../registry/records';
import type { Reconciler } from './reconciler';
import { ReconciliationDifference, ReconciliationRun } from './reconciliation.entities';
import { paginate, type Page, type PageArgs, type SortKey } from '../common/pagination';

const NEWEST_FIRST: SortKey[] = [
  { property: 'startedAt', direction: 'desc' },
  { property: 'id', direction: 'desc' },
];


export interface Preview {
  target: ProvisioningTarget;
  subjectType: SubjectType;
  subjectId: string;
  action: A;
  reason: string | null;
  willWrite: boolean;
  remoteId: string | null;
  document: unknown;
  attributes: Record<string, string[]> | null;
  detail: string;
}

export interface ConnectionTest {
  target: ProvisioningTarget;
  ok: boolean;
  supported: boolean;
  durationMs: number;
  detail: string;
}

/** Preview, reconcile and the kept results, through the API. */
export class ReconciliationService {
  constructor(
    private readonly engine: ProvisioningEngine,
    private readonly reconciler: () => Reconciler | null,
    private readonly jobs: JobsService,
  ) {}

  /** Exactly what Ferry would write for the subject on the target now, without writing it. */
  async preview(actor: Actor, targetId: string, subjectType: SubjectType, subjectId: string): Promise<Preview> {
    const { em, principal } = actor;
    const target = await findReadable(em, principal, ProvisioningTarget, targetId, 'ProvisioningTarget');
    const record = await findReadable(em, principal, SUBJECTS[subjectType].entity, subjectId, SUBJECTS[subjectType].label);
    if (record.organization.id !== target.organization.id) throw notFound(SUBJECTS[subjectType].label, subjectId);
    const payload = await this.engine.load(em, subjectType, subjectId);
    if (!payload) throw notFound(SUBJECTS[subjectType].label, subjectId);
    const { withSecrets, plugin, context } = await this.pluginOf(em, target);
    const prepared = await this.engine.prepare(em, withSecrets, SUBJECTS[subjectType].updated, payload, false);
    const state = await em.findOne(ProvisionedState, { target: target.id, subjectType, subjectId });
    const base = { target, subjectType, subjectId, action: prepared.action, reason: prepared.reason, remoteId: state?.remoteId ?? null };
    if (subjectType === SubjectType.EMAIL_LIST && !this.engine.provisioner.takesEmailLists(withSecrets)) {
      return { ...base, willWrite: false, document: null, attributes: null, detail: NO_EMAIL_LISTS };
    }
    if (prepared.error) return { ...base, willWrite: false, document: null, attributes: null, detail: prepared.error };
    if (prepared.skip) return { ...base, willWrite: false, document: null, attributes: null, detail: prepared.reason ?? 'skipped' };
    if (!plugin.render) return { ...base, willWrite: !isDelete(prepared.action), document: null, attributes: null, detail: `the ${plugin.name} plugin cannot preview` };
    const rendering = await plugin.render(context, { action: prepared.action, subject: prepared.subject, remoteId: state?.remoteId ?? null });
    return {
      ...base,
      willWrite: rendering.object !== null,
      remoteId: rendering.object?.remoteId ?? base.remoteId,
      document: rendering.document,
      attributes: rendering.object?.attributes ?? null,
      detail: rendering.detail,
    };
  }

  /**
   * "Test connection": the plugin reaches the target with its saved configuration on a connection
   * of its own and reads only (LDAP: bind and the base DNs; SCIM: one page of /Users), within the
   * configuration's timeoutMs. The answer says what worked or what failed; it never throws for a
   * target that is down.
   */
  async testConnection(actor: Actor, targetId: string): Promise<ConnectionTest> {
    const target = await findWritable(actor.em, actor.principal, ProvisioningTarget, targetId, 'ProvisioningTarget');
    return this.testTarget(actor.em, target);
  }

  /**
   * The test itself, for a target already authorised (the API, a target's save) or an operator's
   * `ferry doctor`. It takes the configuration's timeoutMs (plus a second), or `maxBudgetMs` when
   * that is shorter: a save waits for its test, and must not hang on a dead target.
   */
  async testTarget(em: EntityManager, target: ProvisioningTarget, options: { maxBudgetMs?: number } = {}): Promise<ConnectionTest> {
    const { plugin, context } = await this.pluginOf(em, target);
    if (!plugin.testConnection) {
      return { target, ok: false, supported: false, durationMs: 0, detail: `the ${plugin.name} plugin cannot test a connection without sending data to the target` };
    }
    const test = plugin.testConnection.bind(plugin);
    const budgetMs = Math.min(Number((context.config as { timeoutMs?: number }).timeoutMs ?? 10_000) + 1000, options.maxBudgetMs ?? Infinity);
    const started = performance.now();
    try {
      const detail = await withinBudget(budgetMs, () => test(context));
      return { target, ok: true, supported: true, durationMs: Math.round(performance.now() - started), detail };
    } catch (error) {
      return { target, ok: false, supported: true, durationMs: Math.round(performance.now() - started), detail: error instanceof Error ? error.message : String(error) };
    }
  }

  /** The target with its secrets (for the plugin, never returned), its plugin and call context. */
  private async pluginOf(em: EntityManager, target: ProvisioningTarget) {
    const withSecrets = await em.fork().findOneOrFail(ProvisioningTarget, target.id, { populate: ['secrets'] });
    return { withSecrets, ...this.engine.pluginFor(em, withSecrets) };
  }

  async reconcile(actor: Actor, targetId: string, options: { dryRun: boolean; confirmDeletions: boolean }): Promise<JobInfo> {
    const target = await findWritable(actor.em, actor.principal, ProvisioningTarget, targetId, 'ProvisioningTarget');
    const runner = this.reconciler();
    if (!runner) throw forbidden('This Ferry runs without a job queue.');
    const { jobId } = await runner.request(target, options);
    return this.jobs.get(actor, jobId);
  }

  /** A target's reconciliations, newest first, one page. */
  async runs(actor: Actor, targetId: string, page: PageArgs): Promise<Page<ReconciliationRun>> {
    const target = await findReadable(actor.em, actor.principal, ProvisioningTarget, targetId, 'ProvisioningTarget');
    return paginate(actor.em, ReconciliationRun, { target: target.id }, page, { sort: NEWEST_FIRST });
  }

  async run(actor: Actor, id: string): Promise<ReconciliationRun> {
    const run = await actor.em.findOne(ReconciliationRun, { id }).catch(() => null);
    if (!run) throw notFound('ReconciliationRun', id);
    actor.principal.assertCanRead(run.organizationId, 'ReconciliationRun', id);
    return run;
  }

  differences(actor: Actor, run: ReconciliationRun): Promise<ReconciliationDifference[]> {
    return actor.em.find(ReconciliationDifference, { run: run.id }, { orderBy: { id: 'asc' } });
  }
}
