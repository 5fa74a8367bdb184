import { BigIntType, Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ProvisioningAction, SubjectType } from './actions';

export enum ProvisioningOutcome {
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  SKIPPED = 'SKIPPED',
  QUEUED = 'QUEUED',
  RETRY_SCHEDULED = 'RETRY_SCHEDULED',
  COALESCED = 'COALESCED',
  PENDING = 'PENDING',
}
registerEnumType(ProvisioningOutcome, {
  name: 'ProvisioningOutcome',
  valuesConfig: {
    PENDING: {
      description:
        "Only in a mutation's response, never stored: the target was still working when the response's wait (FERRY_PROVISIONING_WAIT_MS) ended; the outcome arrives on the provisioningEvents subscription.",
    },
  },
});

/** One attempt (or decision) to provision one subject to one target: what happened, stored. */
@ObjectType()
@Entity()
@Index({ properties: ['organizationId', 'seq'] })
@Index({ properties: ['changeSeq'] })
@Index({ properties: ['targetId', 'subjectId'] })
@Index({ properties: ['jobId'] })
// Time windows (the console's outcome chart): BRIN suits an append-only table in time order and
// costs next to nothing on insert.
// A target's newest success (targetActivity's lastSuccessAt): the last entry of this small index.
@Index({
  name: 'provisioning_event_target_success',
  expression: `create index "provisioning_event_target_success" on "provisioning_event" ("target_id", "seq") where "outcome" = 'SUCCEEDED'`,
})
@Index({ name: 'provisioning_event_occurred_at_brin', expression: 'create index "provisioning_event_occurred_at_brin" on "provisioning_event" using brin ("occurred_at")' })
export class ProvisioningEvent {
  @Field({ description: 'Sequence of the event (a 64-bit integer as a decimal string); the resume cursor. "0" for a PENDING outcome, which is not stored.' })
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  seq: string;

  @Field(() => ID)
  @Property({ type: 'uuid' })
  organizationId: string;

  @Field(() => ID)
  @Property({ type: 'uuid' })
  targetId: string;

  @Field()
  @Property({ type: 'string', length: 128 })
  targetName: string;

  @Field(() => SubjectType)
  @Enum({ items: () => SubjectType, nativeEnumName: 'subject_type' })
  subjectType: SubjectType;

  @Field(() => ID)
  @Property({ type: 'uuid' })
  subjectId: string;

  @Field(() => String, { nullable: true, description: "The subject's name when the event was recorded (a person's primary name, a group's full name)." })
  @Property({ type: 'string', length: 512, nullable: true })
  subjectLabel: string | null = null;

  @Field(() => ProvisioningAction)
  @Enum({ items: () => ProvisioningAction, nativeEnumName: 'provisioning_action' })
  action: ProvisioningAction;

  @Field(() => ProvisioningOutcome)
  @Enum({ items: () => ProvisioningOutcome, nativeEnumName: 'provisioning_outcome' })
  outcome: ProvisioningOutcome;

  @Field(() => String, { nullable: true, description: 'Why it was skipped, or what the target did.' })
  @Property({ type: 'text', nullable: true })
  detail: string | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  error: string | null = null;

  @Field({ description: 'For failures: whether the failure may pass (connection refused, timeout) and is worth retrying.' })
  @Property({ type: 'boolean' })
  retryable: boolean = false;

  @Field(() => Int)
  @Property({ type: 'integer' })
  attempt: number = 1;

  @Field(() => Int, { description: 'Milliseconds the target took.' })
  @Property({ type: 'integer' })
  durationMs: number = 0;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 64, nullable: true })
  jobId: string | null = null;

  @Field(() => String, { nullable: true, description: 'The change-log entry that caused this, if any.' })
  @Property({ type: new BigIntType('string'), nullable: true })
  changeSeq: string | null = null;

  @Field()
  @Property({ type: 'datetime' })
  occurredAt: Date = new Date();

  /** Not stored: how long the target asked to wait before the next attempt (HTTP 429). */
  retryAfterMs: number | null = null;

  /** Not stored, and the event itself is not stored: an order that changed nothing for its target (recordProvisioningEvents leaves it out). */
  unrecorded = false;

  /** Not stored: the plugin this event's attempt called (its durationMs is that call's), for the metrics. */
  calledPlugin: string | null = null;

  /** Not stored: set when the outcome is that of one call made for an earlier change of the subject (not an attempt of its own). */
  coalescedWith: string | null = null;
}
