import { IsEnum, IsOptional, IsUUID } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../api/context';
import { Connection, PageArgs } from '../common/pagination';
import { JobState, type JobInfo } from '../jobs/job-queue';
import { ProvisioningAction, SubjectType } from './actions';

@ObjectType({ description: 'A queued provisioning job (a single push, a retry, or a reprovision-all).' })
export class ProvisioningJob {
  @Field(() => ID)
  id: string;

  @Field({ description: '"provision" or "reprovision-all".' })
  name: string;

  @Field(() => JobState)
  state: JobState;

  @Field(() => Date, { nullable: true })
  nextRunAt: Date | null;

  @Field(() => Date, { nullable: true })
  lastRunAt: Date | null;

  @Field(() => Date, { nullable: true })
  lastFinishedAt: Date | null;

  @Field(() => String, { nullable: true, description: 'The last error.' })
  failReason: string | null;

  @Field(() => Int, { nullable: true, description: 'Percent complete (long jobs).' })
  progress: number | null;

  data: Record<string, unknown>;
}

const text = (value: unknown) => (typeof value === 'string' ? value : null);
const count = (value: unknown) => (typeof value === 'number' ? value : null);

@ArgsType()
class JobListArgs extends PageArgs {
  @Field(() => ID)
  @IsUUID()
  organizationId: string;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  targetId?: string | null;

  @Field(() => JobState, { nullable: true })
  @IsOptional()
  @IsEnum(JobState)
  state?: JobState | null;

}

@ObjectType()
class ProvisioningJobConnection extends Connection(ProvisioningJob) {}

@Resolver(() => ProvisioningJob)
export class ProvisioningJobResolver {
  @Query(() => ProvisioningJobConnection, { description: "An organisation's provisioning jobs, newest first." })
  provisioningJobs(@Ctx() ctx: RequestContext, @Args() args: JobListArgs) {
    const { first, after, last, before, ...filter } = args;
    return ctx.services.jobs.list(ctx, filter, { first, after, last, before });
  }

  @Query(() => ProvisioningJob)
  provisioningJob(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return ctx.services.jobs.get(ctx, id);
  }

  @Mutation(() => ProvisioningJob, { description: 'A waiting job will not run; a running reprovision-all stops after its current batch.' })
  cancelProvisioningJob(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return ctx.services.jobs.cancel(ctx, id);
  }

  @FieldResolver(() => ID, { nullable: true })
  targetId(@Root() job: JobInfo) {
    return text(job.data.targetId);
  }

  @FieldResolver(() => SubjectType, { nullable: true })
  subjectType(@Root() job: JobInfo) {
    return text(job.data.subjectType);
  }

  @FieldResolver(() => ID, { nullable: true })
  subjectId(@Root() job: JobInfo) {
    return text(job.data.subjectId);
  }

  @FieldResolver(() => ProvisioningAction, { nullable: true })
  action(@Root() job: JobInfo) {
    return text(job.data.action);
  }

  @FieldResolver(() => Int, { nullable: true, description: 'Which attempt this job is (1 = the first).' })
  attempt(@Root() job: JobInfo) {
    return typeof job.data.attempt === 'number' ? job.data.attempt : null;
  }

  @FieldResolver(() => Int, { nullable: true, description: 'Long jobs: subjects done so far.' })
  processed(@Root() job: JobInfo) {
    return count(job.data.processed);
  }

  @FieldResolver(() => Int, { nullable: true, description: 'Long jobs: subjects that succeeded so far.' })
  succeeded(@Root() job: JobInfo) {
    return count(job.data.succeeded);
  }

  @FieldResolver(() => Int, { nullable: true, description: 'Long jobs: subjects that failed so far.' })
  failed(@Root() job: JobInfo) {
    return count(job.data.failed);
  }

  @FieldResolver(() => Int, { nullable: true, description: 'Long jobs: subjects to do, counted when the job was requested.' })
  total(@Root() job: JobInfo) {
    return count(job.data.total);
  }

  @FieldResolver(() => GraphQLJSONObject, { description: 'The job data (counts and cursor for reprovision-all); payload snapshots left out.' })
  details(@Root() job: JobInfo) {
    const { snapshot: _snapshot, ...rest } = job.data;
    return rest;
  }
}
