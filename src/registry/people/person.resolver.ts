import { Arg, Args, Ctx, FieldResolver, ID, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../api/context';
import { Connection, PageArgs } from '../../common/pagination';
import { DeletePayload, Payload, toDeletePayload, toPayload } from '../../api/payload';
import { GroupMembership } from '../groups/group-membership.entity';
import { OrgIdentityLink } from '../sources/org-identity-link.entity';
import { TermsAgreement } from '../terms/terms-agreement.entity';
import { EmailAddress } from './email-address.entity';
import { Identifier } from './identifier.entity';
import { Name } from './name.entity';
import { CreatePersonInput, PersonFilter, UpdatePersonInput } from './person.inputs';
import { Person } from './person.entity';
import { PersonRole } from './person-role.entity';
import { Url } from './url.entity';

@ObjectType()
class PersonConnection extends Connection(Person) {}

@ObjectType()
export class PersonPayload extends Payload(Person, 'person') {}

@Resolver(() => Person)
export class PersonResolver {
  @Query(() => PersonConnection, { description: 'People of an organisation, in creation order.' })
  people(
    @Ctx() ctx: RequestContext,
    @Arg('organizationId', () => ID) organizationId: string,
    @Arg('filter', () => PersonFilter, { nullable: true }) filter: PersonFilter | null,
    @Args() page: PageArgs,
  ) {
    return ctx.services.people.list(ctx, organizationId, filter, page);
  }

  @Query(() => Person)
  person(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return ctx.services.people.get(ctx, id);
  }

  @FieldResolver(() => [Name])
  names(@Root() person: Person, @Ctx() ctx: RequestContext) {
    return ctx.loaders.childrenOf(Name, 'person').load(person.id);
  }

  @FieldResolver(() => Name, { nullable: true, description: 'null only while the person has no name.' })
  async primaryName(@Root() person: Person, @Ctx() ctx: RequestContext) {
    // Shares the batch of `names` rather than adding a second query for the primary flag.
    const names = await ctx.loaders.childrenOf(Name, 'person').load(person.id);
    return names.find((name) => name.primary) ?? null;
  }

  @FieldResolver(() => [EmailAddress])
  emailAddresses(@Root() person: Person, @Ctx() ctx: RequestContext) {
    return ctx.loaders.childrenOf(EmailAddress, 'person').load(person.id);
  }

  @FieldResolver(() => [Identifier])
  identifiers(@Root() person: Person, @Ctx() ctx: RequestContext) {
    return ctx.loaders.childrenOf(Identifier, 'person').load(person.id);
  }

  @FieldResolver(() => [Url])
  urls(@Root() person: Person, @Ctx() ctx: RequestContext) {
    return ctx.loaders.childrenOf(Url, 'person').load(person.id);
  }

  @FieldResolver(() => [PersonRole])
  roles(@Root() person: Person, @Ctx() ctx: RequestContext) {
    return ctx.loaders.childrenOf(PersonRole, 'person').load(person.id);
  }

  @FieldResolver(() => [GroupMembership], { description: 'Direct and nested (materialised) group memberships.' })
  memberships(@Root() person: Person, @Ctx() ctx: RequestContext) {
    return ctx.loaders.childrenOf(GroupMembership, 'person').load(person.id);
  }

  @FieldResolver(() => [OrgIdentityLink], { description: 'The source records this person was built from.' })
  orgIdentityLinks(@Root() person: Person, @Ctx() ctx: RequestContext) {
    return ctx.loaders.childrenOf(OrgIdentityLink, 'person').load(person.id);
  }

  @FieldResolver(() => [TermsAgreement])
  termsAgreements(@Root() person: Person, @Ctx() ctx: RequestContext) {
    return ctx.loaders.childrenOf(TermsAgreement, 'person').load(person.id);
  }

  @Mutation(() => PersonPayload, { description: 'Creates a person (ACTIVE unless a status is given) with names, emails and identifiers.' })
  async createPerson(@Ctx() ctx: RequestContext, @Arg('input') input: CreatePersonInput) {
    const { organizationId, ...fields } = input;
    return toPayload(await ctx.services.people.create(ctx, organizationId, fields));
  }

  @Mutation(() => PersonPayload)
  async updatePerson(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('input') input: UpdatePersonInput) {
    return toPayload(await ctx.services.people.update(ctx, id, input));
  }

  @Mutation(() => DeletePayload, { description: 'Deletes the person; every membership they lose is in the change log.' })
  async deletePerson(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return toDeletePayload(id, await ctx.services.people.delete(ctx, id));
  }
}
