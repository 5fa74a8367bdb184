import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import {
  CreatePersonWithOutcomesDocument,
  CreateProvisioningTargetDocument,
  ProvisioningEventsDocument,
  ProvisioningTargetDocument,
  ProvisioningTargetsDocument,
  UpdateProvisioningTargetDocument,
} from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { clientWithRole, createOrganization, uniqueName } from '../support/fixtures';

const SECRET = 'a-shared-secret-of-32-characters!';
const INTERNAL_SECRET = 'INTERNAL-ONLY-SECRET';

/** A real HTTP server on loopback that records every request and answers as told. */
async function startInternalServer(host = '127.0.0.1') {
  const requests: { method: string; path: string }[] = [];
  let respond: (request: http.IncomingMessage, response: http.ServerResponse) => void = (_request, response) =>
    response.writeHead(404, { 'content-type': 'text/plain' }).end(`${INTERNAL_SECRET}: database password is hunter2`);
  const server = http.createServer((request, response) => {
    requests.push({ method: request.method!, path: request.url! });
    request.resume();
    request.on('end', () => respond(request, response));
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    requests,
    set respond(handler: typeof respond) {
      respond = handler;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type InternalServer = Awaited<ReturnType<typeof startInternalServer>>;

async function ipv6LoopbackServer(): Promise<InternalServer | null> {
  try {
    return await startInternalServer('::1');
  } catch {
    return null; // no IPv6 on this machine
  }
}

function configFor(plugin: string, url: string): Record<string, unknown> {
  if (plugin === 'webhook') return { url: `${url}/hook`, secret: SECRET, timeoutMs: 2000 };
  if (plugin === 'scim') return { baseUrl: `${url}/scim/v2`, bearerToken: 'token', timeoutMs: 2000 };
  return { url: url.replace(/^http:/, 'ldap:'), bindDn: 'cn=admin,dc=x', bindPassword: 'secret', peopleBaseDn: 'ou=people,dc=x', timeoutMs: 2000 };
}

async function eventErrors(client: TestFerry['admin'], organizationId: string, subjectId: string) {
  const events = (await client.ok(ProvisioningEventsDocument, { organizationId, subjectId, first: 500 })).provisioningEvents.nodes;
  return events.filter((event) => event.subjectType === 'PERSON');
}

describe('targets may not reach internal addresses by default', () => {
  let t: TestFerry;
  let server: InternalServer;
  let server6: InternalServer | null;
  before(async () => {
    // The harness allows loopback for the other tests; here the default applies.
    t = await startTestFerry({ FERRY_TARGET_ALLOWED_NETWORKS: '' });
    server = await startInternalServer();
    server6 = await ipv6LoopbackServer();
  });
  after(async () => {
    await server?.close();
    await server6?.close();
    await t?.stop();
  });

  it('refuses to save webhook, SCIM and LDAP targets whose host is or resolves to an internal address, changing nothing', async () => {
    const organization = await createOrganization(t.admin);
    const hosts = [
      `http://127.0.0.1:${server.port}`,
      `http://localhost:${server.port}`,
      `http://0.0.0.0:${server.port}`,
      `http://2130706433:${server.port}`,
      `http://0x7f.1:${server.port}`,
      `http://017700000001:${server.port}`,
      `http://[::1]:${server.port}`,
      `http://[::ffff:127.0.0.1]:${server.port}`,
      `http://169.254.169.254`,
      `http://10.1.2.3:8080`,
    ];
    for (const plugin of ['webhook', 'scim', 'ldap']) {
      for (const host of hosts) {
        const error = await t.admin.fails('BAD_USER_INPUT', CreateProvisioningTargetDocument, {
          input: { organizationId: organization.id, name: uniqueName(plugin), plugin, config: configFor(plugin, host) },
        });
        assert.equal(error.extensions?.reason, 'INTERNAL_ADDRESS', `${plugin} ${host}: ${JSON.stringify(error)}`);
        assert.match(error.message, /FERRY_TARGET_ALLOWED_NETWORKS/);
        assert.match(String(error.extensions?.field), /^config\.(url|baseUrl)$/);
      }
    }
    const targets = (await t.admin.ok(ProvisioningTargetsDocument, { organizationId: organization.id })).provisioningTargets.nodes;
    assert.deepEqual(targets, [], 'nothing was saved');

    // An update to an internal URL is refused and leaves the stored configuration as it was.
    const saved = (
      await t.admin.ok(CreateProvisioningTargetDocument, {
        input: { organizationId: organization.id, name: 'public hook', plugin: 'webhook', config: { url: 'https://hooks.example.invalid/ferry', secret: SECRET } },
      })
    ).createProvisioningTarget.target;
    const update = await t.admin.fails('BAD_USER_INPUT', UpdateProvisioningTargetDocument, {
      id: saved.id,
      input: { config: { url: `http://localhost:${server.port}/hook` } },
    });
    assert.equal(update.extensions?.reason, 'INTERNAL_ADDRESS');
    const stored = (await t.admin.ok(ProvisioningTargetDocument, { id: saved.id })).provisioningTarget;
    assert.equal((stored!.config as { url: string }).url, 'https://hooks.example.invalid/ferry');
    assert.equal(server.requests.length, 0, 'the internal server was never called');
  });

  it('refuses at connect time a stored target whose host resolves inward, and the internal server gets no request', async () => {
    const organization = await createOrganization(t.admin);
    const reader = (await clientWithRole(t, 'ORG_READER', organization.id)).client;
    // Saved while its name pointed outwards; by the time Ferry sends, it points at loopback (the
    // stored row is changed directly, as a DNS change or a since-narrowed setting would have it).
    const targets: string[] = [];
    for (const [plugin, host] of [
      ['webhook', `http://localhost:${server.port}`],
      ['scim', `http://localhost:${server.port}`],
      ['webhook', `http://2130706433:${server.port}`],
      ...(server6 ? [['scim', `http://[::1]:${server6.port}`]] : []),
    ]) {
      const target = (
        await t.admin.ok(CreateProvisioningTargetDocument, {
          input: { organizationId: organization.id, name: uniqueName(plugin), plugin, config: configFor(plugin, 'https://target.example.invalid') },
        })
      ).createProvisioningTarget.target;
      targets.push(target.id);
      const inward = configFor(plugin, host);
      const db = new pg.Client({ connectionString: t.databaseUrl });
      await db.connect();
      try {
        const field = plugin === 'webhook' ? 'url' : 'baseUrl';
        await db.query(`update provisioning_target set config = jsonb_set(config, $2, to_jsonb($3::text)) where id = $1`, [target.id, `{${field}}`, inward[field]]);
      } finally {
        await db.end();
      }
    }
    // An LDAP target too: a raw TCP server counts the connections that reach it.
    let ldapConnections = 0;
    const ldapServer = net.createServer((socket) => {
      ldapConnections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => ldapServer.listen(0, '127.0.0.1', resolve));
    let events: Awaited<ReturnType<typeof eventErrors>>;
    try {
      const ldap = (
        await t.admin.ok(CreateProvisioningTargetDocument, {
          input: { organizationId: organization.id, name: uniqueName('ldap'), plugin: 'ldap', config: configFor('ldap', 'http://directory.example.invalid') },
        })
      ).createProvisioningTarget.target;
      targets.push(ldap.id);
      const db = new pg.Client({ connectionString: t.databaseUrl });
      await db.connect();
      try {
        const url = `ldap://localhost:${(ldapServer.address() as AddressInfo).port}`;
        await db.query(`update provisioning_target set config = jsonb_set(config, '{url}', to_jsonb($2::text)) where id = $1`, [ldap.id, url]);
      } finally {
        await db.end();
      }
      const saved = await t.admin.ok(CreatePersonWithOutcomesDocument, {
        input: { organizationId: organization.id, names: [{ given: 'Ada', family: 'Lovelace' }], identifiers: [{ type: 'uid', value: uniqueName('ada') }] },
      });
      events = await eventErrors(reader, organization.id, saved.createPerson.person.id);
      assert.equal(ldapConnections, 0, 'the LDAP connection was refused before it was made');
    } finally {
      ldapServer.close();
    }
    assert.equal(events.length, targets.length, JSON.stringify(events));
    for (const event of events) {
      assert.equal(event.outcome, 'FAILED', JSON.stringify(event));
      assert.equal(event.retryable, false, 'a refused address is a permanent failure');
      assert.match(event.error ?? '', /is a (loopback|unspecified) address; .*FERRY_TARGET_ALLOWED_NETWORKS/);
    }
    assert.equal(server.requests.length, 0, `the internal server got ${JSON.stringify(server.requests)}`);
    assert.equal(server6?.requests.length ?? 0, 0);
  });
});

describe('what a failed call to a target shows', () => {
  let t: TestFerry;
  let server: InternalServer;
  before(async () => {
    // The harness default: loopback allowed, as for a receiver on the same host.
    t = await startTestFerry();
    server = await startInternalServer();
  });
  after(async () => {
    await server?.close();
    await t?.stop();
  });

  async function failedEvents(plugin: string, path = '') {
    const organization = await createOrganization(t.admin);
    const reader = (await clientWithRole(t, 'ORG_READER', organization.id)).client;
    await t.admin.ok(CreateProvisioningTargetDocument, {
      input: { organizationId: organization.id, name: uniqueName(plugin), plugin, config: configFor(plugin, `http://127.0.0.1:${server.port}${path}`) },
    });
    const saved = await t.admin.ok(CreatePersonWithOutcomesDocument, {
      input: { organizationId: organization.id, names: [{ given: 'Ada', family: 'Lovelace' }], identifiers: [{ type: 'uid', value: uniqueName('ada') }] },
    });
    const events = await eventErrors(reader, organization.id, saved.createPerson.person.id);
    assert.equal(events.length, 1, JSON.stringify(events));
    assert.equal(events[0].outcome, 'FAILED', JSON.stringify(events[0]));
    return events[0];
  }

  it('a webhook receiver answering with an internal page: the reader sees the status line, not the body', async () => {
    server.respond = (_request, response) => response.writeHead(404, { 'content-type': 'text/plain' }).end(`${INTERNAL_SECRET}: database password is hunter2`);
    const text = await failedEvents('webhook');
    assert.match(text.error ?? '', /HTTP 404 Not Found$/);
    assert.doesNotMatch(JSON.stringify(text), /INTERNAL-ONLY-SECRET|hunter2/);

    server.respond = (_request, response) =>
      response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `${INTERNAL_SECRET} in a JSON message` } }));
    const json = await failedEvents('webhook');
    assert.match(json.error ?? '', /HTTP 400 Bad Request$/);
    assert.doesNotMatch(JSON.stringify(json), /INTERNAL-ONLY-SECRET/);
  });

  it('a SCIM server: only the status line and a SCIM error\'s detail, cut to 200 characters', async () => {
    server.respond = (_request, response) => response.writeHead(404, { 'content-type': 'text/html' }).end(`<h1>${INTERNAL_SECRET}</h1>`);
    const html = await failedEvents('scim');
    assert.match(html.error ?? '', /answered HTTP 404 Not Found$/);
    assert.doesNotMatch(JSON.stringify(html), /INTERNAL-ONLY-SECRET/);

    server.respond = (_request, response) =>
      response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: INTERNAL_SECRET, message: INTERNAL_SECRET }));
    const notScim = await failedEvents('scim');
    assert.doesNotMatch(JSON.stringify(notScim), /INTERNAL-ONLY-SECRET/, 'a JSON body that is not a SCIM error is left out');

    const long = `the value is not valid ${'x'.repeat(500)}`;
    server.respond = (_request, response) =>
      response
        .writeHead(400, { 'content-type': 'application/scim+json' })
        .end(JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '400', scimType: 'invalidValue', detail: long }));
    const scim = await failedEvents('scim');
    const detail = /\(invalidValue: (.*)\)$/.exec(scim.error ?? '')?.[1];
    assert.ok(detail, scim.error ?? '');
    assert.ok(detail.startsWith('the value is not valid xxx'));
    assert.ok(detail.length <= 200, `a detail of ${detail.length} characters`);
    assert.match(scim.error ?? '', /answered HTTP 400 Bad Request \(invalidValue: /);
  });

  it('redirects are not followed: a permanent failure with the status line', async () => {
    for (const plugin of ['webhook', 'scim']) {
      server.requests.splice(0);
      server.respond = (request, response) =>
        request.url!.startsWith('/elsewhere') ? response.writeHead(200).end('{}') : response.writeHead(302, { location: '/elsewhere' }).end(INTERNAL_SECRET);
      const event = await failedEvents(plugin);
      assert.equal(event.retryable, false);
      assert.match(event.error ?? '', /HTTP 302 Found.*Ferry does not follow redirects/);
      assert.doesNotMatch(JSON.stringify(event), /INTERNAL-ONLY-SECRET/);
      assert.deepEqual(server.requests.filter((request) => request.path.startsWith('/elsewhere')), [], `${plugin} followed the redirect`);
    }
  });
});
