import { Args, ArgsType, Ctx, Field, FieldResolver, ID, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../api/context';
import { ChangeLogEntry } from '../changelog/change-log-entry.entity';
import { Connection, PageArgs } from '../common/pagination';
import { AuditEntry } from './audit-entry.entity';

@ObjectType()
class AuditEntryConnection extends Connection(AuditEntry) {}

@ArgsType()
class AuditLogArgs extends PageArgs {
  @Field(() => ID, { nullable: true, description: 'Left out: your organisation (platform admins: every organisation).' })
  organizationId?: string | null;
}

@Resolver(() => AuditEntry)
export class AuditResolver {
  @Query(() => AuditEntryConnection, { description: 'Every administrative action (mutation), oldest first: organisation and platform admins.' })
  auditLog(@Ctx() ctx: RequestContext, @Args() args: AuditLogArgs) {
    return ctx.services.audit.list(ctx.em, ctx.principal, args.organizationId, args);
  }

  @FieldResolver(() => [ChangeLogEntry], { description: 'What it changed: each record with its before and after.' })
  changes(@Root() entry: AuditEntry, @Ctx() ctx: RequestContext) {
    return ctx.services.audit.changes(ctx.em, entry);
  }
}
