import { IsEnum, IsOptional, IsUUID } from 'class-validator';
import { Arg, Ctx, Field, ID, InputType, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../api/context';
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

@Resolver()
export class ApiTokenResolver {
  @Query(() => Viewer, { description: 'Who the API token of this request is.' })
  viewer(@Ctx() { principal }: RequestContext): Viewer {
    return { tokenId: principal.tokenId, role: principal.role, organizationId: principal.organizationId };
  }

  @Query(() => [ApiToken], { description: 'Tokens of an organisation, or (platform admins) all tokens.' })
  apiTokens(
    @Ctx() ctx: RequestContext,
    @Arg('organizationId', () => ID, { nullable: true }) organizationId?: string,
  ): Promise<ApiToken[]> {
    return ctx.services.apiTokens.list(ctx, organizationId);
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
