import { Arg, Args, Ctx, Field, ID, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../api/context';
import { Connection, PageArgs } from '../common/pagination';
import { ApiToken, Role } from './api-token.entity';
import { CreateApiTokenInput } from './api-token.inputs';

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
