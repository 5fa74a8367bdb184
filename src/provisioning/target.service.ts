import { ref } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ZodIssue } from 'zod';
import type { Actor } from '../auth/actor';
import { ErrorCode, FerryError, badInput, notFound } from '../common/errors';
import { applyDefined } from '../common/validation';
import { inWriteTransaction, type WriteResult } from '../db/transaction';
import type { ProvisionerPlugin } from '../plugins/plugin';
import type { PluginRegistry } from '../plugins/registry';
import { Group } from '../registry/groups/group.entity';
import { OrgIdentitySource } from '../registry/sources/org-identity-source.entity';
import { findReadable, findReadableOrganization, findWritable, findWritableOrganization } from '../registry/records';
import type { ProvisioningMode } from './actions';
import { GroupSelection, ProvisioningTarget } from './provisioning-target.entity';
import { assertRegexExpression } from '../provisionability/rules';
import { toDataFilters, type DataFilterSpec } from '../data-filters/data-filter.types';
import { assertCronExpression } from '../common/cron';
import { paginate, type Page, type PageArgs, type SortKey } from '../common/pagination';
import { sqlRows } from '../db/sql';

/** The order targets run in. */
const TARGET_ORDER: SortKey[] = [
  { property: 'order', direction: 'asc' },
  { property: 'id', direction: 'asc' },
];

export interface TargetFilter {
  plugin?: string;
  mode?: ProvisioningMode;
}

export interface TargetSettings {
  name?: string;
  mode?: ProvisioningMode;
  order?: number;
  provisioningGroupId?: string | null;
  skipIfFromSourceId?: string | null;
  retryIntervalSeconds?: number;
  maxRetries?: number;
  concurrency?: number | null;
  groupSelection?: GroupSelection;
  onlyPolicyGroups?: boolean;
  provisionableRegex?: string | null;
  allowPolicyGroupOverride?: boolean;
  allowRegexOverride?: boolean;
  keepUnprovisionableGroups?: boolean;
  dataFilters?: DataFilterSpec[];
  deletionThresholdPercent?: number;
  reconcileDeletesOrphans?: boolean;
  reconcileSchedule?: string | null;
}

export interface CreateTargetInput extends TargetSettings {
  name: string;
  plugin: string;
  config: Record<string, unknown>;
}

export interface UpdateTargetInput extends TargetSettings {
  config?: Record<string, unknown>;
}

interface FieldProblem {
  field: string;
  problems: string[];
}

interface SplitConfig {
  config: Record<string, unknown>;
  secrets: Record<string, string>;
}

/** Plugin configurations are a handful of settings; anything far larger is a mistake or abuse. */
const MAX_CONFIG_JSON_LENGTH = 64 * 1024;

/**
 * Told, after the commit, that a target's reconciliation schedule or mode was set or changed (the
 * composition root connects the reconciliation jobs). A process that stops before telling it is
 * covered at start, when every scheduled target's next run is queued again (idempotent).
 */
export type ScheduleChanged = (target: ScheduledTarget) => Promise<void>;

/** What the reconciliation jobs need of a target to schedule it (a deleted target: no schedule). */
export type ScheduledTarget = Pick<ProvisioningTarget, 'id' | 'organization' | 'reconcileSchedule' | 'mode'>;

/** How many shared names groupNameCollisions lists at most. */
export const MAX_NAME_COLLISIONS = 100;

/** Groups that would go by one name on a target (see TargetService.groupNameCollisions). */
export interface GroupNameCollision {
  name: string;
  groupIds: string[];
  fullNames: string[];
}

/**
 * Provisioning targets: where Ferry pushes the registry, with each target's plugin configuration.
 * Secrets are stored apart from the rest of the configuration and never leave this service.
 */
export class TargetService {
  constructor(
    readonly plugins: PluginRegistry,
    private readonly scheduleChanged: ScheduleChanged = async () => {},
  ) {}

