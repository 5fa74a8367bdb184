import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestFerry, type TestFerry } from '../support/ferry';

const ROOT = path.resolve(__dirname, '../../..');
const SUBSCRIPTION = 'subscription { provisioningEvents { seq } }';

interface CloseLike {
  code: number;
  reason: string;
}

/** The README's client set-up (section "Refused connections"), run as it is written. */
async function readmeClient(url: string, token: string): Promise<{ client: Client; logged: string[] }> {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('#### Refused connections: stop retrying'));
  const block = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'the section has a JavaScript block');
  const imports = ["import { createClient } from 'graphql-ws';\n", "import WebSocket from 'ws'; // Node 20 has no WebSocket of its own (Node 22+ and browsers do)\n"];
  for (const line of imports) assert.ok(block.includes(line), `the example imports as tested: ${line}`);
  assert.ok(block.includes("url: 'ws://localhost:4000/graphql'"));
  const body = imports.reduce((code, line) => code.replace(line, ''), block).replace("'ws://localhost:4000/graphql'", JSON.stringify(url));
  const logged: string[] = [];
  const console = { error: (message: string) => logged.push(message) };
  const run = new Function('createClient', 'WebSocket', 'token', 'console', `${body}\nreturn client;`) as (
    create: typeof createClient,
    impl: typeof WebSocket,
    token: string,
    log: typeof console,
  ) => Client;
  return { client: run(createClient, WebSocket, token, console), logged };
}

/** Subscribes and waits for the subscription's end: the close event its error sink got (or a timeout). */
async function firstOutcome(client: Client, timeoutMs: number): Promise<CloseLike | 'timeout' | 'no error'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), timeoutMs);
    client.subscribe(
      { query: SUBSCRIPTION },
      {
        next: () => undefined,
        error: (error) => {
          clearTimeout(timer);
          const { code, reason } = error as CloseLike;
          resolve({ code, reason: String(reason) });
        },
        complete: () => {
          clearTimeout(timer);
          resolve('no error');
        },
      },
    );
  });
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('refused WebSocket connections: a close code and reason the stock graphql-ws client shows', () => {
  let t: TestFerry;
  let limited: TestFerry;
  const clients: Client[] = [];
  const wsUrl = (target: TestFerry) => target.ferry.url.replace(/^http/, 'ws');
  const counted = (client: Client) => {
    const attempts = { connecting: 0, closed: [] as CloseLike[] };
    client.on('connecting', () => attempts.connecting++);
    client.on('closed', (event) => attempts.closed.push({ code: (event as CloseLike).code, reason: String((event as CloseLike).reason) }));
    clients.push(client);
    return attempts;
  };
  const plainClient = (target: TestFerry, options: Partial<ClientOptions>) =>
    createClient({ url: wsUrl(target), webSocketImpl: WebSocket, ...options });

  before(async () => {
    t = await startTestFerry();
    limited = await startTestFerry({ FERRY_AUTH_FAILURES_PER_MINUTE: '2' });
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await t?.stop();
    await limited?.stop();
  });

  it("stops at once on a wrong token with the README's shouldRetry, and surfaces the reason", async () => {
    const { client, logged } = await readmeClient(wsUrl(t), 'ferry_not-a-token');
    const attempts = counted(client);
    const outcome = await firstOutcome(client, 10000);
    assert.deepEqual(outcome, { code: 4403, reason: 'Forbidden: the API token is invalid, revoked or expired' }, 'the error sink has the close event');
    assert.deepEqual(attempts.closed, [outcome], 'on.closed saw it too');
    assert.deepEqual(logged, ['Ferry refused the connection (4403): Forbidden: the API token is invalid, revoked or expired']);
    // The stock client's first retry comes 1.3 to 4 s after a close.
    await wait(4500);
    assert.equal(attempts.connecting, 1, 'one connection attempt, no retry');

    // The same set-up with a good token connects and subscribes.
    const good = await readmeClient(wsUrl(t), t.adminToken);
    clients.push(good.client);
    const connected = new Promise<void>((resolve) => good.client.on('connected', () => resolve()));
    const subscription = firstOutcome(good.client, 1500);
    await connected;
    assert.equal(await subscription, 'timeout', 'subscribed: no error, waiting for events');
    assert.deepEqual(good.logged, []);
  });

  it('without shouldRetry the stock client connects again before its subscription hears the reason', async () => {
    const client = plainClient(t, { connectionParams: { authorization: 'Bearer ferry_not-a-token' }, retryAttempts: 1, retryWait: async () => undefined });
    const attempts = counted(client);
    const outcome = await firstOutcome(client, 10000);
    assert.deepEqual(outcome, { code: 4403, reason: 'Forbidden: the API token is invalid, revoked or expired' });
    assert.equal(attempts.connecting, 2, 'the stock client retried');
  });

  it('names a missing token, and too many failed attempts (4429), apart from a wrong token', async () => {
    const missing = plainClient(t, { connectionParams: {}, retryAttempts: 0 });
    counted(missing);
    assert.deepEqual(await firstOutcome(missing, 10000), {
      code: 4403,
      reason: 'Forbidden: no API token; send connectionParams { authorization: "Bearer <token>" }',
    });

    // FERRY_AUTH_FAILURES_PER_MINUTE=2: two wrong tokens, then the address is refused as such.
    for (let i = 0; i < 2; i++) {
      const wrong = plainClient(limited, { connectionParams: { token: 'ferry_wrong' }, retryAttempts: 0 });
      counted(wrong);
      assert.equal(((await firstOutcome(wrong, 10000)) as CloseLike).code, 4403);
    }
    const { client, logged } = await readmeClient(wsUrl(limited), limited.adminToken);
    const attempts = counted(client);
    const outcome = (await firstOutcome(client, 10000)) as CloseLike;
    assert.equal(outcome.code, 4429, JSON.stringify(outcome));
    assert.match(outcome.reason, /^Too many failed authentication attempts from this address; try again in \d+ s$/);
    assert.match(logged[0] ?? '', /Ferry refused the connection \(4429\): Too many failed/);
    assert.equal(attempts.connecting, 1, 'not retried either');
  });
});
