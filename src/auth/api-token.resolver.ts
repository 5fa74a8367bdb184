import { IsEnum, IsOptional, IsUUID } from 'class-validator';
import { Arg, Args, Ctx, Field, ID, InputType, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../api/context';
import { Connection, PageArgs } from '../common/pagination';
import { IsLabel } from '../common/validation';
import { ApiToken, Role } from './api-token.entity';

@InputType()
class CreateApiTokenInput {
  @Field()
  @IsLabel()
  name: string;

  @Field(() => Role)
  @IsEnum(Role)
  role: Role;

  @Field(() => ID, { nullable: true, description: 'Required for ORG_ADMIN and ORG_READER tokens.' })
  @IsOptional()
  @IsUUID()
  organizationId?: string | null;

  @Field(() => Date, { nullable: true, description: 'When the token stops working (in the future); null: never.' })
  @IsOptional()
  expiresAt?: Date | null;
}

@ObjectType()
class CreateApiTokenPayload {
  @Field(() => ApiToken)
  token: ApiToken;

  @Field({ description: 'The bearer secret. Shown only in this response; Ferry keeps a hash.' })
  secret: string;
}

@ObjectType({ description: 'The token making the request.' })
class Viewer {
  @Field(() => ID)
  tokenId: string;

  @Field(() => Role)
  role: Role;

  @Field(() => ID, { nullable: true })
  organizationId: string | null;
}

@ObjectType()
class ApiTokenConnection extends Connection(ApiToken) {}

@Resolver()
export class ApiTokenResolver {
  @Query(() => Viewer, { description: 'Who the API token of this request is.' })
  viewer(@Ctx() { principal }: RequestContext): Viewer {
    return { tokenId: principal.tokenId, role: principal.role, organizationId: principal.organizationId };
  }

  @Query(() => ApiTokenConnection, { description: 'Tokens of an organisation, or (platform admins) all tokens, in creation order.' })
  apiTokens(
    @Ctx() ctx: RequestContext,
    @Args() page: PageArgs,
    @Arg('organizationId', () => ID, { nullable: true }) organizationId?: string,
  ) {
    return ctx.services.apiTokens.list(ctx, organizationId, page);
  }

  @Mutation(() => CreateApiTokenPayload)
  createApiToken(@Ctx() ctx: RequestContext, @Arg('input') input: CreateApiTokenInput): Promise<CreateApiTokenPayload> {
    return ctx.services.apiTokens.create(ctx, input);
  }

  @Mutation(() => ApiToken, { description: 'Revokes a token at once, including its open subscriptions.' })
  revokeApiToken(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<ApiToken> {
    return ctx.services.apiTokens.revoke(ctx, id);
  }
}
