import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { LiveTestClient } from '../support/live-client';

/** `group(id) { memberships { group { memberships { ... } } } }`, `levels` times down. */
function nested(levels: number): string {
  let inner = 'id';
  for (let i = 0; i < levels; i++) inner = `memberships { group { ${inner} } }`;
  return inner;
}

describe('query limits', () => {
  let t: TestFerry;
  let locked: TestFerry;
  const post = async (target: TestFerry, body: unknown, token: string | null = target.adminToken) => {
    const response = await fetch(target.ferry.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } };
  };
  before(async () => {
    t = await startTestFerry({ FERRY_MAX_QUERY_DEPTH: '8', FERRY_MAX_ALIASES: '5', FERRY_MAX_BODY_BYTES: '20000', FERRY_MAX_QUERY_COST: '300' });
    locked = await startTestFerry({ NODE_ENV: 'production' });
  });
  after(async () => {
    await t?.stop();
    await locked?.stop();
  });

  it('refuses operations that are too deep, too wide, too costly or too large, with clear errors', async () => {
    const id = '00000000-0000-7000-8000-000000000000';
    const shallow = await post(t, { query: `{ group(id: "${id}") { ${nested(2)} } }` });
    assert.equal(shallow.body.errors?.[0]?.extensions?.code, 'NOT_FOUND', 'within the limits: executed (the group does not exist)');

    const deep = await post(t, { query: `{ group(id: "${id}") { ${nested(5)} } }` });
    assert.equal(deep.status, 400);
    assert.equal(deep.body.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
    assert.ok(deep.body.errors!.some((e) => /depth limit of 8 exceeded/i.test(e.message)), JSON.stringify(deep.body.errors));

    const aliases = Array.from({ length: 6 }, (_, i) => `a${i}: viewer { role }`).join(' ');
    const wide = await post(t, { query: `{ ${aliases} }` });
    assert.ok(wide.body.errors?.some((e) => /aliases limit of 5 exceeded/i.test(e.message)), JSON.stringify(wide.body.errors));

    const costly = Array.from({ length: 5 }, (_, i) => `c${i}: group(id: "${id}") { ${nested(3)} }`).join(' ');
    const expensive = await post(t, { query: `{ ${costly} }` });
    assert.ok(expensive.body.errors?.some((e) => /cost limit of 300 exceeded/i.test(e.message)), JSON.stringify(expensive.body.errors));

    const big = await post(t, { query: `{ viewer { role } }`, variables: { padding: 'x'.repeat(30000) } });
    assert.equal(big.status, 413);
    assert.equal(big.body.errors?.[0]?.extensions?.code, 'PAYLOAD_TOO_LARGE');

    const batch = await post(t, [{ query: '{ viewer { role } }' }, { query: '{ viewer { role } }' }]);
    assert.equal(batch.status, 400, 'batched operations are refused');
    assert.match(batch.body.errors?.[0]?.message ?? JSON.stringify(batch.body), /batch/i);

    const broken = await post(t, '{"query": ');
    assert.equal(broken.body.errors?.[0]?.extensions?.code, 'BAD_REQUEST');
  });

  it('applies the same limits to operations over WebSocket', async () => {
    const socket = new LiveTestClient(t.ferry.url, t.adminToken);
    try {
      const received = socket.subscribe({ kind: 'Document', definitions: [] } as never);
      await received.failure().catch(() => undefined);
      const { parse } = await import('graphql');
      const deep = socket.subscribe(parse(`query { group(id: "00000000-0000-7000-8000-000000000000") { ${nested(5)} } }`) as never);
      const errors = await deep.failure();
      assert.ok(errors.every((e) => e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED'));
      assert.ok(errors.some((e) => /depth limit/i.test(e.message)), JSON.stringify(errors));
    } finally {
      await socket.close();
    }
  });

  it('turns introspection, field suggestions and the landing page off in production', async () => {
    const introspection = await post(locked, { query: '{ __schema { queryType { name } } }' });
    assert.equal(introspection.body.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
    const typo = await post(locked, { query: '{ viewr { role } }' });
    assert.doesNotMatch(typo.body.errors?.[0]?.message ?? '', /Did you mean/);
    const page = await (await fetch(locked.ferry.url, { headers: { accept: 'text/html' } })).text();
    assert.doesNotMatch(page, /<html|sandbox|embeddable/i, 'no landing page');
    const devPage = await (await fetch(t.ferry.url, { headers: { accept: 'text/html' } })).text();
    assert.match(devPage, /<html/i, 'outside production the landing page is there (the check above can fail)');
    const open = await post(t, { query: '{ __schema { queryType { name } } }' });
    assert.equal(open.body.errors, undefined, 'outside production introspection stays on');
  });
});
