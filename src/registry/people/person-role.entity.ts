import { Entity, Index, Enum, ManyToOne, Property, type Ref } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { Cou } from '../organizations/cou.entity';
import { Affiliation, PersonStatus } from '../enums';
import { PersonAttribute } from './person-attribute';
import { Node } from '../../common/node';
import { ChangeLogged } from '../../changelog/change-logged';

/** A COmanage CO Person Role: one affiliation of a person, optionally within a unit. */
@ObjectType({ implements: Node })
@Entity()
// The validity sweep looks for windows that opened or closed (FERRY_VALIDITY_SWEEP_SECONDS): few rows have one.
@Index({
  name: 'person_role_valid_from_idx',
  expression: 'create index "person_role_valid_from_idx" on "person_role" ("valid_from") where "valid_from" is not null',
})
@Index({
  name: 'person_role_valid_through_idx',
  expression: 'create index "person_role_valid_through_idx" on "person_role" ("valid_through") where "valid_through" is not null',
})
@ChangeLogged()
export class PersonRole extends PersonAttribute {
  @ManyToOne({ entity: 'Cou', ref: true, nullable: true, deleteRule: 'restrict', index: true })
  cou: Ref<Cou> | null = null;

  @Field(() => ID, { nullable: true, description: 'The organisational unit of this role.' })
  get couId(): string | null {
    return this.cou?.id ?? null;
  }

  @Field(() => PersonStatus)
  @Enum({ items: () => PersonStatus, nativeEnumName: 'person_status' })
  status: PersonStatus = PersonStatus.ACTIVE;

  @Field(() => Affiliation)
  @Enum({ items: () => Affiliation, nativeEnumName: 'affiliation' })
  affiliation: Affiliation = Affiliation.MEMBER;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 256, nullable: true })
  title: string | null = null;

  @Field(() => String, { nullable: true, description: 'Organisation name (LDAP o).' })
  @Property({ type: 'string', length: 256, nullable: true })
  o: string | null = null;

  @Field(() => String, { nullable: true, description: 'Organisational unit name (LDAP ou).' })
  @Property({ type: 'string', length: 256, nullable: true })
  ou: string | null = null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  validFrom: Date | null = null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  validThrough: Date | null = null;

  @Field(() => Int)
  @Property({ type: 'integer' })
  order: number = 0;
}
