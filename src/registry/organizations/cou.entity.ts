import { Entity, ManyToOne, Property, Unique, type Ref } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { OrgScopedEntity } from '../../common/base-entity';
import { Node } from '../../common/node';
import { ChangeLogged } from '../../changelog/change-logged';

/** An organisational unit (COmanage COU). Units nest; each has its own automatic groups. */
@ObjectType({ implements: Node })
@ChangeLogged()
@Entity()
@Unique({ properties: ['organization', 'name'] })
export class Cou extends OrgScopedEntity {
  @Field()
  @Property({ type: 'string', length: 128 })
  name: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  @ManyToOne({ entity: () => Cou, ref: true, nullable: true, deleteRule: 'restrict' })
  parent: Ref<Cou> | null = null;

  @Field(() => ID, { nullable: true })
  get parentId(): string | null {
    return this.parent?.id ?? null;
  }
}
