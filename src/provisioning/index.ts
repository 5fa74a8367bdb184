import { ProvisioningTargetResolver } from './target.resolver';

/** The GraphQL resolvers of provisioning. */
export const provisioningResolvers: Function[] = [ProvisioningTargetResolver];
