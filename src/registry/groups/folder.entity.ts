import { Entity, ManyToOne, Property, Unique, type Ref } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { OrgScopedEntity } from '../../common/base-entity';
import { Node } from '../../common/node';
import { ChangeLogged } from '../../changelog/change-logged';

export const NAME_SEPARATOR = ':';

/**
 * A folder (Grouper stem). `fullName` is the path of extensions joined by ":"; it is kept in
 * step with renames and moves so that lookups by name never walk the tree.
 */
@ObjectType({ implements: Node })
@Entity()
@Unique({ properties: ['organization', 'fullName'] })
@ChangeLogged()
export class Folder extends OrgScopedEntity {
  @Field({ description: 'The last segment of the full name.' })
  @Property({ type: 'string', length: 255 })
  name: string;

  @Field()
  @Property({ type: 'string', length: 1024 })
  fullName: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  @ManyToOne({ entity: () => Folder, ref: true, nullable: true, deleteRule: 'restrict', index: true })
  parent: Ref<Folder> | null = null;

  @Field(() => ID, { nullable: true })
  get parentId(): string | null {
    return this.parent?.id ?? null;
  }

  @Field({ description: 'Maintained by Ferry (automatic groups); cannot be renamed, moved or deleted.' })
  @Property({ type: 'boolean' })
  system: boolean = false;
}