  /** The organisation's targets in the order they run, one page. */
  async list(actor: Actor, organizationId: string, filter: TargetFilter, page: PageArgs): Promise<Page<ProvisioningTarget>> {
    const organization = await findReadableOrganization(actor.em, actor.principal, organizationId);
    const where = {
      organization: organization.id,
      ...(filter.plugin !== undefined ? { plugin: filter.plugin } : {}),
      ...(filter.mode !== undefined ? { mode: filter.mode } : {}),
    };
    return paginate(actor.em, ProvisioningTarget, where, page, { sort: TARGET_ORDER });
  }

  get(actor: Actor, id: string): Promise<ProvisioningTarget> {
    return findReadable(actor.em, actor.principal, ProvisioningTarget, id);
  }

  /**
   * For each target id, the names of its secret settings that hold a value; the values stay in the
   * database. Read on an EntityManager of its own: secrets never enter the caller's identity map,
   * so nothing that serialises or flushes its entities can carry them along.
   */
  async secretKeys(em: EntityManager, targetIds: readonly string[]): Promise<Map<string, string[]>> {
    const rows = await em.fork().find(ProvisioningTarget, { id: { $in: [...targetIds] } }, { populate: ['secrets'] });
    return new Map(rows.map((row) => [row.id, Object.keys(row.secrets ?? {}).sort()]));
  }

  /**
   * The groups that would share one name on the target: under the plugin's "name" naming, its
   * standard groups (automatic ones keep their full names) grouped by their own name without case
   * (as LDAP compares a cn; named as the first group in full-name order spells it), among the
   * groups it takes (on a folder-rules target, the provisionable ones), whatever their status. The
   * first MAX_NAME_COLLISIONS names, in name order; none under "fullName". The target is one the
   * caller can read (a field of it).
   */
  async groupNameCollisions(em: EntityManager, target: ProvisioningTarget): Promise<GroupNameCollision[]> {
    const plugin = this.plugins.find(target.plugin);
    if (plugin?.groupNaming?.(target.config) !== 'name') return [];
    const rows = await sqlRows<{ name: string; group_ids: string[]; full_names: string[] }>(em,
      `select (array_agg(g.name order by g.full_name))[1] as name, array_agg(g.id order by g.full_name) as group_ids, array_agg(g.full_name order by g.full_name) as full_names
         from "group" g
        where g.organization_id = ? and g.type = 'STANDARD'
          and (? or exists (select 1 from group_provisionability p where p.target_id = ? and p.group_id = g.id and p.provisionable))
        group by lower(g.name) having count(*) > 1
        order by lower(g.name) limit ${MAX_NAME_COLLISIONS}`,
      [target.organization.id, target.groupSelection !== GroupSelection.FOLDER_RULES, target.id],
    );
    return rows.map((row) => ({ name: row.name, groupIds: row.group_ids, fullNames: row.full_names }));
  }

