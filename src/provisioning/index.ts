import { TargetActivityResolver } from './activity/target-activity.resolver';
import { FailureNotificationResolver } from './failures.resolver';
import { TargetHealthResolver } from './health/target-health.resolver';
import { ProvisioningJobResolver } from './jobs.resolver';
import { ProvisioningEventResolver } from './provisioning-event.resolver';
import { ProvisioningResolver } from './provisioning.resolver';
import { ReprovisionAllResolver } from './reprovision-all.resolver';
import { ProvisioningTargetResolver } from './target.resolver';

/** The GraphQL resolvers of provisioning: targets, their health and activity, provision, events, jobs, failures. */
export const provisioningResolvers: Function[] = [
  ProvisioningTargetResolver,
  TargetHealthResolver,
  TargetActivityResolver,
  ProvisioningResolver,
  ProvisioningJobResolver,
  ReprovisionAllResolver,
  ProvisioningEventResolver,
  FailureNotificationResolver,
];
