import { Entity, Enum, Property } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { BaseEntity, type ChangeScope } from '../../common/base-entity';
import { Node } from '../../common/node';
import { RecordStatus } from '../enums';
import { ChangeLogged } from '../../changelog/change-logged';

/** A COmanage "CO": the unit of tenancy. Every other registry record belongs to one. */
@ObjectType({ implements: Node })
@ChangeLogged()
@Entity()
export class Organization extends BaseEntity {
  @Field()
  @Property({ type: 'string', length: 128, unique: true })
  name: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  @Field(() => RecordStatus)
  @Enum({ items: () => RecordStatus, nativeEnumName: 'record_status' })
  status: RecordStatus = RecordStatus.ACTIVE;

  changeScope(): ChangeScope {
    return { organizationId: this.id };
  }
}
