import { DateTimeResolver } from 'graphql-scalars';
import type { GraphQLSchema } from 'graphql';
import { buildSchema, type NonEmptyArray } from 'type-graphql';
import { auditResolvers } from '../audit';
import { authResolvers } from '../auth';
import { changeLogResolvers } from '../changelog';
import { importResolvers } from '../import';
import { liveResolvers } from '../live';
import { provisionabilityResolvers } from '../provisionability';
import { provisioningResolvers } from '../provisioning';
import { reconciliationResolvers } from '../reconciliation';
import { catalogResolvers } from '../registry/catalog.resolvers';
import { groupResolvers } from '../registry/groups';
import { organizationResolvers } from '../registry/organizations';
import { peopleResolvers } from '../registry/people';
import { NodeResolver } from './node.resolver';

/** Each feature folder's index.ts names its resolvers; the schema is their union. */
export const resolvers = [
  ...authResolvers,
  ...changeLogResolvers,
  ...organizationResolvers,
  ...peopleResolvers,
  ...groupResolvers,
  ...catalogResolvers,
  ...provisioningResolvers,
  ...liveResolvers,
  ...provisionabilityResolvers,
  ...reconciliationResolvers,
  ...auditResolvers,
  ...importResolvers,
  NodeResolver,
] as unknown as NonEmptyArray<Function>;

/**
 * type-graphql insists on a PubSub once there are subscriptions. Ferry's subscriptions bring
 * their own streams (`subscribe`), fed from the stored events, so topics are never used.
 */
const noTopics = {
  publish(): never {
    throw new Error('Ferry subscriptions use their own streams (LiveUpdates), not type-graphql topics.');
  },
  subscribe(): never {
    throw new Error('Ferry subscriptions use their own streams (LiveUpdates), not type-graphql topics.');
  },
};

export function buildFerrySchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    pubSub: noTopics,
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    validate: { forbidUnknownValues: false, stopAtFirstError: false },
  });
}
