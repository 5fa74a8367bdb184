import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CancelProvisioningJobDocument,
  CreateProvisioningTargetDocument,
  DeleteProvisioningTargetDocument,
  UpdateProvisioningTargetDocument,
} from '../../src/client/generated/graphql';
import { nextRun } from '../../src/common/cron';
import { allJobs } from '../support/events';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, uniqueName } from '../support/fixtures';

describe('scheduled reconciliation', () => {
  let t: TestFerry;
  before(async () => {
    t = await startTestFerry();
  });
  after(async () => {
    await t?.stop();
  });

  /** The target's waiting scheduled reconciliations, as the jobs list shows them. */
  async function waitingRuns(client: TestFerry['admin'], organizationId: string, targetId: string) {
    const jobs = await allJobs(client, { organizationId, targetId, state: 'QUEUED' });
    return jobs.filter((job) => job.name === 'reconcile').map((job) => new Date(job.nextRunAt as string).toISOString());
  }

  it('queues the next run when a schedule is set, moves it when the schedule changes, drops it when removed, and queues it again at start', async () => {
    const organization = await createOrganization(t.admin);
    const daily = '0 3 * * *';
    const target = (
      await t.admin.ok(CreateProvisioningTargetDocument, {
        input: {
          organizationId: organization.id,
          name: uniqueName('directory'),
          plugin: 'webhook',
          mode: 'MANUAL',
          reconcileSchedule: daily,
          config: { url: 'http://127.0.0.1:9/hook', secret: 'a-shared-secret-of-enough-length' },
        },
      })
    ).createProvisioningTarget.target;
    assert.deepEqual(await waitingRuns(t.admin, organization.id, target.id), [nextRun(daily).toISOString()], 'one run, at the next 03:00');

    const hourly = '15 * * * *';
    await t.admin.ok(UpdateProvisioningTargetDocument, { id: target.id, input: { reconcileSchedule: hourly } });
    assert.deepEqual(await waitingRuns(t.admin, organization.id, target.id), [nextRun(hourly).toISOString()], 'the waiting run moved to the new schedule');

    await t.admin.ok(UpdateProvisioningTargetDocument, { id: target.id, input: { mode: 'DISABLED' } });
    assert.deepEqual(await waitingRuns(t.admin, organization.id, target.id), [], 'a disabled target has no scheduled run');
    await t.admin.ok(UpdateProvisioningTargetDocument, { id: target.id, input: { mode: 'MANUAL' } });
    assert.deepEqual(await waitingRuns(t.admin, organization.id, target.id), [nextRun(hourly).toISOString()]);

    await t.admin.ok(UpdateProvisioningTargetDocument, { id: target.id, input: { reconcileSchedule: null } });
    assert.deepEqual(await waitingRuns(t.admin, organization.id, target.id), [], 'no schedule, no run');

    // A process that stopped between saving a schedule and queueing its run: the next start queues it.
    await t.admin.ok(UpdateProvisioningTargetDocument, { id: target.id, input: { reconcileSchedule: daily } });
    const [waiting] = await allJobs(t.admin, { organizationId: organization.id, targetId: target.id, state: 'QUEUED' });
    await t.admin.ok(CancelProvisioningJobDocument, { id: waiting.id });
    assert.deepEqual(await waitingRuns(t.admin, organization.id, target.id), []);
    await t.stop();
    t = await startTestFerry({ DATABASE_URL: t.databaseUrl });
    assert.deepEqual(await waitingRuns(t.admin, organization.id, target.id), [nextRun(daily).toISOString()], 'queued again at start');

    // A deleted target's scheduled run goes with it.
    await t.admin.ok(DeleteProvisioningTargetDocument, { id: target.id });
    assert.deepEqual(await waitingRuns(t.admin, organization.id, target.id), [], 'no run left for a deleted target');
  });
});
