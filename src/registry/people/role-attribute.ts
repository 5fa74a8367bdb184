import { ManyToOne, type Ref } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { PersonAttribute } from './person-attribute';
import type { PersonRole } from './person-role.entity';

/** A record that hangs off a person role (address, telephone number, ad hoc attribute). */
@ObjectType()
export abstract class RoleAttribute extends PersonAttribute {
  @ManyToOne({ entity: 'PersonRole', ref: true, deleteRule: 'cascade', index: true })
  role: Ref<PersonRole>;

  @Field(() => ID)
  get roleId(): string {
    return this.role.id;
  }
}
