import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import http from 'node:http';

/**
 * A minimal GraphQL-over-HTTP client for the benchmarks: typed documents from the generated client,
 * or plain query text for operations the client does not ship. Any GraphQL error throws, since a
 * figure measured on failing requests would be meaningless. It uses node:http without a timeout,
 * not fetch: fetch gives up after 300 s without response headers, and a benchmark must be able to
 * wait out (and measure) a server that stalls that long.
 */
export class BenchClient {
  private readonly agent = new http.Agent({ keepAlive: true });

  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  async request<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables> | string, variables?: TVariables): Promise<TResult> {
    const query = typeof document === 'string' ? document : print(document);
    const { status, body } = await this.send('POST', this.url, JSON.stringify({ query, variables: variables ?? {} }));
    const parsed = JSON.parse(body) as { data?: TResult; errors?: { message: string; extensions?: { code?: string } }[] };
    if (parsed.errors?.length || !parsed.data) {
      const operation = /(query|mutation)\s+(\w+)/.exec(query)?.[2] ?? 'operation';
      throw new Error(`${operation} failed (HTTP ${status}): ${JSON.stringify(parsed.errors ?? parsed)}`);
    }
    return parsed.data;
  }

  /** The SQL statements this Ferry has sent so far (its /metrics counter). */
  async sqlStatements(): Promise<number> {
    const metrics = (await this.send('GET', this.url.replace(/\/graphql$/, '/metrics'))).body;
    return Number(/^ferry_sql_queries_total (\d+)/m.exec(metrics)?.[1] ?? Number.NaN);
  }

  /** Subscriptions the server has registered (its ferry_live_subscriptions gauge). */
  async liveSubscriptions(): Promise<number> {
    const metrics = (await this.send('GET', this.url.replace(/\/graphql$/, '/metrics'))).body;
    return Number(/^ferry_live_subscriptions (\d+)/m.exec(metrics)?.[1] ?? 0);
  }

  close(): void {
    this.agent.destroy();
  }

  /**
   * Sends once more on a fresh connection when a kept-alive one was closed under the request (the
   * server drops idle connections after its keep-alive timeout, which a stalled server can overrun).
   */
  private async send(method: 'GET' | 'POST', url: string, body?: string): Promise<{ status: number; body: string }> {
    try {
      return await this.sendOnce(method, url, body);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'ECONNRESET' && code !== 'EPIPE') throw error;
      return this.sendOnce(method, url, body, false);
    }
  }

  private sendOnce(method: 'GET' | 'POST', url: string, body?: string, reuse = true): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const request = http.request(
        url,
        {
          method,
          agent: reuse ? this.agent : false,
          headers: {
            authorization: `Bearer ${this.token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }
}
