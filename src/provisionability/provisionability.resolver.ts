import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Args, Ctx, Field, FieldResolver, ID, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../api/context';
import { Connection } from '../common/pagination';
import { DeletePayload, Payload, toDeletePayload, toPayload } from '../api/payload';
import { ProvisioningJob } from '../provisioning/jobs.resolver';
import { ProvisioningTarget } from '../provisioning/provisioning-target.entity';
import { Folder } from '../registry/groups/folder.entity';
import { Group } from '../registry/groups/group.entity';
import { GroupProvisionability } from './group-provisionability.entity';
import { AssignmentListArgs, ProvisionableGroupsArgs, SetFolderProvisioningInput, SetGroupProvisioningInput } from './provisionability.inputs';
import { ProvisioningAssignment } from './provisioning-assignment.entity';
import { DecisionSource, FailedFilter } from './rules';

@ObjectType()
class ProvisioningAssignmentPayload extends Payload(ProvisioningAssignment, 'assignment') {}

@ObjectType()
class ProvisioningAssignmentConnection extends Connection(ProvisioningAssignment) {}

@ObjectType()
class GroupProvisionabilityConnection extends Connection(GroupProvisionability) {}

@ObjectType({ description: 'Whether a group is provisionable on a target, computed now, and why.' })
class ProvisionabilityDecision {
  @Field(() => Group)
  group: Group;

  @Field(() => ProvisioningTarget)
  target: ProvisioningTarget;

  @Field()
  provisionable: boolean;

  @Field(() => DecisionSource)
  source: DecisionSource;

  @Field(() => ID, { nullable: true, description: 'The assignment that decided (the group\'s own, or the deciding folder\'s).' })
  assignmentId: string | null;

  @Field(() => ID, { nullable: true })
  folderId: string | null;

  @Field(() => String, { nullable: true, description: 'The deciding folder, by its current full name.' })
  folderFullName: string | null;

  @Field(() => Int, { nullable: true, description: "The deciding folder's depth above the group (1: its parent folder)." })
  depth: number | null;

  @Field(() => FailedFilter, { nullable: true, description: 'The filter that failed (inherited decisions only).' })
  failedFilter: FailedFilter | null;

  @Field(() => [String], { description: 'ONE folders passed over on the way up, because they reach their direct children only.' })
  skippedFolders: string[];

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The metadata the group gets (its own, or the deciding folder\'s).' })
  metadata: Record<string, unknown> | null;

  @Field()
  explanation: string;
}

@Resolver(() => ProvisioningAssignment)
export class ProvisioningAssignmentResolver {
  @Mutation(() => ProvisioningAssignmentPayload, { description: 'Marks a folder for a target (creates or replaces its assignment).' })
  async setFolderProvisioning(@Ctx() ctx: RequestContext, @Arg('input') input: SetFolderProvisioningInput) {
    return toPayload(await ctx.services.provisionability.setFolder(ctx, input));
  }

  @Mutation(() => ProvisioningAssignmentPayload, { description: 'Marks a group for a target (creates or replaces its assignment).' })
  async setGroupProvisioning(@Ctx() ctx: RequestContext, @Arg('input') input: SetGroupProvisioningInput) {
    return toPayload(await ctx.services.provisionability.setGroup(ctx, input));
  }

  @Mutation(() => DeletePayload, { description: 'Removes an assignment: the group (or the folder\'s groups) inherit again.' })
  async deleteProvisioningAssignment(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return toDeletePayload(id, await ctx.services.provisionability.remove(ctx, id));
  }

  @Query(() => ProvisioningAssignmentConnection, { description: 'The folders and groups marked for a target.' })
  provisioningAssignments(@Ctx() ctx: RequestContext, @Args() args: AssignmentListArgs) {
    return ctx.services.provisionability.list(ctx, args.targetId, args);
  }

  @Query(() => ProvisionabilityDecision, { description: 'Whether the group is provisionable on the target by the folder rules, and what decided.' })
  async provisionable(@Ctx() ctx: RequestContext, @Arg('groupId', () => ID) groupId: string, @Arg('targetId', () => ID) targetId: string) {
    const { decision, group, target } = await ctx.services.provisionability.decide(ctx, groupId, targetId);
    return { ...decision, group, target };
  }

  @Query(() => GroupProvisionabilityConnection, { description: 'The stored answers of a folder-rules target: its provisionable groups (and former ones).' })
  provisionableGroups(@Ctx() ctx: RequestContext, @Args() args: ProvisionableGroupsArgs) {
    return ctx.services.provisionability.provisionableGroups(ctx, args.targetId, args.provisionable, args);
  }

  @Mutation(() => ProvisioningJob, { description: 'Recalculates every group of a folder-rules target now (as the daily job does), as a job.' })
  recalculateProvisionability(@Ctx() ctx: RequestContext, @Arg('targetId', () => ID) targetId: string) {
    return ctx.services.provisionability.recalculate(ctx, targetId);
  }

  @FieldResolver(() => Folder, { nullable: true })
  folder(@Root() assignment: ProvisioningAssignment, @Ctx() ctx: RequestContext) {
    return assignment.folder ? ctx.loaders.byId(Folder).load(assignment.folder.id) : null;
  }

  @FieldResolver(() => Group, { nullable: true })
  group(@Root() assignment: ProvisioningAssignment, @Ctx() ctx: RequestContext) {
    return assignment.group ? ctx.loaders.byId(Group).load(assignment.group.id) : null;
  }
}

@Resolver(() => GroupProvisionability)
export class GroupProvisionabilityResolver {
  @FieldResolver(() => Group, { nullable: true, description: 'The group now; null once deleted.' })
  group(@Root() row: GroupProvisionability, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(Group).load(row.groupId);
  }
}
