import { Entity, Index, ManyToOne, Property, type Ref } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { OrgScopedEntity, type ChangeScope } from '../../common/base-entity';
import type { Person } from '../people/person.entity';
import type { Group } from './group.entity';
import type { GroupNesting } from './group-nesting.entity';
import { Node } from '../../common/node';
import { ChangeLogged } from '../../changelog/change-logged';

/**
 * A person in a group, as member and/or owner. Rows with a `nesting` are maintained by Ferry:
 * they materialise the members a nested group contributes, as COmanage does, so that effective
 * membership is one indexed lookup and every change to it is in the change log.
 */
@ObjectType({ implements: Node })
@Entity()
@Index({
  name: 'group_membership_direct_unique',
  expression: 'create unique index "group_membership_direct_unique" on "group_membership" ("group_id", "person_id") where "nesting_id" is null',
})
@Index({
  name: 'group_membership_nested_unique',
  expression: 'create unique index "group_membership_nested_unique" on "group_membership" ("group_id", "person_id", "nesting_id") where "nesting_id" is not null',
})
// The validity sweep looks for windows that opened or closed (FERRY_VALIDITY_SWEEP_SECONDS): few rows have one.
@Index({
  name: 'group_membership_valid_from_idx',
  expression: 'create index "group_membership_valid_from_idx" on "group_membership" ("valid_from") where "valid_from" is not null',
})
@Index({
  name: 'group_membership_valid_through_idx',
  expression: 'create index "group_membership_valid_through_idx" on "group_membership" ("valid_through") where "valid_through" is not null',
})
@ChangeLogged()
export class GroupMembership extends OrgScopedEntity {
  @ManyToOne({ entity: 'Group', ref: true, deleteRule: 'cascade', index: true })
  group: Ref<Group>;

  @ManyToOne({ entity: 'Person', ref: true, deleteRule: 'cascade', index: true })
  person: Ref<Person>;

  @ManyToOne({ entity: 'GroupNesting', ref: true, nullable: true, deleteRule: 'cascade', index: true })
  nesting: Ref<GroupNesting> | null = null;

  @Field(() => ID)
  get groupId(): string {
    return this.group.id;
  }

  @Field(() => ID)
  get personId(): string {
    return this.person.id;
  }

  @Field(() => ID, { nullable: true, description: 'Set when the membership comes from a nested group.' })
  get nestingId(): string | null {
    return this.nesting?.id ?? null;
  }

  @Field()
  @Property({ type: 'boolean' })
  member: boolean = true;

  @Field()
  @Property({ type: 'boolean' })
  owner: boolean = false;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  validFrom: Date | null = null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  validThrough: Date | null = null;

  changeScope(): ChangeScope {
    return { organizationId: this.organization.id, personId: this.person.id, groupId: this.group.id };
  }
}
