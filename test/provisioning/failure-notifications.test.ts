import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  CreatePersonWithOutcomesDocument,
  CreateProvisioningTargetDocument,
  DeletePersonWithOutcomesDocument,
  ProvisioningFailuresDocument,
} from '../../src/client/generated/graphql';
import { allEvents } from '../support/events';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization } from '../support/fixtures';

/** A webhook receiver that answers 503 while `down`, 200 otherwise. */
async function startReceiver() {
  const state = { down: true };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (state.down) return void res.writeHead(503, { 'Retry-After': '1' }).end('down for maintenance');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/ferry`;
  return { url, state, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('failure notifications of deleted subjects', () => {
  let t: TestFerry;
  before(async () => {
    t = await startTestFerry({ FERRY_JOB_POLL_MS: '100' });
  });
  after(() => t?.stop());

  it('closes a deleted person\'s notifications in the delete, and its pending retry leaves nothing open', async () => {
    const receiver = await startReceiver();
    try {
      const organization = await createOrganization(t.admin);
      await t.admin.ok(CreateProvisioningTargetDocument, {
        input: {
          organizationId: organization.id,
          name: 'crm',
          plugin: 'webhook',
          mode: 'QUEUE_ON_ERROR',
          retryIntervalSeconds: 1,
          maxRetries: 3,
          config: { url: receiver.url, secret: 'a-shared-secret-of-32-characters!', timeoutMs: 2000 },
        },
      });
      const failures = async (subjectId: string) =>
        (await t.admin.ok(ProvisioningFailuresDocument, { organizationId: organization.id, open: null })).provisioningFailures.nodes.filter(
          (n) => n.subjectId === subjectId,
        );

      // The outage: the add fails, a retry is scheduled, an admin sees an open notification.
      const created = await t.admin.ok(CreatePersonWithOutcomesDocument, { input: { organizationId: organization.id, names: [{ given: 'Gone' }] } });
      const person = created.createPerson.person;
      assert.equal(created.createPerson.provisioning[0]?.outcome, 'RETRY_SCHEDULED');
      const [added] = await failures(person.id);
      assert.deepEqual([added.open, added.willRetry, added.action], [true, true, 'PERSON_ADDED']);

      // The person is deleted during the outage: the add's notification closes with the delete.
      const deleted = await t.admin.ok(DeletePersonWithOutcomesDocument, { id: person.id });
      const deleteOutcome = deleted.deletePerson.provisioning[0]?.outcome;
      const afterDelete = await failures(person.id);
      const closed = afterDelete.find((n) => n.id === added.id)!;
      assert.equal(closed.open, false, JSON.stringify(afterDelete));
      assert.equal(closed.willRetry, false);
      assert.equal(closed.closedReason, 'subject deleted');
      assert.ok(closed.resolvedAt);
      assert.equal(closed.resolvedByEventSeq, null, 'no attempt succeeded');
      // Never delivered: the delete has nothing to remove on the target, so nothing else opens.
      assert.equal(deleteOutcome, 'SKIPPED');
      assert.deepEqual(afterDelete.filter((n) => n.open), []);

      // The add's retry comes due while the receiver is still down: it finds no person, and
      // must not leave (or reopen) anything.
      const deadline = Date.now() + 15000;
      for (;;) {
        const events = await allEvents(t.admin, { organizationId: organization.id, subjectId: person.id });
        if (events.some((e) => e.detail === 'the subject no longer exists')) break;
        if (Date.now() > deadline) assert.fail(`the retry did not run: ${JSON.stringify(events)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const final = await failures(person.id);
      assert.deepEqual(final.map((n) => [n.id, n.open, n.willRetry]), [[added.id, false, false]]);
    } finally {
      await receiver.close();
    }
  });
});
