import { Entity, Index, ManyToOne, Property, Unique, type Ref } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { PersonAttribute } from '../people/person-attribute';
import type { OrgIdentitySource } from './org-identity-source.entity';
import { Node } from '../../common/node';
import { ChangeLogged } from '../../changelog/change-logged';

/** Links a person to the source record they came from. */
@ObjectType({ implements: Node })
@Entity()
@Unique({ properties: ['source', 'sourceKey'] })
// The validity sweep looks for windows that opened or closed (FERRY_VALIDITY_SWEEP_SECONDS): few rows have one.
@Index({
  name: 'org_identity_link_valid_from_idx',
  expression: 'create index "org_identity_link_valid_from_idx" on "org_identity_link" ("valid_from") where "valid_from" is not null',
})
@Index({
  name: 'org_identity_link_valid_through_idx',
  expression: 'create index "org_identity_link_valid_through_idx" on "org_identity_link" ("valid_through") where "valid_through" is not null',
})
@ChangeLogged()
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
