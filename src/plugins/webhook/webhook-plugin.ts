import { STATUS_CODES } from 'node:http';
import {
  PermanentProvisioningError,
  TransientProvisioningError,
  type BatchOutcome,
  type ProvisionBatch,
  type ProvisionRequest,
  type ProvisionResult,
  type ProvisionerPlugin,
  type TargetContext,
} from '../plugin';
import { provisionEach, provisionEachOf } from '../batch';
import { WEBHOOK_SECRET_FIELDS, webhookConfigSchema, type WebhookConfig } from './config';
import { buildWebhookBatch, buildWebhookDocument, isDeprovision } from './document';
import { OutboundTransportError, outboundRequest } from '../../security/outbound-http';
import { ACTION_HEADER, DELIVERY_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature';

type Context = TargetContext<WebhookConfig>;

/** Enough for any error message or `{ "remoteId": ... }`; a larger answer is cut off, not buffered. */
const MAX_RESPONSE_BYTES = 64 * 1024;
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

/** Where errors say the document went: the query string is left out, as it often carries a token. */
function receiverName(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

async function post(ctx: Context, document: { deliveryId: string; action: string }, body: string, timestamp: number): Promise<ReceiverResponse> {
  const config = ctx.config;
  // node's http client, not fetch: the policy checks the address of every connection after DNS
  // resolution, and a redirect (which would carry the signed document to an address nobody
  // configured) is returned as it is, never followed.
  const response = await outboundRequest({
    method: 'POST',
    url: config.url,
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
    timeoutMs: config.timeoutMs,
    maxResponseBytes: MAX_RESPONSE_BYTES,
    oversize: 'truncate',
    policy: ctx.outbound,
  });
  return { status: response.status, headers: response.headers, body: response.body };
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

/** A receiver may name the subject its own way with `{ "remoteId": "..." }`; otherwise the subject id stands. */
function remoteIdFrom(body: string, subjectId: string): string {
  try {
    return remoteIdOf(JSON.parse(body), subjectId);
  } catch {
    // An empty or non-JSON 2xx is still an acceptance.
    return subjectId;
  }
}

/** The `remoteId` of an answer (or of a batch answer's entry), else the subject id. */
function remoteIdOf(answer: unknown, subjectId: string): string {
  const value = answer && typeof answer === 'object' ? (answer as Record<string, unknown>).remoteId : undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '' && value.length <= MAX_REMOTE_ID_LENGTH) return value.trim();
  return subjectId;
}

function statusLine(status: number): string {
  const reason = STATUS_CODES[status];
  return reason ? `HTTP ${status} ${reason}` : `HTTP ${status}`;
}

/**
 * The status line only: the body of a refusal is the receiver's, may hold anything (an internal
 * service's secrets, when a target was pointed at one) and would be shown to every reader of the
 * organisation's provisioning events.
 */
function failure(response: ReceiverResponse, what: string, receiver: string): Error {
  const text = `webhook ${receiver} refused ${what}: ${statusLine(response.status)}`;
  if (response.status >= 500 || TRANSIENT_CLIENT_STATUSES.has(response.status)) {
    return new TransientProvisioningError(text, { retryAfterMs: parseRetryAfter(response.headers.get('retry-after')) });
  }
  if (response.status >= 300 && response.status < 400) {
    return new PermanentProvisioningError(
      `webhook ${receiver} answered ${statusLine(response.status)} for ${what}: Ferry does not follow redirects; configure the final URL`,
    );
  }
  return new PermanentProvisioningError(text);
}

function unreachable(error: unknown, what: string, receiver: string): Error {
  if (error instanceof OutboundTransportError) {
    if (error.addressRefused) return new PermanentProvisioningError(`webhook ${receiver} not called for ${what}: ${error.message}`, { cause: error });
    if (error.code === 'TIMEOUT') return new TransientProvisioningError(`webhook ${receiver} timed out for ${what}: ${error.message}`, { cause: error });
    return new TransientProvisioningError(`webhook ${receiver} unreachable for ${what}: ${error.code ?? error.message}`, { cause: error });
  }
  const reason = error instanceof Error ? error.message : String(error);
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
    response = await post(ctx, document, body, Math.floor(now.getTime() / 1000));
  } catch (error) {
    throw unreachable(error, what, receiver);
  }
  if (response.status < 200 || response.status >= 300) throw failure(response, what, receiver);

  const remoteId = isDeprovision(request) ? null : remoteIdFrom(response.body, subject.id);
  const detail = `delivered ${document.deliveryId} to ${receiver}: ${statusLine(response.status)}${remoteId && remoteId !== subject.id ? `, remote id ${remoteId}` : ''}`;
  ctx.logger.debug({ target: ctx.targetName, action, subjectId: subject.id, deliveryId: document.deliveryId, remoteId }, detail);
  return { remoteId, detail };
}

/** What a batch receiver may say of each document, in order (README, "Batch delivery"). */
interface ItemResult {
  remoteId?: unknown;
  error?: unknown;
  retryable?: unknown;
}

function itemResults(body: string): ItemResult[] {
  try {
    const parsed: unknown = JSON.parse(body);
    const results = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>).results : undefined;
    return Array.isArray(results) ? results.map((item) => (item && typeof item === 'object' ? (item as ItemResult) : {})) : [];
  } catch {
    return [];
  }
}

