import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../../auth/actor';
import { applyDefined } from '../../common/validation';
import type { SameOrganizationReferences } from '../records';
import { Group } from '../groups/group.entity';
import { Cou } from '../organizations/cou.entity';
import { OrgScopedCrud } from '../org-scoped-crud';
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

export class DepartmentService extends OrgScopedCrud<Department, DepartmentInput, DepartmentFilterInput> {
  protected readonly entity = Department;

  constructor(private readonly references: SameOrganizationReferences) {
    super();
  }

  protected where(filter: DepartmentFilterInput): FilterQuery<Department> {
    return { ...(filter.couId ? { cou: filter.couId } : {}), ...(filter.kind ? { kind: filter.kind } : {}) };
  }

  protected async assign(actor: Actor, em: EntityManager, department: Department, input: DepartmentInput): Promise<Department> {
    const { couId, leadershipGroupId, administrativeGroupId, ...fields } = input;
    const organizationId = department.organization.id;
    const cou = await this.references.optional(em, actor.principal, Cou, couId, organizationId);
    const leadershipGroup = await this.references.optional(em, actor.principal, Group, leadershipGroupId, organizationId);
    const administrativeGroup = await this.references.optional(em, actor.principal, Group, administrativeGroupId, organizationId);
    return applyDefined(department, { ...fields, cou, leadershipGroup, administrativeGroup });
  }
}
