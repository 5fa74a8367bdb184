import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PeopleDocument } from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization } from '../support/fixtures';

const CREATE = 'mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } changes { seq } } }';

describe('Idempotency-Key on mutations', () => {
  let t: TestFerry;
  const post = async (body: unknown, key?: string) => {
    const response = await fetch(t.ferry.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}`, ...(key !== undefined ? { 'idempotency-key': key } : {}) },
      body: JSON.stringify(body),
    });
    return { status: response.status, replayed: response.headers.get('idempotent-replayed'), text: await response.text() };
  };
  const code = (text: string) => (JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code;
  const count = async (organizationId: string) => (await t.admin.ok(PeopleDocument, { organizationId })).people.totalCount;
  before(async () => {
    t = await startTestFerry();
  });
  after(() => t?.stop());

  it('runs a mutation once per key and replays its response; another request with the key is refused', async () => {
    const organization = await createOrganization(t.admin);
    const create = (given: string) => ({ query: CREATE, variables: { input: { organizationId: organization.id, names: [{ given }] } } });

    const first = await post(create('Ada'), 'create-ada-1');
    assert.equal(first.status, 200, first.text);
    assert.equal(code(first.text), undefined);
    const again = await post(create('Ada'), 'create-ada-1');
    assert.equal(again.status, 200);
    assert.equal(again.text, first.text, 'the same response, byte for byte');
    assert.equal(again.replayed, 'true');
    assert.equal(await count(organization.id), 1, 'one person');

    const other = await post(create('Grace'), 'create-ada-1');
    assert.equal(other.status, 422, other.text);
    assert.equal(code(other.text), 'IDEMPOTENCY_KEY_REUSED');
    assert.equal(await count(organization.id), 1);

    await post(create('Ada'));
    await post(create('Ada'));
    assert.equal(await count(organization.id), 3, 'without a key, every request runs');

    const [a, b] = await Promise.all([post(create('Twice'), 'concurrent'), post(create('Twice'), 'concurrent')]);
    assert.equal(await count(organization.id), 4, 'concurrent duplicates run once');
    for (const response of [a, b]) assert.ok(response.status === 200 || code(response.text) === 'IDEMPOTENCY_KEY_IN_PROGRESS', response.text);
  });

  it('refuses malformed keys, and ignores keys on queries', async () => {
    const organization = await createOrganization(t.admin);
    const create = { query: CREATE, variables: { input: { organizationId: organization.id, names: [{ given: 'Key' }] } } };
    for (const key of ['', 'x'.repeat(201)]) {
      const refused = await post(create, key);
      assert.equal(refused.status, 400, refused.text);
      assert.equal(code(refused.text), 'BAD_REQUEST');
    }
    assert.equal(await count(organization.id), 0);
    const query = { query: '{ viewer { role } }' };
    const one = await post(query, 'query-key');
    const two = await post(query, 'query-key');
    assert.equal(one.status, 200);
    assert.equal(two.replayed, null, 'queries are not replayed');
  });
});
