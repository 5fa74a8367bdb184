import { useEffect, useId, useState } from 'react';
import { ConsoleTargetsDocument, ProvisioningJobsDocument, type JobState } from '../../../client/generated/graphql';
import { enumOptions, FilterSelect, nameOptions } from '../components/filter-select';
import { JobProgress } from '../components/job-progress';
import { Pager } from '../components/pager';
import { Badge, ErrorNotice, Loading } from '../components/notice';
import { formatTime } from '../lib/format';
import { useQuery } from '../lib/hooks';
import { usePaging } from '../lib/paging';
import { href } from '../lib/router';

const STATES: JobState[] = ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'];
/** The list refreshes this often; a running job's bar follows its progress live. */
const REFRESH_MS = 3000;
const PAGE = 50;

/** Queued, running and finished jobs (queued provisioning, Reprovision All, reconcile, imports). */
export function Jobs({ organizationId }: { organizationId: string }) {
  const ids = useId();
  const [state, setState] = useState<JobState | ''>('');
  const [targetId, setTargetId] = useState('');
  const targets = useQuery(ConsoleTargetsDocument, { organizationId });
  const paging = usePaging();
  const jobs = useQuery(ProvisioningJobsDocument, { organizationId, state: state || null, targetId: targetId || null, first: PAGE, after: paging.after });
  const reload = jobs.reload;
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
  const names = new Map((targets.data?.provisioningTargets.nodes ?? []).map((target) => [target.id, target.name]));
  const page = jobs.data?.provisioningJobs;
  const list = page?.nodes ?? [];
  return (
    <section className="panel" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Jobs</h2>
      <form className="filters" onSubmit={(event) => event.preventDefault()} aria-label="Filter jobs">
        <FilterSelect
          label="State"
          value={state}
          onChange={(value) => {
            setState(value as JobState | '');
            paging.reset();
          }}
          all="All states"
          options={enumOptions(STATES)}
        />
        <FilterSelect
          label="Target"
          value={targetId}
          onChange={(value) => {
            setTargetId(value);
            paging.reset();
          }}
          all="All targets"
          options={nameOptions(targets.data?.provisioningTargets.nodes ?? [])}
        />
      </form>
      <ErrorNotice error={jobs.error} what="Jobs could not be loaded" />
      {jobs.loading && !jobs.data ? <Loading what="jobs" /> : null}
      {jobs.data && list.length === 0 ? <p className="empty">No jobs.</p> : null}
      {list.length > 0 ? (
        <div className="table-scroll">
          <table className="jobs">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Target</th>
                <th scope="col">State</th>
                <th scope="col">Subject</th>
                <th scope="col">Last run</th>
                <th scope="col">Progress</th>
              </tr>
            </thead>
            <tbody>
              {list.map((job) => {
                const subject = job.subjectType && job.subjectId ? href.subject(job.subjectType, job.subjectId) : null;
                return (
                  <tr key={job.id} data-job={job.id} data-state={job.state}>
                    <td>
                      {job.name}
                      {job.action ? <span className="muted"> {job.action}</span> : null}
                    </td>
                    <td>{job.targetId ? <a href={href.target(job.targetId)}>{names.get(job.targetId) ?? job.targetId}</a> : '—'}</td>
                    <td>
                      <Badge value={job.state} />
                      {job.failReason ? <div className="detail">{job.failReason}</div> : null}
                    </td>
                    <td>{subject ? <a href={subject}>{job.subjectType?.toLowerCase()}</a> : '—'}</td>
                    <td>{formatTime(job.lastFinishedAt ?? job.lastRunAt ?? job.nextRunAt)}</td>
                    <td className="progress-cell">
                      {job.state === 'RUNNING' || job.state === 'QUEUED' ? <JobProgress jobId={job.id} label={job.name} /> : job.progress != null ? `${job.progress} %` : ''}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      {page && (paging.page > 0 || page.pageInfo.hasNextPage) ? (
        <Pager page={paging.page} hasNext={page.pageInfo.hasNextPage} onPrevious={paging.previous} onNext={() => paging.next(page.pageInfo.endCursor)} total={page.totalCount} shown={list.length} />
      ) : null}
    </section>
  );
}
