import { STATUS_CODES } from 'node:http';
import {
  PermanentProvisioningError,
  TransientProvisioningError,
  type ProvisionRequest,
  type ProvisionResult,
  type ProvisionerPlugin,
  type TargetContext,
} from '../plugin';
import { WEBHOOK_SECRET_FIELDS, webhookConfigSchema, type WebhookConfig } from './config';
import { buildWebhookDocument, isDeprovision, type WebhookDocument } from './document';
import { ACTION_HEADER, DELIVERY_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature';

type Context = TargetContext<WebhookConfig>;

/** Enough for any error message or `{ "remoteId": ... }`; a larger answer is cut off, not buffered. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_ERROR_MESSAGE_LENGTH = 300;
const MAX_REMOTE_ID_LENGTH = 1024;
/** A Retry-After further away than this is most likely a mistake; the queue still comes back. */
const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;
/** 408 and 425 say "not now" like a 5xx does. */
const TRANSIENT_CLIENT_STATUSES = new Set([408, 425, 429]);

interface ReceiverResponse {
  status: number;
  headers: Headers;
  body: string;
}

class DeliveryTimeout extends Error {}

/** Where errors say the document went: the query string is left out, as it often carries a token. */
function receiverName(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

async function readLimited(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_RESPONSE_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    // Stops a receiver that streams forever from holding the connection until the timeout.
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, MAX_RESPONSE_BYTES);
}

async function post(config: WebhookConfig, document: WebhookDocument, body: string, timestamp: number): Promise<ReceiverResponse> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DeliveryTimeout()), config.timeoutMs);
  try {
    const response = await fetch(config.url, {
      method: 'POST',
      body,
      headers: {
        ...config.headers,
        ...(config.authorization ? { authorization: config.authorization } : {}),
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'Ferry-Webhook/1',
        [DELIVERY_HEADER]: document.deliveryId,
        [ACTION_HEADER]: document.action,
        [SIGNATURE_HEADER]: signatureHeader(config.secret, timestamp, body),
      },
      // A redirect would carry the signed document to an address nobody configured.
      redirect: 'manual',
      signal: controller.signal,
    });
    return { status: response.status, headers: response.headers, body: await readLimited(response) };
  } catch (error) {
    if (controller.signal.aborted) throw new DeliveryTimeout(`no complete answer within ${config.timeoutMs} ms`);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  let delayMs: number;
  if (/^\d+$/.test(trimmed)) delayMs = Number(trimmed) * 1000;
  else {
    const date = Date.parse(trimmed);
    if (Number.isNaN(date)) return null;
    delayMs = date - now;
  }
  return Math.min(Math.max(delayMs, 0), MAX_RETRY_AFTER_MS);
}

/** The receiver's own words: a JSON error's message (plain, nested or RFC 9457 problem), else the text. */
function receiverMessage(body: string): string {
  let message = body;
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object') {
      const fields = parsed as Record<string, unknown>;
      const nested = fields.error && typeof fields.error === 'object' ? (fields.error as Record<string, unknown>).message : undefined;
      const candidate = [fields.message, nested, fields.error, fields.detail, fields.title].find(
        (value): value is string => typeof value === 'string' && value.trim() !== '',
      );
      if (candidate) message = candidate;
    }
  } catch {
    // Not JSON: the text is the message.
  }
  const flat = message.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_ERROR_MESSAGE_LENGTH ? `${flat.slice(0, MAX_ERROR_MESSAGE_LENGTH)}…` : flat;
}

/** A receiver may name the subject its own way with `{ "remoteId": "..." }`; otherwise the subject id stands. */
function remoteIdFrom(body: string, subjectId: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    const value = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>).remoteId : undefined;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    if (typeof value === 'string' && value.trim() !== '' && value.length <= MAX_REMOTE_ID_LENGTH) return value.trim();
  } catch {
    // An empty or non-JSON 2xx is still an acceptance.
  }
  return subjectId;
}

