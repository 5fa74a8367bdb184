import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { CancelProvisioningJobDocument, ImportPopulationDocument, ImportRunDocument } from '../../src/client/generated/graphql';
import { IMPORT_CHUNK_SIZE } from '../../src/import/applier';
import { createTestDatabase } from '../support/ferry';
import { createOrganization } from '../support/fixtures';
import { killServerProcess, startServerProcess, waitFor, type ServerProcess } from '../support/server-process';

/** People in the file: enough chunks for the run to be caught in the middle (FERRY_IMPORT_CRASH_PEOPLE). */
const PEOPLE = Number(process.env.FERRY_IMPORT_CRASH_PEOPLE ?? 4000);

const csv = (prefix: string) =>
  ['uid,given,family,email', ...Array.from({ length: PEOPLE }, (_, i) => `${prefix}${i},Given${i},Family${i},${prefix}${i}@example.org`)].join('\n');

/**
 * An import is a job written in chunks: a process killed in the middle of one leaves the chunks
 * before it committed and the one in flight not; the job is taken over by another process, which
 * plans again and writes only what is missing. A run cancelled while it runs stops after the chunk
 * in flight.
 */
describe('an import killed or cancelled half-way', () => {
  let databaseUrl: string;
  let db: pg.Client;
  let server: ServerProcess | null = null;
  const adminToken = `ferry_${randomBytes(32).toString('base64url')}`;
  // A short job lock: the second process takes the dead one's job over within seconds.
  const start = () => startServerProcess(databaseUrl, adminToken, { FERRY_JOB_LOCK_LIFETIME_MS: '2000' });

  before(async () => {
    databaseUrl = await createTestDatabase();
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
  });
  after(async () => {
    if (server) await killServerProcess(server);
    await db?.end();
  });

  const count = async (sql: string, params: unknown[]) => Number((await db.query(sql, params)).rows[0].count);
  const peopleIn = (organizationId: string) => count('select count(*) from person where organization_id = $1', [organizationId]);

  async function finished(client: ServerProcess['client'], id: string) {
    return waitFor(
      'the import run to end',
      async () => {
        const { importRun } = await client.ok(ImportRunDocument, { id });
        return importRun.state === 'QUEUED' || importRun.state === 'RUNNING' ? null : importRun;
      },
      120000,
      100,
    );
  }

  it(`kill -9 in the middle of an import (${PEOPLE} people): another process finishes it, every person once`, async () => {
    server = await start();
    const organizationId = (await createOrganization(server.client)).id;
    const started = (await server.client.ok(ImportPopulationDocument, { input: { organizationId, format: 'CSV', document: csv('k') } })).importPopulation;
    // Killed once at least one chunk has committed and before the last.
    const before = await waitFor('a chunk to commit', async () => ((await peopleIn(organizationId)) >= IMPORT_CHUNK_SIZE ? peopleIn(organizationId) : null), 60000, 10);
    await killServerProcess(server);
    server = null;
    const atKill = await peopleIn(organizationId);
    assert.ok(before > 0 && atKill < PEOPLE, `the import was caught in the middle (${atKill} of ${PEOPLE} written when killed)`);
    assert.equal(atKill % IMPORT_CHUNK_SIZE, 0, 'only whole chunks committed: never half a chunk');

    server = await start();
    const run = await finished(server.client, started.id);
    assert.equal(run.state, 'DONE', `the run taken over ends DONE (${run.error ?? ''})`);
    const report = run.report as { people: { created: number; unchanged: number } };
    assert.deepEqual(
      [report.people.created, report.people.unchanged],
      [PEOPLE - atKill, atKill],
      'the second process plans again: what the first wrote matches and is left alone',
    );
    assert.equal(await peopleIn(organizationId), PEOPLE, 'every person once');
    assert.equal(await count(`select count(distinct value) from identifier where organization_id = $1 and type = 'uid'`, [organizationId]), PEOPLE);
    assert.equal(await count('select count(*) from identifier where organization_id = $1', [organizationId]), PEOPLE, 'no identifier twice');
    assert.equal(await count('select count(*) from email_address where organization_id = $1', [organizationId]), PEOPLE, 'no email twice');
    assert.equal(
      await count(`select count(*) from change_log_entry where organization_id = $1 and entity_type = 'Person' and kind = 'CREATED'`, [organizationId]),
      PEOPLE,
      'one change-log entry per person created: provisioning sees each once',
    );
  });

  it('cancelled while it runs: stops after the chunk in flight, and says CANCELLED', async () => {
    server ??= await start();
    const organizationId = (await createOrganization(server.client)).id;
    const started = (await server.client.ok(ImportPopulationDocument, { input: { organizationId, format: 'CSV', document: csv('c') } })).importPopulation;
    await waitFor('a chunk to commit', async () => (await peopleIn(organizationId)) >= IMPORT_CHUNK_SIZE, 60000, 10);
    await server.client.ok(CancelProvisioningJobDocument, { id: started.jobId! });
    const run = await finished(server.client, started.id);
    assert.equal(run.state, 'CANCELLED');
    assert.equal((run.report as { applied: boolean }).applied, false);
    const written = await peopleIn(organizationId);
    assert.ok(written > 0 && written < PEOPLE, `stopped part-way (${written} of ${PEOPLE})`);
    assert.equal(written % IMPORT_CHUNK_SIZE, 0, 'whole chunks only');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(await peopleIn(organizationId), written, 'nothing more is written after the run ended');
  });
});
