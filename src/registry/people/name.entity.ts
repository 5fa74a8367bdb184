import { Entity, Enum, Index, Property } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { NameType } from '../enums';
import { PersonAttribute } from './person-attribute';
import { Node } from '../../common/node';
import { ChangeLogged } from '../../changelog/change-logged';

@ObjectType({ implements: Node })
@Entity()
// At most one primary name per person; the service moves the flag when another name becomes primary.
@Index({ name: 'name_one_primary_per_person', expression: 'create unique index "name_one_primary_per_person" on "name" ("person_id") where "primary"' })
@Index({ properties: ['organization', 'family'] })
@ChangeLogged()
export class Name extends PersonAttribute {
  @Field(() => NameType)
  @Enum({ items: () => NameType, nativeEnumName: 'name_type' })
  type: NameType = NameType.OFFICIAL;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 64, nullable: true })
  honorific: string | null = null;

  @Field()
  @Property({ type: 'string', length: 128 })
  given: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 128, nullable: true })
  middle: string | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 128, nullable: true })
  family: string | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 64, nullable: true })
  suffix: string | null = null;

  @Field(() => String, { nullable: true, description: 'BCP 47 language tag, e.g. "en" or "ja".' })
  @Property({ type: 'string', length: 16, nullable: true })
  language: string | null = null;

  @Field()
  @Property({ type: 'boolean' })
  primary: boolean = false;
}
