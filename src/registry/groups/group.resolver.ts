import { Arg, Args, Ctx, FieldResolver, ID, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../api/context';
import { Connection, PageArgs } from '../../common/pagination';
import { DeletePayload, Payload, toDeletePayload, toPayload } from '../../api/payload';
import { Identifier } from '../people/identifier.entity';
import { Person } from '../people/person.entity';
import { Folder } from './folder.entity';
import { Group } from './group.entity';
import { CreateGroupInput, GroupFilter, UpdateGroupInput } from './group.inputs';
import { GroupMembership } from './group-membership.entity';
import { GroupNesting } from './group-nesting.entity';
import { currentPersonIds } from './group.service';

/** The people with a current member (or owner) row, through the request's loaders. Owners are always direct. */
async function currentPeople(ctx: RequestContext, group: Group, role: 'member' | 'owner'): Promise<Person[]> {
  const rows = await ctx.loaders.childrenOf(GroupMembership, 'group').load(group.id);
  const people = await ctx.loaders.byId(Person).loadMany(currentPersonIds(rows, role));
  return people.filter((person): person is Person => person instanceof Person);
}

@ObjectType()
class GroupConnection extends Connection(Group) {}

@ObjectType()
class GroupPayload extends Payload(Group, 'group') {}

@Resolver(() => Group)
export class GroupResolver {
  @Query(() => GroupConnection, { description: 'Groups of the organisation, automatic ones included, in creation order.' })
  groups(
    @Ctx() ctx: RequestContext,
    @Arg('organizationId', () => ID) organizationId: string,
    @Arg('filter', () => GroupFilter, { nullable: true }) filter: GroupFilter | null,
    @Args() page: PageArgs,
  ) {
    return ctx.services.groups.listGroups(ctx, organizationId, filter ?? {}, page);
  }

  @Query(() => Group)
  group(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return ctx.services.groups.getGroup(ctx, id);
  }

  @FieldResolver(() => Folder, { nullable: true, description: 'Null for a group at the root.' })
  folder(@Root() group: Group, @Ctx() ctx: RequestContext) {
    return group.folder ? ctx.loaders.byId(Folder).load(group.folder.id) : null;
  }

  @FieldResolver(() => [GroupMembership], {
    description: 'Every membership row: direct ones and those derived from nested groups (nestingId set), valid or not.',
  })
  memberships(@Root() group: Group, @Ctx() ctx: RequestContext) {
    return ctx.loaders.childrenOf(GroupMembership, 'group').load(group.id);
  }

  @FieldResolver(() => [Person], {
    description:
      'Effective members now: each person once who has a member row (direct or through a nested group) whose validity window includes the current time. Person status does not matter here; the automatic groups reflect it.',
  })
  members(@Root() group: Group, @Ctx() ctx: RequestContext) {
    return currentPeople(ctx, group, 'member');
  }

  @FieldResolver(() => [Person], { description: 'People with an owner row valid now. Owners are never inherited through nesting.' })
  owners(@Root() group: Group, @Ctx() ctx: RequestContext) {
    return currentPeople(ctx, group, 'owner');
  }

  @FieldResolver(() => [Group], { description: 'The groups nested directly in this one (their members are members here).' })
  async nestedGroups(@Root() group: Group, @Ctx() ctx: RequestContext) {
    const nestings = await ctx.loaders.childrenOf(GroupNesting, 'group').load(group.id);
    const groups = await ctx.loaders.byId(Group).loadMany(nestings.map((nesting) => nesting.nestedGroup.id));
    return groups.filter((nested): nested is Group => nested instanceof Group);
  }

  @FieldResolver(() => [GroupNesting], { description: 'The nestings into this group; their ids are what unnestGroup takes.' })
  nestings(@Root() group: Group, @Ctx() ctx: RequestContext) {
    return ctx.loaders.childrenOf(GroupNesting, 'group').load(group.id);
  }

  @FieldResolver(() => [GroupNesting], { description: 'The nestings that pass this group\'s members on to other groups.' })
  nestedIn(@Root() group: Group, @Ctx() ctx: RequestContext) {
    return ctx.loaders.childrenOf(GroupNesting, 'nestedGroup').load(group.id);
  }

  @FieldResolver(() => [Identifier])
  identifiers(@Root() group: Group, @Ctx() ctx: RequestContext) {
    return ctx.loaders.childrenOf(Identifier, 'group').load(group.id);
  }

  @Mutation(() => GroupPayload, {
    description: 'A standard group, in a folder outside the reserved CO folder, or at the root (organizationId without folderId).',
  })
  async createGroup(@Ctx() ctx: RequestContext, @Arg('input') input: CreateGroupInput) {
    return toPayload(await ctx.services.groups.createGroup(ctx, input));
  }

  @Mutation(() => GroupPayload, { description: 'Renames, moves (moveToRoot: true moves the group to the root) and edits. Automatic groups accept a new description only.' })
  async updateGroup(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('input') input: UpdateGroupInput) {
    return toPayload(await ctx.services.groups.updateGroup(ctx, id, input));
  }

  @Mutation(() => DeletePayload, {
    description: 'Removes the group with its memberships, nestings and identifiers (each in the change log). Not for automatic groups.',
  })
  async deleteGroup(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return toDeletePayload(id, await ctx.services.groups.deleteGroup(ctx, id));
  }
}
