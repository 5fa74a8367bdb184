import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';

/**
 * A mutation sent with an `Idempotency-Key` header: reserved before it runs (the unique key makes
 * a concurrent duplicate wait out or fail), marked in the transaction that commits its changes,
 * and completed with the response that a repeat gets back. Rows older than 24 h are deleted.
 */
@Entity()
@Unique({ properties: ['tokenId', 'key'] })
@Index({ properties: ['createdAt'] })
export class IdempotencyKey {
  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  @Property({ type: 'uuid' })
  tokenId: string;

  @Property({ type: 'uuid', nullable: true })
  organizationId: string | null = null;

  @Property({ type: 'string', length: 200 })
  key: string;

  /** SHA-256 of the query, operation name and variables. */
  @Property({ type: 'string', length: 64 })
  requestHash: string;

  @Property({ type: 'integer', nullable: true })
  responseStatus: number | null = null;

  /** The response body exactly as sent (JSON text). */
  @Property({ type: 'text', nullable: true })
  responseBody: string | null = null;

  /** Set in the transaction that committed the mutation's changes. */
  @Property({ type: 'datetime', nullable: true })
  committedAt: Date | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
