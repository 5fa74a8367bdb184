export { webhookPlugin, parseRetryAfter } from './webhook-plugin';
export { webhookConfigSchema, type WebhookConfig } from './config';
export { WEBHOOK_DOCUMENT_VERSION, type WebhookDocument } from './document';
export {
  verifyWebhookSignature,
  signatureHeader,
  SIGNATURE_HEADER,
  DELIVERY_HEADER,
  ACTION_HEADER,
  DEFAULT_TOLERANCE_SECONDS,
  type VerifyWebhookSignatureOptions,
  type WebhookVerification,
} from './signature';
