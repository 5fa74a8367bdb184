import { Entity, ManyToOne, Property, Unique, type Ref } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { OrgScopedEntity } from '../../common/base-entity';
import type { Cou } from '../organizations/cou.entity';
import type { Group } from '../groups/group.entity';
import { Node } from '../../common/node';
import { ChangeLogged } from '../../changelog/change-logged';

/** A department (COmanage CoDepartment) with optional leadership and administrative groups. */
@ObjectType({ implements: Node })
@Entity()
@Unique({ properties: ['organization', 'name'] })
@ChangeLogged()
export class Department extends OrgScopedEntity {
  @Field()
  @Property({ type: 'string', length: 128 })
  name: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  @Field(() => String, { nullable: true, description: 'Kind of department, e.g. research-institute.' })
  @Property({ type: 'string', length: 64, nullable: true })
  kind: string | null = null;

  @ManyToOne({ entity: 'Cou', ref: true, nullable: true, deleteRule: 'set null' })
  cou: Ref<Cou> | null = null;

  @ManyToOne({ entity: 'Group', ref: true, nullable: true, deleteRule: 'set null' })
  leadershipGroup: Ref<Group> | null = null;

  @ManyToOne({ entity: 'Group', ref: true, nullable: true, deleteRule: 'set null' })
  administrativeGroup: Ref<Group> | null = null;

  @Field(() => ID, { nullable: true })
  get couId(): string | null {
    return this.cou?.id ?? null;
  }

  @Field(() => ID, { nullable: true })
  get leadershipGroupId(): string | null {
    return this.leadershipGroup?.id ?? null;
  }

  @Field(() => ID, { nullable: true })
  get administrativeGroupId(): string | null {
    return this.administrativeGroup?.id ?? null;
  }
}
