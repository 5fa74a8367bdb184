import { Entity, Enum, ManyToOne, Property, type Ref } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { Cou } from '../organizations/cou.entity';
import { Affiliation, PersonStatus } from '../enums';
import { PersonAttribute } from './person-attribute';

/** A COmanage CO Person Role: one affiliation of a person, optionally within a unit. */
@ObjectType()
@Entity()
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
