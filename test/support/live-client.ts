import assert from 'node:assert/strict';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface Closed {
  code: number;
  reason: string;
}

/**
 * One subscription's deliveries, kept in arrival order, with helpers that wait for them. Errors
 * and completion are recorded too: a test can assert on every message the server sent.
 */
export class Received<T> {
  readonly items: T[] = [];
  errors: readonly GraphQLFormattedError[] | null = null;
  completed = false;
  private waiters: (() => void)[] = [];

  push(item: T): void {
    this.items.push(item);
    this.poke();
  }

  fail(errors: readonly GraphQLFormattedError[]): void {
    this.errors = errors;
    this.poke();
  }

  complete(): void {
    this.completed = true;
    this.poke();
  }

  /** Waits until `count` items arrived (fails after timeoutMs) and returns the first `count`. */
  async take(count: number, timeoutMs = 15000): Promise<T[]> {
    await this.until(() => this.items.length >= count || this.errors !== null, `${count} item(s)`, timeoutMs);
    assert.equal(this.errors, null, `the subscription failed: ${JSON.stringify(this.errors)}`);
    return this.items.slice(0, count);
  }

  /** Waits for the subscription to fail and returns its errors. */
  async failure(timeoutMs = 15000): Promise<readonly GraphQLFormattedError[]> {
    await this.until(() => this.errors !== null, 'an error', timeoutMs);
    return this.errors!;
  }

  async completion(timeoutMs = 15000): Promise<void> {
    await this.until(() => this.completed || this.errors !== null, 'completion', timeoutMs);
  }

  async until(condition: () => boolean, what: string, timeoutMs = 15000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; received ${this.items.length}: ${JSON.stringify(this.items).slice(0, 2000)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  private poke(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((wake) => wake());
  }
}

/** A graphql-ws client (the one integrators use) over a real WebSocket, typed by the generated documents. */
export class LiveTestClient {
  private readonly client: Client;
  closed: Closed | null = null;
  private readonly unsubscribers: (() => void)[] = [];

  constructor(
    private readonly httpUrl: string,
    token: string | null,
  ) {
    this.client = createClient({
      url: httpUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      retryAttempts: 0,
      lazy: true,
      on: {
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string };
          this.closed = { code, reason: String(reason) };
        },
      },
    });
  }

  subscribe<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables?: TVariables,
  ): Received<TResult> {
    const received = new Received<TResult>();
    const unsubscribe = this.client.subscribe<TResult>(
      { query: print(document), variables: (variables ?? {}) as Record<string, unknown> },
      {
        next: (result) => {
          if (result.errors?.length) received.fail(result.errors);
          else if (result.data) received.push(result.data as TResult);
        },
        error: (error) => {
          if (Array.isArray(error)) received.fail(error as GraphQLFormattedError[]);
          else {
            const { code, reason } = (error ?? {}) as { code?: number; reason?: string };
            received.fail([{ message: `socket closed ${code ?? ''} ${reason ?? String(error)}`, extensions: { closeCode: code } }]);
          }
        },
        complete: () => received.complete(),
      },
    );
    this.unsubscribers.push(unsubscribe);
    return received;
  }

  /**
   * Subscribes and waits until the server has registered the subscription (its
   * ferry_live_subscriptions gauge goes up), so that nothing produced afterwards is missed.
   */
  async subscribed<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables?: TVariables,
  ): Promise<Received<TResult>> {
    const before = await openSubscriptions(this.httpUrl);
    const received = this.subscribe(document, variables);
    const deadline = Date.now() + 15000;
    while (received.errors === null && (await openSubscriptions(this.httpUrl)) < before + 1) {
      if (Date.now() > deadline) assert.fail('the server did not register the subscription');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return received;
  }

  async close(): Promise<void> {
    this.unsubscribers.forEach((unsubscribe) => unsubscribe());
    await this.client.dispose();
  }
}

/** Reads a Prometheus gauge or counter of a Ferry server (labels as in the exposition, e.g. `{measure="max"}`). */
export async function metricValue(httpUrl: string, name: string): Promise<number> {
  const text = await (await fetch(httpUrl.replace(/\/graphql$/, '/metrics'))).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

export const openSubscriptions = (httpUrl: string) => metricValue(httpUrl, 'ferry_live_subscriptions');
