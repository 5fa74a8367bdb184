import { Entity, Enum, Property, Unique } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { BaseEntity } from '../common/base-entity';
import { DecisionSource, FailedFilter } from './rules';

/**
 * The stored answer per target and group (Grouper's grouper_sync_group): whether the group is
 * provisionable there, since and until when, and what decided. The calculation is the source;
 * this row is what provisioning reads. `groupId` has no foreign key: the row outlives the group.
 */
@ObjectType({ description: 'Whether a group is provisionable on a target, as last calculated.' })
@Entity()
@Unique({ properties: ['targetId', 'groupId'] })
export class GroupProvisionability extends BaseEntity {
  /** No index: every query goes by target (the unique (target, group) index serves them). */
  @Property({ type: 'uuid' })
  organizationId: string;

  /**
   * The target. Not a foreign key: its check cost a lookup per row, most of a first full
   * calculation (76,000 rows); a recalculation locks the target's row once instead, and deleting
   * a target deletes its rows (a trigger on provisioning_target, Migration20261207045540).
   */
  @Field(() => ID)
  @Property({ type: 'uuid' })
  targetId: string;

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
