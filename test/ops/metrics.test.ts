import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { CreatePersonDocument, CreateProvisioningTargetDocument } from '../../src/client/generated/graphql';
import { Metrics } from '../../src/observability/metrics';
import { PROVISION_JOB } from '../../src/provisioning/queued-provisioning';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization } from '../support/fixtures';
import { waitFor } from '../jobs/job-queue-contract';

const ROOT = path.resolve(__dirname, '../../..');

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
function parseExposition(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
      return { name: match[1], labels, value: Number(match[3]) };
    });
}

/** The sum of the samples with this name and (at least) these labels; 0 when there is none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

/** A webhook receiver: answers 200 on /ok, and never answers on /hang (a hung target). */
async function startReceiver() {
  const received: string[] = [];
  const held = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push(req.url ?? '');
      if (req.url === '/hang') return void held.add(res);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        held.forEach((res) => res.destroy());
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('provisioning metrics on /metrics', () => {
  let t: TestFerry;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const scrape = async () => parseExposition(await (await fetch(t.ferry.url.replace(/\/graphql$/, '/metrics'))).text());

  before(async () => {
    receiver = await startReceiver();
    // Workers start by hand (jobs pile up first); responses wait at most 1 s for the targets.
    t = await startTestFerry({ FERRY_RUN_WORKERS: 'false', FERRY_JOB_POLL_MS: '100', FERRY_PROVISIONING_WAIT_MS: '1000' });
  });
  after(async () => {
    await t?.stop();
    await receiver?.close();
  });

  async function webhookTarget(organizationId: string, name: string, mode: string, pathName: string, extra: Record<string, unknown> = {}) {
    return (
      await t.admin.ok(CreateProvisioningTargetDocument, {
        input: { organizationId, name, plugin: 'webhook', mode: mode as never, config: { url: `${receiver.base}${pathName}`, secret: 'a-shared-secret-of-32-characters!', ...extra } },
      })
    ).createProvisioningTarget.target;
  }

  it('counts committed events by target, action and outcome, times the plugin calls, and shows the job queue', async () => {
    const organization = await createOrganization(t.admin);
    const crm = await webhookTarget(organization.id, 'crm', 'AUTOMATIC', '/ok');
    const queued = await webhookTarget(organization.id, 'queued', 'QUEUE', '/ok');
    for (const family of ['Lovelace', 'Hopper']) {
      await t.admin.ok(CreatePersonDocument, { input: { organizationId: organization.id, names: [{ given: 'P', family }] } });
    }
    const before = await waitFor('the inline calls to be counted', async () => {
      const samples = await scrape();
      return valueOf(samples, 'ferry_provisioning_events_total', { target: crm.id, action: 'PERSON_ADDED', outcome: 'SUCCEEDED' }) === 2 && samples;
    });
    assert.equal(valueOf(before, 'ferry_provisioning_events_total', { target: crm.id, target_name: 'crm', action: 'PERSON_ADDED', outcome: 'SUCCEEDED' }), 2);
    assert.equal(valueOf(before, 'ferry_provisioning_events_total', { target: queued.id, target_name: 'queued', action: 'PERSON_ADDED', outcome: 'QUEUED' }), 2);
    const calls = () => receiver.received.filter((url) => url === '/ok').length;
    assert.ok(calls() >= 2);
    assert.equal(valueOf(before, 'ferry_provisioning_duration_seconds_count', { plugin: 'webhook', outcome: 'ok' }), calls(), 'each call the receiver answered is timed');
    assert.ok(valueOf(before, 'ferry_provisioning_duration_seconds_sum', { plugin: 'webhook', outcome: 'ok' }) > 0);
    const queuedJobs = valueOf(before, 'ferry_provisioning_events_total', { target: queued.id, outcome: 'QUEUED' });
    assert.equal(valueOf(before, 'ferry_job_queue_depth', { name: PROVISION_JOB, state: 'due' }), queuedJobs, 'a job waits for each QUEUED event');
    assert.equal(valueOf(before, 'ferry_job_queue_depth', { name: PROVISION_JOB, state: 'running' }), 0);
    assert.ok(valueOf(before, 'ferry_job_oldest_due_seconds', { name: PROVISION_JOB }) > 0, 'the oldest due job has waited');
    assert.equal(valueOf(before, 'ferry_changelog_lag_entries'), 0, 'dispatch is at the end of the change log');
    assert.equal(valueOf(before, 'ferry_lane_pending_items', { target: crm.id }), 0);

    await t.ferry.jobs.startWorkers();
    const done = await waitFor('the queued jobs to run', async () => {
      const samples = await scrape();
      return valueOf(samples, 'ferry_provisioning_events_total', { target: queued.id, outcome: 'SUCCEEDED' }) === queuedJobs && samples;
    });
    assert.equal(valueOf(done, 'ferry_job_queue_depth', { name: PROVISION_JOB, state: 'due' }), 0, 'nothing waits any more');
    assert.equal(valueOf(done, 'ferry_job_oldest_due_seconds', { name: PROVISION_JOB }), 0);
    const ran = valueOf(done, 'ferry_job_duration_seconds_count', { name: PROVISION_JOB, outcome: 'completed' });
    assert.ok(ran >= 1 && ran <= queuedJobs, `the jobs ran (one may take others along): ${ran}`);
    assert.equal(valueOf(done, 'ferry_job_wait_seconds_count', { name: PROVISION_JOB }), ran, 'each run has its wait');
    assert.equal(valueOf(done, 'ferry_provisioning_duration_seconds_count', { plugin: 'webhook', outcome: 'ok' }), calls(), 'and their calls are timed, as the receiver saw them');
  });

  it("shows a hung target's lane running with work pending, then its failure", async () => {
    const organization = await createOrganization(t.admin);
    const slow = await webhookTarget(organization.id, 'slow', 'AUTOMATIC', '/hang', { timeoutMs: 3000 });
    await t.admin.ok(CreatePersonDocument, { input: { organizationId: organization.id, names: [{ given: 'Grace', family: 'Hung' }] } });
    const stuck = await scrape();
    assert.equal(valueOf(stuck, 'ferry_lane_running', { target: slow.id }), 1, 'its lane is running');
    assert.ok(valueOf(stuck, 'ferry_lane_pending_items', { target: slow.id, target_name: 'slow' }) >= 1, 'with its work pending');
    assert.ok(valueOf(stuck, 'ferry_lane_oldest_pending_seconds', { target: slow.id }) > 0);
    const failed = await waitFor('the calls to time out and the lane to settle', async () => {
      const samples = await scrape();
      // The lane settles its items, then looks once more for work before it stops.
      return valueOf(samples, 'ferry_lane_pending_items', { target: slow.id }) === 0 && valueOf(samples, 'ferry_lane_running', { target: slow.id }) === 0 && samples;
    }, 60000);
    const failures = valueOf(failed, 'ferry_provisioning_events_total', { target: slow.id, outcome: 'FAILED' });
    assert.ok(valueOf(failed, 'ferry_provisioning_events_total', { target: slow.id, target_name: 'slow', action: 'PERSON_ADDED', outcome: 'FAILED' }) === 1, 'the person failed there');
    assert.equal(valueOf(failed, 'ferry_provisioning_duration_seconds_count', { plugin: 'webhook', outcome: 'error' }), failures, 'each failed call is timed as an error');
    assert.ok(valueOf(failed, 'ferry_provisioning_duration_seconds_sum', { plugin: 'webhook', outcome: 'error' }) >= 3 * failures, 'each took its 3 s timeout');
    assert.equal(valueOf(failed, 'ferry_target_circuit_state', { target: slow.id }), 0, 'its circuit (threshold not reached) is closed');
  });

  it('shows change-log entries the dispatch has not reached, and their age', async () => {
    const organization = await createOrganization(t.admin);
    await webhookTarget(organization.id, 'crm', 'AUTOMATIC', '/ok');
    // Another session holds the dispatch cursor's row: dispatch waits, as it would behind a stuck pass.
    const holder = new pg.Client({ connectionString: t.databaseUrl });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query(`select seq from engine_cursor where name = 'provisioning' for update`);
      // The mutation commits its entry, then its response waits for the dispatch.
      const saved = t.admin.ok(CreatePersonDocument, { input: { organizationId: organization.id, names: [{ given: 'Lag', family: 'Behind' }] } });
      const behind = await waitFor('the entry to be committed', async () => {
        const samples = await scrape();
        return valueOf(samples, 'ferry_changelog_lag_entries') >= 1 && valueOf(samples, 'ferry_changelog_lag_seconds') >= 0.3 && samples;
      });
      assert.ok(valueOf(behind, 'ferry_changelog_lag_entries') >= 1, 'the new entry is not dispatched');
      await holder.query('commit');
      await saved;
    } finally {
      await holder.end();
    }
    await waitFor('dispatch to catch up', async () => valueOf(await scrape(), 'ferry_changelog_lag_entries') === 0);
    assert.equal(valueOf(await scrape(), 'ferry_changelog_lag_seconds'), 0);
  });
});

