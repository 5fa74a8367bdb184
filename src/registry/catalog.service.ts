import { ref, type EntityClass, type Ref } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Principal } from '../auth/principal';
import type { OrgScopedEntity } from '../common/base-entity';
import { notFound } from '../common/errors';
import { DepartmentService } from './departments/department.service';
import { EmailListService } from './email-lists/email-list.service';
import { findReadable } from './records';
import { ServiceCatalogService } from './services/service.service';
import { OrgIdentityLinkService } from './sources/org-identity-link.service';
import { OrgIdentitySourceService } from './sources/org-identity-source.service';
import { TermsAgreementService } from './terms/terms-agreement.service';
import { TermsAndConditionsService } from './terms/terms-and-conditions.service';

/**
 * Loads the records a catalog record points at (person, source, group, unit, terms). A record of
 * another organisation is reported exactly like a missing one, even to a platform admin who could
 * read it: no input may tie two organisations together, and the error must not tell them apart.
 */
export class SameOrganizationReferences {
  async require<T extends OrgScopedEntity>(
    em: EntityManager,
    principal: Principal,
    entity: EntityClass<T>,
    id: string,
    organizationId: string,
  ): Promise<T> {
    const record = await findReadable(em, principal, entity, id);
    if (record.organization.id !== organizationId) throw notFound(entity.name, id);
    return record;
  }

  /** For optional references in inputs: undefined leaves the reference alone, null clears it. */
  async optional<T extends OrgScopedEntity>(
    em: EntityManager,
    principal: Principal,
    entity: EntityClass<T>,
    id: string | null | undefined,
    organizationId: string,
  ): Promise<Ref<T> | null | undefined> {
    if (id === undefined || id === null) return id;
    return ref(await this.require(em, principal, entity, id, organizationId));
  }
}

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
