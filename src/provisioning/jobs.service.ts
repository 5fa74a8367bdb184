import type { Actor } from '../auth/actor';
import { badInput, forbidden, notFound } from '../common/errors';
import { lazily, pageOf, pageWindow, type Page, type PageArgs } from '../common/pagination';
import { JobCursorError, type JobInfo, type JobListFilter, type JobQueue, type JobState } from '../jobs/job-queue';
import { findReadableOrganization } from '../registry/records';

/** Jobs of an organisation through the API: listing and cancelling, scoped like every record. */
export class JobsService {
  constructor(private readonly jobs: () => JobQueue | null) {}

  private queue(): JobQueue {
    const queue = this.jobs();
    if (!queue) throw forbidden('This Ferry runs without a job queue.');
    return queue;
  }

  /** An organisation's jobs, newest first, one page (keyset on the store's own order). */
  async list(
    actor: Actor,
    filter: { organizationId: string; targetId?: string | null; state?: JobState | null; name?: string | null },
    page: PageArgs,
  ): Promise<Page<JobInfo>> {
    const organization = await findReadableOrganization(actor.em, actor.principal, filter.organizationId);
    const window = pageWindow(page);
    const queue = this.queue();
    const listed: JobListFilter = {
      organizationId: organization.id,
      targetId: filter.targetId ?? undefined,
      state: filter.state ?? undefined,
      name: filter.name ?? undefined,
    };
    try {
      const jobs = await queue.list({
        ...listed,
        after: window.after ?? undefined,
        before: window.before ?? undefined,
        fromEnd: window.backward,
        limit: window.size + 1,
      });
      return pageOf(jobs, window, (job) => job.cursor, lazily(() => queue.count(listed)));
    } catch (error) {
      if (error instanceof JobCursorError) throw badInput(error.message, error.argument);
      throw error;
    }
  }

  async get(actor: Actor, jobId: string): Promise<JobInfo> {
    const job = await this.queue().get(jobId).catch(() => null);
    const organizationId = job?.data.organizationId;
    if (!job || typeof organizationId !== 'string') throw notFound('ProvisioningJob', jobId);
    actor.principal.assertCanRead(organizationId, 'ProvisioningJob', jobId);
    return job;
  }

  async cancel(actor: Actor, jobId: string): Promise<JobInfo> {
    const job = await this.get(actor, jobId);
    actor.principal.assertCanWrite(String(job.data.organizationId), 'ProvisioningJob', jobId);
    await this.queue().cancel(jobId);
    return (await this.queue().get(jobId)) ?? job;
  }
}
