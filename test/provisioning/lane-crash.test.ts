import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import {
  CreatePersonDocument,
  CreateProvisioningTargetDocument,
  CreateServiceDocument,
  UpdateProvisioningTargetDocument,
} from '../../src/client/generated/graphql';
import { createTestDatabase } from '../support/ferry';
import { createOrganization } from '../support/fixtures';
import { killServerProcess, startServerProcess, waitFor, type ServerProcess } from '../support/server-process';
import { startSlapd, type Slapd } from '../support/slapd';

/** People provisioned by the one change the lane is killed in the middle of (FERRY_LANE_CRASH_PEOPLE). */
const PEOPLE = Number(process.env.FERRY_LANE_CRASH_PEOPLE ?? 300);

/**
 * kill -9 of the process whose lane is half-way through a change that provisions many people (a
 * new service gives everyone its entitlement): some of the lane's batches committed, one was in
 * flight (entries written to slapd, its transaction not committed), the rest not started. After a
 * restart every person has exactly one entry (0 lost, 0 extra), the entries written before the
 * kill are the same entries (same entryUUID: not deleted and written again), no attempt failed
 * (the replayed adds recognised their own entries), and no work is left.
 */
describe('a process killed mid-lane loses and duplicates nothing', () => {
  let slapd: Slapd;
  let databaseUrl: string;
  let server: ServerProcess | null = null;
  let db: pg.Client;
  const adminToken = `ferry_${randomBytes(32).toString('base64url')}`;
  // Small batches, one call at a time: the lane is in the middle of its work for long enough to be killed there.
  const start = () => startServerProcess(databaseUrl, adminToken, { FERRY_LANE_BATCH_SIZE: '10' });

  before(async () => {
    slapd = await startSlapd();
    databaseUrl = await createTestDatabase();
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
  });
  after(async () => {
    if (server) await killServerProcess(server);
    await db?.end();
    await slapd?.dispose();
  });

  async function people(base: string): Promise<Map<string, string>> {
    const { searchEntries } = await slapd.client().search(base, { scope: 'one', filter: '(objectClass=inetOrgPerson)', attributes: ['entryUUID'] });
    return new Map(searchEntries.map((entry) => [entry.dn.toLowerCase(), String(entry.entryUUID)]));
  }

  const count = async (sql: string, params: unknown[]) => Number((await db.query(sql, params)).rows[0].count);

  it(`kills the lane between batches and within one, then converges with every person once (${PEOPLE} people)`, async () => {
    const client = slapd.client();
    const base = `ou=lanecrash,${slapd.suffix}`;
    await client.add(base, { objectClass: ['organizationalUnit'], ou: 'lanecrash' });
    await client.add(`ou=people,${base}`, { objectClass: ['organizationalUnit'], ou: 'people' });
    await client.add(`ou=groups,${base}`, { objectClass: ['organizationalUnit'], ou: 'groups' });
    const peopleDn = `ou=people,${base}`;

    server = await start();
    const api = server.client;
    const organizationId = (await createOrganization(api)).id;
    // Manual while the people are created, so that nothing is provisioned yet.
    const target = (
      await api.ok(CreateProvisioningTargetDocument, {
        input: {
          organizationId,
          name: 'directory',
          plugin: 'ldap',
          mode: 'MANUAL',
          concurrency: 1,
          config: {
            url: slapd.url,
            bindDn: slapd.bindDn,
            bindPassword: slapd.bindPassword,
            peopleBaseDn: peopleDn,
            groupBaseDn: `ou=groups,${base}`,
            personObjectClasses: { eduPerson: true },
            timeoutMs: 5000,
          },
        },
      })
    ).createProvisioningTarget.target;
    const uids: string[] = [];
    for (let i = 0; i < PEOPLE; i += 10) {
      await Promise.all(
        Array.from({ length: Math.min(10, PEOPLE - i) }, async (_, j) => {
          const uid = `lane-${i + j}`;
          uids.push(uid);
          await api.ok(CreatePersonDocument, { input: { organizationId, status: 'ACTIVE', names: [{ given: 'Lane', family: uid }], identifiers: [{ type: 'uid', value: uid }] } });
        }),
      );
    }
    await api.ok(UpdateProvisioningTargetDocument, { id: target.id, input: { mode: 'AUTOMATIC' } });

    // One change for everyone: the service's entitlement. Its response is not awaited: the kill comes first.
    void api.request(CreateServiceDocument, { input: { organizationId, name: 'wiki', entitlementUri: 'urn:mace:example.org:wiki' } }).catch(() => undefined);
    const committed = () => count(`select count(*) from provisioned_state where target_id = $1 and subject_type = 'PERSON' and status = 'PROVISIONED'`, [target.id]);
    // Killed when the directory holds entries of a batch not yet committed (entries written, the
    // batch's transaction open). A kill that lands between batches is followed by a restart and another try.
    let atKill = new Map<string, string>();
    let inFlight = 0;
    for (let attempt = 1; attempt <= 5 && inFlight === 0; attempt += 1) {
      if (!server) server = await start();
      await waitFor('the lane to be part-way through', async () => {
        const entries = await people(peopleDn);
        return entries.size >= (attempt * PEOPLE) / 10 && entries.size % 10 !== 0;
      }, 60000, 5);
      await killServerProcess(server);
      server = null;
      atKill = await people(peopleDn);
      inFlight = atKill.size - (await committed());
    }
    const left = await count('select count(*) from provisioning_work where target_id = $1', [target.id]);
    assert.ok(inFlight > 0 && atKill.size < PEOPLE && left > 0, `the kill came mid-batch (${atKill.size} of ${PEOPLE} entries, ${inFlight} of them uncommitted, ${left} work rows left)`);

    server = await start();
    await waitFor('the lane to finish after the restart', async () => (await count('select count(*) from provisioning_work where target_id = $1', [target.id])) === 0, 120000, 100);

    const entries = await people(peopleDn);
    const expected = uids.map((uid) => `uid=${uid},${peopleDn}`.toLowerCase()).sort();
    assert.deepEqual([...entries.keys()].sort(), expected, '0 lost, 0 extra: one entry per person');
    const replaced = [...atKill].filter(([dn, uuid]) => entries.get(dn) !== uuid).map(([dn]) => dn);
    assert.deepEqual(replaced, [], 'the entries written before the kill are the same entries');
    assert.equal(
      await count(`select count(*) from provisioning_event where target_id = $1 and outcome <> 'SUCCEEDED'`, [target.id]),
      0,
      'no attempt failed or was skipped: the replay recognised its own entries',
    );
    const states: { status: string; remote_key: string | null; subject_id: string }[] = (
      await db.query(`select status, remote_key, subject_id from provisioned_state where target_id = $1 and subject_type = 'PERSON'`, [target.id])
    ).rows;
    assert.equal(states.length, PEOPLE);
    assert.deepEqual([...new Set(states.map((s) => s.status))], ['PROVISIONED']);
    assert.deepEqual(new Set(states.map((s) => s.remote_key)), new Set(entries.values()), 'each state holds its entry\'s entryUUID');
    assert.equal(await count('select count(*) from provisioning_claim where target_id = $1', [target.id]), 0, 'no claim left unsettled');
  });
});
