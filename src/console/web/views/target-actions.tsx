import { useId, useState } from 'react';
import {
  ReconcileDocument,
  ReconciliationRunDocument,
  ReconciliationRunsDocument,
  ReprovisionAllDocument,
  type ConsoleTargetQuery,
} from '../../../client/generated/graphql';
import { JobProgress } from '../components/job-progress';
import { Badge, ErrorNotice } from '../components/notice';
import { formatTime } from '../lib/format';
import { useMutation, useQuery } from '../lib/hooks';
import { useSession } from '../lib/session';
import type { FerryError } from '../../../client/runtime';

type Target = ConsoleTargetQuery['provisioningTarget'];

/** Refusals past the target's deletion threshold carry this reason: the console asks to confirm. */
const overThreshold = (error: FerryError | null) => error?.errors[0]?.extensions?.reason === 'DELETION_THRESHOLD';

/** Reprovision All and Reconcile (dry run first, then apply), each followed with a progress bar. */
export function TargetActions({ target }: { target: Target }) {
  const ids = useId();
  const { canWrite } = useSession();
  const reprovision = useMutation(ReprovisionAllDocument);
  const reconcile = useMutation(ReconcileDocument);
  const runs = useQuery(ReconciliationRunsDocument, { targetId: target.id, first: 5 });
  const [reprovisionJob, setReprovisionJob] = useState<string | null>(null);
  const [reconcileJob, setReconcileJob] = useState<{ id: string; dryRun: boolean } | null>(null);
  const [confirmReprovision, setConfirmReprovision] = useState(false);
  const latest = runs.data?.reconciliationRuns.nodes[0] ?? null;

  async function startReprovision(confirmDeletions: boolean) {
    setConfirmReprovision(false);
    const result = await reprovision.run({ targetId: target.id, confirmDeletions });
    if (result) setReprovisionJob(result.reprovisionAll.id);
  }

  async function startReconcile(dryRun: boolean, confirmDeletions = false) {
    const result = await reconcile.run({ targetId: target.id, dryRun, confirmDeletions });
    if (result) setReconcileJob({ id: result.reconcile.id, dryRun });
  }


  return (
    <>
      <section className="panel" aria-labelledby={`${ids}-reprovision`}>
        <h2 id={`${ids}-reprovision`}>Reprovision All</h2>
        <p className="muted">Provisions every person, then every group, then every service of the organisation to this target.</p>
        {canWrite ? (
          <button type="button" className="primary" disabled={reprovision.running} onClick={() => startReprovision(false)}>
            Reprovision All
          </button>
        ) : null}
        {overThreshold(reprovision.error) && !confirmReprovision ? (
          <div className="confirm" role="alertdialog" aria-labelledby={`${ids}-reprovision-confirm`}>
            <p id={`${ids}-reprovision-confirm`}>{reprovision.error!.message}</p>
            <button type="button" className="danger" onClick={() => startReprovision(true)}>
              Delete them and reprovision
            </button>{' '}
            <button type="button" onClick={() => setConfirmReprovision(true)}>
              Cancel
            </button>
          </div>
        ) : (
          <ErrorNotice error={reprovision.error} what="Reprovision All could not start" />
        )}
        {reprovisionJob ? <JobProgress key={reprovisionJob} jobId={reprovisionJob} label="Reprovision All" /> : null}
      </section>

      <section className="panel" aria-labelledby={`${ids}-reconcile`}>
        <h2 id={`${ids}-reconcile`}>Reconcile</h2>
        <p className="muted">Compares the target with the registry. A dry run only reports; Apply fixes what the last dry run found.</p>
        {canWrite ? (
          <p className="actions">
            <button type="button" className="primary" disabled={reconcile.running} onClick={() => startReconcile(true)}>
              Dry run
            </button>{' '}
            <button type="button" disabled={reconcile.running || !latest?.dryRun || latest.status !== 'COMPLETED'} onClick={() => startReconcile(false)}>
              Apply
            </button>
          </p>
        ) : null}
        <ErrorNotice error={reconcile.error} what="Reconcile could not start" />
        {reconcileJob ? <JobProgress key={reconcileJob.id} jobId={reconcileJob.id} label={reconcileJob.dryRun ? 'Reconcile dry run' : 'Reconcile'} onFinished={runs.reload} /> : null}
        <ErrorNotice error={runs.error} what="Reconcile runs could not be loaded" />
        {latest ? <RunReport runId={latest.id} key={latest.id + latest.status} onConfirm={() => startReconcile(false, true)} canWrite={canWrite} /> : null}
      </section>
    </>
  );
}

