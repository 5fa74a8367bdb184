import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { v7 as uuidv7 } from 'uuid';

/**
 * One administrative action through the API: who (token), what (the mutation and its
 * arguments, secrets redacted), when, how it ended, and the change-log entries it committed
 * (which hold the before and after of every record it changed).
 */
@ObjectType()
@Entity()
@Index({ properties: ['organizationId', 'id'] })
export class AuditEntry {
  @Field(() => ID, { description: 'Ordered by time (UUIDv7); the pagination cursor.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  @Field()
  @Property({ type: 'datetime' })
  occurredAt: Date = new Date();

  @Field(() => ID)
  @Property({ type: 'uuid' })
  tokenId: string;

  @Field()
  @Property({ type: 'string', length: 32 })
  role: string;

  @Field(() => ID, { nullable: true, description: 'The organisation concerned; null for platform-wide actions.' })
  @Property({ type: 'uuid', nullable: true })
  organizationId: string | null = null;

  @Field({ description: 'The mutation, e.g. updateProvisioningTarget.' })
  @Property({ type: 'string', length: 128 })
  operation: string;

  @Field(() => GraphQLJSONObject, { description: 'Its arguments, with secret values redacted.' })
  @Property({ type: 'jsonb' })
  arguments: Record<string, unknown> = {};

  @Field({ description: 'OK, or the error code it ended with.' })
  @Property({ type: 'string', length: 64 })
  outcome: string;

  @Property({ type: 'text[]' })
  changeSeqs: string[] = [];
}
