import { Arg, Ctx, FieldResolver, ID, Mutation, ObjectType, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../api/context';
import { DeletePayload, Payload, toDeletePayload, toPayload } from '../../api/payload';
import { AdHocAttribute } from './ad-hoc-attribute.entity';
import { Address } from './address.entity';
import {
  AddAddressInput,
  AddAdHocAttributeInput,
  AddPersonRoleInput,
  AddTelephoneNumberInput,
  UpdateAddressInput,
  UpdateAdHocAttributeInput,
  UpdatePersonRoleInput,
  UpdateTelephoneNumberInput,
} from './person-role.inputs';
import { PersonRole } from './person-role.entity';
import { TelephoneNumber } from './telephone-number.entity';

@ObjectType()
class PersonRolePayload extends Payload(PersonRole, 'personRole') {}

@ObjectType()
class AddressPayload extends Payload(Address, 'address') {}

@ObjectType()
class TelephoneNumberPayload extends Payload(TelephoneNumber, 'telephoneNumber') {}

@ObjectType()
class AdHocAttributePayload extends Payload(AdHocAttribute, 'adHocAttribute') {}

@Resolver(() => PersonRole)
export class PersonRoleResolver {
  @FieldResolver(() => [Address])
  addresses(@Root() role: PersonRole, @Ctx() ctx: RequestContext) {
    return ctx.loaders.childrenOf(Address, 'role').load(role.id);
  }

  @FieldResolver(() => [TelephoneNumber])
  telephoneNumbers(@Root() role: PersonRole, @Ctx() ctx: RequestContext) {
    return ctx.loaders.childrenOf(TelephoneNumber, 'role').load(role.id);
  }

  @FieldResolver(() => [AdHocAttribute])
  adHocAttributes(@Root() role: PersonRole, @Ctx() ctx: RequestContext) {
    return ctx.loaders.childrenOf(AdHocAttribute, 'role').load(role.id);
  }

  @Mutation(() => PersonRolePayload, { description: "Also updates the person's automatic group memberships." })
  async addPersonRole(@Ctx() ctx: RequestContext, @Arg('input') input: AddPersonRoleInput) {
    const { personId, ...fields } = input;
    return toPayload(await ctx.services.personRoles.addRole(ctx, personId, fields));
  }

  @Mutation(() => PersonRolePayload, { description: "Also updates the person's automatic group memberships." })
  async updatePersonRole(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdatePersonRoleInput,
  ) {
    return toPayload(await ctx.services.personRoles.updateRole(ctx, id, input));
  }

  @Mutation(() => DeletePayload, { description: 'Deletes the role with its addresses, telephone numbers and ad hoc attributes.' })
  async deletePersonRole(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return toDeletePayload(id, await ctx.services.personRoles.deleteRole(ctx, id));
  }

  @Mutation(() => AddressPayload)
  async addAddress(@Ctx() ctx: RequestContext, @Arg('input') input: AddAddressInput) {
    const { roleId, ...fields } = input;
    return toPayload(await ctx.services.personRoles.addRoleAttribute(ctx, Address, roleId, fields));
  }

  @Mutation(() => AddressPayload)
  async updateAddress(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('input') input: UpdateAddressInput) {
    return toPayload(await ctx.services.personRoles.updateRoleAttribute(ctx, Address, id, input));
  }

  @Mutation(() => DeletePayload)
  async deleteAddress(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return toDeletePayload(id, await ctx.services.personRoles.deleteRoleAttribute(ctx, Address, id));
  }

  @Mutation(() => TelephoneNumberPayload)
  async addTelephoneNumber(@Ctx() ctx: RequestContext, @Arg('input') input: AddTelephoneNumberInput) {
    const { roleId, ...fields } = input;
    return toPayload(await ctx.services.personRoles.addRoleAttribute(ctx, TelephoneNumber, roleId, fields));
  }

  @Mutation(() => TelephoneNumberPayload)
  async updateTelephoneNumber(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateTelephoneNumberInput,
  ) {
    return toPayload(await ctx.services.personRoles.updateRoleAttribute(ctx, TelephoneNumber, id, input));
  }

  @Mutation(() => DeletePayload)
  async deleteTelephoneNumber(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return toDeletePayload(id, await ctx.services.personRoles.deleteRoleAttribute(ctx, TelephoneNumber, id));
  }

  @Mutation(() => AdHocAttributePayload)
  async addAdHocAttribute(@Ctx() ctx: RequestContext, @Arg('input') input: AddAdHocAttributeInput) {
    const { roleId, ...fields } = input;
    return toPayload(await ctx.services.personRoles.addRoleAttribute(ctx, AdHocAttribute, roleId, fields));
  }

  @Mutation(() => AdHocAttributePayload)
  async updateAdHocAttribute(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateAdHocAttributeInput,
  ) {
    return toPayload(await ctx.services.personRoles.updateRoleAttribute(ctx, AdHocAttribute, id, input));
  }

  @Mutation(() => DeletePayload)
  async deleteAdHocAttribute(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return toDeletePayload(id, await ctx.services.personRoles.deleteRoleAttribute(ctx, AdHocAttribute, id));
  }
}