/** A reconcile run: its counts and every difference, attribute by attribute. */
function RunReport({ runId, onConfirm, canWrite }: { runId: string; onConfirm(): void; canWrite: boolean }) {
  const ids = useId();
  const run = useQuery(ReconciliationRunDocument, { id: runId });
  const data = run.data?.reconciliationRun;
  if (!data) return <ErrorNotice error={run.error} what="The run could not be loaded" />;
  return (
    <div className="run" data-run={data.id} aria-labelledby={`${ids}-run`}>
      <h3 id={`${ids}-run`}>
        {data.dryRun ? 'Dry run' : 'Run'} of {formatTime(data.startedAt)} <Badge value={data.status} />
      </h3>
      <p>
        {data.subjects} subjects, {data.remoteObjects} objects on the target: {data.missing} missing, {data.extra} extra, {data.different} different
        {data.dryRun ? '' : `; ${data.applied} fixed, ${data.failed} failed`}.
      </p>
      {data.status === 'BLOCKED' ? (
        <div className="confirm" role="alertdialog" aria-labelledby={`${ids}-blocked`}>
          <p id={`${ids}-blocked`}>Blocked: {data.reason}</p>
          {canWrite ? (
            <button type="button" className="danger" onClick={onConfirm}>
              Confirm {data.deletions} deletions and apply
            </button>
          ) : null}
        </div>
      ) : data.reason ? (
        <p className="muted">{data.reason}</p>
      ) : null}
      {data.differences.length === 0 ? (
        <p className="empty">No differences.</p>
      ) : (
        <div className="table-scroll">
          <table className="differences">
            <caption className="visually-hidden">Differences</caption>
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Object</th>
                <th scope="col">Attribute</th>
                <th scope="col">Registry says</th>
                <th scope="col">Target has</th>
                <th scope="col">Fix</th>
              </tr>
            </thead>
            <tbody>
              {data.differences.flatMap((difference, index) => {
                const attributes = difference.attributes.length ? difference.attributes : [null];
                return attributes.map((attribute, row) => (
                  <tr key={`${index}-${row}`} data-kind={difference.kind}>
                    {row === 0 ? (
                      <>
                        <td rowSpan={attributes.length}>
                          <Badge value={difference.kind} />
                        </td>
                        <td rowSpan={attributes.length} className="remote-id">
                          <bdi>{difference.label}</bdi>
                        </td>
                      </>
                    ) : null}
                    <td>{attribute ? String(attribute.attribute) : '—'}</td>
                    <td className="detail">{attribute ? show(attribute.expected) : ''}</td>
                    <td className="detail">{attribute ? show(attribute.actual) : ''}</td>
                    {row === 0 ? (
                      <td rowSpan={attributes.length}>
                        {difference.fix}
                        {difference.deletes ? <Badge value="DELETES" /> : null}
                        {difference.applied ? ' (applied)' : ''}
                        {difference.error ? <span className="detail"> {difference.error}</span> : null}
                      </td>
                    ) : null}
                  </tr>
                ));
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

const show = (value: unknown) => (Array.isArray(value) ? value.join(', ') : value === null || value === undefined ? '—' : String(value));
