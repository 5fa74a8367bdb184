import { Arg, Args, Ctx, FieldResolver, ID, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../api/context';
import { Connection, PageArgs } from '../../common/pagination';
import { DeletePayload, Payload, toDeletePayload, toPayload } from '../../api/payload';
import { Group } from '../groups/group.entity';
import { Service } from './service.entity';
import { CreateServiceInput, ServiceFilter, UpdateServiceInput } from './services.inputs';

@ObjectType()
class ServiceConnection extends Connection(Service) {}

@ObjectType()
class ServicePayload extends Payload(Service, 'service') {}

/** COmanage CO Services; the queries say "coService" so they do not read as something generic. */
@Resolver(() => Service)
export class ServiceResolver {
  @Query(() => ServiceConnection)
  coServices(
    @Ctx() ctx: RequestContext,
    @Arg('organizationId', () => ID) organizationId: string,
    @Arg('filter', () => ServiceFilter, { nullable: true }) filter: ServiceFilter | null,
    @Args() page: PageArgs,
  ) {
    return ctx.services.catalog.coServices.list(ctx, organizationId, filter ?? {}, page);
  }

  @Query(() => Service)
  coService(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return ctx.services.catalog.coServices.get(ctx, id);
  }

  @FieldResolver(() => Group, { nullable: true })
  group(@Root() service: Service, @Ctx() ctx: RequestContext) {
    return service.group ? ctx.loaders.byId(Group).load(service.group.id) : null;
  }

  @Mutation(() => ServicePayload)
  async createService(@Ctx() ctx: RequestContext, @Arg('input') input: CreateServiceInput) {
    const { organizationId, ...fields } = input;
    return toPayload(await ctx.services.catalog.coServices.create(ctx, organizationId, fields));
  }

  @Mutation(() => ServicePayload)
  async updateService(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('input') input: UpdateServiceInput) {
    return toPayload(await ctx.services.catalog.coServices.update(ctx, id, input));
  }

  @Mutation(() => DeletePayload)
  async deleteService(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return toDeletePayload(id, await ctx.services.catalog.coServices.delete(ctx, id));
  }
}
