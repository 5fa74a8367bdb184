import { Arg, Ctx, ID, Mutation, ObjectType, Resolver } from 'type-graphql';
import type { RequestContext } from '../../api/context';
import { DeletePayload, Payload, toDeletePayload, toPayload } from '../../api/payload';
import { EmailAddress } from './email-address.entity';
import { Identifier } from './identifier.entity';
import { Name } from './name.entity';
import {
  AddEmailAddressInput,
  AddIdentifierInput,
  AddNameInput,
  AddUrlInput,
  UpdateEmailAddressInput,
  UpdateIdentifierInput,
  UpdateNameInput,
  UpdateUrlInput,
} from './person.inputs';
import { Url } from './url.entity';

@ObjectType()
class NamePayload extends Payload(Name, 'name') {}

@ObjectType()
class EmailAddressPayload extends Payload(EmailAddress, 'emailAddress') {}

@ObjectType()
class UrlPayload extends Payload(Url, 'url') {}

@ObjectType()
class IdentifierPayload extends Payload(Identifier, 'identifier') {}

/** Names, email addresses, URLs and identifiers of a person (identifiers also of a group). */
@Resolver()
export class PersonAttributeResolver {
  @Mutation(() => NamePayload, { description: "A person's first name becomes their primary name." })
  async addName(@Ctx() ctx: RequestContext, @Arg('input') input: AddNameInput) {
    const { personId, ...fields } = input;
    return toPayload(await ctx.services.personAttributes.addName(ctx, personId, fields));
  }

  @Mutation(() => NamePayload)
  async updateName(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('input') input: UpdateNameInput) {
    return toPayload(await ctx.services.personAttributes.updateName(ctx, id, input));
  }

  @Mutation(() => DeletePayload, { description: 'Deleting the primary name makes the oldest remaining name primary.' })
  async deleteName(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return toDeletePayload(id, await ctx.services.personAttributes.deleteName(ctx, id));
  }

  @Mutation(() => EmailAddressPayload)
  async addEmailAddress(@Ctx() ctx: RequestContext, @Arg('input') input: AddEmailAddressInput) {
    const { personId, ...fields } = input;
    return toPayload(await ctx.services.personAttributes.addEmailAddress(ctx, personId, fields));
  }

  @Mutation(() => EmailAddressPayload, { description: 'Changing the address clears `verified` unless it is given.' })
  async updateEmailAddress(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateEmailAddressInput,
  ) {
    return toPayload(await ctx.services.personAttributes.updateEmailAddress(ctx, id, input));
  }

  @Mutation(() => DeletePayload)
  async deleteEmailAddress(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return toDeletePayload(id, await ctx.services.personAttributes.deleteEmailAddress(ctx, id));
  }

  @Mutation(() => UrlPayload)
  async addUrl(@Ctx() ctx: RequestContext, @Arg('input') input: AddUrlInput) {
    const { personId, ...fields } = input;
    return toPayload(await ctx.services.personAttributes.addUrl(ctx, personId, fields));
  }

  @Mutation(() => UrlPayload)
  async updateUrl(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('input') input: UpdateUrlInput) {
    return toPayload(await ctx.services.personAttributes.updateUrl(ctx, id, input));
  }

  @Mutation(() => DeletePayload)
  async deleteUrl(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return toDeletePayload(id, await ctx.services.personAttributes.deleteUrl(ctx, id));
  }

  @Mutation(() => IdentifierPayload, {
    description: "Type and value must be unique among the organisation's active identifiers (else CONFLICT).",
  })
  async addIdentifier(@Ctx() ctx: RequestContext, @Arg('input') input: AddIdentifierInput) {
    const { personId, groupId, ...fields } = input;
    return toPayload(await ctx.services.personAttributes.addIdentifier(ctx, { personId, groupId }, fields));
  }

  @Mutation(() => IdentifierPayload)
  async updateIdentifier(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateIdentifierInput,
  ) {
    return toPayload(await ctx.services.personAttributes.updateIdentifier(ctx, id, input));
  }

  @Mutation(() => DeletePayload)
  async deleteIdentifier(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return toDeletePayload(id, await ctx.services.personAttributes.deleteIdentifier(ctx, id));
  }
}
