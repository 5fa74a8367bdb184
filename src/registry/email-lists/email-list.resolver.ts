import { Arg, Args, Ctx, FieldResolver, ID, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../api/context';
import { Connection, PageArgs } from '../../common/pagination';
import { DeletePayload, Payload, toDeletePayload, toPayload } from '../../api/payload';
import { Group } from '../groups/group.entity';
import { EmailList } from './email-list.entity';
import { CreateEmailListInput, EmailListFilter, UpdateEmailListInput } from './email-list.inputs';

@ObjectType()
class EmailListConnection extends Connection(EmailList) {}

@ObjectType()
class EmailListPayload extends Payload(EmailList, 'emailList') {}

@Resolver(() => EmailList)
export class EmailListResolver {
  @Query(() => EmailListConnection)
  emailLists(
    @Ctx() ctx: RequestContext,
    @Arg('organizationId', () => ID) organizationId: string,
    @Arg('filter', () => EmailListFilter, { nullable: true }) filter: EmailListFilter | null,
    @Args() page: PageArgs,
  ) {
    return ctx.services.catalog.emailLists.list(ctx, organizationId, filter ?? {}, page);
  }

  @Query(() => EmailList)
  emailList(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return ctx.services.catalog.emailLists.get(ctx, id);
  }

  @FieldResolver(() => Group, { nullable: true })
  membersGroup(@Root() emailList: EmailList, @Ctx() ctx: RequestContext) {
    return emailList.membersGroup ? ctx.loaders.byId(Group).load(emailList.membersGroup.id) : null;
  }

  @FieldResolver(() => Group, { nullable: true })
  adminsGroup(@Root() emailList: EmailList, @Ctx() ctx: RequestContext) {
    return emailList.adminsGroup ? ctx.loaders.byId(Group).load(emailList.adminsGroup.id) : null;
  }

  @FieldResolver(() => Group, { nullable: true })
  moderatorsGroup(@Root() emailList: EmailList, @Ctx() ctx: RequestContext) {
    return emailList.moderatorsGroup ? ctx.loaders.byId(Group).load(emailList.moderatorsGroup.id) : null;
  }

  @Mutation(() => EmailListPayload)
  async createEmailList(@Ctx() ctx: RequestContext, @Arg('input') input: CreateEmailListInput) {
    const { organizationId, ...fields } = input;
    return toPayload(await ctx.services.catalog.emailLists.create(ctx, organizationId, fields));
  }

  @Mutation(() => EmailListPayload)
  async updateEmailList(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('input') input: UpdateEmailListInput) {
    return toPayload(await ctx.services.catalog.emailLists.update(ctx, id, input));
  }

  @Mutation(() => DeletePayload)
  async deleteEmailList(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return toDeletePayload(id, await ctx.services.catalog.emailLists.delete(ctx, id));
  }
}
