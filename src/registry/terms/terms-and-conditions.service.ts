import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../../auth/actor';
import { applyDefined } from '../../common/validation';
import type { SameOrganizationReferences } from '../records';
import type { RecordStatus } from '../enums';
import { Cou } from '../organizations/cou.entity';
import { OrgScopedCrud } from '../org-scoped-crud';
import { TermsAgreement } from './terms-agreement.entity';
import { TermsAndConditions } from './terms-and-conditions.entity';

export interface TermsAndConditionsInput {
  name?: string;
  url?: string;
  status?: RecordStatus;
  couId?: string | null;
}

export interface TermsAndConditionsFilterInput {
  status?: RecordStatus | null;
  couId?: string | null;
}

export class TermsAndConditionsService extends OrgScopedCrud<TermsAndConditions, TermsAndConditionsInput, TermsAndConditionsFilterInput> {
  protected readonly entity = TermsAndConditions;

  constructor(private readonly references: SameOrganizationReferences) {
    super();
  }

  protected where(filter: TermsAndConditionsFilterInput): FilterQuery<TermsAndConditions> {
    return { ...(filter.status ? { status: filter.status } : {}), ...(filter.couId ? { cou: filter.couId } : {}) };
  }

  protected async assign(actor: Actor, em: EntityManager, terms: TermsAndConditions, input: TermsAndConditionsInput): Promise<TermsAndConditions> {
    const { couId, ...fields } = input;
    const cou = await this.references.optional(em, actor.principal, Cou, couId, terms.organization.id);
    return applyDefined(terms, { ...fields, cou });
  }

  /** The agreements to the terms go with them. */
  protected dependents(em: EntityManager, terms: TermsAndConditions): Promise<object[]> {
    return em.find(TermsAgreement, { terms: terms.id });
  }
}
