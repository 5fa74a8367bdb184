import { IsOptional, IsUUID } from 'class-validator';
import { Args, ArgsType, Ctx, Field, FieldResolver, ID, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../api/context';
import { Connection, PageArgs, paginate } from '../common/pagination';
import { forbidden } from '../common/errors';
import { findReadableOrganization } from '../registry/records';
import { FailureNotification } from './failure-notification.entity';
import { ProvisioningTarget } from './provisioning-target.entity';

@ObjectType('ProvisioningFailureConnection')
class FailureNotificationConnection extends Connection(FailureNotification) {}

@ArgsType()
class FailureListArgs extends PageArgs {
  @Field(() => ID)
  @IsUUID()
  organizationId: string;

  @Field(() => Boolean, { nullable: true, defaultValue: true, description: 'true: open ones only; false: resolved ones only; null: all.' })
  @IsOptional()
  open?: boolean | null = true;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  targetId?: string | null;
}

@Resolver(() => FailureNotification)
export class FailureNotificationResolver {
  @Query(() => FailureNotificationConnection, {
    description: "Provisioning failures of an organisation, oldest first (organisation and platform admins).",
  })
  async provisioningFailures(@Ctx() ctx: RequestContext, @Args() args: FailureListArgs) {
    const organization = await findReadableOrganization(ctx.em, ctx.principal, args.organizationId);
    if (!ctx.principal.canWrite(organization.id)) throw forbidden('Only admins of the organisation see its provisioning failures.');
    return paginate(
      ctx.em,
      FailureNotification,
      {
        organizationId: organization.id,
        ...(args.open === true ? { resolvedAt: null } : args.open === false ? { resolvedAt: { $ne: null } } : {}),
        ...(args.targetId ? { target: args.targetId } : {}),
      },
      args,
    );
  }

  @FieldResolver(() => ProvisioningTarget, { nullable: true })
  target(@Root() notification: FailureNotification, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(ProvisioningTarget).load(notification.target.id);
  }
}
