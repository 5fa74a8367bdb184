import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../observability/logger';
import type { OutboundPolicy } from '../../security/outbound-addresses';
import { OutboundTransportError, outboundRequest } from '../../security/outbound-http';

export const SCIM_CONTENT_TYPE = 'application/scim+json';

/** The server answered with an error status (after any inline 429 waits). */
export class ScimHttpError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    /** The SCIM error's scimType (invalidValue, uniqueness, tooMany, ...), when it sent one. */
    readonly scimType: string | null,
    /** The SCIM error's detail (at most 200 characters); never a body that is not a SCIM error. */
    readonly detail: string | null,
    /** From Retry-After, on 429 and 503. */
    readonly retryAfterMs: number | null,
  ) {
    super(`${method} ${path} answered ${status}${scimType ? ` ${scimType}` : ''}${detail ? `: ${detail}` : ''}`);
  }
}

/**
 * The server answered 2xx with a body that is not a SCIM document (an HTML page from a login
 * proxy or a maintenance page, text, a JSON array): whatever answered was not the SCIM service,
 * so the change cannot be taken as applied.
 */
export class ScimNotScimError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    /** The answer's content-type, as a hint (the body itself is never repeated). */
    readonly contentType: string | null,
  ) {
    super(`${method} ${path} answered ${status} with ${contentType ? `a ${contentType.split(';')[0].trim()} body` : 'a body'} that is not a SCIM document`);
  }
}

/** The request never got an HTTP answer: refused, reset, DNS, TLS, or timed out. */
export class ScimTransportError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    message: string,
    /** node's error code, e.g. ECONNREFUSED, ENOTFOUND, DEPTH_ZERO_SELF_SIGNED_CERT; TIMEOUT for our own timeout. */
    readonly code: string | null,
    options: { cause?: unknown } = {},
  ) {
    super(`${method} ${path}: ${message}`, options);
  }

  /** Ferry refused to connect, for where the connection would have gone (an internal address). */
  get addressRefused(): boolean {
    return this.cause instanceof OutboundTransportError && this.cause.addressRefused;
  }
}

export interface ScimResponse<T> {
  status: number;
  body: T | null;
  /** The ETag header, when the server versions its resources. */
  etag: string | null;
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Sent as If-Match so a concurrent change makes the server answer 412 instead of being overwritten. */
  ifMatch?: string | null;
}

export interface ScimClientOptions {
  baseUrl: string;
  bearerToken: string;
  timeoutMs: number;
  maxInlineRetryAfterSeconds: number;
}

/** A SCIM answer larger than this (a list page, a group with many members) is refused, not buffered. */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
const MAX_DETAIL_LENGTH = 200;
const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** At most this many 429s are waited out inline for one request, however short their Retry-After. */
const MAX_INLINE_WAITS = 3;

/** Retry-After is delay-seconds or an HTTP date (RFC 9110 10.2.3). */
export function parseRetryAfter(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/**
 * scimType and detail of a SCIM error response (RFC 7644 3.12). Anything else the server said
 * is left out: an error ends up in provisioning events any reader of the organisation sees, and
 * a body that is not a SCIM error may be anything (an internal service's page, its secrets).
 */
function errorFields(body: unknown, status: number): { scimType: string | null; detail: string | null } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { scimType: null, detail: null };
  const { schemas, status: bodyStatus, scimType, detail } = body as { schemas?: unknown; status?: unknown; scimType?: unknown; detail?: unknown };
  const isScimError = (Array.isArray(schemas) && schemas.includes(SCIM_ERROR_SCHEMA)) || String(bodyStatus) === String(status);
  if (!isScimError) return { scimType: null, detail: null };
  const flat = typeof detail === 'string' ? detail.replace(/\s+/g, ' ').trim() : '';
  return {
    // A keyword of RFC 7644 table 9 (invalidFilter, uniqueness, ...), not free text.
    scimType: typeof scimType === 'string' && /^[A-Za-z]{1,40}$/.test(scimType) ? scimType : null,
    detail: flat ? (flat.length > MAX_DETAIL_LENGTH ? `${flat.slice(0, MAX_DETAIL_LENGTH - 1)}…` : flat) : null,
  };
}

