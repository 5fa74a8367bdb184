import { CouResolver, OrganizationResolver } from './organization.resolver';

/** The GraphQL resolvers of organisations and their units. */
export const organizationResolvers: Function[] = [OrganizationResolver, CouResolver];
