import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreatePersonWithOutcomesDocument, CreateProvisioningTargetDocument, OnProvisioningEventsDocument } from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, uniqueName } from '../support/fixtures';
import { startHangingServer, startReceiver } from '../support/hanging-targets';
import { LiveTestClient } from '../support/live-client';

const SECRET = 'a-shared-secret-of-32-characters!';
/** The hung call's limit: long against everything else here, short enough to wait for its end. */
const CALL_TIMEOUT_MS = 6000;
/** How long a save's response waits for its targets. */
const RESPONSE_WAIT_MS = 400;

/**
 * Per-target lanes: a target whose host accepts connections and never answers holds its own lane
 * only. Saves elsewhere finish while its call is still hanging (asserted on what the hung call has
 * not done yet, not on the clock), and its own organisation's save answers PENDING for it, the
 * outcome following on the subscription.
 */
describe('a hanging target holds only its own lane', () => {
  let t: TestFerry;
  before(async () => {
    t = await startTestFerry({
      FERRY_TARGET_CALL_TIMEOUT_MS: String(CALL_TIMEOUT_MS),
      FERRY_PROVISIONING_WAIT_MS: String(RESPONSE_WAIT_MS),
      FERRY_TARGET_STALLED_MS: '200',
      ...(process.env.FERRY_LANES_MAX ? { FERRY_LANES_MAX: process.env.FERRY_LANES_MAX } : {}),
    });
  });
  after(async () => {
    await t?.stop();
  });

  async function webhookTarget(organizationId: string, url: string, order?: number) {
    const data = await t.admin.ok(CreateProvisioningTargetDocument, {
      input: { organizationId, name: uniqueName('hook'), plugin: 'webhook', mode: 'AUTOMATIC', config: { url, secret: SECRET, timeoutMs: 60_000 }, ...(order ? { order } : {}) },
    });
    return data.createProvisioningTarget.target;
  }

  const save = async (organizationId: string) => {
    const uid = uniqueName('p');
    const data = await t.admin.ok(CreatePersonWithOutcomesDocument, {
      input: { organizationId, status: 'ACTIVE', names: [{ given: 'Ada', family: uid }], identifiers: [{ type: 'uid', value: uid }] },
    });
    return { person: data.createPerson.person, events: data.createPerson.provisioning };
  };

  it("lets another organisation's save finish while the hung call is still waiting, and reports PENDING for the hung target", async () => {
    const hanging = await startHangingServer();
    const receiver = await startReceiver();
    const socket = new LiveTestClient(t.ferry.url, t.adminToken);
    try {
      const stuck = await createOrganization(t.admin);
      const healthy = await createOrganization(t.admin);
      // The stuck organisation also has a healthy target, before the hung one in target order.
      const ownHealthy = await webhookTarget(stuck.id, receiver.url, 1);
      const hung = await webhookTarget(stuck.id, hanging.url.replace(/^ldap:/, 'http:') + '/hook', 2);
      const other = await webhookTarget(healthy.id, receiver.url);
      const outcomes = await socket.subscribed(OnProvisioningEventsDocument, { organizationId: stuck.id, targetId: hung.id, subjectType: 'PERSON' });

      // The stuck organisation's save: its response waits RESPONSE_WAIT_MS, then reports the hung target PENDING.
      const first = await save(stuck.id);
      // The person, and the organisation's automatic groups it joined.
      const onHung = first.events.filter((event) => event.targetId === hung.id);
      assert.ok(onHung.some((event) => event.subjectId === first.person.id), JSON.stringify(first.events));
      assert.deepEqual([...new Set(onHung.map((event) => event.outcome))], ['PENDING'], `the hung target is reported PENDING: ${JSON.stringify(first.events)}`);
      assert.ok(onHung.every((event) => event.seq === '0'), 'PENDING outcomes are not stored events');
      const onOwnHealthy = first.events.filter((event) => event.targetId === ownHealthy.id);
      assert.equal(onOwnHealthy.length, onHung.length);
      assert.deepEqual([...new Set(onOwnHealthy.map((event) => event.outcome))], ['SUCCEEDED'], "the same organisation's healthy target (earlier in order) got it all");
      assert.equal(hanging.seen().accepted, 1, 'the hung call reached the hung server');

      // Another organisation's saves, while that call hangs.
      const others = [];
      for (let i = 0; i < 3; i++) others.push(await save(healthy.id));
      assert.equal(outcomes.items.length, 0, 'the hung call had not ended when the other saves were answered');
      for (const { person, events } of others) {
        assert.ok(events.length > 0);
        assert.deepEqual(
          [...new Set(events.map((event) => `${event.targetId} ${event.outcome}`))],
          [`${other.id} SUCCEEDED`],
          'the other organisation got its outcomes in its responses, none PENDING',
        );
        assert.ok(receiver.subjects.includes(person.id), 'and its target got the person');
      }

      // The hung call ends at its limit; the outcome arrives on the subscription.
      const [ended] = await outcomes.take(1, CALL_TIMEOUT_MS + 15_000);
      const event = ended.provisioningEvents;
      assert.equal(event.subjectId, first.person.id);
      assert.equal(event.outcome, 'FAILED');
      assert.match(event.error ?? '', new RegExp(`no result within ${CALL_TIMEOUT_MS} ms`));
      assert.equal(event.change?.seq !== undefined, true, 'the outcome names the change that caused it');
    } finally {
      await socket.close();
      await hanging.close();
      await receiver.close();
    }
  });
});
