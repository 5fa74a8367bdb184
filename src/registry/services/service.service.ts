import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../../auth/actor';
import { applyDefined } from '../../common/validation';
import type { SameOrganizationReferences } from '../records';
import type { RecordStatus } from '../enums';
import { Group } from '../groups/group.entity';
import { OrgScopedCrud } from '../org-scoped-crud';
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
export class ServiceCatalogService extends OrgScopedCrud<Service, ServiceInput, ServiceFilterInput> {
  protected readonly entity = Service;

  constructor(private readonly references: SameOrganizationReferences) {
    super();
  }

  protected where(filter: ServiceFilterInput): FilterQuery<Service> {
    return { ...(filter.status ? { status: filter.status } : {}), ...(filter.groupId ? { group: filter.groupId } : {}) };
  }

  protected async assign(actor: Actor, em: EntityManager, service: Service, input: ServiceInput): Promise<Service> {
    const { groupId, ...fields } = input;
    const group = await this.references.optional(em, actor.principal, Group, groupId, service.organization.id);
    return applyDefined(service, { ...fields, group });
  }
}
