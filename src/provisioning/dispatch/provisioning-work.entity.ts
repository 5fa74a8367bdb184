import { BigIntType, Entity, Enum, Index, ManyToOne, PrimaryKey, Property, type Ref } from '@mikro-orm/core';
import { ProvisioningAction, SubjectType } from '../actions';
import type { SubjectPayload } from '../payload';

/**
 * One routed piece of work: "provision this subject on this target with this action", written by
 * the dispatcher in the transaction that moves the change-log cursor, and deleted by the target's
 * lane in the transaction that stores its outcome. Between the two it is the durable to-do list:
 * a process that dies mid-lane leaves its rows, and whichever lane runs next does them again
 * (plugins are idempotent, and claims make a half-done create recognisable).
 *
 * Order: a row waits while an earlier row of the same subject is pending on its target, while the
 * row of the same subject and change with a lower `rank` is pending on another target (targets in
 * ascending order, descending for deletes), while rows of an earlier `phase` of the same
 * change are pending on its target (people before groups, spec 2.2), and, for a group, while an
 * earlier row of one of its members is pending on its target (its member list needs their entries).
 */
@Entity()
@Index({ properties: ['target', 'id'] })
@Index({ properties: ['subjectId', 'id'] })
@Index({ properties: ['changeKey', 'target', 'phase'] })
@Index({ properties: ['changeSeq'] })
export class ProvisioningWork {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id: string;

  @ManyToOne({ entity: 'ProvisioningTarget', ref: true, deleteRule: 'cascade' })
  target: Ref<object>;

  @Property({ type: 'uuid' })
  organizationId: string;

  @Enum({ items: () => SubjectType, nativeEnumName: 'subject_type' })
  subjectType: SubjectType;

  @Property({ type: 'uuid' })
  subjectId: string;

  @Enum({ items: () => ProvisioningAction, nativeEnumName: 'provisioning_action' })
  action: ProvisioningAction;

  /** The change-log entry that caused it (null for the validity sweep). */
  @Property({ type: new BigIntType('string'), nullable: true })
  changeSeq: string | null = null;

  /** The unit the order rules apply within: one change-log transaction, or one sweep. */
  @Property({ type: 'string', length: 64 })
  changeKey: string;

  /** The target's place in this change's walk over the organisation's targets. */
  @Property({ type: 'integer' })
  rank: number;

  /** People and groups of one change go in phases (spec 2.2). */
  @Property({ type: 'integer' })
  phase: number;

  /** Deletes only: the subject as it was (it cannot be read back from the registry). */
  @Property({ type: 'jsonb', nullable: true })
  snapshot: SubjectPayload | null = null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date;
}
