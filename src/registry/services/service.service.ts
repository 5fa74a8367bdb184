import { ref, type FilterQuery } from '@mikro-orm/core';
import type { RequestContext } from '../../api/context';
import { paginate, type Page, type PageArgs } from '../../common/pagination';
import { applyDefined } from '../../common/validation';
import { inWriteTransaction, type WriteResult } from '../../db/transaction';
import type { SameOrganizationReferences } from '../catalog.service';
import type { RecordStatus } from '../enums';
import { Group } from '../groups/group.entity';
import { findReadable, findReadableOrganization, findWritable, findWritableOrganization } from '../records';
import { Service } from './service.entity';

export interface ServiceInput {
  name?: string;
  description?: string | null;
  shortLabel?: string | null;
  entitlementUri?: string | null;
  serviceUrl?: string | null;
  groupId?: string | null;
  status?: RecordStatus;
}

export interface ServiceFilterInput {
  status?: RecordStatus | null;
  groupId?: string | null;
}

/** COmanage CO Services (named so as not to be mistaken for the application's service classes). */
export class ServiceCatalogService {
  constructor(private readonly references: SameOrganizationReferences) {}

  async list(ctx: RequestContext, organizationId: string, filter: ServiceFilterInput = {}, page: PageArgs): Promise<Page<Service>> {
    const organization = await findReadableOrganization(ctx.em, ctx.principal, organizationId);
    const where: FilterQuery<Service> = { organization: organization.id };
    if (filter.status) where.status = filter.status;
    if (filter.groupId) where.group = filter.groupId;
    return paginate(ctx.em, Service, where, page);
  }

  get(ctx: RequestContext, id: string): Promise<Service> {
    return findReadable(ctx.em, ctx.principal, Service, id);
  }

  create(ctx: RequestContext, organizationId: string, input: ServiceInput & { name: string }): Promise<WriteResult<Service>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const organization = await findWritableOrganization(em, ctx.principal, organizationId);
      const service = new Service();
      service.organization = ref(organization);
      await this.assign(ctx, em, service, input);
      em.persist(service);
      return service;
    });
  }

  update(ctx: RequestContext, id: string, input: ServiceInput): Promise<WriteResult<Service>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const service = await findWritable(em, ctx.principal, Service, id);
      return this.assign(ctx, em, service, input);
    });
  }

  delete(ctx: RequestContext, id: string): Promise<WriteResult<string>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const service = await findWritable(em, ctx.principal, Service, id);
      em.remove(service);
      return service.id;
    });
  }

  private async assign(ctx: RequestContext, em: RequestContext['em'], service: Service, input: ServiceInput): Promise<Service> {
    const { groupId, ...fields } = input;
    const group = await this.references.optional(em, ctx.principal, Group, groupId, service.organization.id);
    return applyDefined(service, { ...fields, group });
  }
}
