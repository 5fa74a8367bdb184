import assert from 'node:assert/strict';
import { ProvisioningJobDocument, ReconcileDocument, ReconciliationRunDocument, ReconciliationRunsDocument } from '../../src/client/generated/graphql';
import type { GraphQLTestClient } from './client';

/** Runs a reconciliation of the target, waits for its job to end, and returns the run it recorded. */
export async function reconcileAndWait(admin: GraphQLTestClient, targetId: string, dryRun: boolean, confirmDeletions = false) {
  const job = (await admin.ok(ReconcileDocument, { targetId, dryRun, confirmDeletions })).reconcile;
  const deadline = Date.now() + 30000;
  for (;;) {
    const state = (await admin.ok(ProvisioningJobDocument, { id: job.id })).provisioningJob.state;
    if (state === 'COMPLETED' || state === 'FAILED') break;
    if (Date.now() > deadline) assert.fail('the reconciliation did not finish');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const [latest] = (await admin.ok(ReconciliationRunsDocument, { targetId, first: 1 })).reconciliationRuns.nodes;
  assert.equal(latest.jobId, job.id);
  return (await admin.ok(ReconciliationRunDocument, { id: latest.id })).reconciliationRun;
}

/** A run's differences as sorted lines, `KIND label [attribute,...]` (attributes sorted). */
export const differenceLines = (run: Awaited<ReturnType<typeof reconcileAndWait>>) =>
  run.differences
    .map((d) => `${d.kind} ${d.label}${d.attributes.length ? ` [${d.attributes.map((a) => String(a.attribute)).sort().join(',')}]` : ''}`)
    .sort();
