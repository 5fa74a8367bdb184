import { Entity, Enum, Property } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { AddressType } from '../enums';
import { RoleAttribute } from './role-attribute';
import { Node } from '../../common/node';
import { ChangeLogged } from '../../changelog/change-logged';

@ObjectType({ implements: Node })
@Entity()
@ChangeLogged()
export class Address extends RoleAttribute {
  @Field(() => AddressType)
  @Enum({ items: () => AddressType, nativeEnumName: 'address_type' })
  type: AddressType = AddressType.OFFICE;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 512, nullable: true })
  street: string | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 64, nullable: true })
  room: string | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 128, nullable: true })
  locality: string | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 128, nullable: true })
  state: string | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 32, nullable: true })
  postalCode: string | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 128, nullable: true })
  country: string | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 16, nullable: true })
  language: string | null = null;
}
