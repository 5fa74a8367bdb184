import { Entity, Property } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { RoleAttribute } from './role-attribute';
import { Node } from '../../common/node';
import { ChangeLogged } from '../../changelog/change-logged';

/** A free-form tag/value pair on a role (COmanage AdHocAttribute). */
@ObjectType({ implements: Node })
@Entity()
@ChangeLogged()
export class AdHocAttribute extends RoleAttribute {
  @Field()
  @Property({ type: 'string', length: 128 })
  tag: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 1024, nullable: true })
  value: string | null = null;
}
