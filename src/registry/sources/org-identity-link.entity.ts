import { Entity, ManyToOne, Property, Unique, type Ref } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { PersonAttribute } from '../people/person-attribute';
import type { OrgIdentitySource } from './org-identity-source.entity';

/** Links a person to the source record they came from. */
@ObjectType()
@Entity()
@Unique({ properties: ['source', 'sourceKey'] })
export class OrgIdentityLink extends PersonAttribute {
  @ManyToOne({ entity: 'OrgIdentitySource', ref: true, deleteRule: 'cascade', index: true })
  source: Ref<OrgIdentitySource>;

  @Field(() => ID)
  get sourceId(): string {
    return this.source.id;
  }

  @Field({ description: "The record's key in the source system." })
  @Property({ type: 'string', length: 512 })
  sourceKey: string;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  validFrom: Date | null = null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  validThrough: Date | null = null;
}