/**
 * One request for up to `batchSize` actions: one call of the batch (through the target's circuit
 * and time limit) posts them all; each action's outcome comes from the answer. A refused or
 * failed request fails each of its actions the way a single delivery would fail.
 */
async function deliverTogether(ctx: Context, batch: ProvisionBatch<WebhookConfig>, indexes: number[]): Promise<BatchOutcome[]> {
  let results: ProvisionResult[] | null = null;
  let itemErrors: (Error | null)[] = [];
  const first = await batch
    .call(indexes[0], async (fenced) => {
      const requests = indexes.map((index) => batch.requests[index]);
      const now = new Date();
      const document = buildWebhookBatch(fenced, requests, now);
      const body = JSON.stringify(document);
      const receiver = receiverName(fenced.config.url);
      const what = `a batch of ${requests.length} (delivery ${document.deliveryId})`;
      let response: ReceiverResponse;
      try {
        response = await post(fenced, { deliveryId: document.deliveryId, action: 'BATCH' }, body, Math.floor(now.getTime() / 1000));
      } catch (error) {
        throw unreachable(error, what, receiver);
      }
      if (response.status < 200 || response.status >= 300) throw failure(response, what, receiver);
      const items = itemResults(response.body);
      itemErrors = requests.map((request, i) => {
        const item = items[i] ?? {};
        if (item.error === undefined || item.error === null || item.error === false) return null;
        // The receiver's own words are not recorded, as for a refused single delivery.
        const text = `webhook ${receiver} refused document ${i + 1} of ${what}: ${request.action} of ${request.subject.subjectType.toLowerCase()} ${request.subject.id}`;
        return item.retryable === true ? new TransientProvisioningError(text) : new PermanentProvisioningError(text);
      });
      results = requests.map((request, i) => {
        const remoteId = isDeprovision(request) ? null : remoteIdOf(items[i], request.subject.id);
        return { remoteId, detail: `delivered ${document.documents[i].deliveryId} in ${document.deliveryId} to ${receiver}: ${statusLine(response.status)}` };
      });
      ctx.logger.debug({ target: ctx.targetName, deliveryId: document.deliveryId, documents: requests.length }, `delivered a batch to ${receiver}`);
      // The request went through (the circuit counts a success); its first document may still have been refused.
      return results[0];
    })
    .then(
      (result): BatchOutcome => ({ ok: true, result }),
      (error: unknown): BatchOutcome => ({ ok: false, error }),
    );
  return indexes.map((_, i) => {
    if (i === 0) return first.ok && itemErrors[0] ? { ok: false, error: itemErrors[0] } : first;
    // The request itself failed (no answer, refused, the circuit open): so did each of its actions.
    if (!results) return first;
    const error = itemErrors[i];
    return error ? { ok: false, error } : { ok: true, result: results[i] };
  });
}

/** batchSize 1: a request per action (the default batch call); more: requests of up to batchSize actions, side by side. */
async function provisionBatch(ctx: Context, batch: ProvisionBatch<WebhookConfig>): Promise<BatchOutcome[]> {
  const size = ctx.config.batchSize;
  if (size <= 1 || batch.requests.length <= 1) return provisionEachOf({ provision }, batch);
  const chunks: number[][] = [];
  for (let i = 0; i < batch.requests.length; i += size) chunks.push(batch.requests.slice(i, i + size).map((_, j) => i + j));
  const outcomes = await provisionEach(chunks, batch.concurrency, (indexes) => deliverTogether(ctx, batch, indexes));
  return outcomes.flat();
}

/**
 * Posts one signed JSON document per provisioning action to a receiver of the organisation's
 * choosing. Every subject type is sent: what to do with it is the receiver's business.
 */
export const webhookPlugin: ProvisionerPlugin<WebhookConfig> = {
  name: 'webhook',
  defaultConcurrency: 4,
  configSchema: webhookConfigSchema,
  secretFields: WEBHOOK_SECRET_FIELDS,
  urlFields: ['url'],
  // Every subject goes out as a document, email lists included (README, "The webhook target").
  provisionsEmailLists: () => true,
  provision,
  provisionBatch,

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
