import { Args, ArgsType, Ctx, Field, ID, Resolver, Root, Subscription } from 'type-graphql';
import { refreshForNextEvent, type RequestContext } from '../api/context';
import type { JobInfo } from '../jobs/job-queue';
import { SubjectType } from '../provisioning/actions';
import { FailureNotification } from '../provisioning/failure-notification.entity';
import { ProvisioningJob } from '../provisioning/jobs.resolver';
import { ProvisioningEvent, ProvisioningOutcome } from '../provisioning/provisioning-event.entity';
import type { EventSubscriptionArgs } from './live-updates';

const AFTER = 'Resume after this event sequence: stored events after it come first, then live ones, with no gap and no duplicate. Left out: live events only.';

@ArgsType()
class ProvisioningEventSubscriptionArgs implements EventSubscriptionArgs {
  @Field(() => ID, { nullable: true, description: 'Left out: your organisation (platform admins: every organisation).' })
  organizationId?: string | null;

  @Field(() => String, { nullable: true, description: AFTER })
  after?: string | null;

  @Field(() => ID, { nullable: true })
  targetId?: string | null;

  @Field(() => SubjectType, { nullable: true })
  subjectType?: SubjectType | null;

  @Field(() => ID, { nullable: true })
  subjectId?: string | null;

  @Field(() => [ProvisioningOutcome], { nullable: true, description: 'Only these outcomes; left out: all.' })
  outcomes?: ProvisioningOutcome[] | null;
}

@ArgsType()
class FailureSubscriptionArgs {
  @Field(() => ID, { nullable: true, description: 'Left out: your organisation (platform admins: every organisation).' })
  organizationId?: string | null;

  @Field(() => String, { nullable: true, description: `${AFTER} Use a failure's lastEventSeq.` })
  after?: string | null;
}

@ArgsType()
class JobProgressArgs {
  @Field(() => ID)
  jobId: string;
}

/**
 * Subscriptions over graphql-ws. Arguments are checked when the subscription starts (in
 * LiveUpdates), so the per-event resolvers below skip validation; they only give each event a
 * fresh request scope.
 */
@Resolver()
export class LiveResolver {
  @Subscription(() => ProvisioningEvent, {
    description: 'Provisioning results as they happen: every attempt, decision and queued job, per target and subject.',
    subscribe: ({ args, context }) => (context as RequestContext).services.live.events(context as RequestContext, args),
  })
  provisioningEvents(
    @Root() event: ProvisioningEvent,
    @Ctx() ctx: RequestContext,
    @Args({ validate: false }) _args: ProvisioningEventSubscriptionArgs,
  ): ProvisioningEvent {
    refreshForNextEvent(ctx);
    return event;
  }

  @Subscription(() => FailureNotification, {
    description: 'Failure notifications as they open, repeat and resolve (organisation and platform admins).',
    subscribe: ({ args, context }) => (context as RequestContext).services.live.failures(context as RequestContext, args),
  })
  provisioningFailures(
    @Root() notification: FailureNotification,
    @Ctx() ctx: RequestContext,
    @Args({ validate: false }) _args: FailureSubscriptionArgs,
  ): FailureNotification {
    refreshForNextEvent(ctx);
    return notification;
  }

  @Subscription(() => ProvisioningJob, {
    description: "A job's state and progress each time it changes; ends after the job completes, fails or is cancelled.",
    subscribe: ({ args, context }) => (context as RequestContext).services.live.jobProgress(context as RequestContext, args.jobId),
  })
  provisioningJobProgress(@Root() job: JobInfo, @Ctx() ctx: RequestContext, @Args({ validate: false }) _args: JobProgressArgs): JobInfo {
    refreshForNextEvent(ctx);
    return job;
  }
}
