import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, type Ref } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { v7 as uuidv7 } from 'uuid';
import { SubjectType } from '../provisioning/actions';
import type { ProvisioningTarget } from '../provisioning/provisioning-target.entity';

export enum ReconciliationStatus {
  RUNNING = 'RUNNING',
  COMPLETED = 'COMPLETED',
  /** It would delete more than the target allows without confirmation: nothing was changed. */
  BLOCKED = 'BLOCKED',
  FAILED = 'FAILED',
}
registerEnumType(ReconciliationStatus, { name: 'ReconciliationStatus' });

export enum DifferenceKind {
  /** The registry says the target should hold it; it does not. */
  MISSING = 'MISSING',
  /** The target holds it and should not (an orphan, or a subject that must go). */
  EXTRA = 'EXTRA',
  /** Both have it, with different values. */
  DIFFERENT = 'DIFFERENT',
}
registerEnumType(DifferenceKind, { name: 'ReconciliationDifferenceKind' });

/** One comparison of a target with the registry, kept for later reading. */
@ObjectType()
@Entity()
@Index({ properties: ['target', 'startedAt'] })
export class ReconciliationRun {
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

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 64, nullable: true })
  jobId: string | null = null;

  @Field({ description: 'true: differences were only reported.' })
  @Property({ type: 'boolean' })
  dryRun: boolean;

  @Field({ description: 'Deletions beyond the threshold were confirmed.' })
  @Property({ type: 'boolean' })
  confirmDeletions: boolean = false;

  @Field(() => ReconciliationStatus)
  @Enum({ items: () => ReconciliationStatus, nativeEnumName: 'reconciliation_status' })
  status: ReconciliationStatus = ReconciliationStatus.RUNNING;

  @Field(() => String, { nullable: true, description: 'Why it stopped (BLOCKED) or failed (FAILED).' })
  @Property({ type: 'text', nullable: true })
  reason: string | null = null;

  @Field(() => Int, { description: 'Objects the target holds in its managed scope.' })
  @Property({ type: 'integer' })
  remoteObjects: number = 0;

  @Field(() => Int, { description: 'Registry subjects compared.' })
  @Property({ type: 'integer' })
  subjects: number = 0;

  @Field(() => Int)
  @Property({ type: 'integer' })
  missing: number = 0;

  @Field(() => Int)
  @Property({ type: 'integer' })
  extra: number = 0;

  @Field(() => Int)
  @Property({ type: 'integer' })
  different: number = 0;

  @Field(() => Int, { description: 'Fixes that would delete an object from the target.' })
  @Property({ type: 'integer' })
  deletions: number = 0;

  @Field(() => Int, { description: 'Fixes applied (not dry run).' })
  @Property({ type: 'integer' })
  applied: number = 0;

  @Field(() => Int, { description: 'Fixes that failed.' })
  @Property({ type: 'integer' })
  failed: number = 0;

  @Field()
  @Property({ type: 'datetime' })
  startedAt: Date = new Date();

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  finishedAt: Date | null = null;
}

@ObjectType({ description: 'One difference between the target and the registry, with its fix.' })
@Entity()
@Index({ properties: ['run'] })
export class ReconciliationDifference {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  @ManyToOne({ entity: () => ReconciliationRun, ref: true, deleteRule: 'cascade' })
  run: Ref<ReconciliationRun>;

  @Field(() => DifferenceKind)
  @Enum({ items: () => DifferenceKind, nativeEnumName: 'reconciliation_difference_kind' })
  kind: DifferenceKind;

  @Field(() => SubjectType)
  @Enum({ items: () => SubjectType, nativeEnumName: 'subject_type' })
  subjectType: SubjectType;

  @Field(() => ID, { nullable: true, description: 'The registry subject; null for an orphan.' })
  @Property({ type: 'uuid', nullable: true })
  subjectId: string | null = null;

  @Field(() => String, { nullable: true, description: 'The object on the target (DN, resource id).' })
  @Property({ type: 'text', nullable: true })
  remoteId: string | null = null;

  @Field()
  @Property({ type: 'text' })
  label: string;

  @Field(() => [GraphQLJSONObject], { description: 'DIFFERENT: {attribute, expected, actual} per attribute.' })
  @Property({ type: 'jsonb' })
  attributes: { attribute: string; expected: string[]; actual: string[] }[] = [];

  @Field({ description: 'What applying does: provision, delete, remove orphan, or report only.' })
  @Property({ type: 'text' })
  fix: string;

  @Field({ description: 'Whether the fix deletes the object from the target.' })
  @Property({ type: 'boolean' })
  deletes: boolean = false;

  @Field()
  @Property({ type: 'boolean' })
  applied: boolean = false;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  error: string | null = null;
}
