import { Max, Min } from 'class-validator';
import { Arg, ArgsType, Args, Ctx, Field, ID, Int, ObjectType, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../api/context';
import { ChangeLogEntry } from './change-log-entry.entity';

@ArgsType()
class ChangeLogArgs {
  @Field(() => String, { nullable: true, description: 'Return entries with a sequence greater than this.' })
  after?: string | null;

  @Field(() => Int, { defaultValue: 100 })
  @Min(1)
  @Max(1000)
  first: number = 100;
}

@ObjectType()
class ChangeLogPage {
  @Field(() => [ChangeLogEntry])
  entries: ChangeLogEntry[];

  @Field({ description: 'The sequence to pass as `after` next time.' })
  cursor: string;

  @Field()
  hasMore: boolean;
}

@Resolver()
export class ChangeLogResolver {
  @Query(() => ChangeLogPage, {
    description: 'Registry changes in commit order. organizationId may be left out by platform admins only.',
  })
  changeLog(
    @Ctx() ctx: RequestContext,
    @Args() args: ChangeLogArgs,
    @Arg('organizationId', () => ID, { nullable: true }) organizationId?: string,
  ) {
    return ctx.services.changeLog.read(ctx, organizationId, args.after, args.first);
  }
}