function statusLine(status: number): string {
  const reason = STATUS_CODES[status];
  return reason ? `HTTP ${status} ${reason}` : `HTTP ${status}`;
}

function failure(response: ReceiverResponse, what: string, receiver: string): Error {
  const message = receiverMessage(response.body);
  const text = `webhook ${receiver} refused ${what}: ${statusLine(response.status)}${message ? `: ${message}` : ''}`;
  if (response.status >= 500 || TRANSIENT_CLIENT_STATUSES.has(response.status)) {
    return new TransientProvisioningError(text, { retryAfterMs: parseRetryAfter(response.headers.get('retry-after')) });
  }
  if (response.status >= 300 && response.status < 400) {
    const location = response.headers.get('location');
    return new PermanentProvisioningError(
      `webhook ${receiver} answered ${statusLine(response.status)}${location ? ` to ${location}` : ''} for ${what}: ` +
        'Ferry does not follow redirects; configure the final URL',
    );
  }
  return new PermanentProvisioningError(text);
}

function unreachable(error: unknown, what: string, receiver: string): TransientProvisioningError {
  if (error instanceof DeliveryTimeout) return new TransientProvisioningError(`webhook ${receiver} timed out for ${what}: ${error.message}`, { cause: error });
  // fetch reports every network failure as "fetch failed" and puts the reason (ECONNREFUSED...) in cause.
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause;
  const reason = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new TransientProvisioningError(`webhook ${receiver} unreachable for ${what}: ${reason}`, { cause: error });
}

async function provision(ctx: Context, request: ProvisionRequest): Promise<ProvisionResult> {
  const { action, subject } = request;
  const now = new Date();
  const document = buildWebhookDocument(ctx, request, now);
  const body = JSON.stringify(document);
  const receiver = receiverName(ctx.config.url);
  const what = `${action} of ${subject.subjectType.toLowerCase()} ${subject.id} (delivery ${document.deliveryId})`;

  let response: ReceiverResponse;
  try {
    response = await post(ctx.config, document, body, Math.floor(now.getTime() / 1000));
  } catch (error) {
    throw unreachable(error, what, receiver);
  }
  if (response.status < 200 || response.status >= 300) throw failure(response, what, receiver);

  const remoteId = isDeprovision(request) ? null : remoteIdFrom(response.body, subject.id);
  const detail = `delivered ${document.deliveryId} to ${receiver}: ${statusLine(response.status)}${remoteId && remoteId !== subject.id ? `, remote id ${remoteId}` : ''}`;
  ctx.logger.debug({ target: ctx.targetName, action, subjectId: subject.id, deliveryId: document.deliveryId, remoteId }, detail);
  return { remoteId, detail };
}

/**
 * Posts one signed JSON document per provisioning action to a receiver of the organisation's
 * choosing. Every subject type is sent: what to do with it is the receiver's business.
 */
export const webhookPlugin: ProvisionerPlugin<WebhookConfig> = {
  name: 'webhook',
  configSchema: webhookConfigSchema,
  secretFields: WEBHOOK_SECRET_FIELDS,
  urlFields: ['url'],
  provision,

  // A webhook has nothing to ask. Ferry only calls this for a subject it holds a remote id for,
  // i.e. one whose last delivery the receiver accepted; say so without claiming more.
  async readBack(_ctx, _subjectType, remoteId) {
    return {
      exists: true,
      detail: `not verified: webhooks cannot be read back; the receiver accepted the last delivery (remote id ${remoteId})`,
    };
  },

  // The body that would be posted (a preview gets a fresh delivery id and time, as a send would).
  async render(ctx, request) {
    const document = buildWebhookDocument(ctx, request, new Date());
    const deprovision = isDeprovision(request);
    return {
      object: deprovision ? null : { remoteId: request.remoteId ?? request.subject.id, attributes: {} },
      document,
      detail: `POST ${new URL(ctx.config.url).origin}${new URL(ctx.config.url).pathname}`,
    };
  },
};
