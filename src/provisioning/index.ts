import { ProvisioningTargetResolver } from './target.resolver';
import { TargetHealthResolver } from './health/target-health.resolver';
import { TargetActivityResolver } from './activity/target-activity.resolver';

/** The GraphQL resolvers of provisioning. */
export const provisioningResolvers: Function[] = [ProvisioningTargetResolver, TargetHealthResolver, TargetActivityResolver];
