import { ref, type FilterQuery } from '@mikro-orm/core';
import type { RequestContext } from '../../api/context';
import { paginate, type Page, type PageArgs } from '../../common/pagination';
import { applyDefined } from '../../common/validation';
import { inWriteTransaction, type WriteResult } from '../../db/transaction';
import type { SameOrganizationReferences } from '../catalog.service';
import type { RecordStatus } from '../enums';
import { Cou } from '../organizations/cou.entity';
import { findReadable, findReadableOrganization, findWritable, findWritableOrganization } from '../records';
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

export class TermsAndConditionsService {
  constructor(private readonly references: SameOrganizationReferences) {}

  async list(
    ctx: RequestContext,
    organizationId: string,
    filter: TermsAndConditionsFilterInput = {},
    page: PageArgs,
  ): Promise<Page<TermsAndConditions>> {
    const organization = await findReadableOrganization(ctx.em, ctx.principal, organizationId);
    const where: FilterQuery<TermsAndConditions> = { organization: organization.id };
    if (filter.status) where.status = filter.status;
    if (filter.couId) where.cou = filter.couId;
    return paginate(ctx.em, TermsAndConditions, where, page);
  }

  get(ctx: RequestContext, id: string): Promise<TermsAndConditions> {
    return findReadable(ctx.em, ctx.principal, TermsAndConditions, id);
  }

  create(
    ctx: RequestContext,
    organizationId: string,
    input: TermsAndConditionsInput & { name: string; url: string },
  ): Promise<WriteResult<TermsAndConditions>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const organization = await findWritableOrganization(em, ctx.principal, organizationId);
      const terms = new TermsAndConditions();
      terms.organization = ref(organization);
      await this.assign(ctx, em, terms, input);
      em.persist(terms);
      return terms;
    });
  }

  update(ctx: RequestContext, id: string, input: TermsAndConditionsInput): Promise<WriteResult<TermsAndConditions>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const terms = await findWritable(em, ctx.principal, TermsAndConditions, id);
      return this.assign(ctx, em, terms, input);
    });
  }

  /** The agreements to the terms go with them. */
  delete(ctx: RequestContext, id: string): Promise<WriteResult<string>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const terms = await findWritable(em, ctx.principal, TermsAndConditions, id);
      // Removed here rather than by the foreign-key cascade so that each person's lost agreement
      // is in the change log.
      em.remove(await em.find(TermsAgreement, { terms: terms.id }));
      em.remove(terms);
      return terms.id;
    });
  }

  private async assign(
    ctx: RequestContext,
    em: RequestContext['em'],
    terms: TermsAndConditions,
    input: TermsAndConditionsInput,
  ): Promise<TermsAndConditions> {
    const { couId, ...fields } = input;
    const cou = await this.references.optional(em, ctx.principal, Cou, couId, terms.organization.id);
    return applyDefined(terms, { ...fields, cou });
  }
}
