import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ConsoleTargetActivityDocument, CreatePersonDocument, CreateProvisioningTargetDocument } from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization } from '../support/fixtures';

/** A webhook receiver that accepts while `accepting` is true and answers 400 (permanent) otherwise. */
async function startReceiver() {
  const state = { accepting: true };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => (state.accepting ? res.writeHead(200, { 'content-type': 'application/json' }).end('{}') : res.writeHead(400).end('refused')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { state, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("targetActivity: a target's last success", () => {
  let t: TestFerry;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let db: pg.Client;
  before(async () => {
    receiver = await startReceiver();
    t = await startTestFerry();
    db = new pg.Client({ connectionString: t.databaseUrl });
    await db.connect();
  });
  after(async () => {
    await db?.end();
    await t?.stop();
    await receiver?.close();
  });

  it('is the newest successful call, unchanged by later failures, and still known once its events are pruned', async () => {
    const organization = await createOrganization(t.admin);
    const target = (
      await t.admin.ok(CreateProvisioningTargetDocument, {
        input: { organizationId: organization.id, name: 'crm', plugin: 'webhook', mode: 'AUTOMATIC', config: { url: receiver.url, secret: 'a-shared-secret-of-32-characters!' } },
      })
    ).createProvisioningTarget.target;
    const lastSuccess = async () => {
      const rows = (await t.admin.ok(ConsoleTargetActivityDocument, { organizationId: organization.id })).targetActivity;
      const value = rows.find((row) => row.target.id === target.id)?.lastSuccessAt;
      return value ? new Date(value).getTime() : null;
    };
    assert.equal(await lastSuccess(), null, 'nothing provisioned yet');

    await t.admin.ok(CreatePersonDocument, { input: { organizationId: organization.id, names: [{ given: 'Ada', family: 'Lovelace' }] } });
    const newest = await db.query<{ at: Date }>(`select max(occurred_at) as at from provisioning_event where target_id = $1 and outcome = 'SUCCEEDED'`, [target.id]);
    const succeededAt = newest.rows[0].at.getTime();
    assert.equal(await lastSuccess(), succeededAt, 'the newest SUCCEEDED event');

    receiver.state.accepting = false;
    await t.admin.ok(CreatePersonDocument, { input: { organizationId: organization.id, names: [{ given: 'Bob', family: 'Refused' }] } });
    const failed = await db.query(`select 1 from provisioning_event where target_id = $1 and outcome = 'FAILED'`, [target.id]);
    assert.ok(failed.rowCount! >= 1, 'the second person failed there');
    assert.equal(await lastSuccess(), succeededAt, 'a failure does not move it');

    // Retention pruned the success events: the subjects' provisioned states still know.
    await db.query(`delete from provisioning_event where target_id = $1 and outcome = 'SUCCEEDED'`, [target.id]);
    const states = await db.query<{ at: Date }>(`select max(last_success_at) as at from provisioned_state where target_id = $1`, [target.id]);
    assert.ok(states.rows[0].at, 'the states hold a last success');
    assert.equal(await lastSuccess(), states.rows[0].at.getTime());
  });

  it('can read the newest success of a target through an index, not by scanning its events', async () => {
    const organization = await createOrganization(t.admin);
    // A test table is too small for the planner to prefer any index: with sequential scans off, it
    // shows which index serves the lookup (production tables are large enough to choose it).
    await db.query('begin');
    await db.query('set local enable_seqscan = off');
    const plan = await db.query<{ 'QUERY PLAN': string }>(
      `explain select e.occurred_at from provisioning_event e where e.target_id = $1 and e.outcome = 'SUCCEEDED' order by e.seq desc limit 1`,
      [organization.id],
    );
    await db.query('commit');
    const text = plan.rows.map((row) => row['QUERY PLAN']).join('\n');
    assert.match(text, /provisioning_event_target_success/, text);
  });
});
