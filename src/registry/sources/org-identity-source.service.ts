import { ref, type FilterQuery } from '@mikro-orm/core';
import type { RequestContext } from '../../api/context';
import { paginate, type Page, type PageArgs } from '../../common/pagination';
import { applyDefined } from '../../common/validation';
import { inWriteTransaction, type WriteResult } from '../../db/transaction';
import type { RecordStatus } from '../enums';
import { findReadable, findReadableOrganization, findWritable, findWritableOrganization } from '../records';
import { OrgIdentityLink } from './org-identity-link.entity';
import { OrgIdentitySource } from './org-identity-source.entity';

export interface OrgIdentitySourceInput {
  name?: string;
  description?: string | null;
  kind?: string;
  status?: RecordStatus;
}

export interface OrgIdentitySourceFilterInput {
  status?: RecordStatus | null;
}

export class OrgIdentitySourceService {
  async list(
    ctx: RequestContext,
    organizationId: string,
    filter: OrgIdentitySourceFilterInput = {},
    page: PageArgs,
  ): Promise<Page<OrgIdentitySource>> {
    const organization = await findReadableOrganization(ctx.em, ctx.principal, organizationId);
    const where: FilterQuery<OrgIdentitySource> = { organization: organization.id };
    if (filter.status) where.status = filter.status;
    return paginate(ctx.em, OrgIdentitySource, where, page);
  }

  get(ctx: RequestContext, id: string): Promise<OrgIdentitySource> {
    return findReadable(ctx.em, ctx.principal, OrgIdentitySource, id);
  }

  create(
    ctx: RequestContext,
    organizationId: string,
    input: OrgIdentitySourceInput & { name: string; kind: string },
  ): Promise<WriteResult<OrgIdentitySource>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const organization = await findWritableOrganization(em, ctx.principal, organizationId);
      const source = applyDefined(new OrgIdentitySource(), input);
      source.organization = ref(organization);
      em.persist(source);
      return source;
    });
  }

  update(ctx: RequestContext, id: string, input: OrgIdentitySourceInput): Promise<WriteResult<OrgIdentitySource>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const source = await findWritable(em, ctx.principal, OrgIdentitySource, id);
      return applyDefined(source, input);
    });
  }

  /** The links to the source go with it. */
  delete(ctx: RequestContext, id: string): Promise<WriteResult<string>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const source = await findWritable(em, ctx.principal, OrgIdentitySource, id);
      // Removed here rather than by the foreign-key cascade so that every person who loses a
      // link gets a change-log entry the provisioning engine can act on.
      em.remove(await em.find(OrgIdentityLink, { source: source.id }));
      em.remove(source);
      return source.id;
    });
  }
}
