import { Entity, Enum, Index, ManyToOne, Property, Unique, type Ref } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { OrgScopedEntity, type ChangeScope } from '../common/base-entity';
import type { ProvisioningTarget } from '../provisioning/provisioning-target.entity';
import type { Folder } from '../registry/groups/folder.entity';
import type { Group } from '../registry/groups/group.entity';
import { FolderScope } from './rules';
import { Node } from '../common/node';
import { ChangeLogged } from '../changelog/change-logged';

/**
 * A direct assignment of a folder or a group to a target (Grouper's provisioning marker). Only
 * direct assignments are stored; what they mean for the groups below is computed (section 0).
 */
@ObjectType({ implements: Node, description: 'A folder or group marked for a target: provision yes or no.' })
@Entity()
@Unique({ properties: ['target', 'folder'] })
@Unique({ properties: ['target', 'group'] })
@Index({ properties: ['organization', 'target'] })
@ChangeLogged()
export class ProvisioningAssignment extends OrgScopedEntity {
  @ManyToOne({ entity: 'ProvisioningTarget', ref: true, deleteRule: 'cascade' })
  target: Ref<ProvisioningTarget>;

  @Field(() => ID)
  get targetId(): string {
    return this.target.id;
  }

  @ManyToOne({ entity: 'Folder', ref: true, nullable: true, deleteRule: 'cascade', index: true })
  folder: Ref<Folder> | null = null;

  @Field(() => ID, { nullable: true })
  get folderId(): string | null {
    return this.folder?.id ?? null;
  }

  @ManyToOne({ entity: 'Group', ref: true, nullable: true, deleteRule: 'cascade', index: true })
  group: Ref<Group> | null = null;

  @Field(() => ID, { nullable: true })
  get groupId(): string | null {
    return this.group?.id ?? null;
  }

  @Field({ description: 'true: provision; false: do not (a folder blocks its scope).' })
  @Property({ type: 'boolean' })
  provision: boolean;

  @Field(() => FolderScope, { nullable: true, description: 'Folders only (required there).' })
  @Enum({ items: () => FolderScope, nativeEnumName: 'folder_scope', nullable: true })
  scope: FolderScope | null = null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Inherited verbatim by the groups this folder provisions.' })
  @Property({ type: 'jsonb', nullable: true })
  metadata: Record<string, unknown> | null = null;

  @Field(() => Boolean, { nullable: true, description: "Folders: overrides the target's onlyPolicyGroups (when the target allows)." })
  @Property({ type: 'boolean', nullable: true })
  onlyPolicyGroups: boolean | null = null;

  @Field(() => String, { nullable: true, description: "Folders: overrides the target's provisionableRegex (when the target allows)." })
  @Property({ type: 'string', length: 1024, nullable: true })
  provisionableRegex: string | null = null;

  changeScope(): ChangeScope {
    return { organizationId: this.organization.id, groupId: this.group?.id ?? null };
  }
}
