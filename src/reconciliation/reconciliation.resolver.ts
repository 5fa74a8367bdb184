import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../api/context';
import { Connection, PageArgs } from '../common/pagination';
import { ProvisioningAction, SubjectType } from '../provisioning/actions';
import { ProvisioningJob } from '../provisioning/jobs.resolver';
import { ProvisioningTarget } from '../provisioning/provisioning-target.entity';
import { ReconciliationDifference, ReconciliationRun } from './reconciliation.entities';

@ObjectType({ description: 'What Ferry would write for a subject on a target now, computed without writing.' })
class ProvisioningPreview {
  @Field(() => ProvisioningTarget)
  target: ProvisioningTarget;

  @Field(() => SubjectType)
  subjectType: SubjectType;

  @Field(() => ID)
  subjectId: string;

  @Field(() => ProvisioningAction, { description: 'The action the target would get, after status rules, groups, folder rules and filters.' })
  action: ProvisioningAction;

  @Field(() => String, { nullable: true, description: 'Why the action differs from an update, if it does.' })
  reason: string | null;

  @Field({ description: 'Whether the target would hold an object for the subject.' })
  willWrite: boolean;

  @Field(() => String, { nullable: true, description: 'Where it would be: the DN, the SCIM id (when known).' })
  remoteId: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The LDAP entry, SCIM resource or webhook body.' })
  document: Record<string, unknown> | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The values reconciliation compares, by attribute.' })
  attributes: Record<string, string[]> | null;

  @Field()
  detail: string;
}

@ObjectType({ description: 'What "Test connection" found: the target reached with its saved configuration, reading only.' })
class ConnectionTest {
  @Field(() => ProvisioningTarget)
  target: ProvisioningTarget;

  @Field({ description: 'Whether the target answered as expected.' })
  ok: boolean;

  @Field({ description: 'False when the plugin cannot test without sending data (webhooks).' })
  supported: boolean;

  @Field(() => Int)
  durationMs: number;

  @Field({ description: 'What worked (e.g. "bound to ldap://... as cn=...; peopleBaseDn exist"), or what failed.' })
  detail: string;
}

@ArgsType()
class RunListArgs extends PageArgs {
  @Field(() => ID)
  targetId: string;
}

@ObjectType()
class ReconciliationRunConnection extends Connection(ReconciliationRun) {}

@Resolver(() => ReconciliationRun)
export class ReconciliationResolver {
  @Query(() => ProvisioningPreview, { description: 'Exactly what Ferry would write for this subject on this target now, without writing it.' })
  async previewProvisioning(
    @Ctx() ctx: RequestContext,
    @Arg('targetId', () => ID) targetId: string,
    @Arg('subjectType', () => SubjectType) subjectType: SubjectType,
    @Arg('subjectId', () => ID) subjectId: string,
  ) {
    const preview = await ctx.services.reconciliation.preview(ctx, targetId, subjectType, subjectId);
    return { ...preview, document: preview.document === null ? null : (preview.document as Record<string, unknown>) };
  }

  @Mutation(() => ConnectionTest, {
    description: 'Test connection: reaches the target with its saved configuration, reading only, and says what worked or failed (admins).',
  })
  testProvisioningTarget(@Ctx() ctx: RequestContext, @Arg('targetId', () => ID) targetId: string) {
    return ctx.services.reconciliation.testConnection(ctx, targetId);
  }

  @Mutation(() => ProvisioningJob, {
    description: 'Compares the target with the registry and reports every difference; dryRun: false also fixes them. A job: follow it with provisioningJobProgress, read the result with reconciliationRuns.',
  })
  reconcile(
    @Ctx() ctx: RequestContext,
    @Arg('targetId', () => ID) targetId: string,
    @Arg('dryRun', () => Boolean, { defaultValue: true }) dryRun: boolean,
    @Arg('confirmDeletions', () => Boolean, { defaultValue: false, description: 'Allows deleting more than the target\'s deletionThresholdPercent.' })
    confirmDeletions: boolean,
  ) {
    return ctx.services.reconciliation.reconcile(ctx, targetId, { dryRun, confirmDeletions });
  }

  @Query(() => ReconciliationRunConnection, { description: "A target's reconciliations, newest first." })
  reconciliationRuns(@Ctx() ctx: RequestContext, @Args() args: RunListArgs) {
    const { targetId, ...page } = args;
    return ctx.services.reconciliation.runs(ctx, targetId, page);
  }

  @Query(() => ReconciliationRun)
  reconciliationRun(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return ctx.services.reconciliation.run(ctx, id);
  }

  @FieldResolver(() => [ReconciliationDifference])
  differences(@Root() run: ReconciliationRun, @Ctx() ctx: RequestContext) {
    return ctx.services.reconciliation.differences(ctx, run);
  }
}
