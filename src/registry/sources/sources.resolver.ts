import { Arg, Args, Ctx, FieldResolver, ID, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../api/context';
import { Connection, PageArgs } from '../../common/pagination';
import { DeletePayload, Payload, toDeletePayload, toPayload } from '../../api/payload';
import { Person } from '../people/person.entity';
import { OrgIdentityLink } from './org-identity-link.entity';
import { OrgIdentitySource } from './org-identity-source.entity';
import {
  CreateOrgIdentitySourceInput,
  LinkOrgIdentityInput,
  OrgIdentityLinkFilter,
  OrgIdentitySourceFilter,
  UpdateOrgIdentityLinkInput,
  UpdateOrgIdentitySourceInput,
} from './sources.inputs';

@ObjectType()
class OrgIdentitySourceConnection extends Connection(OrgIdentitySource) {}

@ObjectType()
class OrgIdentitySourcePayload extends Payload(OrgIdentitySource, 'orgIdentitySource') {}

@ObjectType()
class OrgIdentityLinkConnection extends Connection(OrgIdentityLink) {}

@ObjectType()
class OrgIdentityLinkPayload extends Payload(OrgIdentityLink, 'link') {}

@Resolver(() => OrgIdentitySource)
export class OrgIdentitySourceResolver {
  @Query(() => OrgIdentitySourceConnection)
  orgIdentitySources(
    @Ctx() ctx: RequestContext,
    @Arg('organizationId', () => ID) organizationId: string,
    @Arg('filter', () => OrgIdentitySourceFilter, { nullable: true }) filter: OrgIdentitySourceFilter | null,
    @Args() page: PageArgs,
  ) {
    return ctx.services.catalog.sources.list(ctx, organizationId, filter ?? {}, page);
  }

  @Query(() => OrgIdentitySource)
  orgIdentitySource(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return ctx.services.catalog.sources.get(ctx, id);
  }

  @Mutation(() => OrgIdentitySourcePayload)
  async createOrgIdentitySource(@Ctx() ctx: RequestContext, @Arg('input') input: CreateOrgIdentitySourceInput) {
    const { organizationId, ...fields } = input;
    return toPayload(await ctx.services.catalog.sources.create(ctx, organizationId, fields));
  }

  @Mutation(() => OrgIdentitySourcePayload)
  async updateOrgIdentitySource(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateOrgIdentitySourceInput,
  ) {
    return toPayload(await ctx.services.catalog.sources.update(ctx, id, input));
  }

  @Mutation(() => DeletePayload, { description: "Also removes every person's link to the source." })
  async deleteOrgIdentitySource(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return toDeletePayload(id, await ctx.services.catalog.sources.delete(ctx, id));
  }
}

@Resolver(() => OrgIdentityLink)
export class OrgIdentityLinkResolver {
  @Query(() => OrgIdentityLinkConnection)
  orgIdentityLinks(
    @Ctx() ctx: RequestContext,
    @Arg('organizationId', () => ID) organizationId: string,
    @Arg('filter', () => OrgIdentityLinkFilter, { nullable: true }) filter: OrgIdentityLinkFilter | null,
    @Args() page: PageArgs,
  ) {
    return ctx.services.catalog.links.list(ctx, organizationId, filter ?? {}, page);
  }

  @Query(() => OrgIdentityLink)
  orgIdentityLink(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return ctx.services.catalog.links.get(ctx, id);
  }

  @FieldResolver(() => OrgIdentitySource)
  source(@Root() link: OrgIdentityLink, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(OrgIdentitySource).load(link.source.id);
  }

  @FieldResolver(() => Person)
  person(@Root() link: OrgIdentityLink, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(Person).load(link.person.id);
  }

  @Mutation(() => OrgIdentityLinkPayload, { description: 'Links a person to their record in a source.' })
  async linkOrgIdentity(@Ctx() ctx: RequestContext, @Arg('input') input: LinkOrgIdentityInput) {
    return toPayload(await ctx.services.catalog.links.link(ctx, input));
  }

  @Mutation(() => OrgIdentityLinkPayload)
  async updateOrgIdentityLink(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateOrgIdentityLinkInput,
  ) {
    return toPayload(await ctx.services.catalog.links.update(ctx, id, input));
  }

  @Mutation(() => DeletePayload)
  async unlinkOrgIdentity(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return toDeletePayload(id, await ctx.services.catalog.links.unlink(ctx, id));
  }
}
