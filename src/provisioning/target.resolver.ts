import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Ctx, Field, FieldResolver, ID, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { DataFilterSpec, fromDataFilters } from '../data-filters/data-filter.types';
import type { RequestContext } from '../api/context';
import { DeletePayload, Payload, toDeletePayload, toPayload } from '../common/payload';
import { ProvisioningTarget } from './provisioning-target.entity';
import { configJsonSchema } from '../plugins/config-schema';
import { CreateProvisioningTargetInput, ProvisioningTargetFilter, UpdateProvisioningTargetInput } from './target.inputs';

@ObjectType()
class ProvisioningTargetPayload extends Payload(ProvisioningTarget, 'target') {}

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

@Resolver(() => ProvisioningTarget)
export class ProvisioningTargetResolver {
  @Query(() => [ProvisioningTarget], { description: "The organisation's targets, in the order they run." })
  provisioningTargets(
    @Ctx() ctx: RequestContext,
    @Arg('organizationId', () => ID) organizationId: string,
    @Arg('filter', () => ProvisioningTargetFilter, { nullable: true }) filter?: ProvisioningTargetFilter,
  ) {
    return ctx.services.targets.list(ctx, organizationId, filter ?? {});
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
    return ctx.services.targets.secretKeys(ctx, target);
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
