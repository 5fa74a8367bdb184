import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  ProvisioningEventsDocument,
  ProvisioningJobsDocument,
  type ProvisioningEventsQuery,
  type ProvisioningEventsQueryVariables,
  type ProvisioningJobsQuery,
  type ProvisioningJobsQueryVariables,
} from '../../src/client/generated/graphql';

/** Anything that runs a typed operation and fails the test on an error (GraphQLTestClient and the like). */
export interface OkClient {
  ok<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables?: TVariables): Promise<TResult>;
}

export type ProvisioningEvent = ProvisioningEventsQuery['provisioningEvents']['nodes'][number];
export type ProvisioningJob = ProvisioningJobsQuery['provisioningJobs']['nodes'][number];

/** The largest page a connection serves. */
const PAGE = 500;

/**
 * Every provisioning event matching `variables` (after `variables.after`, if given), in seq order:
 * reads page after page of ProvisioningEventsDocument until the last.
 */
export async function allEvents(
  client: OkClient,
  variables: Omit<ProvisioningEventsQueryVariables, 'first' | 'last' | 'before'>,
): Promise<ProvisioningEvent[]> {
  const events: ProvisioningEvent[] = [];
  let after = variables.after ?? null;
  for (;;) {
    const page = (await client.ok(ProvisioningEventsDocument, { ...variables, after, first: PAGE })).provisioningEvents;
    events.push(...page.nodes);
    if (!page.pageInfo.hasNextPage) return events;
    after = page.pageInfo.endCursor;
  }
}

/** Every provisioning job matching `variables`, reading page after page of ProvisioningJobsDocument. */
export async function allJobs(
  client: OkClient,
  variables: Omit<ProvisioningJobsQueryVariables, 'first' | 'after'>,
): Promise<ProvisioningJob[]> {
  const jobs: ProvisioningJob[] = [];
  let after: string | null = null;
  for (;;) {
    const page: ProvisioningJobsQuery['provisioningJobs'] = (await client.ok(ProvisioningJobsDocument, { ...variables, after, first: PAGE })).provisioningJobs;
    jobs.push(...page.nodes);
    if (!page.pageInfo.hasNextPage) return jobs;
    after = page.pageInfo.endCursor;
  }
}
