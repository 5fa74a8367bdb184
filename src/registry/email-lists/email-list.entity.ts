import { Entity, Enum, ManyToOne, Property, Unique, type Ref } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { OrgScopedEntity } from '../../common/base-entity';
import type { Group } from '../groups/group.entity';
import { RecordStatus } from '../enums';
import { Node } from '../../common/node';
import { ChangeLogged } from '../../changelog/change-logged';

/** A mailing list whose members, admins and moderators are the members of three groups. */
@ObjectType({ implements: Node })
@Entity()
@Unique({ properties: ['organization', 'name'] })
@ChangeLogged()
export class EmailList extends OrgScopedEntity {
  @Field()
  @Property({ type: 'string', length: 128 })
  name: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  @Field(() => String, { nullable: true, description: "The list's own address (e.g. staff@lists.example.org): provisioned as its mail." })
  @Property({ type: 'string', length: 320, nullable: true })
  address: string | null = null;

  @Field(() => RecordStatus)
  @Enum({ items: () => RecordStatus, nativeEnumName: 'record_status' })
  status: RecordStatus = RecordStatus.ACTIVE;

  @ManyToOne({ entity: 'Group', ref: true, nullable: true, deleteRule: 'set null' })
  membersGroup: Ref<Group> | null = null;

  @ManyToOne({ entity: 'Group', ref: true, nullable: true, deleteRule: 'set null' })
  adminsGroup: Ref<Group> | null = null;

  @ManyToOne({ entity: 'Group', ref: true, nullable: true, deleteRule: 'set null' })
  moderatorsGroup: Ref<Group> | null = null;

  @Field(() => ID, { nullable: true })
  get membersGroupId(): string | null {
    return this.membersGroup?.id ?? null;
  }

  @Field(() => ID, { nullable: true })
  get adminsGroupId(): string | null {
    return this.adminsGroup?.id ?? null;
  }

  @Field(() => ID, { nullable: true })
  get moderatorsGroupId(): string | null {
    return this.moderatorsGroup?.id ?? null;
  }
}