describe('the Grafana dashboard (deploy/grafana/ferry.json)', () => {
  it('queries only metrics Ferry exports, and shows each provisioning metric', async () => {
    const dashboard = JSON.parse(await readFile(path.join(ROOT, 'deploy/grafana/ferry.json'), 'utf8')) as {
      panels: { title: string; type: string; targets?: { expr: string }[] }[];
      templating?: { list: { name: string; query?: unknown }[] };
    };
    const metrics = new Metrics();
    const exported = new Set<string>();
    for (const metric of (await metrics.registry.getMetricsAsJSON()) as unknown as { name: string; type: string }[]) {
      exported.add(metric.name);
      if (metric.type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(metric.name + suffix);
    }
    const queries = [
      ...dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr }))),
      ...(dashboard.templating?.list ?? []).map((variable) => ({ where: `variable ${variable.name}`, expr: JSON.stringify(variable.query ?? '') })),
    ];
    assert.ok(queries.length >= 10, 'the dashboard has queries');
    const used = new Set<string>();
    for (const { where, expr } of queries) {
      // Metric names: identifiers with an underscore that are not PromQL functions, labels or keywords.
      const names = [...expr.matchAll(/\b((?:ferry|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) => m[1]);
      assert.ok(names.length > 0 || where.startsWith('variable'), `${where} queries a metric: ${expr}`);
      for (const name of names) {
        assert.ok(exported.has(name), `${where} queries ${name}, which Ferry does not export`);
        used.add(name.replace(/_(bucket|sum|count)$/, ''));
      }
    }
    for (const name of [
      'ferry_provisioning_events_total',
      'ferry_provisioning_duration_seconds',
      'ferry_job_queue_depth',
      'ferry_job_wait_seconds',
      'ferry_changelog_lag_seconds',
      'ferry_lane_pending_items',
      'ferry_target_circuit_state',
      'ferry_live_subscriptions',
    ]) {
      assert.ok(used.has(name), `the dashboard shows ${name}`);
    }
  });
});
