import { Arg, Args, Ctx, ID, ObjectType, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../api/context';
import { Connection, PageArgs } from '../common/pagination';
import { ChangeLogEntry } from './change-log-entry.entity';

@ObjectType()
class ChangeLogEntryConnection extends Connection(ChangeLogEntry) {}

@Resolver()
export class ChangeLogResolver {
  @Query(() => ChangeLogEntryConnection, {
    description: "Registry changes in commit order; a cursor is the entry's seq. organizationId may be left out by platform admins only.",
  })
  changeLog(
    @Ctx() ctx: RequestContext,
    @Args() page: PageArgs,
    @Arg('organizationId', () => ID, { nullable: true }) organizationId?: string,
  ) {
    return ctx.services.changeLog.read(ctx, organizationId, page);
  }
}
