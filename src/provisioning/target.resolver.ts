import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Args, Ctx, Field, FieldResolver, ID, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { ProvisioningMode } from './actions';
import { DataFilterSpec, fromDataFilters } from '../data-filters/data-filter.types';
import type { RequestContext } from '../api/context';
import { Connection, PageArgs } from '../common/pagination';
import { DeletePayload, Payload, toDeletePayload, toPayload } from '../api/payload';
import { ProvisioningTarget } from './provisioning-target.entity';
import { configJsonSchema } from '../plugins/config-schema';
import { CreateProvisioningTargetInput, ProvisioningTargetFilter, UpdateProvisioningTargetInput } from './target.inputs';

/** How long a save waits for its connection test at most (less when the target's timeoutMs is shorter). */
export const SAVE_TEST_BUDGET_MS = 5000;

@ObjectType({ description: 'The connection test run after a target was saved: a warning, never a refusal (the target is saved either way).' })
class SavedTargetConnectionTest {
  @Field({ description: 'Whether the target answered as expected with the saved configuration.' })
  ok: boolean;

  @Field({ description: 'What worked (e.g. "bound to ldap://... as cn=..."), or what failed (e.g. the LDAP server\'s "invalidCredentials").' })
  detail: string;

  @Field(() => Int)
  durationMs: number;
}

@ObjectType()
class ProvisioningTargetPayload extends Payload(ProvisioningTarget, 'target') {
  @Field(() => SavedTargetConnectionTest, {
    nullable: true,
    description:
      'Test connection (as testProvisioningTarget) with the configuration just saved: LDAP binds and reads its base DNs, SCIM reads one page of /Users, within the target\'s timeoutMs and at most 5 s. Run after the save and only when asked for; ok: false is a warning, the target is saved. Null when the plugin cannot test without sending data (webhooks) or the target is Disabled.',
  })
  async connectionTest(@Root() payload: { record: ProvisioningTarget }, @Ctx() ctx: RequestContext): Promise<SavedTargetConnectionTest | null> {
    const target = payload.record;
    if (target.mode === ProvisioningMode.DISABLED) return null;
    if (typeof ctx.services.targets.plugins.find(target.plugin)?.testConnection !== 'function') return null;
    const started = performance.now();
    try {
      const { ok, detail, durationMs } = await ctx.services.reconciliation.testTarget(ctx.em, target, { maxBudgetMs: SAVE_TEST_BUDGET_MS });
      return { ok, detail, durationMs };
    } catch (error) {
      // The save is done: whatever kept the test from running is the warning, not an error of the mutation.
      return { ok: false, detail: error instanceof Error ? error.message : String(error), durationMs: Math.round(performance.now() - started) };
    }
  }
}

@ObjectType({ description: 'Groups that would go by one name on a target whose groups are named by their own name (groupNaming "name").' })
class GroupNameCollision {
  @Field({ description: 'The shared name (as the first of the groups spells it; names compare without case).' })
  name: string;

  @Field(() => [ID], { description: 'The groups, in full-name order.' })
  groupIds: string[];

  @Field(() => [String], { description: 'Their full names (app:staff, lab:staff), in the same order.' })
  fullNames: string[];
}

@ObjectType({ description: 'A provisioning plugin this server can create targets with.' })
class PluginInfo {
  @Field({ description: 'The name to give as `plugin` when creating a target.' })
  name: string;

  @Field(() => [String], { description: 'Configuration keys that are write-only: they are never returned.' })
  secretFields: string[];

  @Field(() => GraphQLJSONObject, {
    description:
      "The configuration's JSON Schema (draft 2019-09 subset: types, enums, defaults, bounds, required keys, nested objects): what a form for `config` offers. The server's validation stays the authority.",
  })
  configSchema: Record<string, unknown>;

  @Field({ description: 'Whether testProvisioningTarget can check a target of this plugin.' })
  canTestConnection: boolean;
}

@ObjectType()
class ProvisioningTargetConnection extends Connection(ProvisioningTarget) {}

@Resolver(() => ProvisioningTarget)
export class ProvisioningTargetResolver {
  @Query(() => ProvisioningTargetConnection, { description: "The organisation's targets, in the order they run." })
  provisioningTargets(
    @Ctx() ctx: RequestContext,
    @Arg('organizationId', () => ID) organizationId: string,
    @Args() page: PageArgs,
    @Arg('filter', () => ProvisioningTargetFilter, { nullable: true }) filter?: ProvisioningTargetFilter,
  ) {
    return ctx.services.targets.list(ctx, organizationId, filter ?? {}, page);
  }

  @Query(() => ProvisioningTarget)
  provisioningTarget(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return ctx.services.targets.get(ctx, id);
  }

  @Query(() => [PluginInfo])
  provisioningPlugins(@Ctx() ctx: RequestContext): PluginInfo[] {
    return ctx.services.targets.plugins.list().map((plugin) => ({ name: plugin.name, secretFields: [...plugin.secretFields], configSchema: configJsonSchema(plugin), canTestConnection: typeof plugin.testConnection === 'function' }));
  }

  @FieldResolver(() => GraphQLJSONObject, { description: 'The configuration without its secrets.' })
  config(@Root() target: ProvisioningTarget): Record<string, unknown> {
    return target.config;
  }

  @FieldResolver(() => [DataFilterSpec], { description: 'Data filters, in the order they apply.' })
  dataFilters(@Root() target: ProvisioningTarget) {
    return fromDataFilters(target.dataFilters);
  }

  @FieldResolver(() => [String], { description: 'The secret configuration keys that hold a value (never the values).' })
  secretsSet(@Root() target: ProvisioningTarget, @Ctx() ctx: RequestContext) {
    return ctx.loaders.batch('targetSecretKeys', (ids) => ctx.services.targets.secretKeys(ctx.em, ids), [] as string[]).load(target.id);
  }

  @FieldResolver(() => [GroupNameCollision], {
    description:
      'Groups that would share one name on this target: with groupNaming "name" (LDAP, SCIM) a group goes by its own name, so app:staff and lab:staff both want cn=staff; the second one\'s provisioning then fails (the object is the first one\'s). Among the groups the target takes (on a folder-rules target, the provisionable ones), names compared without case, the first 100 in name order. Empty under "fullName". Ask for it with the save, as a warning.',
  })
  groupNameCollisions(@Root() target: ProvisioningTarget, @Ctx() ctx: RequestContext) {
    return ctx.services.targets.groupNameCollisions(ctx.em, target);
  }

  @Mutation(() => ProvisioningTargetPayload)
  async createProvisioningTarget(@Ctx() ctx: RequestContext, @Arg('input') input: CreateProvisioningTargetInput) {
    const { organizationId, ...fields } = input;
    return toPayload(await ctx.services.targets.create(ctx, organizationId, fields));
  }

  @Mutation(() => ProvisioningTargetPayload, { description: 'The plugin of a target cannot change.' })
  async updateProvisioningTarget(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateProvisioningTargetInput,
  ) {
    return toPayload(await ctx.services.targets.update(ctx, id, input));
  }

  @Mutation(() => DeletePayload, { description: 'Deletes the target and its provisioned states.' })
  async deleteProvisioningTarget(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    const result = toDeletePayload(id, await ctx.services.targets.delete(ctx, id));
    ctx.services.targetHealth.forget(id);
    return result;
  }
}
