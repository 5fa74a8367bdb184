import { z } from 'zod';

/** RFC 9110 token characters: what a header field name may be made of. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Headers Ferry sets itself. Letting configuration override them would break the signature, the
 * body's framing or the receiver's replay protection.
 */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'host', 'transfer-encoding', 'connection', 'user-agent']);
const RESERVED_PREFIX = 'ferry-';

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
  } catch {
    return false;
  }
}

function hasCredentials(value: string): boolean {
  try {
    const url = new URL(value);
    return url.username !== '' || url.password !== '';
  } catch {
    return false;
  }
}

const staticHeaders = z
  .record(z.string(), z.string())
  .default({})
  .superRefine((headers, ctx) => {
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      const issue = (message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: [name], message });
      if (!HEADER_NAME.test(name)) issue(`headers: "${name}" is not a valid HTTP header name`);
      else if (RESERVED_HEADERS.has(lower) || lower.startsWith(RESERVED_PREFIX)) issue(`headers: "${name}" is set by Ferry and cannot be configured`);
      // Static headers are stored and shown in the clear; a credential belongs in `authorization`.
      else if (lower === 'authorization') issue('headers: use the secret "authorization" setting for the Authorization header');
      if (/[\r\n\0]/.test(value)) issue(`headers: the value of "${name}" must not contain line breaks`);
    }
  })
  // One spelling per header: fetch would otherwise merge "X-A" and "x-a" into one comma-joined value.
  .transform((headers) => Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])));

export const webhookConfigSchema = z
  .object({
    url: z
      .string()
      .trim()
      .min(1, 'url must not be empty')
      .refine(isHttpUrl, 'url must be an http:// or https:// URL with a host, e.g. https://hooks.example.org/ferry')
      .refine((value) => !hasCredentials(value), 'url must not contain a user name or password; use the secret "authorization" setting'),
    /** Shared HMAC-SHA256 key; the receiver verifies Ferry-Signature with it. */
    secret: z.string().min(16, 'secret must be at least 16 characters (a random value, e.g. `openssl rand -hex 32`)'),
    timeoutMs: z.number().int().min(100).max(300_000).default(10_000),
    /** Sent as the Authorization header (e.g. "Bearer abc"), for receivers behind a gateway. */
    authorization: z
      .string()
      .min(1, 'authorization must not be empty')
      .refine((value) => !/[\r\n\0]/.test(value), 'authorization must not contain line breaks')
      .nullish(),
    /** Non-secret headers added to every request, e.g. { "X-Tenant": "acme" }. */
    headers: staticHeaders,
    /**
     * Documents per request: 1 sends each action on its own (ferry.webhook/v1); more sends a
     * batch's actions together, up to this many per request (ferry.webhook.batch/v1), to
     * receivers that accept batches.
     */
    batchSize: z.number().int().min(1).max(500).default(1),
  })
  .strict();

export type WebhookConfig = z.output<typeof webhookConfigSchema>;

export const WEBHOOK_SECRET_FIELDS = ['secret', 'authorization'] as const;
