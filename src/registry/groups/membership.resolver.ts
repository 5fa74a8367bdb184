import { Arg, Ctx, FieldResolver, ID, Mutation, ObjectType, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../api/context';
import { DeletePayload, Payload, toDeletePayload, toPayload } from '../../api/payload';
import { Person } from '../people/person.entity';
import { Group } from './group.entity';
import { GroupMembership } from './group-membership.entity';
import { GroupNesting } from './group-nesting.entity';
import { AddGroupMemberInput, NestGroupInput, UpdateGroupMembershipInput } from './membership.inputs';

@ObjectType()
class GroupMembershipPayload extends Payload(GroupMembership, 'membership') {}

@ObjectType()
class GroupNestingPayload extends Payload(GroupNesting, 'nesting') {}

@Resolver(() => GroupMembership)
export class GroupMembershipResolver {
  @FieldResolver(() => Group)
  group(@Root() membership: GroupMembership, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(Group).load(membership.group.id);
  }

  @FieldResolver(() => Person)
  person(@Root() membership: GroupMembership, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(Person).load(membership.person.id);
  }

  @FieldResolver(() => GroupNesting, { nullable: true, description: 'The nesting this row is derived from, if any.' })
  nesting(@Root() membership: GroupMembership, @Ctx() ctx: RequestContext) {
    return membership.nesting ? ctx.loaders.byId(GroupNesting).load(membership.nesting.id) : null;
  }

  @Mutation(() => GroupMembershipPayload, {
    description: 'A direct membership; groups nesting this one receive it too. Not for the members groups Ferry maintains.',
  })
  async addGroupMember(@Ctx() ctx: RequestContext, @Arg('input') input: AddGroupMemberInput) {
    const { groupId, personId, ...attributes } = input;
    return toPayload(await ctx.services.groups.addMember(ctx, groupId, personId, attributes));
  }

  @Mutation(() => GroupMembershipPayload, { description: 'Direct memberships only; derived ones follow their nested group.' })
  async updateGroupMembership(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateGroupMembershipInput,
  ) {
    return toPayload(await ctx.services.groups.updateMembership(ctx, id, input));
  }

  @Mutation(() => DeletePayload, { description: 'Direct memberships only; derived ones follow their nested group.' })
  async removeGroupMember(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return toDeletePayload(id, await ctx.services.groups.removeMember(ctx, id));
  }
}

@Resolver(() => GroupNesting)
export class GroupNestingResolver {
  @FieldResolver(() => Group)
  group(@Root() nesting: GroupNesting, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(Group).load(nesting.group.id);
  }

  @FieldResolver(() => Group)
  nestedGroup(@Root() nesting: GroupNesting, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(Group).load(nesting.nestedGroup.id);
  }

  @Mutation(() => GroupNestingPayload, {
    description: 'Makes the members of nestedGroupId members of groupId, transitively. Cycles are refused.',
  })
  async nestGroup(@Ctx() ctx: RequestContext, @Arg('input') input: NestGroupInput) {
    return toPayload(await ctx.services.groups.nest(ctx, input.groupId, input.nestedGroupId));
  }

  @Mutation(() => DeletePayload, { description: 'Removes the nesting and the memberships it contributed.' })
  async unnestGroup(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return toDeletePayload(id, await ctx.services.groups.unnest(ctx, id));
  }
}
