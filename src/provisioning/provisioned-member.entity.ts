import { Entity, ManyToOne, PrimaryKey, PrimaryKeyProp, type Ref } from '@mikro-orm/core';
import type { ProvisioningTarget } from './provisioning-target.entity';

/**
 * One member Ferry wrote to a group on a target, as the target knows the member (a SCIM User id):
 * Ferry's own record of what each group holds there. A plugin reports the group's members with
 * each result (`ProvisionResult.members`) and reads them back through `TargetContext.writtenMembers`,
 * so it can remove a member from a target whose reads do not show members (a SCIM service whose
 * GET /Groups answers with an empty member list). Written set-based by the provisioner, in the
 * transaction of the result; deleting the target or the group's object on it clears the rows.
 */
@Entity()
export class ProvisionedMember {
  [PrimaryKeyProp]?: ['target', 'groupId', 'memberRemoteId'];

  @ManyToOne({ entity: 'ProvisioningTarget', ref: true, primary: true, deleteRule: 'cascade' })
  target: Ref<ProvisioningTarget>;

  /** The group (subject id); no foreign key, like the group's provisioned state. */
  @PrimaryKey({ type: 'uuid' })
  groupId: string;

  /** The member as the target knows it (its remote id). */
  @PrimaryKey({ type: 'text' })
  memberRemoteId: string;
}
