import { ReconciliationResolver } from './reconciliation.resolver';

/** The GraphQL resolvers of previews, connection tests and reconciliations. */
export const reconciliationResolvers: Function[] = [ReconciliationResolver];
