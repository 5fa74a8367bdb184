import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';

/** A GraphQL error answered by Ferry, with its stable code (`extensions.code`). */
export class FerryError extends Error {
  readonly code: string;
  constructor(
    readonly errors: readonly GraphQLFormattedError[],
    readonly status: number,
  ) {
    super(errors.map((error) => error.message).join('; ') || `Ferry answered HTTP ${status}`);
    this.name = 'FerryError';
    const code = errors[0]?.extensions?.code;
    this.code = typeof code === 'string' ? code : status === 401 ? 'UNAUTHENTICATED' : 'INTERNAL_SERVER_ERROR';
  }
}

export interface FerryClientOptions {
  /** The GraphQL endpoint, e.g. https://ferry.example.org/graphql (ws:// or wss:// is derived from it). */
  url: string;
  /** An API token (sent as `Authorization: Bearer`, and in graphql-ws's connection_init). */
  token: string;
  /** A WebSocket implementation where there is no global one (Node 20: the `ws` package). */
  webSocketImpl?: unknown;
  /** fetch, where there is no global one. */
  fetch?: typeof fetch;
}

export interface SubscriptionHandlers<T> {
  next(data: T): void;
  error?(error: FerryError): void;
  complete?(): void;
}

/**
 * Runs the generated typed documents against Ferry: queries and mutations over HTTP, subscriptions
 * over one lazily opened graphql-ws connection. `request` resolves with `data` or rejects with a
 * FerryError carrying the error code.
 */
export class FerryClient {
  private live: Client | null = null;

  constructor(private readonly options: FerryClientOptions) {}

  async request<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables?: TVariables): Promise<TResult> {
    const send = this.options.fetch ?? fetch;
    const response = await send(this.options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options.token}` },
      body: JSON.stringify({ query: print(document), variables: variables ?? {} }),
    });
    let body: { data?: TResult | null; errors?: GraphQLFormattedError[] };
    try {
      body = (await response.json()) as typeof body;
    } catch {
      throw new FerryError([], response.status);
    }
    if (body.errors?.length) throw new FerryError(body.errors, response.status);
    if (!body.data) throw new FerryError([], response.status);
    return body.data;
  }

  /** Starts a subscription; returns the function that ends it. */
  subscribe<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
    handlers: SubscriptionHandlers<TResult>,
  ): () => void {
    return this.connection().subscribe<TResult>(
      { query: print(document), variables: (variables ?? {}) as Record<string, unknown> },
      {
        next: (result) => {
          if (result.errors?.length) handlers.error?.(new FerryError(result.errors, 200));
          else if (result.data) handlers.next(result.data as TResult);
        },
        error: (error) => {
          const errors = Array.isArray(error)
            ? (error as GraphQLFormattedError[])
            : [{ message: `The live connection closed${(error as { reason?: string })?.reason ? `: ${(error as { reason: string }).reason}` : ''}.`, extensions: { code: 'CONNECTION_CLOSED' } }];
          handlers.error?.(new FerryError(errors, 0));
        },
        complete: () => handlers.complete?.(),
      },
    );
  }

  /** Closes the live connection (subscriptions end). */
  async dispose(): Promise<void> {
    await this.live?.dispose();
    this.live = null;
  }

  private connection(): Client {
    this.live ??= createClient({
      url: this.options.url.replace(/^http/, 'ws'),
      connectionParams: { authorization: `Bearer ${this.options.token}` },
      lazy: true,
      retryAttempts: 5,
      ...(this.options.webSocketImpl ? { webSocketImpl: this.options.webSocketImpl } : {}),
    });
    return this.live;
  }
}
