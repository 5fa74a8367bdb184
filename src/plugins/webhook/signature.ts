import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signature scheme of Ferry's webhooks, shared by the sender and receivers. This module only
 * needs node:crypto, so a receiver written in Node can copy it as it is.
 *
 *   Ferry-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * Binding the timestamp into the MAC is what lets a receiver refuse old requests: an attacker who
 * captured one cannot move its timestamp forward without the secret.
 */

export const SIGNATURE_HEADER = 'Ferry-Signature';
export const DELIVERY_HEADER = 'Ferry-Delivery';
export const ACTION_HEADER = 'Ferry-Action';
export const SIGNATURE_SCHEME = 'v1';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function computeSignature(secret: string, timestamp: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** The Ferry-Signature header value for a body sent at `timestamp` (unix seconds). */
export function signatureHeader(secret: string, timestamp: number, body: string | Buffer): string {
  return `t=${timestamp},${SIGNATURE_SCHEME}=${computeSignature(secret, timestamp, body)}`;
}

export interface VerifyWebhookSignatureOptions {
  /** The request body exactly as received (before any JSON parsing). */
  body: string | Buffer;
  /** The Ferry-Signature header value (Node gives a string; several are joined or passed as an array). */
  signature: string | string[] | null | undefined;
  /** The shared secret; pass several while rotating it. */
  secret: string | readonly string[];
  /** How far the timestamp may be from now, either way. Default 300 s. */
  toleranceSeconds?: number;
  /** The receiver's clock, for tests. Default: now. */
  now?: Date;
}

export type WebhookVerification = { valid: true; timestamp: number } | { valid: false; reason: string };

function parseHeader(header: string): { timestamp: number | null; signatures: string[] } {
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    const key = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    // Other schemes are skipped, so a later scheme can be sent alongside v1.
    if (key === SIGNATURE_SCHEME && /^[0-9a-f]{64}$/i.test(value)) signatures.push(value.toLowerCase());
  }
  return { timestamp, signatures };
}

/**
 * Checks a delivery's Ferry-Signature: a v1 signature made with the secret over
 * `<t>.<body>`, and a timestamp `t` within the tolerance of now. Comparisons are timing-safe.
 * A valid result still needs the receiver's replay check: remember each Ferry-Delivery id for at
 * least the tolerance window and refuse one seen before.
 */
export function verifyWebhookSignature(options: VerifyWebhookSignatureOptions): WebhookVerification {
  const header = Array.isArray(options.signature) ? options.signature.join(',') : options.signature;
  if (!header) return { valid: false, reason: `missing ${SIGNATURE_HEADER} header` };
  const { timestamp, signatures } = parseHeader(header);
  if (timestamp === null) return { valid: false, reason: `${SIGNATURE_HEADER} has no timestamp (t=)` };
  if (signatures.length === 0) return { valid: false, reason: `${SIGNATURE_HEADER} has no ${SIGNATURE_SCHEME} signature` };

  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - timestamp) > tolerance) {
    return { valid: false, reason: `timestamp ${timestamp} is ${now - timestamp} s from now, outside the tolerance of ${tolerance} s` };
  }

  const secrets = typeof options.secret === 'string' ? [options.secret] : options.secret;
  for (const secret of secrets) {
    const expected = Buffer.from(computeSignature(secret, timestamp, options.body), 'hex');
    for (const candidate of signatures) {
      if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) return { valid: true, timestamp };
    }
  }
  return { valid: false, reason: 'signature does not match the body and timestamp' };
}
