import { Max, Min } from 'class-validator';
import { Args, ArgsType, Ctx, Field, ID, Int, ObjectType, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../api/context';
import { ProvisioningOutcome } from '../provisioning-event.entity';
import { ProvisioningTarget } from '../provisioning-target.entity';
import { targetActivity } from './target-activity';

@ObjectType({ description: 'How many events of one outcome a target had in one time bucket.' })
class OutcomeBucket {
  @Field({ description: 'The start of the bucket.' })
  start: Date;

  @Field(() => ProvisioningOutcome)
  outcome: ProvisioningOutcome;

  @Field(() => Int)
  count: number;
}

@ObjectType({ description: "What a target has been doing: the console overview's cards and chart." })
class TargetActivity {
  @Field(() => ProvisioningTarget)
  target: ProvisioningTarget;

  @Field(() => Date, { nullable: true, description: 'The last successful call for any of its subjects.' })
  lastSuccessAt: Date | null;

  @Field(() => Int, { description: 'Open failure notifications.' })
  openFailures: number;

  @Field(() => Int, { description: 'Work items dispatched to the target and not yet done (inline lanes and queued jobs).' })
  pendingWork: number;

  @Field(() => [OutcomeBucket], { description: 'Events per bucket and outcome over the window, oldest first; buckets without events are left out.' })
  outcomes: OutcomeBucket[];
}

@ArgsType()
class TargetActivityArgs {
  @Field(() => ID)
  organizationId: string;

  @Field(() => Int, { defaultValue: 60, description: 'The window, in minutes (5 to 1440).' })
  @Min(5)
  @Max(1440)
  minutes: number = 60;

  @Field(() => Int, { defaultValue: 5, description: 'The bucket size, in minutes (1 to 60).' })
  @Min(1)
  @Max(60)
  bucketMinutes: number = 5;
}

@Resolver()
export class TargetActivityResolver {
  @Query(() => [TargetActivity], { description: "Each target's last success, open failures, pending work and outcomes over the last minutes, in target order." })
  targetActivity(@Ctx() ctx: RequestContext, @Args() args: TargetActivityArgs) {
    return targetActivity(ctx, args.organizationId, args.minutes, args.bucketMinutes);
  }
}
