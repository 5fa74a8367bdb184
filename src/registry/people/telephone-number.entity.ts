import { Entity, Enum, Property } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { TelephoneType } from '../enums';
import { RoleAttribute } from './role-attribute';
import { Node } from '../../common/node';
import { ChangeLogged } from '../../changelog/change-logged';

@ObjectType({ implements: Node })
@Entity()
@ChangeLogged()
export class TelephoneNumber extends RoleAttribute {
  @Field(() => TelephoneType)
  @Enum({ items: () => TelephoneType, nativeEnumName: 'telephone_type' })
  type: TelephoneType = TelephoneType.OFFICE;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 8, nullable: true })
  countryCode: string | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 16, nullable: true })
  areaCode: string | null = null;

  @Field()
  @Property({ type: 'string', length: 64 })
  number: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 16, nullable: true })
  extension: string | null = null;
}