/** A small SCIM 2.0 HTTP client: bearer auth, timeouts, SCIM JSON, short 429s waited out. */
export class ScimClient {
  constructor(
    private readonly options: ScimClientOptions,
    private readonly logger: Logger,
    /** Where connections may go (FERRY_TARGET_ALLOWED_NETWORKS); absent: no internal network. */
    private readonly policy?: OutboundPolicy,
  ) {}

  get origin(): string {
    return new URL(this.options.baseUrl).origin;
  }

  get<T>(path: string, query?: RequestOptions['query']): Promise<ScimResponse<T>> {
    return this.request<T>('GET', path, { query });
  }

  post<T>(path: string, body: unknown): Promise<ScimResponse<T>> {
    return this.request<T>('POST', path, { body });
  }

  put<T>(path: string, body: unknown, ifMatch?: string | null): Promise<ScimResponse<T>> {
    return this.request<T>('PUT', path, { body, ifMatch });
  }

  patch<T>(path: string, body: unknown, ifMatch?: string | null): Promise<ScimResponse<T>> {
    return this.request<T>('PATCH', path, { body, ifMatch });
  }

  delete(path: string): Promise<ScimResponse<never>> {
    return this.request<never>('DELETE', path);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ScimResponse<T>> {
    const url = this.url(path, options.query);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.bearerToken}`,
      accept: `${SCIM_CONTENT_TYPE}, application/json`,
    };
    if (options.body !== undefined) headers['content-type'] = SCIM_CONTENT_TYPE;
    if (options.ifMatch) headers['if-match'] = options.ifMatch;
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);

    for (let waits = 0; ; waits += 1) {
      const response = await this.send(method, path, url, headers, payload);
      const text = response.body;
      let body: unknown = null;
      if (text.trim()) {
        try {
          body = JSON.parse(text);
        } catch {
          body = null;
        }
      }
      if (response.status >= 200 && response.status < 300) {
        // No body (204, or an empty 200) is a valid answer; a body must be a SCIM JSON object.
        if (text.trim() && (body === null || typeof body !== 'object' || Array.isArray(body))) {
          throw new ScimNotScimError(method, path, response.status, response.headers.get('content-type'));
        }
        return { status: response.status, body: body as T | null, etag: response.headers.get('etag') };
      }
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      const inlineLimitMs = this.options.maxInlineRetryAfterSeconds * 1000;
      if (response.status === 429 && retryAfterMs !== null && retryAfterMs <= inlineLimitMs && waits < MAX_INLINE_WAITS) {
        this.logger.info({ method, path, retryAfterMs }, 'SCIM server asked to slow down (429): waiting before retrying');
        await sleep(retryAfterMs);
        continue;
      }
      const { scimType, detail } = errorFields(body, response.status);
      throw new ScimHttpError(method, path, response.status, scimType, detail, retryAfterMs);
    }
  }

  private url(path: string, query: RequestOptions['query']): string {
    const url = new URL(`${this.options.baseUrl}${path}`);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  /**
   * The timeout covers the whole exchange, body included: a server that stalls mid-body is as down
   * as one that never answers. Redirects are not followed: a 3xx comes back as an error status.
   */
  private async send(
    method: string,
    path: string,
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<{ status: number; headers: Headers; body: string }> {
    try {
      return await outboundRequest({
        method,
        url,
        headers,
        body,
        timeoutMs: this.options.timeoutMs,
        maxResponseBytes: MAX_RESPONSE_BYTES,
        oversize: 'fail',
        policy: this.policy,
      });
    } catch (error) {
      if (error instanceof OutboundTransportError) {
        const message = error.code === 'TIMEOUT' ? `no answer within ${this.options.timeoutMs} ms` : error.message;
        throw new ScimTransportError(method, path, message, error.code, { cause: error });
      }
      throw new ScimTransportError(method, path, (error as Error).message, null, { cause: error });
    }
  }
}
