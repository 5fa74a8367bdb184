import { Entity, Enum, ManyToOne, Property, Unique, type Ref } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { OrgScopedEntity } from '../../common/base-entity';
import type { Cou } from '../organizations/cou.entity';
import { RecordStatus } from '../enums';
import { Node } from '../../common/node';
import { ChangeLogged } from '../../changelog/change-logged';

@ObjectType({ implements: Node })
@Entity()
@Unique({ properties: ['organization', 'name'] })
@ChangeLogged()
export class TermsAndConditions extends OrgScopedEntity {
  @Field()
  @Property({ type: 'string', length: 128 })
  name: string;

  @Field()
  @Property({ type: 'string', length: 2048 })
  url: string;

  @Field(() => RecordStatus)
  @Enum({ items: () => RecordStatus, nativeEnumName: 'record_status' })
  status: RecordStatus = RecordStatus.ACTIVE;

  @ManyToOne({ entity: 'Cou', ref: true, nullable: true, deleteRule: 'cascade' })
  cou: Ref<Cou> | null = null;

  @Field(() => ID, { nullable: true, description: 'Only people with a role in this unit must agree.' })
  get couId(): string | null {
    return this.cou?.id ?? null;
  }
}
