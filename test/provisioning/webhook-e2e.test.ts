import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  CreatePersonWithOutcomesDocument,
  CreateProvisioningTargetDocument,
  PreviewProvisioningDocument,
  ProvisioningEventsDocument,
  ProvisioningStatusDocument,
} from '../../src/client/generated/graphql';
import { verifyWebhookSignature } from '../../src/plugins/webhook';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization } from '../support/fixtures';

const SECRET = 'a-shared-secret-of-32-characters!';

interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A receiver as the README tells integrators to write one: verify the signature, refuse
 * delivery ids it has processed, and (here) refuse the first attempts to exercise retries.
 */
async function startReceiver(failFirst: number) {
  const accepted: Delivery[] = [];
  const refused: string[] = [];
  const seen = new Set<string>();
  const attempts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const check = verifyWebhookSignature({ body, signature: req.headers['ferry-signature'], secret: SECRET });
      const delivery = String(req.headers['ferry-delivery']);
      if (!check.valid) {
        refused.push(`invalid: ${check.reason}`);
        return void res.writeHead(401).end(check.reason);
      }
      const subjectId = (JSON.parse(body) as { subject: { id: string } }).subject.id;
      attempts.set(subjectId, (attempts.get(subjectId) ?? 0) + 1);
      if (seen.has(delivery)) {
        refused.push(`replay: ${delivery}`);
        return void res.writeHead(409).end('already processed');
      }
      if (attempts.get(subjectId)! <= failFirst) return void res.writeHead(503, { 'Retry-After': '1' }).end('busy');
      seen.add(delivery);
      accepted.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ remoteId: `crm-${accepted.length}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/ferry`;
  return { url, accepted, refused, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A receiver of batch deliveries: verifies each request, and refuses the documents of people named "Refuse". */
async function startBatchReceiver() {
  const batches: { version: string; documents: { subject: { id: string }; payload: { primaryName?: { family?: string } } }[] }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (!verifyWebhookSignature({ body, signature: req.headers['ferry-signature'], secret: SECRET }).valid) return void res.writeHead(401).end();
      const parsed = JSON.parse(body) as (typeof batches)[number] | ((typeof batches)[number]['documents'][number] & { version: string });
      if (!('documents' in parsed)) {
        // A single document (a batch of one is sent as one).
        batches.push({ version: parsed.version, documents: [parsed] });
        if (parsed.payload.primaryName?.family === 'Refuse') return void res.writeHead(422).end();
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ remoteId: `crm-${parsed.subject.id.slice(-6)}` }));
      }
      const batch = parsed;
      batches.push(batch);
      const results = batch.documents.map((document) =>
        document.payload.primaryName?.family === 'Refuse' ? { error: 'we do not take these', retryable: false } : { remoteId: `crm-${document.subject.id.slice(-6)}` },
      );
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/batch`;
  return { url, batches, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('webhook targets through Ferry', () => {
  let t: TestFerry;
  before(async () => {
    t = await startTestFerry({ FERRY_JOB_POLL_MS: '100' });
  });
  after(async () => {
    await t?.stop();
  });

  it('delivers a batch of actions in one signed request (batchSize), each with its own outcome from the answer', async () => {
    const receiver = await startBatchReceiver();
    try {
      const organization = await createOrganization(t.admin);
      await t.admin.ok(CreateProvisioningTargetDocument, {
        input: { organizationId: organization.id, name: 'bulk-crm', plugin: 'webhook', mode: 'QUEUE', config: { url: receiver.url, secret: SECRET, batchSize: 10 } },
      });
      await t.ferry.jobs.stopWorkers(); // the jobs pile up, then run together
      const families = ['Lovelace', 'Hopper', 'Refuse', 'Turing', 'Noether'];
      const people: { id: string }[] = [];
      for (const family of families) {
        people.push((await t.admin.ok(CreatePersonWithOutcomesDocument, { input: { organizationId: organization.id, names: [{ given: 'P', family }] } })).createPerson.person);
      }
      await t.ferry.jobs.startWorkers();
      const outcomes = async () =>
        Promise.all(
          people.map(async (person) => {
            const events = (await t.admin.ok(ProvisioningEventsDocument, { organizationId: organization.id, subjectId: person.id })).provisioningEvents.nodes;
            return events.find((e) => e.outcome === 'SUCCEEDED' || e.outcome === 'FAILED') ?? null;
          }),
        );
      const deadline = Date.now() + 30000;
      let ended = await outcomes();
      while (ended.some((e) => e === null)) {
        if (Date.now() > deadline) assert.fail('the batch did not run');
        await new Promise((resolve) => setTimeout(resolve, 100));
        ended = await outcomes();
      }
      const personBatches = receiver.batches.filter((b) => b.documents.some((d) => people.some((p) => p.id === d.subject.id)));
      // The first person's job runs before the groups' jobs queued behind it; the four after them run together.
      assert.deepEqual(
        personBatches.map((b) => [b.version, b.documents.length]),
        [
          ['ferry.webhook/v1', 1],
          ['ferry.webhook.batch/v1', 4],
        ],
      );
      assert.deepEqual(
        ended.map((e) => e!.outcome),
        ['SUCCEEDED', 'SUCCEEDED', 'FAILED', 'SUCCEEDED', 'SUCCEEDED'],
        'the refused document failed alone',
      );
      assert.match(ended[2]!.error ?? '', /refused document \d+ of a batch of \d+/);
      assert.doesNotMatch(ended[2]!.error ?? '', /we do not take these/, "the receiver's words are not recorded");
      const status = await t.admin.ok(ProvisioningStatusDocument, { subjectType: 'PERSON', subjectId: people[0].id });
      assert.equal(status.provisioningStatus[0].state?.remoteId, `crm-${people[0].id.slice(-6)}`, 'the remote id from the answer is stored');
    } finally {
      await receiver.close();
    }
  });

  it('delivers signed documents, retries through the queue on 503, and a receiver can refuse replays', async () => {
    const receiver = await startReceiver(2);
    try {
      const organization = await createOrganization(t.admin);
      const target = (
        await t.admin.ok(CreateProvisioningTargetDocument, {
          input: {
            organizationId: organization.id,
            name: 'crm',
            plugin: 'webhook',
            mode: 'QUEUE_ON_ERROR',
            retryIntervalSeconds: 1,
            maxRetries: 5,
            config: { url: receiver.url, secret: SECRET, timeoutMs: 2000 },
          },
        })
      ).createProvisioningTarget.target;
      assert.deepEqual(target.secretsSet, ['secret'], 'the secret is stored, never shown');
      assert.equal((target.config as Record<string, unknown>).secret, undefined);

      const saved = await t.admin.ok(CreatePersonWithOutcomesDocument, {
        input: { organizationId: organization.id, names: [{ given: 'Ada', family: 'Lovelace' }] },
      });
      const person = saved.createPerson.person;
      const first = saved.createPerson.provisioning.find((e) => e.subjectType === 'PERSON')!;
      assert.equal(first.outcome, 'RETRY_SCHEDULED', 'a 503 is transient: a retry is queued');

      const deadline = Date.now() + 30000;
      let events;
      for (;;) {
        events = (await t.admin.ok(ProvisioningEventsDocument, { organizationId: organization.id, subjectId: person.id })).provisioningEvents.nodes;
        if (events.some((e) => e.outcome === 'SUCCEEDED')) break;
        if (Date.now() > deadline) assert.fail(`no success: ${JSON.stringify(events)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.deepEqual(events.map((e) => [e.outcome, e.attempt]), [
        ['RETRY_SCHEDULED', 1],
        ['RETRY_SCHEDULED', 2],
        ['SUCCEEDED', 3],
      ]);
      const delivered = receiver.accepted.find((d) => JSON.parse(d.body).subject.id === person.id)!;
      const document = JSON.parse(delivered.body);
      assert.equal(document.version, 'ferry.webhook/v1');
      assert.equal(document.action, 'PERSON_ADDED');
      assert.equal(document.payload.primaryName.family, 'Lovelace');

      // A replayed request (captured and sent again) is refused by the receiver.
      const replay = await fetch(receiver.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'ferry-signature': String(delivered.headers['ferry-signature']), 'ferry-delivery': String(delivered.headers['ferry-delivery']) },
        body: delivered.body,
      });
      assert.equal(replay.status, 409);
      // A forged body with the captured signature does not verify.
      const forged = await fetch(receiver.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'ferry-signature': String(delivered.headers['ferry-signature']), 'ferry-delivery': 'forged' },
        body: delivered.body.replace('Lovelace', 'Mallory'),
      });
      assert.equal(forged.status, 401);

      const preview = (await t.admin.ok(PreviewProvisioningDocument, { targetId: target.id, subjectType: 'PERSON', subjectId: person.id })).previewProvisioning;
      assert.equal((preview.document as { version: string }).version, 'ferry.webhook/v1', 'the preview shows the body that would be posted');
      // The receiver answers crm-<n> for its n-th accepted delivery; the person's automatic groups
      // retry on their own backoff, so which delivery was the person's is read, not assumed.
      assert.equal(preview.remoteId, `crm-${receiver.accepted.indexOf(delivered) + 1}`, 'the remote id from the answer is kept');
    } finally {
      await receiver.close();
    }
  });
});
