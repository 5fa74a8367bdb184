import { AuditResolver } from './audit.resolver';

/** The GraphQL resolvers of the audit log. */
export const auditResolvers: Function[] = [AuditResolver];
