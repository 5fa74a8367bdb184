import { Entity, Enum, Index, ManyToOne, Property, Unique, type Ref } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { OrgScopedEntity, type ChangeScope } from '../../common/base-entity';
import type { Cou } from '../organizations/cou.entity';
import { GroupType, RecordStatus } from '../enums';
import type { Folder } from './folder.entity';
import { Node } from '../../common/node';
import { ChangeLogged } from '../../changelog/change-logged';

@ObjectType({ implements: Node })
@Entity({ tableName: 'group' })
@Unique({ properties: ['organization', 'fullName'] })
@Index({ properties: ['organization', 'type'] })
@ChangeLogged()
export class Group extends OrgScopedEntity {
  /** Null for a group at the root (no folder), as COmanage's flat groups are. */
  @ManyToOne({ entity: 'Folder', ref: true, nullable: true, deleteRule: 'restrict', index: true })
  folder: Ref<Folder> | null = null;

  @Field(() => ID, { nullable: true, description: 'The folder the group is in; null for a group at the root (its full name is its name).' })
  get folderId(): string | null {
    return this.folder?.id ?? null;
  }

  @Field({ description: 'The group extension: the last segment of the full name.' })
  @Property({ type: 'string', length: 255 })
  name: string;

  @Field({ description: 'Folder full name and extension joined by ":", e.g. CO:members:all; the name alone at the root, e.g. staff.' })
  @Property({ type: 'string', length: 1024 })
  fullName: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  @Field(() => RecordStatus)
  @Enum({ items: () => RecordStatus, nativeEnumName: 'record_status' })
  status: RecordStatus = RecordStatus.ACTIVE;

  @Field(() => GroupType)
  @Enum({ items: () => GroupType, nativeEnumName: 'group_type' })
  type: GroupType = GroupType.STANDARD;

  @Field({ description: 'A policy group (Grouper object type "policy"): targets can take only these from their folders.' })
  @Property({ type: 'boolean' })
  policy: boolean = false;

  @ManyToOne({ entity: 'Cou', ref: true, nullable: true, deleteRule: 'cascade', index: true })
  cou: Ref<Cou> | null = null;

  @Field(() => ID, { nullable: true, description: 'Set on the automatic groups of a unit.' })
  get couId(): string | null {
    return this.cou?.id ?? null;
  }

  get automatic(): boolean {
    return this.type !== GroupType.STANDARD;
  }

  changeScope(): ChangeScope {
    return { organizationId: this.organization.id, groupId: this.id };
  }
}
