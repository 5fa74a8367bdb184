import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  CreatePersonWithOutcomesDocument,
  CreateProvisioningTargetDocument,
  ProvisioningStatusDocument,
  ProvisioningTargetHealthDocument,
  ResetTargetCircuitDocument,
} from '../../src/client/generated/graphql';
import { TransientProvisioningError } from '../../src/plugins/plugin';
import { CircuitOpenError, CircuitState, TargetCircuit } from '../../src/provisioning/health/target-circuit';
import { CallTimeoutError, TargetHealth } from '../../src/provisioning/health/target-health';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { clientWithRole, createOrganization, uniqueName } from '../support/fixtures';
import { startSlapd, type Slapd } from '../support/slapd';
import { startHangingServer, startReceiver } from '../support/hanging-targets';

// ---------------------------------------------------------------------------------------------
// (d) The state machine, with an injected clock

describe('target circuit state machine', () => {
  const settings = { failureThreshold: 3, cooldownMs: 1000, cooldownMaxMs: 3000 };
  const clock = () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it('opens after the threshold of consecutive transient failures and refuses calls until the cool-down ends', () => {
    const c = clock();
    const circuit = new TargetCircuit(settings, c.now);
    for (let i = 1; i <= 2; i++) circuit.failed(circuit.admit(), `timeout ${i}`);
    assert.equal(circuit.snapshot().state, CircuitState.CLOSED, 'two failures are below the threshold');
    circuit.failed(circuit.admit(), 'timeout 3');
    const open = circuit.snapshot();
    assert.equal(open.state, CircuitState.OPEN);
    assert.equal(open.consecutiveFailures, 3);
    assert.equal(open.openedAt?.toISOString(), '2030-01-01T00:00:00.000Z');
    assert.equal(open.retryAt?.toISOString(), '2030-01-01T00:00:01.000Z');
    c.advance(999);
    assert.throws(
      () => circuit.admit(),
      (error: unknown) =>
        error instanceof CircuitOpenError &&
        error.transient === true &&
        error.retryAfterMs === 1 &&
        error.message === 'target unavailable: circuit open after 3 consecutive failures (last: timeout 3); next attempt after 2030-01-01T00:00:01.000Z',
    );
  });

  it('lets one trial call through after the cool-down: success closes, failure re-opens with a doubled cool-down up to the maximum', () => {
    const c = clock();
    const circuit = new TargetCircuit(settings, c.now);
    for (let i = 0; i < 3; i++) circuit.failed(circuit.admit(), 'refused');
    c.advance(1000);
    const probe = circuit.admit();
    assert.equal(probe.probe, true);
    assert.equal(circuit.snapshot().state, CircuitState.HALF_OPEN);
    assert.throws(() => circuit.admit(), /circuit half-open .*a trial call is in progress/, 'only one trial call at a time');
    circuit.failed(probe, 'still refused');
    assert.equal(circuit.snapshot().state, CircuitState.OPEN);
    assert.equal(circuit.snapshot().retryAt!.getTime() - c.now(), 2000, 'the cool-down doubled');
    c.advance(2000);
    circuit.failed(circuit.admit(), 'still refused');
    assert.equal(circuit.snapshot().retryAt!.getTime() - c.now(), 3000, 'capped at the maximum');
    c.advance(3000);
    circuit.failed(circuit.admit(), 'still refused');
    assert.equal(circuit.snapshot().retryAt!.getTime() - c.now(), 3000);
    c.advance(3000);
    circuit.succeeded(circuit.admit());
    assert.deepEqual(circuit.snapshot(), { state: CircuitState.CLOSED, consecutiveFailures: 0, openedAt: null, retryAt: null, lastError: null, cooldownMs: 1000 });
  });

  it('does not count permanent failures, and a success resets the count', () => {
    const circuit = new TargetCircuit(settings, clock().now);
    circuit.failed(circuit.admit(), 'timeout');
    circuit.failed(circuit.admit(), 'timeout');
    circuit.neutral(circuit.admit());
    circuit.neutral(circuit.admit());
    assert.equal(circuit.snapshot().state, CircuitState.CLOSED);
    assert.equal(circuit.snapshot().consecutiveFailures, 2);
    circuit.succeeded(circuit.admit());
    circuit.failed(circuit.admit(), 'timeout');
    circuit.failed(circuit.admit(), 'timeout');
    assert.equal(circuit.snapshot().state, CircuitState.CLOSED, 'the success started the count again');
  });

  it('a permanent answer to the trial call frees the trial slot; a reset closes and ignores calls admitted before it', () => {
    const c = clock();
    const circuit = new TargetCircuit(settings, c.now);
    for (let i = 0; i < 3; i++) circuit.failed(circuit.admit(), 'timeout');
    c.advance(1000);
    circuit.neutral(circuit.admit());
    assert.equal(circuit.snapshot().state, CircuitState.HALF_OPEN);
    const second = circuit.admit();
    assert.equal(second.probe, true, 'the next call is the trial');
    circuit.reset();
    circuit.failed(second, 'late failure from before the reset');
    assert.equal(circuit.snapshot().state, CircuitState.CLOSED);
    assert.equal(circuit.snapshot().consecutiveFailures, 0);
  });

  it('TargetHealth: counts transient plugin errors, ignores permanent ones, short-circuits while open, times calls out', async () => {
    const health = new TargetHealth({ failureThreshold: 2, cooldownMs: 60_000, cooldownMaxMs: 60_000, callTimeoutMs: 50, stalledMs: 1000 });
    assert.equal(health.budgetMs({ timeoutMs: 10 }), 30, '3 x the target timeout');
    assert.equal(health.budgetMs({ timeoutMs: 10_000 }), 50, 'at most the call limit');
    assert.equal(health.budgetMs({}), 50);
    let calls = 0;
    const failing = () => {
      calls += 1;
      return Promise.reject(new TransientProvisioningError('connection refused'));
    };
    await assert.rejects(health.call('t1', {}, failing), /connection refused/);
    await assert.rejects(health.call('t1', {}, () => Promise.reject(Object.assign(new Error('bad data'), { transient: false }))), /bad data/);
    let lateFence = null as { expired: boolean } | null;
    await assert.rejects(
      health.call('t1', {}, (fence) => {
        lateFence = fence;
        calls += 1;
        return new Promise((resolve) => setTimeout(() => resolve('late'), 200));
      }),
      (error: unknown) => error instanceof CallTimeoutError && /no result within 50 ms/.test((error as Error).message),
    );
    assert.equal(lateFence!.expired, true, 'the abandoned call is fenced off');
    assert.equal(health.health('t1').state, CircuitState.OPEN);
    await assert.rejects(health.call('t1', {}, failing), /target unavailable: circuit open after 2 consecutive failures \(last: no result within 50 ms/);
    assert.equal(calls, 2, 'the open circuit did not call the plugin');
    assert.equal(health.health('other').state, CircuitState.CLOSED, 'circuits are per target');
    health.reset('t1');
    assert.equal(await health.call('t1', {}, () => Promise.resolve('ok')), 'ok');
  });
});

// ---------------------------------------------------------------------------------------------
// Through Ferry, with real servers

const SECRET = 'a-shared-secret-of-32-characters!';
const LDAP_TIMEOUT_MS = 1000;
// Long enough that the saves below all happen while the circuit is open, even on a busy machine.
const COOLDOWN_MS = 8000;
const CALL_TIMEOUT_MS = 1500;

describe('a dead target only hurts itself', () => {
  let t: TestFerry;
  let slapd: Slapd;
  before(async () => {
    slapd = await startSlapd();
    t = await startTestFerry({
      FERRY_TARGET_FAILURE_THRESHOLD: '3',
      FERRY_TARGET_COOLDOWN_MS: String(COOLDOWN_MS),
      FERRY_TARGET_CALL_TIMEOUT_MS: String(CALL_TIMEOUT_MS),
    });
  });
  after(async () => {
    await t?.stop();
    await slapd?.dispose();
  });

  async function ldapTarget(organizationId: string, url: string, timeoutMs = LDAP_TIMEOUT_MS) {
    const ou = uniqueName('t');
    const base = `ou=${ou},${slapd.suffix}`;
    const client = slapd.client();
    await client.add(base, { objectClass: ['organizationalUnit'], ou });
    await client.add(`ou=people,${base}`, { objectClass: ['organizationalUnit'], ou: 'people' });
    await client.add(`ou=groups,${base}`, { objectClass: ['organizationalUnit'], ou: 'groups' });
    const data = await t.admin.ok(CreateProvisioningTargetDocument, {
      input: {
        organizationId,
        name: uniqueName('ldap'),
        plugin: 'ldap',
        mode: 'AUTOMATIC',
        config: {
          url,
          bindDn: slapd.bindDn,
          bindPassword: slapd.bindPassword,
          peopleBaseDn: `ou=people,${base}`,
          groupBaseDn: `ou=groups,${base}`,
          timeoutMs,
          personObjectClasses: { eduPerson: true, eduMember: true, voPerson: true },
          groupObjectClasses: { groupOfNames: true, eduMember: true },
        },
      },
    });
    return { target: data.createProvisioningTarget.target, peopleDn: `ou=people,${base}` };
  }

  async function webhookTarget(organizationId: string, url: string, timeoutMs = 2000) {
    const data = await t.admin.ok(CreateProvisioningTargetDocument, {
      input: { organizationId, name: uniqueName('hook'), plugin: 'webhook', mode: 'AUTOMATIC', config: { url, secret: SECRET, timeoutMs } },
    });
    return data.createProvisioningTarget.target;
  }

  /** Creates a person and returns the save's provisioning events and how long the save took. */
  async function save(organizationId: string, uid: string) {
    const started = performance.now();
    const data = await t.admin.ok(CreatePersonWithOutcomesDocument, {
      input: {
        organizationId,
        status: 'ACTIVE',
        names: [{ given: 'Ada', family: uid }],
        emailAddresses: [{ mail: `${uid}@example.org`, type: 'OFFICIAL' }],
        identifiers: [{ type: 'uid', value: uid }],
      },
    });
    return { person: data.createPerson.person, events: data.createPerson.provisioning, ms: performance.now() - started };
  }

  const health = async (id: string) => (await t.admin.ok(ProvisioningTargetHealthDocument, { id })).provisioningTarget.health;

  async function metric(name: string, targetId: string): Promise<number | null> {
    const text = await (await fetch(`http://127.0.0.1:${t.ferry.port}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{target="${targetId}"}`));
    return line ? Number(line.split(' ').at(-1)) : null;
  }

  it('opens the circuit of a hung LDAP target, keeps other organisations fast, and closes again after a good trial call', async () => {
    const hanging = await startHangingServer();
    const receiver = await startReceiver();
    try {
      const dead = await createOrganization(t.admin);
      const healthy = await createOrganization(t.admin);
      const { target, peopleDn } = await ldapTarget(dead.id, hanging.url);
      const hook = await webhookTarget(healthy.id, receiver.url);

      // (a) Five people in the organisation whose target hangs, each saved beside one in a
      // healthy organisation (one engine pass serves both).
      const deadEvents: { error?: string | null; outcome: string; retryable?: boolean | null; durationMs?: number | null }[] = [];
      const healthySaves: { ms: number; afterOpen: boolean }[] = [];
      const healthyPeople: string[] = [];
      let seenWhenOpened: { accepted: number; bytes: number } | null = null;
      for (let i = 1; i <= 5; i++) {
        const afterOpen = seenWhenOpened !== null;
        const [inDead, inHealthy] = await Promise.all([save(dead.id, uniqueName('dead')), save(healthy.id, uniqueName('ok'))]);
        deadEvents.push(...inDead.events.filter((event) => event.targetId === target.id));
        healthySaves.push({ ms: inHealthy.ms, afterOpen });
        healthyPeople.push(inHealthy.person.id);
        assert.ok(inHealthy.events.length > 0 && inHealthy.events.every((event) => event.outcome === 'SUCCEEDED'), JSON.stringify(inHealthy.events));
        if (!seenWhenOpened && deadEvents.length >= 3) seenWhenOpened = hanging.seen();
      }
      const timedOut = deadEvents.slice(0, 3);
      const refused = deadEvents.slice(3);
      for (const event of timedOut) {
        assert.equal(event.outcome, 'FAILED');
        assert.equal(event.retryable, true);
        assert.match(event.error ?? '', /time/i, 'the first failures are timeouts');
        assert.doesNotMatch(event.error ?? '', /circuit/);
      }
      assert.ok(refused.length >= 4, `later saves were refused too (${refused.length} events)`);
      for (const event of refused) {
        assert.equal(event.outcome, 'FAILED');
        assert.equal(event.retryable, true, 'a short-circuited call is a transient failure');
        assert.match(event.error ?? '', /^target unavailable: circuit open after 3 consecutive failures \(last: .+\); next attempt after \d{4}-\d\d-\d\dT/);
        assert.ok((event.durationMs ?? Infinity) < LDAP_TIMEOUT_MS, `refused at once (${event.durationMs} ms)`);
      }
      assert.ok(seenWhenOpened!.accepted >= 1 && seenWhenOpened!.bytes > 0, 'the first attempts reached the hung server');
      assert.deepEqual(hanging.seen(), seenWhenOpened, 'once open, the plugin was not called: no new connection, no byte sent');

      const open = await health(target.id);
      assert.equal(open.state, 'OPEN');
      assert.equal(open.consecutiveFailures, 3);
      assert.ok(open.openedAt && open.retryAt && open.lastError);
      assert.equal(new Date(open.retryAt).getTime() - new Date(open.openedAt).getTime(), COOLDOWN_MS);
      assert.equal(await metric('ferry_target_circuit_state', target.id), 2, 'the gauge shows OPEN');
      assert.equal(await metric('ferry_target_calls_short_circuited_total', target.id), refused.length);
      assert.equal(await metric('ferry_target_circuit_state', hook.id), 0, 'the healthy target is closed');

      // (b) The healthy organisation got every change, and once the circuit was open its saves no
      // longer waited on the hung target.
      for (const id of healthyPeople) assert.ok(receiver.subjects.includes(id), 'the healthy target got every person');
      const afterOpen = healthySaves.filter((s) => s.afterOpen);
      assert.ok(afterOpen.length >= 3);
      for (const s of afterOpen) assert.ok(s.ms < LDAP_TIMEOUT_MS, `a healthy save took ${Math.round(s.ms)} ms, the hung call's timeout is ${LDAP_TIMEOUT_MS} ms`);

      // (c) The server comes back; after the cool-down one trial call goes through and closes the circuit.
      hanging.revive(slapd.port);
      const wait = new Date(open.retryAt).getTime() - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 50));
      const back = await save(dead.id, 'grace');
      const onTarget = back.events.filter((event) => event.targetId === target.id);
      assert.ok(onTarget.length > 0 && onTarget.every((event) => event.outcome === 'SUCCEEDED'), JSON.stringify(onTarget));
      assert.ok(await slapd.entry(`uid=grace,${peopleDn}`), 'the entry reached slapd');
      const closed = await health(target.id);
      assert.deepEqual(closed, { state: 'CLOSED', consecutiveFailures: 0, openedAt: null, retryAt: null, lastError: null });
      assert.equal(await metric('ferry_target_circuit_state', target.id), 0);
    } finally {
      await hanging.close();
      await receiver.close();
    }
  });

  it("ends a call at its time limit, and the call's late success changes nothing", async () => {
    // The receiver answers after 2.5 s; the target's own timeout (10 s) would wait for it, the
    // call's limit (FERRY_TARGET_CALL_TIMEOUT_MS) does not.
    const slow = await startReceiver(2500);
    try {
      const organization = await createOrganization(t.admin);
      const hook = await webhookTarget(organization.id, slow.url, 10_000);
      const { person, events } = await save(organization.id, uniqueName('slow'));
      const first = events.find((event) => event.targetId === hook.id)!;
      assert.equal(first.outcome, 'FAILED');
      assert.equal(first.retryable, true);
      assert.match(first.error ?? '', new RegExp(`no result within ${CALL_TIMEOUT_MS} ms`));
      assert.ok((first.durationMs ?? 0) < 10_000);
      // Let the late answers arrive, then check nothing took them for a result.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.ok(slow.subjects.includes(person.id), 'the receiver did answer, late');
      const status = await t.admin.ok(ProvisioningStatusDocument, { subjectType: 'PERSON', subjectId: person.id });
      const state = status.provisioningStatus.find((s) => s.target.id === hook.id)!.state!;
      assert.equal(state.status, 'FAILED');
      assert.equal(state.remoteId, null, 'the late answer was ignored');
      assert.match(state.lastError ?? '', /no result within/);
    } finally {
      await slow.close();
    }
  });

  it('lets organisation admins, not readers, reset a circuit', async () => {
    // A port nobody listens on: connections are refused at once.
    const closedPort = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const organization = await createOrganization(t.admin);
    const { target } = await ldapTarget(organization.id, `ldap://127.0.0.1:${closedPort}`, 500);
    for (let i = 0; i < 3 && (await health(target.id)).state !== 'OPEN'; i++) await save(organization.id, uniqueName('refused'));
    assert.equal((await health(target.id)).state, 'OPEN');
    const reader = (await clientWithRole(t, 'ORG_READER', organization.id)).client;
    const outsider = (await clientWithRole(t, 'ORG_ADMIN', (await createOrganization(t.admin)).id)).client;
    await reader.fails('FORBIDDEN', ResetTargetCircuitDocument, { targetId: target.id });
    await outsider.fails('NOT_FOUND', ResetTargetCircuitDocument, { targetId: target.id });
    const orgAdmin = (await clientWithRole(t, 'ORG_ADMIN', organization.id)).client;
    const reset = await orgAdmin.ok(ResetTargetCircuitDocument, { targetId: target.id });
    assert.equal(reset.resetTargetCircuit.health.state, 'CLOSED');
    assert.equal(reset.resetTargetCircuit.health.consecutiveFailures, 0);
    // The next save reaches the (still refusing) target again instead of being short-circuited.
    const { events } = await save(organization.id, uniqueName('again'));
    assert.doesNotMatch(events[0].error ?? '', /circuit/);
  });
});
