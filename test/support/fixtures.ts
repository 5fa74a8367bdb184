import { randomBytes } from 'node:crypto';
import { CreateApiTokenDocument, CreateOrganizationDocument, type Role } from '../../src/client/generated/graphql';
import type { GraphQLTestClient } from './client';
import type { TestFerry } from './ferry';

export const uniqueName = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

export async function createOrganization(admin: GraphQLTestClient, name = uniqueName('org')) {
  const data = await admin.ok(CreateOrganizationDocument, { input: { name } });
  return data.createOrganization.organization;
}

/** A token of the given role for the organisation, and a client that uses it. */
export async function clientWithRole(t: TestFerry, role: Role, organizationId: string | null) {
  const data = await t.admin.ok(CreateApiTokenDocument, {
    input: { name: uniqueName(role.toLowerCase()), role, organizationId },
  });
  return { client: t.as(data.createApiToken.secret), token: data.createApiToken.token, secret: data.createApiToken.secret };
}

/**
 * An organisation with an admin, a reader, and a second organisation whose admin must never see
 * the first one: the cast of every authorization test.
 */
export async function organizationWithTokens(t: TestFerry) {
  const organization = await createOrganization(t.admin);
  const other = await createOrganization(t.admin);
  const orgAdmin = (await clientWithRole(t, 'ORG_ADMIN', organization.id)).client;
  const reader = (await clientWithRole(t, 'ORG_READER', organization.id)).client;
  const outsider = (await clientWithRole(t, 'ORG_ADMIN', other.id)).client;
  return { organization, other, orgAdmin, reader, outsider, anonymous: t.as(null) };
}
