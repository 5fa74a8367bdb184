import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../../auth/actor';
import { applyDefined } from '../../common/validation';
import type { SameOrganizationReferences } from '../records';
import type { RecordStatus } from '../enums';
import { Group } from '../groups/group.entity';
import { OrgScopedCrud } from '../org-scoped-crud';
import { EmailList } from './email-list.entity';

export interface EmailListInput {
  name?: string;
  description?: string | null;
  address?: string | null;
  status?: RecordStatus;
  membersGroupId?: string | null;
  adminsGroupId?: string | null;
  moderatorsGroupId?: string | null;
}

export interface EmailListFilterInput {
  status?: RecordStatus | null;
  groupId?: string | null;
}

export class EmailListService extends OrgScopedCrud<EmailList, EmailListInput, EmailListFilterInput> {
  protected readonly entity = EmailList;

  constructor(private readonly references: SameOrganizationReferences) {
    super();
  }

  protected where(filter: EmailListFilterInput): FilterQuery<EmailList> {
    const where: FilterQuery<EmailList> = {};
    if (filter.status) where.status = filter.status;
    if (filter.groupId) {
      const groupId = filter.groupId;
      where.$or = [{ membersGroup: groupId }, { adminsGroup: groupId }, { moderatorsGroup: groupId }];
    }
    return where;
  }

  protected async assign(actor: Actor, em: EntityManager, emailList: EmailList, input: EmailListInput): Promise<EmailList> {
    const { membersGroupId, adminsGroupId, moderatorsGroupId, ...fields } = input;
    const organizationId = emailList.organization.id;
    const membersGroup = await this.references.optional(em, actor.principal, Group, membersGroupId, organizationId);
    const adminsGroup = await this.references.optional(em, actor.principal, Group, adminsGroupId, organizationId);
    const moderatorsGroup = await this.references.optional(em, actor.principal, Group, moderatorsGroupId, organizationId);
    return applyDefined(emailList, { ...fields, membersGroup, adminsGroup, moderatorsGroup });
  }
}
