import { Entity, ManyToOne, Unique, type Ref } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { OrgScopedEntity, type ChangeScope } from '../../common/base-entity';
import type { Group } from './group.entity';
import { Node } from '../../common/node';
import { ChangeLogged } from '../../changelog/change-logged';

/** The members of `nestedGroup` are effective members of `group`. */
@ObjectType({ implements: Node })
@Entity()
@Unique({ properties: ['group', 'nestedGroup'] })
@ChangeLogged()
export class GroupNesting extends OrgScopedEntity {
  @ManyToOne({ entity: 'Group', ref: true, deleteRule: 'cascade', index: true })
  group: Ref<Group>;

  @ManyToOne({ entity: 'Group', ref: true, deleteRule: 'cascade', index: true })
  nestedGroup: Ref<Group>;

  @Field(() => ID)
  get groupId(): string {
    return this.group.id;
  }

  @Field(() => ID)
  get nestedGroupId(): string {
    return this.nestedGroup.id;
  }

  changeScope(): ChangeScope {
    return { organizationId: this.organization.id, groupId: this.group.id };
  }
}
