import { useEffect, useId, useRef, useState } from 'react';
import {
  CancelProvisioningJobDocument,
  OnProvisioningJobProgressDocument,
  type OnProvisioningJobProgressSubscription,
} from '../../../client/generated/graphql';
import { useMutation, useSubscription } from '../lib/hooks';
import { useSession } from '../lib/session';
import { Badge, ErrorNotice } from './notice';

export type JobState = OnProvisioningJobProgressSubscription['provisioningJobProgress'];
const FINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/** A job followed live (provisioningJobProgress): a progress bar, its counts, and Cancel. */
export function JobProgress({ jobId, label, onFinished }: { jobId: string; label: string; onFinished?: (job: JobState) => void }) {
  const id = useId();
  const { canWrite } = useSession();
  const [job, setJob] = useState<JobState | null>(null);
  const cancel = useMutation(CancelProvisioningJobDocument);
  const finished = useRef(false);
  const error = useSubscription(OnProvisioningJobProgressDocument, { jobId }, ({ provisioningJobProgress }) => setJob(provisioningJobProgress));
  useEffect(() => {
    if (job && FINAL.has(job.state) && !finished.current) {
      finished.current = true;
      onFinished?.(job);
    }
  }, [job, onFinished]);

  const total = job?.total ?? null;
  const processed = job?.processed ?? 0;
  const percent = total ? Math.floor((100 * processed) / total) : job?.state === 'COMPLETED' ? 100 : (job?.progress ?? null);
  return (
    <div className="job" data-job={jobId} data-state={job?.state ?? 'UNKNOWN'}>
      <label htmlFor={id}>
        {label} <Badge value={job?.state ?? 'QUEUED'} /> <span className="percent">{percent === null ? '' : `${percent} %`}</span>
      </label>
      {percent === null ? <progress id={id} /> : <progress id={id} max={100} value={percent} />}
      <p className="muted">
        {total !== null ? `${processed} of ${total} processed` : null}
        {job?.succeeded != null ? `, ${job.succeeded} succeeded` : null}
        {job?.failed != null ? `, ${job.failed} failed` : null}
        {job?.failReason ? ` · ${job.failReason}` : null}
      </p>
      {canWrite && job && !FINAL.has(job.state) ? (
        <button type="button" disabled={cancel.running} onClick={() => cancel.run({ id: jobId })}>
          Cancel<span className="visually-hidden"> {label}</span>
        </button>
      ) : null}
      <ErrorNotice error={error} what="Progress stopped" />
      <ErrorNotice error={cancel.error} what="The job could not be cancelled" />
    </div>
  );
}
