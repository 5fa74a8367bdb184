import { GroupProvisionabilityResolver, ProvisioningAssignmentResolver } from './provisionability.resolver';

/** The GraphQL resolvers of folder rules. */
export const provisionabilityResolvers: Function[] = [ProvisioningAssignmentResolver, GroupProvisionabilityResolver];
