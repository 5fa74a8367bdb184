import { CreateProvisioningTargetDocument, type CreateProvisioningTargetInput } from '../../src/client/generated/graphql';
import type { GraphQLTestClient } from './client';
import { uniqueName } from './fixtures';
import type { Slapd } from './slapd';

/**
 * An Automatic LDAP target named "directory" on a fresh branch of a real slapd, people and groups
 * under one base DN; `extra` overrides any target setting.
 */
export async function directoryTarget(admin: GraphQLTestClient, slapd: Slapd, organizationId: string, extra: Partial<CreateProvisioningTargetInput> = {}) {
  const ou = uniqueName('dir');
  const base = `ou=${ou},${slapd.suffix}`;
  await slapd.client().add(base, { objectClass: ['organizationalUnit'], ou });
  const { createProvisioningTarget } = await admin.ok(CreateProvisioningTargetDocument, {
    input: {
      organizationId,
      name: 'directory',
      plugin: 'ldap',
      mode: 'AUTOMATIC',
      config: { url: slapd.url, bindDn: slapd.bindDn, bindPassword: slapd.bindPassword, peopleBaseDn: base, groupBaseDn: base },
      ...extra,
    },
  });
  return { target: createProvisioningTarget.target, base };
}
