import { DateTimeResolver } from 'graphql-scalars';
import type { GraphQLSchema } from 'graphql';
import { buildSchema, type NonEmptyArray } from 'type-graphql';
import { ApiTokenResolver } from '../auth/api-token.resolver';
import { ChangeLogResolver } from '../changelog/change-log.resolver';
import { catalogResolvers } from '../registry/catalog.resolvers';
import { groupResolvers } from '../registry/groups';
import { CouResolver, OrganizationResolver } from '../registry/organizations/organization.resolver';
import { peopleResolvers } from '../registry/people';
import { provisioningResolvers } from '../provisioning';
import { ProvisioningResolver } from '../provisioning/provisioning.resolver';
import { ProvisioningJobResolver } from '../provisioning/jobs.resolver';
import { ReprovisionAllResolver } from '../provisioning/reprovision-all.resolver';

export const resolvers = [
  ApiTokenResolver,
  ChangeLogResolver,
  OrganizationResolver,
  CouResolver,
  ...peopleResolvers,
  ...groupResolvers,
  ...catalogResolvers,
  ...provisioningResolvers,
  ProvisioningResolver,
  ProvisioningJobResolver,
  ReprovisionAllResolver,
] as unknown as NonEmptyArray<Function>;

export function buildFerrySchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    validate: { forbidUnknownValues: false, stopAtFirstError: false },
  });
}
