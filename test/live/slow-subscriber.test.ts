import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { print } from 'graphql';
import WebSocket from 'ws';
import {
  CreatePersonWithOutcomesDocument,
  CreateProvisioningTargetDocument,
  OnProvisioningEventsDocument,
} from '../../src/client/generated/graphql';
import { SubjectType, ProvisioningAction } from '../../src/provisioning/actions';
import { recordProvisioningEvents } from '../../src/provisioning/event-log';
import { ProvisioningEvent, ProvisioningOutcome } from '../../src/provisioning/provisioning-event.entity';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { clientWithRole, createOrganization } from '../support/fixtures';
import { LiveTestClient, metricValue, openSubscriptions } from '../support/live-client';
import { recordingPlugin } from '../support/recording-plugin';

const BUFFER = 50;
const BULK_EVENTS = 6000;
/** Big events, so that together (~25 MB) they overflow every socket buffer between the two ends. */
const DETAIL = 'x'.repeat(4000);

/** A graphql-transport-ws client written out by hand, so that the test controls when it reads. */
class StalledClient {
  readonly received: { seq: string; subjectLabel: string | null }[] = [];
  private readonly socket: WebSocket;

  constructor(url: string, token: string) {
    this.socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    this.socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; payload?: { data?: { provisioningEvents: { seq: string; subjectLabel: string | null } } } };
      if (message.type === 'next' && message.payload?.data) this.received.push(message.payload.data.provisioningEvents);
    });
    this.socket.once('open', () => this.socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
  }

  async subscribe(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.socket.on('message', (data) => {
        if ((JSON.parse(String(data)) as { type: string }).type === 'connection_ack') resolve();
      }),
    );
    this.socket.send(
      JSON.stringify({ id: '1', type: 'subscribe', payload: { query: print(OnProvisioningEventsDocument), variables: { subjectType: 'PERSON' } } }),
    );
  }

  /** Stops reading from the TCP socket: the kernel buffers fill, then the server's writes wait. */
  stopReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  close(): void {
    this.socket.terminate();
  }
}

describe('a subscriber that stops reading', () => {
  let t: TestFerry;
  const recorder = recordingPlugin();
  before(async () => {
    t = await startTestFerry({ FERRY_SUBSCRIPTION_BUFFER: String(BUFFER) }, { plugins: [recorder.plugin] });
  });
  after(async () => {
    await t?.stop();
  });

  it('holds at most its buffer in memory, slows nobody, and gets every event in order once it reads again', async () => {
    const organization = await createOrganization(t.admin);
    const admin = await clientWithRole(t, 'ORG_ADMIN', organization.id);
    const target = (
      await t.admin.ok(CreateProvisioningTargetDocument, {
        input: { organizationId: organization.id, name: 'recorder', plugin: 'recorder', mode: 'AUTOMATIC', config: {} },
      })
    ).createProvisioningTarget.target;

    const stalled = new StalledClient(t.ferry.url, admin.secret);
    const before = await openSubscriptions(t.ferry.url);
    await stalled.subscribe();
    while ((await openSubscriptions(t.ferry.url)) < before + 1) await new Promise((resolve) => setTimeout(resolve, 20));
    stalled.stopReading();
    const healthy = new LiveTestClient(t.ferry.url, admin.secret);
    const healthyEvents = await healthy.subscribed(OnProvisioningEventsDocument, { subjectType: 'PERSON' });

    // A burst of stored events, as a large reprovision-all would leave.
    for (let batch = 0; batch < BULK_EVENTS / 1000; batch++) {
      await t.ferry.orm.em.fork().transactional((em) =>
        recordProvisioningEvents(
          em,
          Array.from({ length: 1000 }, (_, i) =>
            Object.assign(new ProvisioningEvent(), {
              organizationId: organization.id,
              targetId: target.id,
              targetName: target.name,
              subjectType: SubjectType.PERSON,
              subjectId: organization.id,
              subjectLabel: `bulk ${batch * 1000 + i}`,
              action: ProvisioningAction.PERSON_REPROVISION_REQUESTED,
              outcome: ProvisioningOutcome.SUCCEEDED,
              detail: DETAIL,
            }),
          ),
        ),
      );
    }

    // The stalled subscriber fell behind: the server stopped buffering for it.
    const deadline = Date.now() + 30000;
    while ((await metricValue(t.ferry.url, 'ferry_live_lagging_subscriptions')) < 1) {
      if (Date.now() > deadline) assert.fail('the stalled subscriber never fell behind: the test produced too little');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok((await metricValue(t.ferry.url, 'ferry_live_buffered_events{measure="max"}')) <= BUFFER, 'memory per subscriber stays bounded');

    // Provisioning and the other subscriber go on as if nothing happened.
    const saved = await admin.client.ok(CreatePersonWithOutcomesDocument, { input: { organizationId: organization.id, names: [{ given: 'Still', family: 'Fast' }] } });
    assert.equal(saved.createPerson.provisioning.find((e) => e.subjectType === 'PERSON')?.outcome, 'SUCCEEDED');
    const all = await healthyEvents.take(BULK_EVENTS + 1, 120000);
    assert.equal(all.at(-1)!.provisioningEvents.subjectLabel, 'Still Fast');
    assert.ok(stalled.received.length < BULK_EVENTS, `the stalled client has read only part (${stalled.received.length})`);
    assert.ok((await metricValue(t.ferry.url, 'ferry_live_buffered_events{measure="max"}')) <= BUFFER);

    // Reading again, it gets everything, from the table where memory would not hold it.
    stalled.resumeReading();
    const caughtUpBy = Date.now() + 120000;
    while (stalled.received.length < BULK_EVENTS + 1) {
      if (Date.now() > caughtUpBy) assert.fail(`caught up with only ${stalled.received.length} of ${BULK_EVENTS + 1}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(
      stalled.received.map((e) => e.seq),
      all.map((e) => e.provisioningEvents.seq),
      'same events, same order, no gap, no duplicate',
    );
    assert.equal(await metricValue(t.ferry.url, 'ferry_live_lagging_subscriptions'), 0, 'and it is live again');
    stalled.close();
    await healthy.close();
  });
});
