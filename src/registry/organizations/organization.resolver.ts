import { Arg, Args, Ctx, FieldResolver, ID, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../api/context';
import { Connection, PageArgs } from '../../common/pagination';
import { DeletePayload, Payload, toDeletePayload, toPayload } from '../../api/payload';
import { Cou } from './cou.entity';
import { Organization } from './organization.entity';
import { CreateCouInput, CreateOrganizationInput, UpdateCouInput, UpdateOrganizationInput } from './organization.inputs';

@ObjectType()
class OrganizationConnection extends Connection(Organization) {}

@ObjectType()
class OrganizationPayload extends Payload(Organization, 'organization') {}

@ObjectType()
class CouConnection extends Connection(Cou) {}

@ObjectType()
class CouPayload extends Payload(Cou, 'cou') {}

@Resolver(() => Organization)
export class OrganizationResolver {
  @Query(() => OrganizationConnection, { description: 'Organisations the token can see.' })
  organizations(@Ctx() ctx: RequestContext, @Args() page: PageArgs) {
    return ctx.services.organizations.list(ctx, page);
  }

  @Query(() => Organization)
  organization(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return ctx.services.organizations.get(ctx, id);
  }

  @FieldResolver(() => [Cou], { description: 'All organisational units, nested ones included.' })
  cous(@Root() organization: Organization, @Ctx() ctx: RequestContext) {
    return ctx.loaders.childrenOf(Cou, 'organization').load(organization.id);
  }

  @Mutation(() => OrganizationPayload, { description: 'Platform admins only.' })
  async createOrganization(@Ctx() ctx: RequestContext, @Arg('input') input: CreateOrganizationInput) {
    return toPayload(await ctx.services.organizations.create(ctx, input));
  }

  @Mutation(() => OrganizationPayload)
  async updateOrganization(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateOrganizationInput,
  ) {
    return toPayload(await ctx.services.organizations.update(ctx, id, input));
  }

  @Mutation(() => DeletePayload, { description: 'Platform admins only. Deletes everything in the organisation.' })
  async deleteOrganization(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return toDeletePayload(id, await ctx.services.organizations.delete(ctx, id));
  }
}

@Resolver(() => Cou)
export class CouResolver {
  @Query(() => CouConnection)
  cous(@Ctx() ctx: RequestContext, @Arg('organizationId', () => ID) organizationId: string, @Args() page: PageArgs) {
    return ctx.services.organizations.listCous(ctx, organizationId, page);
  }

  @Query(() => Cou)
  cou(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return ctx.services.organizations.getCou(ctx, id);
  }

  @Mutation(() => CouPayload)
  async createCou(@Ctx() ctx: RequestContext, @Arg('input') input: CreateCouInput) {
    const { organizationId, ...fields } = input;
    return toPayload(await ctx.services.organizations.createCou(ctx, organizationId, fields));
  }

  @Mutation(() => CouPayload)
  async updateCou(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('input') input: UpdateCouInput) {
    return toPayload(await ctx.services.organizations.updateCou(ctx, id, input));
  }

  @Mutation(() => DeletePayload)
  async deleteCou(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return toDeletePayload(id, await ctx.services.organizations.deleteCou(ctx, id));
  }
}
