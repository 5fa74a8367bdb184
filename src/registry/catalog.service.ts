import { DepartmentService } from './departments/department.service';
import { EmailListService } from './email-lists/email-list.service';
import { SameOrganizationReferences } from './records';
import { ServiceCatalogService } from './services/service.service';
import { OrgIdentityLinkService } from './sources/org-identity-link.service';
import { OrgIdentitySourceService } from './sources/org-identity-source.service';
import { TermsAgreementService } from './terms/terms-agreement.service';
import { TermsAndConditionsService } from './terms/terms-and-conditions.service';

/**
 * The organisation's other provisioning-relevant records: identity sources and links, services,
 * terms and conditions with agreements, departments and email lists.
 */
export class CatalogService {
  readonly sources: OrgIdentitySourceService;
  readonly links: OrgIdentityLinkService;
  readonly coServices: ServiceCatalogService;
  readonly terms: TermsAndConditionsService;
  readonly agreements: TermsAgreementService;
  readonly departments: DepartmentService;
  readonly emailLists: EmailListService;

  constructor() {
    const references = new SameOrganizationReferences();
    this.sources = new OrgIdentitySourceService();
    this.links = new OrgIdentityLinkService(references);
    this.coServices = new ServiceCatalogService(references);
    this.terms = new TermsAndConditionsService(references);
    this.agreements = new TermsAgreementService(references);
    this.departments = new DepartmentService(references);
    this.emailLists = new EmailListService(references);
  }
}
