import { Entity, Enum, ManyToOne, Property, Unique, type Ref } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { BaseEntity } from '../common/base-entity';
import type { ProvisioningTarget } from '../provisioning/provisioning-target.entity';
import { DecisionSource, FailedFilter } from './rules';

/**
 * The stored answer per target and group (Grouper's grouper_sync_group): whether the group is
 * provisionable there, since and until when, and what decided. The calculation is the source;
 * this row is what provisioning reads. `groupId` has no foreign key: the row outlives the group.
 */
@ObjectType({ description: 'Whether a group is provisionable on a target, as last calculated.' })
@Entity()
@Unique({ properties: ['target', 'groupId'] })
export class GroupProvisionability extends BaseEntity {
  @Property({ type: 'uuid', index: true })
  organizationId: string;

  @ManyToOne({ entity: 'ProvisioningTarget', ref: true, deleteRule: 'cascade' })
  target: Ref<ProvisioningTarget>;

  @Field(() => ID)
  get targetId(): string {
    return this.target.id;
  }

  @Field(() => ID)
  @Property({ type: 'uuid' })
  groupId: string;

  @Field({ description: 'The full name when last calculated (kept when the group goes away).' })
  @Property({ type: 'string', length: 1024 })
  groupName: string;

  @Field()
  @Property({ type: 'boolean' })
  provisionable: boolean;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  provisionableSince: Date | null = null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  provisionableUntil: Date | null = null;

  @Field(() => DecisionSource)
  @Enum({ items: () => DecisionSource, nativeEnumName: 'provisionability_source' })
  source: DecisionSource;

  @Field(() => ID, { nullable: true, description: 'The folder that decided, if one did.' })
  @Property({ type: 'uuid', nullable: true })
  decidingFolderId: string | null = null;

  @Field(() => FailedFilter, { nullable: true })
  @Enum({ items: () => FailedFilter, nativeEnumName: 'provisionability_filter', nullable: true })
  failedFilter: FailedFilter | null = null;

  @Field()
  @Property({ type: 'text' })
  explanation: string;

  @Field(() => GraphQLJSONObject, { nullable: true })
  @Property({ type: 'jsonb', nullable: true })
  metadata: Record<string, unknown> | null = null;

  /** Filled by the list query from the provisioned state; not a column. */
  @Field({ description: 'Whether the group is on the target now (Ferry holds its remote id there).' })
  inTarget: boolean = false;
}
