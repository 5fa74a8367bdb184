import { DepartmentResolver } from './departments/department.resolver';
import { EmailListResolver } from './email-lists/email-list.resolver';
import { ServiceResolver } from './services/services.resolver';
import { OrgIdentityLinkResolver, OrgIdentitySourceResolver } from './sources/sources.resolver';
import { TermsAgreementResolver, TermsAndConditionsResolver } from './terms/terms.resolver';

/** The GraphQL resolvers of sources, services, terms, departments and email lists. */
export const catalogResolvers: Function[] = [
  OrgIdentitySourceResolver,
  OrgIdentityLinkResolver,
  ServiceResolver,
  TermsAndConditionsResolver,
  TermsAgreementResolver,
  DepartmentResolver,
  EmailListResolver,
];
