import { Arg, Args, Ctx, FieldResolver, ID, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../api/context';
import { Connection, PageArgs } from '../../common/pagination';
import { DeletePayload, Payload, toDeletePayload, toPayload } from '../../api/payload';
import { Cou } from '../organizations/cou.entity';
import { Person } from '../people/person.entity';
import { TermsAgreement } from './terms-agreement.entity';
import { TermsAndConditions } from './terms-and-conditions.entity';
import {
  CreateTermsAndConditionsInput,
  RecordTermsAgreementInput,
  TermsAgreementFilter,
  TermsAndConditionsFilter,
  UpdateTermsAndConditionsInput,
} from './terms.inputs';

@ObjectType()
class TermsAndConditionsConnection extends Connection(TermsAndConditions) {}

@ObjectType()
class TermsAndConditionsPayload extends Payload(TermsAndConditions, 'termsAndConditions') {}

@ObjectType()
class TermsAgreementConnection extends Connection(TermsAgreement) {}

@ObjectType()
class TermsAgreementPayload extends Payload(TermsAgreement, 'agreement') {}

@Resolver(() => TermsAndConditions)
export class TermsAndConditionsResolver {
  @Query(() => TermsAndConditionsConnection)
  termsAndConditions(
    @Ctx() ctx: RequestContext,
    @Arg('organizationId', () => ID) organizationId: string,
    @Arg('filter', () => TermsAndConditionsFilter, { nullable: true }) filter: TermsAndConditionsFilter | null,
    @Args() page: PageArgs,
  ) {
    return ctx.services.catalog.terms.list(ctx, organizationId, filter ?? {}, page);
  }

  @Query(() => TermsAndConditions, { description: 'One set of terms and conditions (the list is termsAndConditions).' })
  termsAndConditionsById(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return ctx.services.catalog.terms.get(ctx, id);
  }

  @FieldResolver(() => Cou, { nullable: true })
  cou(@Root() terms: TermsAndConditions, @Ctx() ctx: RequestContext) {
    return terms.cou ? ctx.loaders.byId(Cou).load(terms.cou.id) : null;
  }

  @Mutation(() => TermsAndConditionsPayload)
  async createTermsAndConditions(@Ctx() ctx: RequestContext, @Arg('input') input: CreateTermsAndConditionsInput) {
    const { organizationId, ...fields } = input;
    return toPayload(await ctx.services.catalog.terms.create(ctx, organizationId, fields));
  }

  @Mutation(() => TermsAndConditionsPayload)
  async updateTermsAndConditions(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateTermsAndConditionsInput,
  ) {
    return toPayload(await ctx.services.catalog.terms.update(ctx, id, input));
  }

  @Mutation(() => DeletePayload, { description: 'Also removes every agreement to these terms.' })
  async deleteTermsAndConditions(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return toDeletePayload(id, await ctx.services.catalog.terms.delete(ctx, id));
  }
}

@Resolver(() => TermsAgreement)
export class TermsAgreementResolver {
  @Query(() => TermsAgreementConnection)
  termsAgreements(
    @Ctx() ctx: RequestContext,
    @Arg('organizationId', () => ID) organizationId: string,
    @Arg('filter', () => TermsAgreementFilter, { nullable: true }) filter: TermsAgreementFilter | null,
    @Args() page: PageArgs,
  ) {
    return ctx.services.catalog.agreements.list(ctx, organizationId, filter ?? {}, page);
  }

  @Query(() => TermsAgreement)
  termsAgreement(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return ctx.services.catalog.agreements.get(ctx, id);
  }

  @FieldResolver(() => TermsAndConditions)
  terms(@Root() agreement: TermsAgreement, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(TermsAndConditions).load(agreement.terms.id);
  }

  @FieldResolver(() => Person)
  person(@Root() agreement: TermsAgreement, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(Person).load(agreement.person.id);
  }

  @Mutation(() => TermsAgreementPayload, { description: 'Records that the person agrees to the terms now.' })
  async recordTermsAgreement(@Ctx() ctx: RequestContext, @Arg('input') input: RecordTermsAgreementInput) {
    return toPayload(await ctx.services.catalog.agreements.record(ctx, input.personId, input.termsId));
  }

  @Mutation(() => DeletePayload)
  async withdrawTermsAgreement(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return toDeletePayload(id, await ctx.services.catalog.agreements.withdraw(ctx, id));
  }
}
