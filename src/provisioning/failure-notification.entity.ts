import { BigIntType, Entity, Enum, Index, ManyToOne, PrimaryKey, Property, type Ref } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { v7 as uuidv7 } from 'uuid';
import { ProvisioningAction, SubjectType } from './actions';
import type { ProvisioningTarget } from './provisioning-target.entity';

/**
 * A subject that failed on a target, told to the organisation's admins. It opens at the first
 * failed attempt, counts the later ones, and is resolved by the first attempt that succeeds.
 * Deleting the subject closes it (closedReason), unless it is about a failed delete.
 * At most one is open per target and subject (a partial unique index, see the migration).
 */
@ObjectType('ProvisioningFailure', { description: 'A provisioning failure of one subject on one target, open until an attempt succeeds.' })
@Entity()
@Index({ properties: ['organizationId', 'lastEventSeq'] })
@Index({
  name: 'failure_notification_open_unique',
  expression:
    'create unique index "failure_notification_open_unique" on "failure_notification" ("target_id", "subject_type", "subject_id") where "resolved_at" is null',
})
export class FailureNotification {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  @Field(() => ID)
  @Property({ type: 'uuid' })
  organizationId: string;

  @ManyToOne({ entity: 'ProvisioningTarget', ref: true, deleteRule: 'cascade' })
  target: Ref<ProvisioningTarget>;

  @Field(() => ID)
  get targetId(): string {
    return this.target.id;
  }

  @Field()
  @Property({ type: 'string', length: 128 })
  targetName: string;

  @Field(() => SubjectType)
  @Enum({ items: () => SubjectType, nativeEnumName: 'subject_type' })
  subjectType: SubjectType;

  @Field(() => ID)
  @Property({ type: 'uuid' })
  subjectId: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 512, nullable: true })
  subjectLabel: string | null = null;

  @Field(() => ProvisioningAction, { description: 'The action of the last failed attempt.' })
  @Enum({ items: () => ProvisioningAction, nativeEnumName: 'provisioning_action' })
  action: ProvisioningAction;

  @Field({ description: 'The error of the last failed attempt.' })
  @Property({ type: 'text' })
  error: string;

  @Field(() => Int, { description: 'Failed attempts so far.' })
  @Property({ type: 'integer' })
  failures: number = 1;

  @Field({ description: 'Whether Ferry will try again by itself (a retry is scheduled).' })
  @Property({ type: 'boolean' })
  willRetry: boolean = false;

  @Field({ description: 'The event of the first failed attempt.' })
  @Property({ type: new BigIntType('string') })
  firstEventSeq: string;

  @Field({ description: 'The last event that changed this notification (a failure, or the success that resolved it).' })
  @Property({ type: new BigIntType('string') })
  lastEventSeq: string;

  @Field()
  @Property({ type: 'datetime' })
  firstFailedAt: Date;

  @Field()
  @Property({ type: 'datetime' })
  lastFailedAt: Date;

  @Field(() => Date, { nullable: true, description: 'When an attempt succeeded (or the subject was deleted, see closedReason); null while the failure is open.' })
  @Property({ type: 'datetime', nullable: true })
  resolvedAt: Date | null = null;

  @Field(() => String, { nullable: true, description: 'The successful event that resolved it.' })
  @Property({ type: new BigIntType('string'), nullable: true })
  resolvedByEventSeq: string | null = null;

  @Field(() => String, {
    nullable: true,
    description: "Why it was closed without a successful attempt: 'subject deleted' when its person, group or service was deleted. Null otherwise.",
  })
  @Property({ type: 'string', length: 128, nullable: true })
  closedReason: string | null = null;

  @Field()
  get open(): boolean {
    return this.resolvedAt === null;
  }
}
