import { Entity, Enum, PrimaryKey, PrimaryKeyProp, Property } from '@mikro-orm/core';
import { SubjectType } from './actions';

/**
 * A write-ahead note: "Ferry is about to create `remoteId` on this target for this subject".
 * Committed on its own, before the plugin sends the create, and removed with the result. If the
 * process dies in between, the note is what lets the next attempt recognise the object it finds
 * there as the one Ferry created (see the LDAP plugin's ownership rule), instead of taking it for
 * someone else's and refusing it, or taking someone else's for its own.
 */
@Entity()
export class ProvisioningClaim {
  [PrimaryKeyProp]?: ['targetId', 'subjectType', 'subjectId'];

  /**
   * No foreign key: the claim is committed on a connection of its own, which may not see a target
   * created in the transaction that provisions to it. Deleting a target deletes its claims.
   */
  @PrimaryKey({ type: 'uuid' })
  targetId: string;

  @Enum({ items: () => SubjectType, nativeEnumName: 'subject_type', primary: true })
  subjectType: SubjectType;

  @PrimaryKey({ type: 'uuid' })
  subjectId: string;

  @Property({ type: 'text' })
  remoteId: string;

  /** When the claim was made (the database's clock). */
  @Property({ type: 'datetime' })
  claimedAt: Date;
}
