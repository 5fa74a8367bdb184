import { Entity, Enum, Index, ManyToOne, Property, Unique, type Ref } from '@mikro-orm/core';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { BaseEntity } from '../common/base-entity';
import { ProvisioningAction, SubjectType } from './actions';
import type { ProvisioningTarget } from './provisioning-target.entity';

export enum ProvisioningStatus {
  PROVISIONED = 'PROVISIONED',
  NOT_PROVISIONED = 'NOT_PROVISIONED',
  FAILED = 'FAILED',
  QUEUED = 'QUEUED',
}
registerEnumType(ProvisioningStatus, { name: 'ProvisioningStatus' });

/**
 * Where a subject stands on one target: the answer to "is this person in the directory, and how
 * did the last attempt go". Unlike upstream, a successful delete sets NOT_PROVISIONED.
 */
@ObjectType()
@Entity()
@Unique({ properties: ['target', 'subjectType', 'subjectId'] })
@Index({ properties: ['subjectId'] })
@Index({ properties: ['target', 'subjectType', 'remoteKey'] })
export class ProvisionedState extends BaseEntity {
  @ManyToOne({ entity: 'ProvisioningTarget', ref: true, deleteRule: 'cascade' })
  target: Ref<ProvisioningTarget>;

  @Field(() => ID)
  get targetId(): string {
    return this.target.id;
  }

  @Field(() => ID)
  @Property({ type: 'uuid' })
  organizationId: string;

  @Field(() => SubjectType)
  @Enum({ items: () => SubjectType, nativeEnumName: 'subject_type' })
  subjectType: SubjectType;

  /** No foreign key: the state of a deleted subject stays readable. */
  @Field(() => ID)
  @Property({ type: 'uuid' })
  subjectId: string;

  @Field(() => ProvisioningStatus)
  @Enum({ items: () => ProvisioningStatus, nativeEnumName: 'provisioning_status' })
  status: ProvisioningStatus = ProvisioningStatus.NOT_PROVISIONED;

  @Field(() => ProvisioningAction, { nullable: true })
  @Enum({ items: () => ProvisioningAction, nativeEnumName: 'provisioning_action', nullable: true })
  lastAction: ProvisioningAction | null = null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  lastAttemptAt: Date | null = null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  lastSuccessAt: Date | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  @Field(() => String, { nullable: true, description: 'The identifier on the target, e.g. the LDAP DN.' })
  @Property({ type: 'text', nullable: true })
  remoteId: string | null = null;

  /**
   * The permanent identity the target gave the object at `remoteId` (an LDAP entry's entryUUID):
   * what proves that the object found there is the one Ferry wrote. null when the target has none
   * or it is not known yet (rows from before it was recorded).
   */
  @Property({ type: 'text', nullable: true })
  remoteKey: string | null = null;
}
