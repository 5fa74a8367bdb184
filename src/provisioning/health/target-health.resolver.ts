import { Arg, Ctx, Field, FieldResolver, ID, Int, Mutation, ObjectType, Resolver, Root, registerEnumType } from 'type-graphql';
import type { RequestContext } from '../../api/context';
import { findWritable } from '../../registry/records';
import { ProvisioningTarget } from '../provisioning-target.entity';
import { CircuitState } from './target-circuit';

registerEnumType(CircuitState, {
  name: 'TargetCircuitState',
  description: "A target's circuit breaker: CLOSED calls go through, OPEN calls fail at once, HALF_OPEN one trial call goes through.",
});

@ObjectType({
  description:
    "The target's circuit breaker as this Ferry process sees it (each process keeps its own): after FERRY_TARGET_FAILURE_THRESHOLD transient failures in a row, calls fail at once until retryAt.",
})
export class TargetHealth {
  @Field(() => CircuitState)
  state: CircuitState;

  @Field(() => Int, { description: 'Transient failures since the last success.' })
  consecutiveFailures: number;

  @Field(() => Date, { nullable: true, description: 'When the circuit last opened; null while closed.' })
  openedAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the next trial call is let through; null unless open.' })
  retryAt: Date | null;

  @Field(() => String, { nullable: true, description: 'The last transient failure; null once a call succeeds.' })
  lastError: string | null;
}

@Resolver(() => ProvisioningTarget)
export class TargetHealthResolver {
  @FieldResolver(() => TargetHealth, { description: "The target's circuit breaker in this process." })
  health(@Root() target: ProvisioningTarget, @Ctx() ctx: RequestContext): TargetHealth {
    const { state, consecutiveFailures, openedAt, retryAt, lastError } = ctx.services.targetHealth.health(target.id);
    return { state, consecutiveFailures, openedAt, retryAt, lastError };
  }

  @Mutation(() => ProvisioningTarget, {
    description: "Closes the target's circuit in this process, so the next call goes through (e.g. once the target is repaired). Needs write access to the target.",
  })
  async resetTargetCircuit(@Ctx() ctx: RequestContext, @Arg('targetId', () => ID) targetId: string): Promise<ProvisioningTarget> {
    const target = await findWritable(ctx.em, ctx.principal, ProvisioningTarget, targetId);
    ctx.services.targetHealth.reset(target.id);
    ctx.logger.info({ targetId: target.id, target: target.name }, 'target circuit reset');
    return target;
  }
}
