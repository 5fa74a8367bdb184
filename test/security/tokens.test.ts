import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiTokensDocument, CreateApiTokenDocument, OnProvisioningEventsDocument, ViewerDocument, type ApiTokensQuery } from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { LiveTestClient } from '../support/live-client';

describe('API tokens: expiry, last use, failed-attempt limits', () => {
  let t: TestFerry;
  let limited: TestFerry;
  let rechecking: TestFerry;
  before(async () => {
    t = await startTestFerry();
    limited = await startTestFerry({ FERRY_AUTH_FAILURES_PER_MINUTE: '3' });
    rechecking = await startTestFerry({ FERRY_SUBSCRIPTION_AUTH_RECHECK_MS: '1000' });
  });
  after(async () => {
    await t?.stop();
    await limited?.stop();
    await rechecking?.stop();
  });

  it('stops accepting a token when it expires, and records when tokens are used', async () => {
    await t.admin.fails('BAD_USER_INPUT', CreateApiTokenDocument, {
      input: { name: 'past', role: 'PLATFORM_ADMIN', expiresAt: new Date(Date.now() - 1000).toISOString() },
    });
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const created = (await t.admin.ok(CreateApiTokenDocument, { input: { name: 'short-lived', role: 'PLATFORM_ADMIN', expiresAt } })).createApiToken;
    assert.equal(created.token.expiresAt, expiresAt);
    const client = t.as(created.secret);
    assert.equal((await client.ok(ViewerDocument)).viewer.tokenId, created.token.id);
    const allTokens: ApiTokensQuery['apiTokens']['nodes'] = [];
    for (let after: string | null | undefined = null; ; ) {
      const page: ApiTokensQuery['apiTokens'] = (await t.admin.ok(ApiTokensDocument, { first: 500, after })).apiTokens;
      allTokens.push(...page.nodes);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    const listed = allTokens.find((token) => token.id === created.token.id)!;
    assert.ok(listed.lastUsedAt, 'last use recorded');
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const refused = await client.request(ViewerDocument);
    assert.equal(refused.status, 401);
    assert.equal(refused.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  });

  it('refuses an address that keeps failing, for a while, with 429 and Retry-After', async () => {
    const wrong = limited.as('ferry_wrong-token-guess-000000000000000000000000000000');
    for (let i = 0; i < 3; i++) assert.equal((await wrong.request(ViewerDocument)).status, 401);
    const response = await fetch(limited.ferry.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${limited.adminToken}` },
      body: JSON.stringify({ query: '{ viewer { role } }' }),
    });
    assert.equal(response.status, 429, 'even a valid token from that address waits');
    assert.ok(Number(response.headers.get('retry-after')) > 0);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    assert.equal(body.errors[0].extensions.code, 'TOO_MANY_REQUESTS');
    // Other Ferry instances (and addresses) are unaffected.
    assert.equal((await t.admin.ok(ViewerDocument)).viewer.role, 'PLATFORM_ADMIN');
  });

  it('closes the subscriptions of a token that expires, saying that it expired', async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const created = (await rechecking.admin.ok(CreateApiTokenDocument, { input: { name: 'short-lived', role: 'PLATFORM_ADMIN', expiresAt } })).createApiToken;
    const socket = new LiveTestClient(rechecking.ferry.url, created.secret);
    try {
      const events = await socket.subscribed(OnProvisioningEventsDocument, {});
      const [closed] = await events.failure(10000);
      assert.ok(Date.now() >= Date.parse(expiresAt), 'closed once the token expired, not before');
      assert.equal(closed.extensions?.closeCode, 4403);
      assert.equal(socket.closed?.reason, 'Forbidden: the API token expired');
    } finally {
      await socket.close();
    }
  });
});
