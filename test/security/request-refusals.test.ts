import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PeopleDocument } from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization } from '../support/fixtures';
import WebSocket from 'ws';

interface Body {
  data?: unknown;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** `{"a":{"a":...}}`, `levels` objects deep, as text (JSON.stringify would recurse as deep). */
function nestedJson(levels: number): string {
  return `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}

/**
 * Requests a client got wrong are refused with HTTP 400 and a stable code, whatever their size or
 * shape: never HTTP 500, never a stack overflow, never text stored differently from what was sent.
 */
describe('refused requests', () => {
  let t: TestFerry;
  const post = async (body: string | Buffer, headers: Record<string, string> = {}) => {
    const response = await fetch(t.ferry.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}`, ...headers },
      body,
    });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) as Body };
  };
  before(async () => {
    t = await startTestFerry();
  });
  after(() => t?.stop());

  it('refuses variables nested thousands of levels deep with 400 BAD_REQUEST', async () => {
    const deep = await post(`{"query":"{ viewer { role } }","variables":{"x":${nestedJson(5000)}}}`);
    assert.equal(deep.status, 400, JSON.stringify(deep.body));
    assert.equal(deep.body.errors?.[0]?.extensions?.code, 'BAD_REQUEST');
    assert.match(deep.body.errors![0].message, /nest/i);

    const ordinary = await post(`{"query":"{ viewer { role } }","variables":{"x":${nestedJson(20)}}}`);
    assert.equal(ordinary.status, 200, 'ordinary nesting passes');
    assert.equal(ordinary.body.errors, undefined);
  });

  it('refuses too many aliases and too many tokens with 400 GRAPHQL_VALIDATION_FAILED', async () => {
    for (const count of [40, 2000]) {
      const query = `{ ${Array.from({ length: count }, (_, i) => `a${i}: viewer { role }`).join(' ')} }`;
      const wide = await post(JSON.stringify({ query }));
      assert.equal(wide.status, 400, JSON.stringify(wide.body).slice(0, 500));
      assert.equal(wide.body.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
    }
    const query = `{ viewer { ${'role '.repeat(20000)} } }`;
    const long = await post(JSON.stringify({ query }));
    assert.equal(long.status, 400, JSON.stringify(long.body).slice(0, 500));
    assert.equal(long.body.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
    assert.match(long.body.errors![0].message, /token limit of 10000 exceeded/i);
  });

  it('applies the same refusals over WebSocket', async () => {
    // A raw graphql-ws conversation: a client library would have to JSON.stringify the deep
    // variables, which itself overflows the stack.
    const socket = new WebSocket(t.ferry.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const messages: { id?: string; type: string; payload?: unknown }[] = [];
    let closed: number | null = null;
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    socket.on('close', (code) => (closed = code));
    const waitFor = async (type: string, id?: string) => {
      const deadline = Date.now() + 10000;
      for (;;) {
        const found = messages.find((m) => m.type === type && (id === undefined || m.id === id));
        if (found) return found;
        assert.ok(Date.now() < deadline && closed === null, `no ${type} message (closed: ${closed}); got ${JSON.stringify(messages).slice(0, 500)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    try {
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${t.adminToken}` } }));
      await waitFor('connection_ack');

      socket.send(`{"id":"deep","type":"subscribe","payload":{"query":"{ viewer { role } }","variables":{"x":${nestedJson(5000)}}}}`);
      const deep = (await waitFor('error', 'deep')).payload as Body['errors'];
      assert.equal(deep?.[0]?.extensions?.code, 'BAD_REQUEST', JSON.stringify(deep));

      socket.send(JSON.stringify({ id: 'long', type: 'subscribe', payload: { query: `{ viewer { ${'role '.repeat(20000)} } }` } }));
      const long = (await waitFor('error', 'long')).payload as Body['errors'];
      assert.equal(long?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED', JSON.stringify(long));
      assert.match(long![0].message, /token limit of 10000 exceeded/i);

      socket.send(JSON.stringify({ id: 'fine', type: 'subscribe', payload: { query: '{ viewer { role } }', variables: { x: JSON.parse(nestedJson(20)) } } }));
      await waitFor('complete', 'fine');
      assert.equal(closed, null, 'the socket stays open');
    } finally {
      socket.close();
    }
  });

  it('refuses a body that is not valid UTF-8 with 400 BAD_REQUEST, and stores nothing', async () => {
    const organization = await createOrganization(t.admin);
    const query = 'mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }';
    const [before, after] = JSON.stringify({ query, variables: { input: { organizationId: organization.id, names: [{ given: 'bad@@@(' }] } } }).split('@@@');
    const body = Buffer.concat([Buffer.from(before), Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from(after)]);
    const refused = await post(body);
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.errors?.[0]?.extensions?.code, 'BAD_REQUEST');
    assert.match(refused.body.errors![0].message, /UTF-8/);

    const people = await t.admin.ok(PeopleDocument, { organizationId: organization.id });
    assert.equal(people.people.totalCount, 0, 'nothing was stored');

    const valid = await post(Buffer.from(JSON.stringify({ query, variables: { input: { organizationId: organization.id, names: [{ given: 'Zoë 🙂' }] } } })));
    assert.equal(valid.status, 200, JSON.stringify(valid.body));
    assert.equal(valid.body.errors, undefined);
  });
});
