import { IdempotencyKey } from '../api/idempotency-key.entity';
import { ApiToken } from '../auth/api-token.entity';
import { EngineCursor } from '../provisioning/engine-cursor.entity';
import { ProvisionedState } from '../provisioning/provisioned-state.entity';
import { ProvisioningClaim } from '../provisioning/provisioning-claim.entity';
import { ProvisionedMember } from '../provisioning/provisioned-member.entity';
import { ProvisioningWork } from '../provisioning/dispatch/provisioning-work.entity';
import { ProvisioningEvent } from '../provisioning/provisioning-event.entity';
import { FailureNotification } from '../provisioning/failure-notification.entity';
import { ImportRun } from '../import/import-run.entity';
import { AuditEntry } from '../audit/audit-entry.entity';
import { ProvisioningAssignment } from '../provisionability/provisioning-assignment.entity';
import { GroupProvisionability } from '../provisionability/group-provisionability.entity';
import { ReconciliationDifference, ReconciliationRun } from '../reconciliation/reconciliation.entities';
import { ProvisioningTarget } from '../provisioning/provisioning-target.entity';
import { ChangeLogEntry } from '../changelog/change-log-entry.entity';
import { BaseEntity, OrgScopedEntity } from '../common/base-entity';
import { Department } from '../registry/departments/department.entity';
import { EmailList } from '../registry/email-lists/email-list.entity';
import { Folder } from '../registry/groups/folder.entity';
import { Group } from '../registry/groups/group.entity';
import { GroupMembership } from '../registry/groups/group-membership.entity';
import { GroupNesting } from '../registry/groups/group-nesting.entity';
import { Cou } from '../registry/organizations/cou.entity';
import { Organization } from '../registry/organizations/organization.entity';
import { AdHocAttribute } from '../registry/people/ad-hoc-attribute.entity';
import { Address } from '../registry/people/address.entity';
import { EmailAddress } from '../registry/people/email-address.entity';
import { Identifier } from '../registry/people/identifier.entity';
import { Name } from '../registry/people/name.entity';
import { PersonAttribute } from '../registry/people/person-attribute';
import { Person } from '../registry/people/person.entity';
import { PersonRole } from '../registry/people/person-role.entity';
import { RoleAttribute } from '../registry/people/role-attribute';
import { TelephoneNumber } from '../registry/people/telephone-number.entity';
import { Url } from '../registry/people/url.entity';
import { Service } from '../registry/services/service.entity';
import { OrgIdentityLink } from '../registry/sources/org-identity-link.entity';
import { OrgIdentitySource } from '../registry/sources/org-identity-source.entity';
import { TermsAgreement } from '../registry/terms/terms-agreement.entity';
import { TermsAndConditions } from '../registry/terms/terms-and-conditions.entity';

/** Every MikroORM entity, listed once: the ORM config and the migration tooling both use it. */
export const entities = [
  BaseEntity,
  OrgScopedEntity,
  PersonAttribute,
  RoleAttribute,
  ApiToken,
  ChangeLogEntry,
  Organization,
  Cou,
  Person,
  Name,
  EmailAddress,
  Identifier,
  Url,
  PersonRole,
  Address,
  TelephoneNumber,
  AdHocAttribute,
  Folder,
  Group,
  GroupMembership,
  GroupNesting,
  OrgIdentitySource,
  OrgIdentityLink,
  Service,
  TermsAndConditions,
  TermsAgreement,
  Department,
  EmailList,
  ProvisioningTarget,
  ProvisionedState,
  ProvisioningClaim,
  ProvisionedMember,
  ProvisioningWork,
  ProvisioningEvent,
  FailureNotification,
  AuditEntry,
  ProvisioningAssignment,
  GroupProvisionability,
  ReconciliationRun,
  ReconciliationDifference,
  EngineCursor,
  IdempotencyKey,
  ImportRun,
];
