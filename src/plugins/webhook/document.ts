import { randomUUID } from 'node:crypto';
import { DELETE_ACTIONS, type ProvisioningAction, type SubjectType } from '../../provisioning/actions';
import type { SubjectPayload } from '../../provisioning/payload';
import type { ProvisionRequest, TargetContext } from '../plugin';

/**
 * Bumped only for changes a receiver written for the previous version would misread. Fields are
 * added to the document and to `payload` without a new version; receivers ignore what they do
 * not know.
 */
export const WEBHOOK_DOCUMENT_VERSION = 'ferry.webhook/v1';

/** The JSON body of one delivery. The README documents every field. */
export interface WebhookDocument {
  version: typeof WEBHOOK_DOCUMENT_VERSION;
  /** Unique per HTTP request, retries included; also sent as the Ferry-Delivery header. */
  deliveryId: string;
  /** When Ferry sent this request (ISO 8601, UTC). */
  sentAt: string;
  action: ProvisioningAction;
  /**
   * True when the receiver should remove the subject: a *_DELETED action, or a person whose status
   * is no longer provisionable (a skeleton payload).
   */
  deprovision: boolean;
  organizationId: string;
  target: { id: string; name: string };
  subject: {
    type: SubjectType;
    id: string;
    /** The id Ferry holds for the subject on this target from the last accepted delivery, if any. */
    remoteId: string | null;
  };
  /** The marshalled subject (the same payload every plugin receives); dates as ISO 8601 strings. */
  payload: SubjectPayload;
}

export function isDeprovision(request: Pick<ProvisionRequest, 'action' | 'subject'>): boolean {
  return DELETE_ACTIONS.has(request.action) || (request.subject.subjectType === 'PERSON' && request.subject.skeleton);
}

export function buildWebhookDocument(target: TargetContext<unknown>, request: ProvisionRequest, sentAt: Date): WebhookDocument {
  const { subject } = request;
  return {
    version: WEBHOOK_DOCUMENT_VERSION,
    deliveryId: randomUUID(),
    sentAt: sentAt.toISOString(),
    action: request.action,
    deprovision: isDeprovision(request),
    organizationId: target.organizationId,
    target: { id: target.targetId, name: target.targetName },
    subject: { type: subject.subjectType as SubjectType, id: subject.id, remoteId: request.remoteId },
    payload: subject,
  };
}

export const WEBHOOK_BATCH_VERSION = 'ferry.webhook.batch/v1';

/** The JSON body of a batch delivery (`batchSize` > 1): several v1 documents in one request. */
export interface WebhookBatchDocument {
  version: typeof WEBHOOK_BATCH_VERSION;
  /** Unique per HTTP request; also the Ferry-Delivery header. Each document keeps its own deliveryId. */
  deliveryId: string;
  sentAt: string;
  organizationId: string;
  target: { id: string; name: string };
  /** In the order the receiver is asked to apply them; at most one per subject. */
  documents: WebhookDocument[];
}

export function buildWebhookBatch(target: TargetContext<unknown>, requests: readonly ProvisionRequest[], sentAt: Date): WebhookBatchDocument {
  return {
    version: WEBHOOK_BATCH_VERSION,
    deliveryId: randomUUID(),
    sentAt: sentAt.toISOString(),
    organizationId: target.organizationId,
    target: { id: target.targetId, name: target.targetName },
    documents: requests.map((request) => buildWebhookDocument(target, request, sentAt)),
  };
}
