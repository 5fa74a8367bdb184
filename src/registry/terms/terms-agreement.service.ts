import { ref, type FilterQuery } from '@mikro-orm/core';
import type { Actor } from '../../auth/actor';
import { badInput } from '../../common/errors';
import { paginate, type Page, type PageArgs } from '../../common/pagination';
import { inWriteTransaction, type WriteResult } from '../../db/transaction';
import type { SameOrganizationReferences } from '../records';
import { RecordStatus } from '../enums';
import { Person } from '../people/person.entity';
import { findReadable, findReadableOrganization, findWritable } from '../records';
import { TermsAgreement } from './terms-agreement.entity';
import { TermsAndConditions } from './terms-and-conditions.entity';

export interface TermsAgreementFilterInput {
  personId?: string | null;
  termsId?: string | null;
}

export class TermsAgreementService {
  constructor(private readonly references: SameOrganizationReferences) {}

  async list(
    actor: Actor,
    organizationId: string,
    filter: TermsAgreementFilterInput = {},
    page: PageArgs,
  ): Promise<Page<TermsAgreement>> {
    const organization = await findReadableOrganization(actor.em, actor.principal, organizationId);
    const where: FilterQuery<TermsAgreement> = { organization: organization.id };
    if (filter.personId) where.person = filter.personId;
    if (filter.termsId) where.terms = filter.termsId;
    return paginate(actor.em, TermsAgreement, where, page);
  }

  get(actor: Actor, id: string): Promise<TermsAgreement> {
    return findReadable(actor.em, actor.principal, TermsAgreement, id);
  }

  /** Records that the person agrees to the terms now; agreeing twice is a conflict. */
  record(actor: Actor, personId: string, termsId: string): Promise<WriteResult<TermsAgreement>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const person = await findWritable(em, actor.principal, Person, personId);
      const terms = await this.references.require(em, actor.principal, TermsAndConditions, termsId, person.organization.id);
      if (terms.status !== RecordStatus.ACTIVE) {
        throw badInput(`The terms "${terms.name}" are suspended and cannot be agreed to.`, 'termsId');
      }
      const agreement = new TermsAgreement();
      agreement.organization = person.organization;
      agreement.person = ref(person);
      agreement.terms = ref(terms);
      agreement.agreedAt = new Date();
      em.persist(agreement);
      return agreement;
    });
  }

  withdraw(actor: Actor, id: string): Promise<WriteResult<string>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const agreement = await findWritable(em, actor.principal, TermsAgreement, id);
      em.remove(agreement);
      return agreement.id;
    });
  }
}
