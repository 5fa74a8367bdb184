import { BigIntType, Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';

export enum ChangeKind {
  CREATED = 'CREATED',
  UPDATED = 'UPDATED',
  DELETED = 'DELETED',
}
registerEnumType(ChangeKind, { name: 'ChangeKind' });

/**
 * One changed registry record. Written in the transaction that made the change; `seq` is assigned
 * while the registry write lock is held, so sequence order is commit order and a reader that
 * resumes after a sequence never misses an entry committed later.
 */
@ObjectType()
@Entity()
@Index({ properties: ['organizationId', 'seq'] })
@Index({ properties: ['personId', 'seq'] })
@Index({ properties: ['groupId', 'seq'] })
export class ChangeLogEntry {
  @Field({ description: 'Monotonic sequence (a 64-bit integer as a decimal string); the change-log cursor.' })
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  seq: string;

  @Field(() => ID)
  @Property({ type: 'uuid' })
  organizationId: string;

  @Field({ description: 'The kind of record, e.g. Person, Name, GroupMembership.' })
  @Property({ type: 'string', length: 64 })
  entityType: string;

  @Field(() => ID)
  @Property({ type: 'uuid' })
  entityId: string;

  @Field(() => ChangeKind)
  @Enum({ items: () => ChangeKind, nativeEnumName: 'change_kind' })
  kind: ChangeKind;

  @Field(() => [String], { description: 'Fields set on create, or changed on update; empty on delete.' })
  @Property({ type: 'text[]' })
  changedFields: string[] = [];

  @Field(() => ID, { nullable: true, description: 'The person this change concerns, if any.' })
  @Property({ type: 'uuid', nullable: true })
  personId: string | null = null;

  @Field(() => ID, { nullable: true, description: 'The group this change concerns, if any.' })
  @Property({ type: 'uuid', nullable: true })
  groupId: string | null = null;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: 'Updates: {field: [before, after]}. Deletes: the record as it was.',
  })
  @Property({ type: 'jsonb', nullable: true })
  data: Record<string, unknown> | null = null;

  @Field(() => ID, { nullable: true, description: 'The API token that made the change.' })
  @Property({ type: 'uuid', nullable: true })
  actorTokenId: string | null = null;

  @Field()
  @Property({ type: 'datetime' })
  occurredAt: Date = new Date();

  /**
   * The PostgreSQL transaction that wrote the entry: the entries of one mutation share it, which
   * lets the provisioning engine treat them as one change (and coalesce what they trigger).
   */
  @Property({ type: new BigIntType('string'), defaultRaw: 'txid_current()', nullable: true, lazy: true })
  transactionId?: string;
}
