import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { freePort } from '../../src/db/scratch-database';
import { createLogger } from '../../src/observability/logger';
import { OutboundPolicy } from '../../src/security/outbound-addresses';
import { PermanentProvisioningError, TransientProvisioningError, type ProvisionResult, type TargetContext } from '../../src/plugins/plugin';
import { SubjectType } from '../../src/provisioning/actions';
import type { GroupPayload, PersonPayload, SubjectPayload } from '../../src/provisioning/payload';
import { PersonStatus } from '../../src/registry/enums';
import {
  verifyWebhookSignature,
  WEBHOOK_DOCUMENT_VERSION,
  webhookPlugin,
  type WebhookConfig,
  type WebhookDocument,
} from '../../src/plugins/webhook';
import { group, memberOf, MemoryRemoteIds, name, ORGANIZATION_ID, person, ProvisioningAction, role, skeleton, unique } from './ldap-fixtures';

const A = ProvisioningAction;
const SECRET = 'whsec-0123456789abcdef0123456789abcdef';
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const LOOPBACK_POLICY = new OutboundPolicy('127.0.0.0/8,::1/128');

interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, as a receiver must verify it. */
  body: string;
  document: WebhookDocument;
}

type Responder = (request: ReceivedRequest, response: ServerResponse) => void;

/** A real HTTP receiver on loopback that keeps every request it got. */
class Receiver {
  readonly received: ReceivedRequest[] = [];
  respond: Responder = (_request, response) => response.writeHead(204).end();
  private server!: Server;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, document: JSON.parse(body) };
        this.received.push(request);
        this.respond(request, res);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  url(path = '/hooks/ferry'): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  last(): ReceivedRequest {
    const request = this.received.at(-1);
    assert.ok(request, 'the receiver got no request');
    return request;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function respondJson(status: number, body: unknown, headers: Record<string, string> = {}): Responder {
  return (_request, response) => response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** A target as the engine drives it: the stored remote id goes in, the result's is stored. */
function webhookTarget(config: Record<string, unknown>) {
  const state = new MemoryRemoteIds();
  const ctx: TargetContext<WebhookConfig> = {
    targetId: randomUUID(),
    targetName: 'crm hook',
    organizationId: ORGANIZATION_ID,
    config: webhookPlugin.configSchema.parse({ secret: SECRET, ...config }),
    remoteIds: state,
    logger,
    // The test servers listen on loopback.
    outbound: LOOPBACK_POLICY,
  };
  const typeOf = (subject: SubjectPayload) => subject.subjectType as SubjectType;
  return {
    ctx,
    async provision(action: ProvisioningAction, subject: SubjectPayload): Promise<ProvisionResult> {
      const remoteId = await state.get(typeOf(subject), subject.id);
      const result = await webhookPlugin.provision(ctx, { action, subject, remoteId });
      state.set(typeOf(subject), subject.id, result.remoteId);
      return result;
    },
    remoteId: (subject: SubjectPayload) => state.get(typeOf(subject), subject.id),
  };
}

/** The payload as it looks after a trip through JSON (dates become ISO strings). */
const asJson = (value: unknown) => JSON.parse(JSON.stringify(value));

async function rejection<T extends Error>(promise: Promise<unknown>, type: new (...args: any[]) => T): Promise<T> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof type, `expected ${type.name}, got ${error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error)}`);
    return error;
  }
  assert.fail(`expected ${type.name}, but provisioning succeeded`);
}

