import { ref, type FilterQuery } from '@mikro-orm/core';
import type { RequestContext } from '../../api/context';
import { paginate, type Page, type PageArgs } from '../../common/pagination';
import { applyDefined } from '../../common/validation';
import { inWriteTransaction, type WriteResult } from '../../db/transaction';
import type { SameOrganizationReferences } from '../catalog.service';
import { Group } from '../groups/group.entity';
import { Cou } from '../organizations/cou.entity';
import { findReadable, findReadableOrganization, findWritable, findWritableOrganization } from '../records';
import { Department } from './department.entity';

export interface DepartmentInput {
  name?: string;
  description?: string | null;
  kind?: string | null;
  couId?: string | null;
  leadershipGroupId?: string | null;
  administrativeGroupId?: string | null;
}

export interface DepartmentFilterInput {
  couId?: string | null;
  kind?: string | null;
}

export class DepartmentService {
  constructor(private readonly references: SameOrganizationReferences) {}

  async list(ctx: RequestContext, organizationId: string, filter: DepartmentFilterInput = {}, page: PageArgs): Promise<Page<Department>> {
    const organization = await findReadableOrganization(ctx.em, ctx.principal, organizationId);
    const where: FilterQuery<Department> = { organization: organization.id };
    if (filter.couId) where.cou = filter.couId;
    if (filter.kind) where.kind = filter.kind;
    return paginate(ctx.em, Department, where, page);
  }

  get(ctx: RequestContext, id: string): Promise<Department> {
    return findReadable(ctx.em, ctx.principal, Department, id);
  }

  create(ctx: RequestContext, organizationId: string, input: DepartmentInput & { name: string }): Promise<WriteResult<Department>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const organization = await findWritableOrganization(em, ctx.principal, organizationId);
      const department = new Department();
      department.organization = ref(organization);
      await this.assign(ctx, em, department, input);
      em.persist(department);
      return department;
    });
  }

  update(ctx: RequestContext, id: string, input: DepartmentInput): Promise<WriteResult<Department>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const department = await findWritable(em, ctx.principal, Department, id);
      return this.assign(ctx, em, department, input);
    });
  }

  delete(ctx: RequestContext, id: string): Promise<WriteResult<string>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const department = await findWritable(em, ctx.principal, Department, id);
      em.remove(department);
      return department.id;
    });
  }

  private async assign(ctx: RequestContext, em: RequestContext['em'], department: Department, input: DepartmentInput): Promise<Department> {
    const { couId, leadershipGroupId, administrativeGroupId, ...fields } = input;
    const organizationId = department.organization.id;
    const cou = await this.references.optional(em, ctx.principal, Cou, couId, organizationId);
    const leadershipGroup = await this.references.optional(em, ctx.principal, Group, leadershipGroupId, organizationId);
    const administrativeGroup = await this.references.optional(em, ctx.principal, Group, administrativeGroupId, organizationId);
    return applyDefined(department, { ...fields, cou, leadershipGroup, administrativeGroup });
  }
}