  async create(actor: Actor, organizationId: string, input: CreateTargetInput): Promise<WriteResult<ProvisioningTarget>> {
    const result = await inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const organization = await findWritableOrganization(em, actor.principal, organizationId);
      const plugin = this.plugins.get(input.plugin);
      const { config, secrets } = await this.validateConfig(plugin, input.config);
      const target = new ProvisioningTarget();
      target.organization = ref(organization);
      target.plugin = plugin.name;
      target.config = config;
      target.secrets = secrets;
      target.order = input.order ?? (await this.nextOrder(em, organization.id));
      await this.applySettings(actor, em, target, input);
      em.persist(target);
      return target;
    });
    if (result.value.reconcileSchedule) await this.tellScheduleChanged(actor, result.value);
    return result;
  }

  async update(actor: Actor, id: string, input: UpdateTargetInput): Promise<WriteResult<ProvisioningTarget>> {
    const result = await inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const target = await findWritable(em, actor.principal, ProvisioningTarget, id);
      const config = input.config === undefined ? undefined : await this.mergeConfig(em, target, input.config);
      await this.applySettings(actor, em, target, input);
      if (config) target.config = config;
      return target;
    });
    if (input.config !== undefined) await this.releaseConnections(actor, result.value.id, result.value.plugin);
    if (input.reconcileSchedule !== undefined || input.mode !== undefined) await this.tellScheduleChanged(actor, result.value);
    return result;
  }

  /** The change is committed whatever happens here: a failure is logged, and the next start schedules it. */
  private async tellScheduleChanged(actor: Actor, target: ScheduledTarget): Promise<void> {
    await this.scheduleChanged(target).catch((error) => actor.logger.warn({ err: error, targetId: target.id }, 'could not schedule the reconciliation'));
  }

  /** The target's provisioned states go with it (database cascade), and so do its claims. */
  async delete(actor: Actor, id: string): Promise<WriteResult<string>> {
    let plugin = '';
    let scheduled: ScheduledTarget | null = null;
    const result = await inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const target = await findWritable(em, actor.principal, ProvisioningTarget, id);
      plugin = target.plugin;
      // Its waiting scheduled reconciliation goes with it.
      if (target.reconcileSchedule) scheduled = { id: target.id, organization: target.organization, reconcileSchedule: null, mode: target.mode };
      await em.execute('delete from provisioning_claim where target_id = ?', [target.id]);
      em.remove(target);
      return target.id;
    });
    await this.releaseConnections(actor, result.value, plugin);
    if (scheduled) await this.tellScheduleChanged(actor, scheduled);
    return result;
  }

  private async applySettings(actor: Actor, em: EntityManager, target: ProvisioningTarget, input: TargetSettings) {
    const { provisioningGroupId, skipIfFromSourceId, name, mode, order, retryIntervalSeconds, maxRetries, concurrency, provisionableRegex, dataFilters, ...rules } = input;
    if (concurrency !== undefined) target.concurrency = concurrency;
    if (dataFilters !== undefined) target.dataFilters = toDataFilters(dataFilters);
    const { deletionThresholdPercent, reconcileDeletesOrphans, reconcileSchedule, ...ruleSettings } = rules;
    assertCronExpression(reconcileSchedule);
    applyDefined(target, { deletionThresholdPercent, reconcileDeletesOrphans });
    if (reconcileSchedule !== undefined) target.reconcileSchedule = reconcileSchedule;
    assertRegexExpression(provisionableRegex, 'provisionableRegex');
    if (provisionableRegex !== undefined) target.provisionableRegex = provisionableRegex;
    const { groupSelection, onlyPolicyGroups, allowPolicyGroupOverride, allowRegexOverride, keepUnprovisionableGroups } = ruleSettings;
    applyDefined(target, { groupSelection, onlyPolicyGroups, allowPolicyGroupOverride, allowRegexOverride, keepUnprovisionableGroups });
    const organizationId = target.organization.id;
    // Looked up before anything is assigned: a query auto-flushes pending changes, which would
    // split one update into several change-log entries.
    const group = provisioningGroupId ? await this.sameOrganization(actor, em, Group, provisioningGroupId, organizationId) : null;
    const source = skipIfFromSourceId
      ? await this.sameOrganization(actor, em, OrgIdentitySource, skipIfFromSourceId, organizationId)
      : null;
    applyDefined(target, { name, mode, order, retryIntervalSeconds, maxRetries });
    if (provisioningGroupId !== undefined) target.provisioningGroup = group ? ref(group) : null;
    if (skipIfFromSourceId !== undefined) target.skipIfFromSource = source ? ref(source) : null;
  }

  /** A record of the target's own organisation; one of another organisation is reported as missing. */
  private async sameOrganization<T extends Group | OrgIdentitySource>(
    actor: Actor,
    em: EntityManager,
    entity: new () => T,
    id: string,
    organizationId: string,
  ): Promise<T> {
    const record = await findReadable(em, actor.principal, entity, id);
    if (record.organization.id !== organizationId) throw notFound(entity.name, id);
    return record;
  }

  private async nextOrder(em: EntityManager, organizationId: string): Promise<number> {
    const last = await em.findOne(ProvisioningTarget, { organization: organizationId }, { orderBy: { order: 'desc' } });
    return last ? last.order + 1 : 1;
  }

  /**
   * Applies a partial configuration: keys given replace the stored ones, null clears a key, and
   * secrets left out keep their stored value (a client never has them to send back). Stores the
   * secrets and returns the rest, for the caller to assign once every lookup is done.
   */
  private async mergeConfig(
    em: EntityManager,
    target: ProvisioningTarget,
    changes: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const plugin = this.plugins.get(target.plugin);
    await em.populate(target, ['secrets']);
    const storedSecrets = target.secrets ?? {};
    const merged: Record<string, unknown> = { ...target.config, ...storedSecrets };
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) delete merged[key];
      else merged[key] = value;
    }
    const { config, secrets } = await this.validateConfig(plugin, merged);
    // The change log names `secrets` as changed but redacts its values (a hidden property).
    if (JSON.stringify(sortKeys(secrets)) !== JSON.stringify(sortKeys(storedSecrets))) target.secrets = secrets;
    return config;
  }

  /** Validates with the plugin's schema (applying its defaults) and splits off the secrets. */
  private async validateConfig(plugin: ProvisionerPlugin, input: Record<string, unknown>): Promise<SplitConfig> {
    if (JSON.stringify(input).length > MAX_CONFIG_JSON_LENGTH) {
      throw badInput(`The configuration is larger than ${MAX_CONFIG_JSON_LENGTH / 1024} KiB.`, 'config');
    }
    const parsed = await plugin.configSchema.safeParseAsync(input);
    if (!parsed.success) {
      const fields = describeIssues(parsed.error.issues, new Set(plugin.secretFields));
      const summary = fields.map((f) => `${f.field}: ${f.problems.join('; ')}`).join('; ');
      throw new FerryError(ErrorCode.BadUserInput, `The configuration is not valid for plugin "${plugin.name}": ${summary}.`, {
        fields,
      });
    }
    const value = parsed.data;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new Error(`Plugin ${plugin.name}: its configuration schema must produce an object.`);
    }
    this.plugins.assertUrlsAllowed(plugin, value as Record<string, unknown>);
    await this.plugins.assertAddressesAllowed(plugin, value as Record<string, unknown>);
    const config: Record<string, unknown> = {};
    const secrets: Record<string, string> = {};
    const secretFields = new Set(plugin.secretFields);
    for (const [key, setting] of Object.entries(value as Record<string, unknown>)) {
      if (!secretFields.has(key)) config[key] = setting;
      else if (setting !== undefined && setting !== null) secrets[key] = setting as string;
    }
    return { config, secrets };
  }

  /** Connections a plugin holds were opened with the old configuration (or for a deleted target). */
  private async releaseConnections(actor: Actor, targetId: string, pluginName: string): Promise<void> {
    try {
      await this.plugins.find(pluginName)?.close?.(targetId);
    } catch (error) {
      actor.logger.warn({ err: error, targetId, plugin: pluginName }, 'closing the connections of a provisioning target failed');
    }
  }
}

/** Zod issue codes whose messages never quote the value given. */
const MESSAGES_WITHOUT_VALUES = new Set<string>(['invalid_type', 'too_small', 'too_big', 'invalid_string', 'not_multiple_of']);

/**
 * One entry per configuration path, in the shape class-validator errors take. Problems with a
 * secret never quote the value given, because some zod messages do ("received ...").
 */
function describeIssues(issues: ZodIssue[], secretFields: Set<string>): FieldProblem[] {
  const problems = new Map<string, string[]>();
  const add = (path: (string | number)[], problem: string) => {
    const field = ['config', ...path].join('.');
    problems.set(field, [...(problems.get(field) ?? []), problem]);
  };
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add([...issue.path, key], 'is not a setting of this plugin');
      continue;
    }
    const secret = secretFields.has(String(issue.path[0]));
    if (issue.code === 'invalid_type' && issue.received === 'undefined') add(issue.path, 'is required');
    else if (secret && !MESSAGES_WITHOUT_VALUES.has(issue.code)) add(issue.path, 'is not valid');
    else add(issue.path, issue.message);
  }
  return [...problems].map(([field, list]) => ({ field, problems: list }));
}

function sortKeys(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
