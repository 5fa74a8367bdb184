import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreatePersonWithOutcomesDocument,
  CreateProvisioningTargetDocument,
  DeletePersonWithOutcomesDocument,
  OnProvisioningEventsDocument,
  OnProvisioningFailuresDocument,
  OnProvisioningJobProgressDocument,
  ProvisionDocument,
  ProvisioningEventsDocument,
  ProvisioningFailuresDocument,
  ReprovisionAllDocument,
  RevokeApiTokenDocument,
  UpdatePersonWithOutcomesDocument,
  UpdateProvisioningTargetDocument,
  type ProvisioningMode,
} from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { clientWithRole, createOrganization, uniqueName } from '../support/fixtures';
import { LiveTestClient } from '../support/live-client';
import { startSlapd, type Slapd } from '../support/slapd';

describe('live provisioning results over graphql-ws', () => {
  let t: TestFerry;
  let slapd: Slapd;
  const clients: LiveTestClient[] = [];
  const live = (token: string | null) => {
    const client = new LiveTestClient(t.ferry.url, token);
    clients.push(client);
    return client;
  };

  before(async () => {
    slapd = await startSlapd();
    t = await startTestFerry({ FERRY_JOB_POLL_MS: '100' });
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await t?.stop();
    await slapd?.dispose();
  });

  async function branch() {
    const ou = uniqueName('live');
    const base = `ou=${ou},${slapd.suffix}`;
    await slapd.client().add(base, { objectClass: ['organizationalUnit'], ou });
    await slapd.client().add(`ou=people,${base}`, { objectClass: ['organizationalUnit'], ou: 'people' });
    return `ou=people,${base}`;
  }

  async function target(organizationId: string, name: string, order: number, peopleBaseDn: string, url = slapd.url, mode: ProvisioningMode = 'AUTOMATIC') {
    return (
      await t.admin.ok(CreateProvisioningTargetDocument, {
        input: {
          organizationId,
          name,
          plugin: 'ldap',
          mode,
          order,
          config: { url, bindDn: slapd.bindDn, bindPassword: slapd.bindPassword, peopleBaseDn, timeoutMs: 2000 },
        },
      })
    ).createProvisioningTarget.target;
  }

  /** An organisation with an admin token, and three targets of which the middle one cannot connect. */
  async function organizationWithThreeTargets() {
    const organization = await createOrganization(t.admin);
    const admin = await clientWithRole(t, 'ORG_ADMIN', organization.id);
    const dns = { first: await branch(), broken: await branch(), third: await branch() };
    const first = await target(organization.id, 'first', 1, dns.first);
    const broken = await target(organization.id, 'broken', 2, dns.broken, 'ldap://127.0.0.1:1');
    const third = await target(organization.id, 'third', 3, dns.third);
    return { organization, admin, dns, targets: { first, broken, third } };
  }

  it('streams the outcome on each of three targets, in target order, as the save reports them; one failing opens a notification that a later success resolves', async () => {
    const { organization, admin, dns, targets } = await organizationWithThreeTargets();
    const socket = live(admin.secret);
    // People only: a new person also joins the automatic groups, whose updates are events too.
    const events = await socket.subscribed(OnProvisioningEventsDocument, { organizationId: organization.id, subjectType: 'PERSON' });
    const failures = await socket.subscribed(OnProvisioningFailuresDocument, {});

    const saved = await admin.client.ok(CreatePersonWithOutcomesDocument, {
      input: { organizationId: organization.id, names: [{ given: 'Ada', family: 'Lovelace' }], identifiers: [{ type: 'uid', value: 'ada' }] },
    });
    const person = saved.createPerson.person;
    const outcomes = saved.createPerson.provisioning.filter((e) => e.subjectType === 'PERSON');
    assert.ok(
      saved.createPerson.provisioning.some((e) => e.subjectType === 'GROUP' && e.action === 'GROUP_UPDATED'),
      'the automatic groups the person joined are reported too',
    );
    assert.deepEqual(
      outcomes.map((e) => [e.targetName, e.action, e.outcome]),
      [
        ['first', 'PERSON_ADDED', 'SUCCEEDED'],
        ['broken', 'PERSON_ADDED', 'FAILED'],
        ['third', 'PERSON_ADDED', 'SUCCEEDED'],
      ],
      'the save reports what each target made of it',
    );
    const changeSeqs = new Set(saved.createPerson.changes.map((c) => c.seq));
    assert.ok(outcomes.every((e) => e.changeSeq && changeSeqs.has(e.changeSeq)), 'each outcome names a change of this save');

    const streamed = await events.take(3);
    assert.deepEqual(
      streamed.map((e) => e.provisioningEvents.seq),
      outcomes.map((e) => e.seq),
      'the subscriber received the same events, in the same order',
    );
    const [ok, failed] = streamed.map((e) => e.provisioningEvents);
    assert.equal(ok.subjectLabel, 'Ada Lovelace');
    assert.equal(ok.subjectId, person.id);
    assert.equal(ok.target?.name, 'first');
    assert.equal(ok.change?.seq, ok.changeSeq);
    assert.equal(ok.attempt, 1);
    assert.ok(ok.durationMs >= 0);
    assert.equal(failed.outcome, 'FAILED');
    assert.match(failed.error ?? '', /ECONNREFUSED|connect/i, 'the error text says why');
    assert.equal(failed.retryable, true);
    assert.equal(failed.targetId, targets.broken.id);

    // What the user sees in the directories.
    assert.ok(await slapd.entry(`uid=ada,${dns.first}`), 'first target has Ada');
    assert.ok(await slapd.entry(`uid=ada,${dns.third}`), 'the target after the failing one still ran');
    assert.equal(await slapd.entry(`uid=ada,${dns.broken}`), null);

    const [opened] = await failures.take(1);
    assert.equal(opened.provisioningFailures.targetName, 'broken');
    assert.equal(opened.provisioningFailures.subjectId, person.id);
    assert.equal(opened.provisioningFailures.open, true);
    assert.equal(opened.provisioningFailures.failures, 1);
    assert.equal(opened.provisioningFailures.lastEventSeq, failed.seq);

    // A second failed attempt adds to the same notification.
    await admin.client.ok(UpdatePersonWithOutcomesDocument, { id: person.id, input: { timezone: 'Europe/London' } });
    const [, again] = await failures.take(2);
    assert.equal(again.provisioningFailures.id, opened.provisioningFailures.id);
    assert.equal(again.provisioningFailures.failures, 2);
    const stored = await admin.client.ok(ProvisioningFailuresDocument, { organizationId: organization.id });
    assert.equal(stored.provisioningFailures.totalCount, 1);
    assert.equal(stored.provisioningFailures.nodes[0].target?.name, 'broken');

    // The directory comes back (the target is fixed); the next attempt succeeds and resolves it.
    await admin.client.ok(UpdateProvisioningTargetDocument, { id: targets.broken.id, input: { config: { url: slapd.url } } });
    const retried = await admin.client.ok(ProvisionDocument, { input: { targetId: targets.broken.id, subjectType: 'PERSON', subjectId: person.id } });
    assert.equal(retried.provision.outcome, 'SUCCEEDED');
    const [, , resolved] = await failures.take(3);
    assert.equal(resolved.provisioningFailures.open, false);
    assert.equal(resolved.provisioningFailures.resolvedByEventSeq, retried.provision.seq);
    assert.ok(await slapd.entry(`uid=ada,${dns.broken}`), 'the fixed target has Ada now');
    const open = await admin.client.ok(ProvisioningFailuresDocument, { organizationId: organization.id });
    assert.equal(open.provisioningFailures.totalCount, 0);
    const history = await admin.client.ok(ProvisioningFailuresDocument, { organizationId: organization.id, open: false });
    assert.equal(history.provisioningFailures.totalCount, 1, 'the resolved notification stays as history');

    // Deletes go to the targets in reverse order; the subscriber sees that too.
    const deleted = await admin.client.ok(DeletePersonWithOutcomesDocument, { id: person.id });
    const personDeletes = deleted.deletePerson.provisioning.filter((e) => e.subjectType === 'PERSON');
    assert.deepEqual(personDeletes.map((e) => [e.targetName, e.outcome]), [
      ['third', 'SUCCEEDED'],
      ['broken', 'SUCCEEDED'],
      ['first', 'SUCCEEDED'],
    ]);
    const all = await events.take(3 + 3 + 1 + 3);
    assert.deepEqual(
      all.slice(-3).map((e) => e.provisioningEvents.seq),
      personDeletes.map((e) => e.seq),
    );
    const seqs = all.map((e) => BigInt(e.provisioningEvents.seq));
    assert.ok(seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]), 'strictly increasing sequences');
  });

  it('replays what a client missed while disconnected, then goes on live, with no gap and no duplicate', async () => {
    const { organization, admin } = await organizationWithThreeTargets();
    const create = (given: string) =>
      admin.client.ok(CreatePersonWithOutcomesDocument, {
        input: { organizationId: organization.id, names: [{ given, family: 'Replay' }], identifiers: [{ type: 'uid', value: uniqueName(given.toLowerCase()) }] },
      });

    const first = live(admin.secret);
    const before = await first.subscribed(OnProvisioningEventsDocument, { subjectType: 'PERSON' });
    await create('One');
    const seen = await before.take(3);
    const cursor = seen.at(-1)!.provisioningEvents.seq;
    await first.close();

    // While nobody listens.
    await create('Two');
    await create('Three');
    const missed = (await admin.client.ok(ProvisioningEventsDocument, { organizationId: organization.id, after: cursor, subjectType: 'PERSON' }))
      .provisioningEvents.nodes;
    assert.equal(missed.length, 6);

    const second = live(admin.secret);
    const resumed = await second.subscribed(OnProvisioningEventsDocument, { after: cursor, subjectType: 'PERSON' });
    const replayed = await resumed.take(6);
    assert.deepEqual(
      replayed.map((e) => e.provisioningEvents.seq),
      missed.map((e) => e.seq),
      'exactly the stored events after the cursor, in order',
    );
    await create('Four');
    const withLive = await resumed.take(9);
    const seqs = withLive.map((e) => e.provisioningEvents.seq);
    assert.equal(new Set(seqs).size, 9, 'no duplicates');
    const stored = (await admin.client.ok(ProvisioningEventsDocument, { organizationId: organization.id, after: cursor, subjectType: 'PERSON' }))
      .provisioningEvents.nodes;
    assert.deepEqual(seqs, stored.map((e) => e.seq), 'no gap: what was stored is what was received');
    assert.deepEqual(
      withLive.slice(6).map((e) => e.provisioningEvents.subjectLabel),
      ['Four Replay', 'Four Replay', 'Four Replay'],
    );

    // Filters apply to the replay and to live events alike.
    const filtered = live(admin.secret);
    const onlyFailures = await filtered.subscribed(OnProvisioningEventsDocument, { after: '0', outcomes: ['FAILED'] });
    const failuresReplayed = await onlyFailures.take(4);
    assert.ok(failuresReplayed.every((e) => e.provisioningEvents.outcome === "FAILED" && e.provisioningEvents.targetName === "broken"), JSON.stringify(failuresReplayed));
    await create('Five');
    const [, , , , fifth] = await onlyFailures.take(5);
    assert.equal(fifth.provisioningEvents.subjectLabel, 'Five Replay');
    assert.equal(onlyFailures.items.length, 5, 'the successes of Five were filtered out');
  });

  it('never shows another organisation its events, checks roles, and ends the subscriptions of a revoked token', async () => {
    const mine = await organizationWithThreeTargets();
    const theirs = await organizationWithThreeTargets();
    const reader = await clientWithRole(t, 'ORG_READER', mine.organization.id);

    const nobody = live(null);
    const refused = nobody.subscribe(OnProvisioningEventsDocument, {});
    const [closedError] = await refused.failure();
    assert.equal(closedError.extensions?.closeCode, 4403, 'no token: the connection is refused');

    const outsider = live(theirs.admin.secret);
    const [notFound] = await outsider.subscribe(OnProvisioningEventsDocument, { organizationId: mine.organization.id }).failure();
    assert.equal(notFound.extensions?.code, 'NOT_FOUND', 'another organisation looks like none');
    const [badCursor] = await outsider.subscribe(OnProvisioningEventsDocument, { after: 'yesterday' }).failure();
    assert.equal(badCursor.extensions?.code, 'BAD_USER_INPUT');
    const [readerFailures] = await live(reader.secret).subscribe(OnProvisioningFailuresDocument, {}).failure();
    assert.equal(readerFailures.extensions?.code, 'FORBIDDEN', 'failure notifications are for admins');

    // The outsider subscribes to "everything it may see"; changes happen in both organisations.
    const theirEvents = await outsider.subscribed(OnProvisioningEventsDocument, { subjectType: 'PERSON' });
    const readerEvents = await live(reader.secret).subscribed(OnProvisioningEventsDocument, { subjectType: 'PERSON' });
    await mine.admin.client.ok(CreatePersonWithOutcomesDocument, { input: { organizationId: mine.organization.id, names: [{ given: 'Mine' }] } });
    await theirs.admin.client.ok(CreatePersonWithOutcomesDocument, { input: { organizationId: theirs.organization.id, names: [{ given: 'Theirs' }] } });
    const received = await theirEvents.take(3);
    assert.ok(received.every((e) => e.provisioningEvents.organizationId === theirs.organization.id));
    assert.equal(theirEvents.items.length, 3, 'nothing of the other organisation arrived');
    const readerReceived = await readerEvents.take(3);
    assert.ok(readerReceived.every((e) => e.provisioningEvents.subjectLabel === 'Mine'), 'a reader sees its organisation');

    // Revoking a token ends its subscriptions at once.
    const doomed = await clientWithRole(t, 'ORG_ADMIN', mine.organization.id);
    const doomedSocket = live(doomed.secret);
    const doomedEvents = await doomedSocket.subscribed(OnProvisioningEventsDocument, {});
    await mine.admin.client.ok(RevokeApiTokenDocument, { id: doomed.token.id });
    const [revoked] = await doomedEvents.failure();
    assert.equal(revoked.extensions?.closeCode, 4403);
    assert.match(doomedSocket.closed?.reason ?? '', /revoked/);
    await mine.admin.client.ok(CreatePersonWithOutcomesDocument, { input: { organizationId: mine.organization.id, names: [{ given: 'After' }] } });
    assert.equal(doomedEvents.items.length, 0);
  });

  it("streams a reprovision-all job's progress until it completes", async () => {
    const organization = await createOrganization(t.admin);
    const admin = await clientWithRole(t, 'ORG_ADMIN', organization.id);
    const dn = await branch();
    const ldap = await target(organization.id, 'directory', 1, dn, slapd.url, 'MANUAL');
    for (let i = 0; i < 12; i++) {
      await admin.client.ok(CreatePersonWithOutcomesDocument, {
        input: { organizationId: organization.id, names: [{ given: `P${i}`, family: 'Bulk' }], identifiers: [{ type: 'uid', value: `bulk${i}` }] },
      });
    }
    const started = await admin.client.ok(ReprovisionAllDocument, { targetId: ldap.id });
    const progress = live(admin.secret).subscribe(OnProvisioningJobProgressDocument, { jobId: started.reprovisionAll.id });
    await progress.completion(60000);
    assert.equal(progress.errors, null, JSON.stringify(progress.errors));
    const states = progress.items.map((item) => item.provisioningJobProgress);
    const last = states.at(-1)!;
    assert.equal(last.state, 'COMPLETED');
    assert.equal(last.progress, 100);
    assert.equal(last.processed, last.total);
    assert.equal(last.failed, 0);
    assert.ok((last.total ?? 0) >= 12, `total counts the people and groups (${last.total})`);
    const percents = states.map((s) => s.progress ?? 0);
    assert.ok(percents.every((p, i) => i === 0 || p >= percents[i - 1]), `progress never goes back: ${percents}`);
    assert.equal((await slapd.childDns(dn)).length, 12, 'the directory has everyone');

    const outsider = live((await clientWithRole(t, 'ORG_ADMIN', (await createOrganization(t.admin)).id)).secret);
    const [hidden] = await outsider.subscribe(OnProvisioningJobProgressDocument, { jobId: started.reprovisionAll.id }).failure();
    assert.equal(hidden.extensions?.code, 'NOT_FOUND');
  });
});