describe('webhook provisioner against a real HTTP receiver', () => {
  const receiver = new Receiver();

  before(() => receiver.start());
  after(() => receiver.stop());
  beforeEach(() => {
    receiver.received.length = 0;
    receiver.respond = (_request, response) => response.writeHead(204).end();
  });

  describe('documents and headers', () => {
    it('posts a signed, versioned document for a person added, updated and deleted', async () => {
      const target = webhookTarget({ url: receiver.url('/hooks/ferry?tenant=acme') });
      const ada = person(unique('ada'), {
        roles: [role({ title: 'Engineer', validFrom: new Date('2024-01-01T00:00:00Z'), validThrough: new Date('2030-06-30T00:00:00Z') })],
      });

      const added = await target.provision(A.PERSON_ADDED, ada);
      const add = receiver.last();
      assert.equal(add.method, 'POST');
      assert.equal(add.path, '/hooks/ferry?tenant=acme');
      assert.match(String(add.headers['content-type']), /^application\/json/);
      assert.equal(add.headers['ferry-delivery'], add.document.deliveryId);
      assert.equal(add.headers['ferry-action'], 'PERSON_ADDED');
      assert.match(String(add.headers['ferry-signature']), /^t=\d+,v1=[0-9a-f]{64}$/);
      assert.deepEqual(verifyWebhookSignature({ body: add.body, signature: add.headers['ferry-signature'], secret: SECRET }).valid, true);

      const { deliveryId, sentAt, ...rest } = add.document;
      assert.match(deliveryId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.ok(Math.abs(Date.parse(sentAt) - Date.now()) < 5000, `sentAt ${sentAt} is not now`);
      assert.deepEqual(rest, {
        version: WEBHOOK_DOCUMENT_VERSION,
        action: 'PERSON_ADDED',
        deprovision: false,
        organizationId: ORGANIZATION_ID,
        target: { id: target.ctx.targetId, name: 'crm hook' },
        subject: { type: 'PERSON', id: ada.id, remoteId: null },
        payload: asJson(ada),
      });
      assert.equal(add.document.payload.subjectType === 'PERSON' && add.document.payload.roles[0].validThrough, '2030-06-30T00:00:00.000Z');
      // The receiver returned no body: Ferry identifies the subject by its own id.
      assert.equal(added.remoteId, ada.id);

      const renamed: PersonPayload = { ...ada, primaryName: name('Ada', 'King'), names: [name('Ada', 'King')] };
      await target.provision(A.PERSON_UPDATED, renamed);
      const update = receiver.last();
      assert.equal(update.document.action, 'PERSON_UPDATED');
      assert.notEqual(update.document.deliveryId, deliveryId, 'every delivery has its own id');
      assert.deepEqual(update.document.subject, { type: 'PERSON', id: ada.id, remoteId: ada.id });
      assert.deepEqual(update.document.payload, asJson(renamed));

      const deleted = await target.provision(A.PERSON_DELETED, { ...renamed, status: PersonStatus.DELETED });
      const remove = receiver.last();
      assert.equal(remove.document.action, 'PERSON_DELETED');
      assert.equal(remove.document.deprovision, true);
      assert.equal(remove.headers['ferry-action'], 'PERSON_DELETED');
      assert.equal(remove.document.payload.subjectType === 'PERSON' && remove.document.payload.status, 'DELETED');
      assert.equal(deleted.remoteId, null);
      assert.equal(await target.remoteId(ada), null);
      assert.equal(receiver.received.length, 3);
    });

    it('keeps the remote id a receiver returns and sends it back with later deliveries', async () => {
      const target = webhookTarget({ url: receiver.url() });
      const grace = person(unique('grace'));
      receiver.respond = respondJson(201, { remoteId: 'crm-4711' });

      const added = await target.provision(A.PERSON_ADDED, grace);
      assert.equal(added.remoteId, 'crm-4711');
      assert.match(added.detail, /HTTP 201 Created, remote id crm-4711/);

      receiver.respond = respondJson(200, { ok: true });
      const updated = await target.provision(A.PERSON_UPDATED, grace);
      assert.equal(receiver.last().document.subject.remoteId, 'crm-4711');
      // No remoteId in this answer: the subject id stands in.
      assert.equal(updated.remoteId, grace.id);
    });

    it('sends a person whose status is no longer provisionable as a deprovision', async () => {
      const target = webhookTarget({ url: receiver.url() });
      const linus = person(unique('linus'));
      await target.provision(A.PERSON_ADDED, linus);

      const result = await target.provision(A.PERSON_UPDATED, skeleton(linus, PersonStatus.PENDING));
      const sent = receiver.last().document;
      assert.equal(sent.deprovision, true);
      assert.equal(sent.payload.subjectType === 'PERSON' && sent.payload.skeleton, true);
      assert.equal(sent.payload.subjectType === 'PERSON' && sent.payload.status, 'PENDING');
      assert.equal(result.remoteId, null);
    });

    it('posts group documents with their members for added, updated and deleted groups', async () => {
      const target = webhookTarget({ url: receiver.url() });
      const ada = person(unique('ada'));
      const grace = person(unique('grace'));
      const staff = group('research:physics:staff', memberOf([ada]), {
        identifiers: [{ type: 'gidnumber', value: '5001', login: false }],
      });

      const added = await target.provision(A.GROUP_ADDED, staff);
      let sent = receiver.last().document;
      assert.equal(sent.action, 'GROUP_ADDED');
      assert.equal(sent.deprovision, false);
      assert.deepEqual(sent.subject, { type: 'GROUP', id: staff.id, remoteId: null });
      assert.deepEqual(sent.payload, asJson(staff));
      assert.equal(added.remoteId, staff.id);

      const grown: GroupPayload = { ...staff, members: [...memberOf([ada]), ...memberOf([grace], { owner: true, member: false })] };
      await target.provision(A.GROUP_UPDATED, grown);
      sent = receiver.last().document;
      assert.equal(sent.action, 'GROUP_UPDATED');
      assert.deepEqual(sent.subject.remoteId, staff.id);
      assert.deepEqual(
        sent.payload.subjectType === 'GROUP' && sent.payload.members.map((m) => [m.personId, m.member, m.owner]),
        [
          [ada.id, true, false],
          [grace.id, false, true],
        ],
      );

      const deleted = await target.provision(A.GROUP_DELETED, grown);
      sent = receiver.last().document;
      assert.equal(sent.action, 'GROUP_DELETED');
      assert.equal(sent.deprovision, true);
      assert.equal(sent.payload.subjectType === 'GROUP' && sent.payload.name, 'research:physics:staff');
      assert.equal(deleted.remoteId, null);
      assert.deepEqual(
        receiver.received.map((request) => request.headers['ferry-action']),
        ['GROUP_ADDED', 'GROUP_UPDATED', 'GROUP_DELETED'],
      );
    });

    it('sends the configured static headers and the secret Authorization header', async () => {
      const target = webhookTarget({ url: receiver.url(), headers: { 'X-Tenant': 'acme' }, authorization: 'Bearer gateway-token' });
      await target.provision(A.PERSON_ADDED, person(unique('ada')));
      const { headers } = receiver.last();
      assert.equal(headers['x-tenant'], 'acme');
      assert.equal(headers.authorization, 'Bearer gateway-token');
    });
  });

  describe('signature', () => {
    async function oneDelivery(): Promise<ReceivedRequest> {
      const target = webhookTarget({ url: receiver.url() });
      await target.provision(A.PERSON_ADDED, person(unique('ada')));
      return receiver.last();
    }
    const timestampOf = (header: unknown) => Number(/t=(\d+)/.exec(String(header))?.[1]);

    it('verifies with the shared secret within the tolerance, and with a rotated secret list', async () => {
      const { body, headers } = await oneDelivery();
      const signature = headers['ferry-signature'];
      const sentAt = timestampOf(signature);
      assert.ok(Math.abs(sentAt - Date.now() / 1000) < 5);
      assert.deepEqual(verifyWebhookSignature({ body, signature, secret: SECRET }), { valid: true, timestamp: sentAt });
      assert.equal(verifyWebhookSignature({ body: Buffer.from(body), signature, secret: SECRET }).valid, true);
      const almostTooLate = new Date((sentAt + 299) * 1000);
      assert.equal(verifyWebhookSignature({ body, signature, secret: SECRET, now: almostTooLate }).valid, true);
      assert.equal(verifyWebhookSignature({ body, signature, secret: ['new-secret-not-yet-used-by-ferry', SECRET] }).valid, true);
    });

    it('fails when the body, the timestamp or the secret is not the one signed, or the request is too old', async () => {
      const { body, headers } = await oneDelivery();
      const signature = String(headers['ferry-signature']);
      const sentAt = timestampOf(signature);

      const tamperedBody = body.replace('"PERSON_ADDED"', '"PERSON_DELETED"');
      assert.notEqual(tamperedBody, body);
      const bodyCheck = verifyWebhookSignature({ body: tamperedBody, signature, secret: SECRET });
      assert.deepEqual(bodyCheck, { valid: false, reason: 'signature does not match the body and timestamp' });

      const movedForward = signature.replace(`t=${sentAt}`, `t=${sentAt + 60}`);
      assert.equal(verifyWebhookSignature({ body, signature: movedForward, secret: SECRET }).valid, false);

      assert.equal(verifyWebhookSignature({ body, signature, secret: 'another-secret-of-some-length' }).valid, false);

      const tooLate = verifyWebhookSignature({ body, signature, secret: SECRET, now: new Date((sentAt + 301) * 1000) });
      assert.equal(tooLate.valid, false);
      assert.match(!tooLate.valid ? tooLate.reason : '', /outside the tolerance of 300 s/);
      const tooEarly = verifyWebhookSignature({ body, signature, secret: SECRET, now: new Date((sentAt - 301) * 1000) });
      assert.equal(tooEarly.valid, false);
      const strict = verifyWebhookSignature({ body, signature, secret: SECRET, toleranceSeconds: 10, now: new Date((sentAt + 11) * 1000) });
      assert.equal(strict.valid, false);

      assert.deepEqual(verifyWebhookSignature({ body, signature: undefined, secret: SECRET }), { valid: false, reason: 'missing Ferry-Signature header' });
      assert.equal(verifyWebhookSignature({ body, signature: `t=${sentAt}`, secret: SECRET }).valid, false);
    });
  });

  describe('failures', () => {
    it('reports a receiver that does not answer within timeoutMs as transient', async () => {
      const target = webhookTarget({ url: receiver.url(), timeoutMs: 300 });
      receiver.respond = () => {
        /* holds the request open */
      };
      const started = Date.now();
      const error = await rejection(target.provision(A.PERSON_ADDED, person(unique('ada'))), TransientProvisioningError);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 250 && elapsed < 3000, `gave up after ${elapsed} ms`);
      assert.match(error.message, /timed out .*within 300 ms/);
      assert.equal(receiver.received.length, 1, 'the request reached the receiver');
    });

    it('reports 500 as transient', async () => {
      const target = webhookTarget({ url: receiver.url() });
      receiver.respond = (_request, response) => response.writeHead(500).end('database is down');
      const ada = person(unique('ada'));
      const error = await rejection(target.provision(A.PERSON_ADDED, ada), TransientProvisioningError);
      // The status line only: a receiver's body is not shown to readers of provisioning events.
      assert.match(error.message, /HTTP 500 Internal Server Error$/);
      assert.doesNotMatch(error.message, /database is down/);
      assert.match(error.message, new RegExp(`PERSON_ADDED of person ${ada.id}`));
      assert.equal(error.retryAfterMs, null);
    });

    it('reports 429 with Retry-After as transient with retryAfterMs', async () => {
      const target = webhookTarget({ url: receiver.url() });
      receiver.respond = respondJson(429, { message: 'slow down' }, { 'retry-after': '120' });
      const error = await rejection(target.provision(A.PERSON_ADDED, person(unique('ada'))), TransientProvisioningError);
      assert.equal(error.retryAfterMs, 120_000);
      assert.match(error.message, /HTTP 429 Too Many Requests$/);
      assert.doesNotMatch(error.message, /slow down/);
    });

    it('takes a Retry-After date on 503', async () => {
      const target = webhookTarget({ url: receiver.url() });
      const retryAt = new Date(Date.now() + 90_000).toUTCString();
      receiver.respond = (_request, response) => response.writeHead(503, { 'retry-after': retryAt }).end();
      const error = await rejection(target.provision(A.PERSON_ADDED, person(unique('ada'))), TransientProvisioningError);
      assert.ok(error.retryAfterMs !== null && error.retryAfterMs > 85_000 && error.retryAfterMs <= 90_000, `retryAfterMs ${error.retryAfterMs}`);
    });

    it('reports 400 as permanent with the status line only, never the receiver body', async () => {
      const target = webhookTarget({ url: receiver.url('/hooks/ferry?token=do-not-echo') });
      receiver.respond = respondJson(400, { error: { message: 'email address ada@example is not valid' } });
      const error = await rejection(target.provision(A.PERSON_ADDED, person(unique('ada'))), PermanentProvisioningError);
      assert.match(error.message, /HTTP 400 Bad Request$/);
      assert.doesNotMatch(error.message, /ada@example|do-not-echo/);

      receiver.respond = (_request, response) => response.writeHead(422, { 'content-type': 'text/plain' }).end(`rejected ${'x'.repeat(5000)}`);
      const long = await rejection(target.provision(A.PERSON_ADDED, person(unique('ada'))), PermanentProvisioningError);
      assert.match(long.message, /HTTP 422 Unprocessable Entity$/);
      assert.doesNotMatch(long.message, /rejected/);
    });

    it('does not follow redirects', async () => {
      const target = webhookTarget({ url: receiver.url('/old') });
      receiver.respond = (_request, response) => response.writeHead(308, { location: receiver.url('/new') }).end();
      const error = await rejection(target.provision(A.PERSON_ADDED, person(unique('ada'))), PermanentProvisioningError);
      assert.match(error.message, /HTTP 308 Permanent Redirect .*Ferry does not follow redirects/);
      assert.deepEqual(
        receiver.received.map((request) => request.path),
        ['/old'],
      );
    });

    it('reports a refused connection as transient', async () => {
      const target = webhookTarget({ url: `http://127.0.0.1:${await freePort()}/hook` });
      const error = await rejection(target.provision(A.PERSON_ADDED, person(unique('ada'))), TransientProvisioningError);
      assert.match(error.message, /unreachable .*ECONNREFUSED/);
    });
  });

  describe('configuration and read-back', () => {
    const problems = (input: Record<string, unknown>) => {
      const parsed = webhookPlugin.configSchema.safeParse(input);
      return parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
    };

    it('validates the configuration and applies defaults', () => {
      const config = webhookPlugin.configSchema.parse({ url: 'https://hooks.example.org/ferry', secret: SECRET });
      assert.equal(config.timeoutMs, 10_000);
      assert.deepEqual(config.headers, {});
      assert.deepEqual(webhookPlugin.configSchema.parse(config), config, 'stored configuration parses to itself');
      assert.deepEqual([...webhookPlugin.secretFields].sort(), ['authorization', 'secret']);

      assert.match(problems({ url: 'ftp://example.org', secret: SECRET }).join(), /http:\/\/ or https:\/\//);
      assert.match(problems({ url: 'https://user:pw@example.org', secret: SECRET }).join(), /must not contain a user name or password/);
      assert.match(problems({ url: 'https://example.org', secret: 'short' }).join(), /at least 16 characters/);
      assert.match(problems({ url: 'https://example.org', secret: SECRET, headers: { 'Ferry-Signature': 'x' } }).join(), /set by Ferry/);
      assert.match(problems({ url: 'https://example.org', secret: SECRET, headers: { Authorization: 'x' } }).join(), /secret "authorization"/);
      assert.match(problems({ url: 'https://example.org', secret: SECRET, headers: { 'X-A': 'a\r\nb' } }).join(), /line breaks/);
      assert.match(problems({ url: 'https://example.org', secret: SECRET, surprise: true }).join(), /surprise/);
    });

    it('reads back without claiming to have checked the receiver', async () => {
      const target = webhookTarget({ url: receiver.url() });
      const readBack = await webhookPlugin.readBack(target.ctx, SubjectType.PERSON, 'crm-4711');
      assert.equal(readBack.exists, true);
      assert.match(readBack.detail, /not verified: webhooks cannot be read back/);
      assert.equal(readBack.attributes, undefined);
      assert.equal(receiver.received.length, 0, 'read-back sends nothing');
      assert.equal(webhookPlugin.list, undefined);
    });
  });
});
