import assert from 'node:assert/strict';
import {
  ChangeLogDocument,
  CreatePersonDocument,
  GroupsByNameDocument,
  PersonDetailsDocument,
  type ChangeLogQuery,
  type CreatePersonInput,
} from '../../src/client/generated/graphql';
import type { GraphQLTestClient } from '../support/client';
import type { TestFerry } from '../support/ferry';

/** Creates a person through the API, with whatever nested records `input` adds. */
export async function createPerson(
  client: GraphQLTestClient,
  organizationId: string,
  input: Omit<CreatePersonInput, 'organizationId'> = {},
) {
  const data = await client.ok(CreatePersonDocument, { input: { organizationId, ...input } });
  return data.createPerson.person;
}

export async function personDetails(client: GraphQLTestClient, id: string) {
  return (await client.ok(PersonDetailsDocument, { id })).person;
}

/** The sequence of the newest change-log entry of the whole server. */
export async function changeLogHead(t: TestFerry): Promise<string> {
  let cursor: string | null = null;
  for (;;) {
    const page: ChangeLogQuery['changeLog'] = (await t.admin.ok(ChangeLogDocument, { after: cursor, first: 500 })).changeLog;
    cursor = page.pageInfo.endCursor ?? cursor;
    if (!page.pageInfo.hasNextPage) return cursor ?? '0';
  }
}

/** Asserts that no mutation since `head` wrote anything (every write leaves a change-log entry). */
export async function assertNothingWrittenSince(t: TestFerry, head: string): Promise<void> {
  const page = (await t.admin.ok(ChangeLogDocument, { after: head, first: 10 })).changeLog;
  assert.deepEqual(
    page.nodes.map((entry) => `${entry.kind} ${entry.entityType}`),
    [],
    'a failed mutation must not write anything',
  );
}

/** Group ids of the organisation by full name, e.g. "CO:members:active". */
export async function groupsByName(client: GraphQLTestClient, organizationId: string): Promise<Map<string, string>> {
  const data = await client.ok(GroupsByNameDocument, { organizationId });
  return new Map(data.groups.nodes.map((group) => [group.fullName, group.id]));
}

/** The full names of the groups the person is a member of, sorted. */
export async function membershipNames(client: GraphQLTestClient, organizationId: string, personId: string): Promise<string[]> {
  const byId = new Map([...(await groupsByName(client, organizationId))].map(([name, id]) => [id, name]));
  const person = await personDetails(client, personId);
  return person.memberships.map((membership) => byId.get(membership.groupId) ?? membership.groupId).sort();
}
