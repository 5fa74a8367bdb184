import { ref, type FilterQuery } from '@mikro-orm/core';
import type { RequestContext } from '../../api/context';
import { paginate, type Page, type PageArgs } from '../../common/pagination';
import { applyDefined } from '../../common/validation';
import { inWriteTransaction, type WriteResult } from '../../db/transaction';
import type { SameOrganizationReferences } from '../catalog.service';
import type { RecordStatus } from '../enums';
import { Group } from '../groups/group.entity';
import { findReadable, findReadableOrganization, findWritable, findWritableOrganization } from '../records';
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

export class EmailListService {
  constructor(private readonly references: SameOrganizationReferences) {}

  async list(ctx: RequestContext, organizationId: string, filter: EmailListFilterInput = {}, page: PageArgs): Promise<Page<EmailList>> {
    const organization = await findReadableOrganization(ctx.em, ctx.principal, organizationId);
    const where: FilterQuery<EmailList> = { organization: organization.id };
    if (filter.status) where.status = filter.status;
    if (filter.groupId) {
      const groupId = filter.groupId;
      where.$or = [{ membersGroup: groupId }, { adminsGroup: groupId }, { moderatorsGroup: groupId }];
    }
    return paginate(ctx.em, EmailList, where, page);
  }

  get(ctx: RequestContext, id: string): Promise<EmailList> {
    return findReadable(ctx.em, ctx.principal, EmailList, id);
  }

  create(ctx: RequestContext, organizationId: string, input: EmailListInput & { name: string }): Promise<WriteResult<EmailList>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const organization = await findWritableOrganization(em, ctx.principal, organizationId);
      const emailList = new EmailList();
      emailList.organization = ref(organization);
      await this.assign(ctx, em, emailList, input);
      em.persist(emailList);
      return emailList;
    });
  }

  update(ctx: RequestContext, id: string, input: EmailListInput): Promise<WriteResult<EmailList>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const emailList = await findWritable(em, ctx.principal, EmailList, id);
      return this.assign(ctx, em, emailList, input);
    });
  }

  delete(ctx: RequestContext, id: string): Promise<WriteResult<string>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const emailList = await findWritable(em, ctx.principal, EmailList, id);
      em.remove(emailList);
      return emailList.id;
    });
  }

  private async assign(ctx: RequestContext, em: RequestContext['em'], emailList: EmailList, input: EmailListInput): Promise<EmailList> {
    const { membersGroupId, adminsGroupId, moderatorsGroupId, ...fields } = input;
    const organizationId = emailList.organization.id;
    const membersGroup = await this.references.optional(em, ctx.principal, Group, membersGroupId, organizationId);
    const adminsGroup = await this.references.optional(em, ctx.principal, Group, adminsGroupId, organizationId);
    const moderatorsGroup = await this.references.optional(em, ctx.principal, Group, moderatorsGroupId, organizationId);
    return applyDefined(emailList, { ...fields, membersGroup, adminsGroup, moderatorsGroup });
  }
}
