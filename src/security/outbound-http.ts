import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { AddressNotAllowedError, OutboundPolicy } from './outbound-addresses';

export interface OutboundRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Covers the whole exchange, the response body included. */
  timeoutMs: number;
  /** Past this many bytes the body is cut off (`truncated`), or the call fails (`fail`). */
  maxResponseBytes: number;
  oversize?: 'truncate' | 'fail';
  /** Where the connection may go; the default refuses every internal network. */
  policy?: OutboundPolicy;
}

export interface OutboundResponse {
  status: number;
  headers: Headers;
  body: string;
  truncated: boolean;
}

/** No HTTP answer: refused address, DNS, connection, TLS, timeout or an oversized answer. */
export class OutboundTransportError extends Error {
  constructor(
    message: string,
    /** ECONNREFUSED, ENOTFOUND, a TLS code, TIMEOUT, TOO_LARGE, FERRY_ADDRESS_NOT_ALLOWED... */
    readonly code: string | null,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }

  /** The connection was refused by Ferry itself, for where it would have gone. */
  get addressRefused(): boolean {
    return this.cause instanceof AddressNotAllowedError;
  }
}

const DEFAULT_POLICY = new OutboundPolicy(undefined);

/** Keep-alive agents per policy: a pooled connection is only ever reused under the rules it was opened with. */
const agents = new WeakMap<OutboundPolicy, { http: http.Agent; https: https.Agent }>();

function agentsFor(policy: OutboundPolicy) {
  let pair = agents.get(policy);
  if (!pair) {
    pair = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
    agents.set(policy, pair);
  }
  return pair;
}

function transportError(error: unknown): OutboundTransportError {
  if (error instanceof OutboundTransportError) return error;
  if (error instanceof AddressNotAllowedError) return new OutboundTransportError(`connection refused by Ferry: ${error.message}`, error.code, { cause: error });
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return new OutboundTransportError(message, typeof code === 'string' ? code : null, { cause: error });
}

const RETRYABLE_ON_REUSED_SOCKET = new Set(['ECONNRESET', 'EPIPE']);

/**
 * One HTTP(S) request to a target, with node's http client: redirects are never followed (a 3xx
 * is returned as it is), and every connection's address is checked against the policy after DNS
 * resolution (`lookup`), IP literals before connecting.
 */
export async function outboundRequest(request: OutboundRequest): Promise<OutboundResponse> {
  const policy = request.policy ?? DEFAULT_POLICY;
  const url = new URL(request.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundTransportError(`unsupported protocol ${url.protocol}`, 'ERR_INVALID_URL');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  try {
    if (net.isIP(host)) policy.assertAddress(host, url.hostname);
  } catch (error) {
    throw transportError(error);
  }
  const deadline = Date.now() + request.timeoutMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await exchange(request, url, host, policy, deadline);
    } catch (error) {
      // A kept-alive connection the server had just closed: nothing reached it, so send again once.
      const reused = (error as { reusedSocket?: boolean }).reusedSocket === true;
      const code = (error as { code?: string }).code;
      if (attempt === 1 && reused && code && RETRYABLE_ON_REUSED_SOCKET.has(code)) continue;
      throw transportError(error);
    }
  }
}

function exchange(request: OutboundRequest, url: URL, host: string, policy: OutboundPolicy, deadline: number): Promise<OutboundResponse> {
  const secure = url.protocol === 'https:';
  const headers: Record<string, string> = { ...request.headers };
  if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
  const timeoutMs = Math.max(deadline - Date.now(), 1);
  return new Promise<OutboundResponse>((resolve, reject) => {
    let settled = false;
    const finish = (error: unknown, response?: OutboundResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(response!);
    };
    const options: https.RequestOptions = {
      method: request.method,
      host,
      port: url.port || (secure ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      headers,
      agent: secure ? agentsFor(policy).https : agentsFor(policy).http,
      lookup: policy.lookup,
      // SNI and certificate checks use the name from the URL, not an address.
      ...(secure && !net.isIP(host) ? { servername: host } : {}),
    };
    const req = (secure ? https : http).request(options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      const done = () =>
        finish(null, {
          status: res.statusCode ?? 0,
          headers: headersOf(res.rawHeaders),
          body: Buffer.concat(chunks).toString('utf8'),
          truncated,
        });
      res.on('data', (chunk: Buffer) => {
        if (settled || truncated) return;
        if (size + chunk.length > request.maxResponseBytes) {
          if (request.oversize === 'fail') {
            finish(new OutboundTransportError(`the answer is larger than ${request.maxResponseBytes} bytes`, 'TOO_LARGE'));
            req.destroy();
            return;
          }
          chunks.push(chunk.subarray(0, request.maxResponseBytes - size));
          size = request.maxResponseBytes;
          truncated = true;
          // Stops a server that streams forever from holding the connection until the timeout.
          done();
          req.destroy();
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', done);
      res.on('error', (error) => finish(Object.assign(error, { reusedSocket: false })));
      res.on('aborted', () => finish(new OutboundTransportError('the connection closed before the answer was complete', 'ECONNRESET')));
    });
    const timer = setTimeout(() => {
      finish(new OutboundTransportError(`no complete answer within ${request.timeoutMs} ms`, 'TIMEOUT'));
      req.destroy();
    }, timeoutMs);
    req.on('error', (error) => finish(Object.assign(error, { reusedSocket: req.reusedSocket })));
    req.end(request.body);
  });
}

function headersOf(raw: string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i], raw[i + 1]);
    } catch {
      // A header the Fetch standard rejects is of no use to the callers.
    }
  }
  return headers;
}
