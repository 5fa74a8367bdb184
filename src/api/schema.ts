import { DateTimeResolver } from 'graphql-scalars';
import type { GraphQLSchema } from 'graphql';
import { buildSchema, type NonEmptyArray } from 'type-graphql';
import { ApiTokenResolver } from '../auth/api-token.resolver';
import { ImportResolver } from '../import/import.resolver';
import { ChangeLogResolver } from '../changelog/change-log.resolver';
import { catalogResolvers } from '../registry/catalog.resolvers';
import { groupResolvers } from '../registry/groups';
import { CouResolver, OrganizationResolver } from '../registry/organizations/organization.resolver';
import { peopleResolvers } from '../registry/people';
import { provisioningResolvers } from '../provisioning';
import { ProvisioningResolver } from '../provisioning/provisioning.resolver';
import { ProvisioningJobResolver } from '../provisioning/jobs.resolver';
import { ReprovisionAllResolver } from '../provisioning/reprovision-all.resolver';
import { ProvisioningEventResolver } from '../provisioning/provisioning-event.resolver';
import { FailureNotificationResolver } from '../provisioning/failures.resolver';
import { LiveResolver } from '../live/live.resolver';
import { AuditResolver } from '../audit/audit.resolver';
import { ReconciliationResolver } from '../reconciliation/reconciliation.resolver';
import { GroupProvisionabilityResolver, ProvisioningAssignmentResolver } from '../provisionability/provisionability.resolver';
import { NodeResolver } from './node.resolver';

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
  ProvisioningEventResolver,
  FailureNotificationResolver,
  LiveResolver,
  ProvisioningAssignmentResolver,
  GroupProvisionabilityResolver,
  ReconciliationResolver,
  AuditResolver,
  ImportResolver,
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
