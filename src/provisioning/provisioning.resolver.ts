import { IsEnum, IsOptional, IsUUID } from 'class-validator';
import { Arg, Args, ArgsType, Ctx, Field, ID, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { Connection, PageArgs } from '../common/pagination';
import type { RequestContext } from '../api/context';
import { Payload, toPayload } from '../api/payload';
import { Person } from '../registry/people/person.entity';
import { SubjectType } from './actions';
import { ProvisionedState, ProvisioningStatus } from './provisioned-state.entity';
import { ProvisioningEvent, ProvisioningOutcome } from './provisioning-event.entity';
import { ProvisioningTarget } from './provisioning-target.entity';
import { ProvisionInput } from './provisioning.inputs';

@ObjectType({ description: "A subject's standing on one target." })
class TargetProvisioningStatus {
  @Field(() => ProvisioningTarget)
  target: ProvisioningTarget;

  @Field(() => ProvisioningStatus)
  status: ProvisioningStatus;

  @Field(() => ProvisionedState, { nullable: true, description: 'Null when Ferry never tried this target.' })
  state: ProvisionedState | null;
}

@ArgsType()
class EventArgs extends PageArgs {
  @Field(() => ID)
  @IsUUID()
  organizationId: string;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  subjectId?: string | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  targetId?: string | null;

  @Field(() => SubjectType, { nullable: true })
  @IsOptional()
  @IsEnum(SubjectType)
  subjectType?: SubjectType | null;

  @Field(() => [ProvisioningOutcome], { nullable: true, description: 'Only these outcomes; left out: all.' })
  @IsOptional()
  @IsEnum(ProvisioningOutcome, { each: true })
  outcomes?: ProvisioningOutcome[] | null;
}

@ObjectType()
class ProvisioningEventConnection extends Connection(ProvisioningEvent) {}

@ObjectType()
class FinishEnrollmentPayload extends Payload(Person, 'person') {}

@Resolver()
export class ProvisioningResolver {
  @Mutation(() => ProvisioningEvent, {
    description: 'Provisions one subject to one target now, whatever its mode (not Disabled), and returns the outcome.',
  })
  provision(@Ctx() ctx: RequestContext, @Arg('input') input: ProvisionInput) {
    return ctx.services.provisioning.provisionOne(ctx, input.targetId, input.subjectType, input.subjectId);
  }

  @Query(() => [TargetProvisioningStatus], { description: 'Where a person, group or service is provisioned, and how the last attempt went.' })
  async provisioningStatus(
    @Ctx() ctx: RequestContext,
    @Arg('subjectType', () => SubjectType) subjectType: SubjectType,
    @Arg('subjectId', () => ID) subjectId: string,
  ): Promise<TargetProvisioningStatus[]> {
    const rows = await ctx.services.provisioning.statusOf(ctx, subjectType, subjectId);
    return rows.map(({ target, state }) => ({ target, state, status: state?.status ?? ProvisioningStatus.NOT_PROVISIONED }));
  }

  @Query(() => ProvisioningEventConnection, {
    description:
      "Stored provisioning results of an organisation in the order they happened. A cursor is the event's seq: `last: 50` is the newest fifty, and its endCursor is where the provisioningEvents subscription resumes.",
  })
  provisioningEvents(@Ctx() ctx: RequestContext, @Args() args: EventArgs) {
    const { organizationId, first, after, last, before, ...filter } = args;
    return ctx.services.provisioning.events(ctx, organizationId, filter, { first, after, last, before });
  }

  @Mutation(() => FinishEnrollmentPayload, { description: 'Finishes the enrollment of a person: Enrollment-mode targets provision them.' })
  async finishEnrollment(@Ctx() ctx: RequestContext, @Arg('personId', () => ID) personId: string) {
    return toPayload(await ctx.services.provisioning.finishEnrollment(ctx, personId));
  }
}
