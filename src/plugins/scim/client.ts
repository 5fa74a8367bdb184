import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../observability/logger';

export const SCIM_CONTENT_TYPE = 'application/scim+json';

/** The server answered with an error status (after any inline 429 waits). */
export class ScimHttpError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    /** The SCIM error's scimType (invalidValue, uniqueness, tooMany, ...), when it sent one. */
    readonly scimType: string | null,
    /** The SCIM error's detail, or the start of a non-SCIM body. */
    readonly detail: string | null,
    /** From Retry-After, on 429 and 503. */
    readonly retryAfterMs: number | null,
  ) {
    super(`${method} ${path} answered ${status}${scimType ? ` ${scimType}` : ''}${detail ? `: ${detail}` : ''}`);
  }
}

/** The request never got an HTTP answer: refused, reset, DNS, TLS, or timed out. */
export class ScimTransportError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    message: string,
    /** undici's cause code, e.g. ECONNREFUSED, UND_ERR_SOCKET, DEPTH_ZERO_SELF_SIGNED_CERT; TIMEOUT for our own timeout. */
    readonly code: string | null,
    options: { cause?: unknown } = {},
  ) {
    super(`${method} ${path}: ${message}`, options);
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

function causeCode(error: unknown): string | null {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === 'string' ? cause.code : null;
}

function errorFields(body: unknown, text: string): { scimType: string | null; detail: string | null } {
  if (body && typeof body === 'object') {
    const { scimType, detail } = body as { scimType?: unknown; detail?: unknown };
    return {
      scimType: typeof scimType === 'string' && scimType ? scimType : null,
      detail: typeof detail === 'string' && detail ? detail : null,
    };
  }
  const snippet = text.trim().slice(0, 200);
  return { scimType: null, detail: snippet || null };
}

/** A small SCIM 2.0 HTTP client: bearer auth, timeouts, SCIM JSON, short 429s waited out. */
export class ScimClient {
  constructor(
    private readonly options: ScimClientOptions,
    private readonly logger: Logger,
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
      const { response, text } = await this.send(method, path, url, headers, payload);
      let body: unknown = null;
      if (text.trim()) {
        try {
          body = JSON.parse(text);
        } catch {
          body = null;
        }
      }
      if (response.ok) {
        return { status: response.status, body: body as T | null, etag: response.headers.get('etag') };
      }
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      const inlineLimitMs = this.options.maxInlineRetryAfterSeconds * 1000;
      if (response.status === 429 && retryAfterMs !== null && retryAfterMs <= inlineLimitMs && waits < MAX_INLINE_WAITS) {
        this.logger.info({ method, path, retryAfterMs }, 'SCIM server asked to slow down (429): waiting before retrying');
        await sleep(retryAfterMs);
        continue;
      }
      const { scimType, detail } = errorFields(body, text);
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

  /** The timeout covers the whole exchange, body included: a server that stalls mid-body is as down as one that never answers. */
  private async send(
    method: string,
    path: string,
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<{ response: Response; text: string }> {
    try {
      const response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(this.options.timeoutMs), redirect: 'error' });
      return { response, text: await response.text() };
    } catch (error) {
      if ((error as Error | null)?.name === 'TimeoutError') {
        throw new ScimTransportError(method, path, `no answer within ${this.options.timeoutMs} ms`, 'TIMEOUT', { cause: error });
      }
      const code = causeCode(error);
      const reason = (error as { cause?: Error }).cause?.message ?? (error as Error).message;
      throw new ScimTransportError(method, path, reason, code, { cause: error });
    }
  }
}
