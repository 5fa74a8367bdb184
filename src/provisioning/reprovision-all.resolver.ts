import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../api/context';
import { ProvisioningJob } from './jobs.resolver';

@Resolver()
export class ReprovisionAllResolver {
  @Mutation(() => ProvisioningJob, {
    description:
      'Provisions every person (any status), then every group, then every service of the organisation to this target, as a job ' +
      '(any mode but Disabled). Follow it with provisioningJob(id): details carry processed/succeeded/failed/total.',
  })
  reprovisionAll(
    @Ctx() ctx: RequestContext,
    @Arg('targetId', () => ID) targetId: string,
    @Arg('confirmDeletions', () => Boolean, { defaultValue: false, description: "Allows deleting more than the target's deletionThresholdPercent of its entries." })
    confirmDeletions: boolean,
  ) {
    return ctx.services.reprovisionAll.request(ctx, targetId, confirmDeletions);
  }
}
