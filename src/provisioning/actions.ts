import { registerEnumType } from 'type-graphql';

/** Provisioning actions (COmanage ProvisioningActionEnum), in Ferry's names. */
export enum ProvisioningAction {
  PERSON_ADDED = 'PERSON_ADDED',
  PERSON_UPDATED = 'PERSON_UPDATED',
  PERSON_DELETED = 'PERSON_DELETED',
  PERSON_EXPIRED = 'PERSON_EXPIRED',
  PERSON_UNEXPIRED = 'PERSON_UNEXPIRED',
  PERSON_ENTERED_GRACE_PERIOD = 'PERSON_ENTERED_GRACE_PERIOD',
  PERSON_REPROVISION_REQUESTED = 'PERSON_REPROVISION_REQUESTED',
  PERSON_ENROLLMENT_FINISHED = 'PERSON_ENROLLMENT_FINISHED',
  GROUP_ADDED = 'GROUP_ADDED',
  GROUP_UPDATED = 'GROUP_UPDATED',
  GROUP_DELETED = 'GROUP_DELETED',
  GROUP_REPROVISION_REQUESTED = 'GROUP_REPROVISION_REQUESTED',
  SERVICE_ADDED = 'SERVICE_ADDED',
  SERVICE_UPDATED = 'SERVICE_UPDATED',
  SERVICE_DELETED = 'SERVICE_DELETED',
  SERVICE_REPROVISION_REQUESTED = 'SERVICE_REPROVISION_REQUESTED',
  LIST_ADDED = 'LIST_ADDED',
  LIST_UPDATED = 'LIST_UPDATED',
  LIST_DELETED = 'LIST_DELETED',
  LIST_REPROVISION_REQUESTED = 'LIST_REPROVISION_REQUESTED',
}
registerEnumType(ProvisioningAction, { name: 'ProvisioningAction' });

export const DELETE_ACTIONS: ReadonlySet<ProvisioningAction> = new Set([
  ProvisioningAction.PERSON_DELETED,
  ProvisioningAction.GROUP_DELETED,
  ProvisioningAction.SERVICE_DELETED,
  ProvisioningAction.LIST_DELETED,
]);

/** Actions about groups: plugins use it to refuse an action sent for the wrong kind of subject. */
export const GROUP_ACTIONS: ReadonlySet<ProvisioningAction> = new Set([
  ProvisioningAction.GROUP_ADDED,
  ProvisioningAction.GROUP_UPDATED,
  ProvisioningAction.GROUP_DELETED,
  ProvisioningAction.GROUP_REPROVISION_REQUESTED,
]);

/**
 * Whether a group may get the action: its own actions, and COmanage's `PP` (PERSON_ENROLLMENT_FINISHED),
 * which a finished enrollment sends to each of the person's groups too (spec 1.3); plugins treat it
 * on a group as an update.
 */
export function appliesToGroup(action: ProvisioningAction): boolean {
  return GROUP_ACTIONS.has(action) || action === ProvisioningAction.PERSON_ENROLLMENT_FINISHED;
}

/** Actions about services (which directory-style targets ignore). */
export const SERVICE_ACTIONS: ReadonlySet<ProvisioningAction> = new Set([
  ProvisioningAction.SERVICE_ADDED,
  ProvisioningAction.SERVICE_UPDATED,
  ProvisioningAction.SERVICE_DELETED,
  ProvisioningAction.SERVICE_REPROVISION_REQUESTED,
]);

/**
 * Actions about email lists (COmanage LA/LU/LD/LR). Only plugins that declare
 * `provisionsEmailLists` receive them; for the others the pipeline records SKIPPED.
 */
export const LIST_ACTIONS: ReadonlySet<ProvisioningAction> = new Set([
  ProvisioningAction.LIST_ADDED,
  ProvisioningAction.LIST_UPDATED,
  ProvisioningAction.LIST_DELETED,
  ProvisioningAction.LIST_REPROVISION_REQUESTED,
]);

export enum SubjectType {
  PERSON = 'PERSON',
  GROUP = 'GROUP',
  SERVICE = 'SERVICE',
  EMAIL_LIST = 'EMAIL_LIST',
}
registerEnumType(SubjectType, { name: 'SubjectType' });

/** COmanage provisioner modes (ProvisionerModeEnum). */
export enum ProvisioningMode {
  AUTOMATIC = 'AUTOMATIC',
  MANUAL = 'MANUAL',
  ENROLLMENT = 'ENROLLMENT',
  QUEUE = 'QUEUE',
  QUEUE_ON_ERROR = 'QUEUE_ON_ERROR',
  DISABLED = 'DISABLED',
}
registerEnumType(ProvisioningMode, {
  name: 'ProvisioningMode',
  valuesConfig: {
    AUTOMATIC: { description: 'Runs inline on every relevant change.' },
    MANUAL: { description: 'Runs only on an explicit provision request or a reprovision-all.' },
    ENROLLMENT: { description: 'Runs only when an enrollment finishes.' },
    QUEUE: { description: 'Every action becomes a job.' },
    QUEUE_ON_ERROR: { description: 'Runs inline; a transient failure queues a retry.' },
    DISABLED: { description: 'Never runs; explicit requests are refused.' },
  },
});
