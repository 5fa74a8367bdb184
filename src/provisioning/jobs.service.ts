import type { RequestContext } from '../api/context';
import { forbidden, notFound } from '../common/errors';
import type { JobInfo, JobQueue, JobState } from '../jobs/job-queue';
import { findReadableOrganization } from '../registry/records';

/** Jobs of an organisation through the API: listing and cancelling, scoped like every record. */
export class JobsService {
  constructor(private readonly jobs: () => JobQueue | null) {}

  private queue(): JobQueue {
    const queue = this.jobs();
    if (!queue) throw forbidden('This Ferry runs without a job queue.');
    return queue;
  }

  async list(
    ctx: RequestContext,
    filter: { organizationId: string; targetId?: string | null; state?: JobState | null; name?: string | null; first: number; skip: number },
  ): Promise<JobInfo[]> {
    const organization = await findReadableOrganization(ctx.em, ctx.principal, filter.organizationId);
    return this.queue().list({
      organizationId: organization.id,
      targetId: filter.targetId ?? undefined,
      state: filter.state ?? undefined,
      name: filter.name ?? undefined,
      limit: filter.first,
      skip: filter.skip,
    });
  }

  async get(ctx: RequestContext, jobId: string): Promise<JobInfo> {
    const job = await this.queue().get(jobId).catch(() => null);
    const organizationId = job?.data.organizationId;
    if (!job || typeof organizationId !== 'string') throw notFound('ProvisioningJob', jobId);
    ctx.principal.assertCanRead(organizationId, 'ProvisioningJob', jobId);
    return job;
  }

  async cancel(ctx: RequestContext, jobId: string): Promise<JobInfo> {
    const job = await this.get(ctx, jobId);
    ctx.principal.assertCanWrite(String(job.data.organizationId), 'ProvisioningJob', jobId);
    await this.queue().cancel(jobId);
    return (await this.queue().get(jobId)) ?? job;
  }
}
