import assert from 'node:assert/strict';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import type { GraphQLResponse, GraphQLTestClient } from '../support/client';
import type { TestFerry } from '../support/ferry';
import { clientWithRole, createOrganization, uniqueName } from '../support/fixtures';

/**
 * The authorization matrix: for every root field of the schema, a realistic call on a fixture
 * organisation and the outcome each caller must get. The test (authorization-matrix.test.ts)
 * fails when a root field has no case here, so a new field cannot ship without a decided rule.
 */

/** Ordered from least to most privileged: denials run before any allowed call changes a fixture. */
export const CALLERS = ['anonymous', 'revoked', 'outsider', 'reader', 'orgAdmin', 'platformAdmin'] as const;
export type Caller = (typeof CALLERS)[number];

export type Outcome = 'ALLOWED' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND';
export type Rule = Record<Caller, Outcome>;

const rule = (outsider: Outcome, reader: Outcome, orgAdmin: Outcome): Rule => ({
  // No token and a revoked token never get past authentication, whatever the field.
  anonymous: 'UNAUTHENTICATED',
  revoked: 'UNAUTHENTICATED',
  outsider,
  reader,
  orgAdmin,
  platformAdmin: 'ALLOWED',
});

export const RULES = {
  /** Needs a token, nothing more: the answer is scoped to the caller. */
  anyToken: rule('ALLOWED', 'ALLOWED', 'ALLOWED'),
  /** Reads of the organisation's records: its admins and readers; another organisation sees nothing. */
  orgRead: rule('NOT_FOUND', 'ALLOWED', 'ALLOWED'),
  /** Changes to the organisation's records: its admins only; readers are refused, outsiders see nothing. */
  orgWrite: rule('NOT_FOUND', 'FORBIDDEN', 'ALLOWED'),
  /** Reads for administrators only (token management, failure notifications). */
  orgAdminRead: rule('NOT_FOUND', 'FORBIDDEN', 'ALLOWED'),
  /** Operations that are not about one organisation: platform admins only. */
  platformOnly: rule('FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'),
  /** Platform-only operations on an organisation: an outsider must not learn that it exists. */
  platformOnlyOnOrganization: rule('NOT_FOUND', 'FORBIDDEN', 'FORBIDDEN'),
  /** Records outside every organisation (platform-admin tokens): invisible to organisation tokens. */
  platformRecord: rule('NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND'),
} satisfies Record<string, Rule>;
export type RuleName = keyof typeof RULES;

export type RootType = 'Query' | 'Mutation' | 'Subscription';
export type Variables = Record<string, unknown>;

export interface MatrixCase {
  root: RootType;
  field: string;
  /** Tells apart several cases of one field (other arguments, other rule). */
  variant?: string;
  rule: RuleName;
  /** Arguments of the call, by argument name; called once per caller (fresh records where the call consumes them). */
  args(world: World, caller: Caller): Variables | Promise<Variables>;
  /** The selection set; `__typename` by default (the root resolver decides authorization). */
  selection?: string;
  /** More assertions on an allowed caller's data, e.g. that a list is scoped to the caller. */
  check?(data: unknown, caller: Caller, world: World): void;
  /** Runs after every other case: if its denial failed, the fixture organisation would be gone. */
  runLast?: boolean;
}

// ---------------------------------------------------------------------------------------------
// The fixture world, built once by the platform admin.

export async function gql(client: GraphQLTestClient, text: string, variables: Variables = {}): Promise<GraphQLResponse<any>> {
  return client.request(parse(text) as TypedDocumentNode<any, Variables>, variables);
}

/** Runs a set-up operation and fails loudly if it did not work. */
async function must(client: GraphQLTestClient, text: string, variables: Variables = {}): Promise<any> {
  const result = await gql(client, text, variables);
  assert.equal(result.errors, undefined, `fixture operation failed: ${text.trim().slice(0, 120)}: ${JSON.stringify(result.errors)}`);
  return result.data;
}

export interface FixtureIds {
  person: string;
  name: string;
  emailAddress: string;
  identifier: string;
  url: string;
  role: string;
  address: string;
  telephoneNumber: string;
  adHocAttribute: string;
  cou: string;
  folder: string;
  group: string;
  membership: string;
  source: string;
  link: string;
  service: string;
  terms: string;
  agreement: string;
  department: string;
  emailList: string;
  /** MANUAL, all groups: provision, preview, status, reconcile. Nothing else writes events for it. */
  target: string;
  /** MANUAL, folder rules: assignments and provisionability. */
  rulesTarget: string;
  /** MANUAL: reprovision-all and target updates. */
  bulkTarget: string;
  assignment: string;
  job: string;
  reconciliationRun: string;
  importRun: string;
}

export interface World {
  t: TestFerry;
  organizationId: string;
  otherOrganizationId: string;
  tokens: Record<Caller, string | null>;
  ids: FixtureIds;
  fresh: ReturnType<typeof freshRecords>;
}

const recorderTarget = (organizationId: string, overrides: Variables = {}) => ({
  input: { organizationId, name: uniqueName('target'), plugin: 'recorder', config: {}, mode: 'MANUAL', ...overrides },
});
const CREATE_TARGET = 'mutation($input: CreateProvisioningTargetInput!) { createProvisioningTarget(input: $input) { target { id } } }';

/** Records made for one call that consumes or changes them (deletes, unique adds), in the fixture organisation. */
function freshRecords(admin: GraphQLTestClient, organizationId: string, ids: () => FixtureIds) {
  const organization = { organizationId };
  return {
    organization: async () =>
      (await must(admin, 'mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }', { input: { name: uniqueName('doomed') } }))
        .createOrganization.organization.id as string,
    person: async () =>
      (await must(admin, 'mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }', {
        input: { ...organization, names: [{ given: uniqueName('Fresh'), family: 'Person' }] },
      })).createPerson.person.id as string,
    name: async () =>
      (await must(admin, 'mutation($input: AddNameInput!) { addName(input: $input) { name { id } } }', { input: { personId: ids().person, given: uniqueName('Alias') } }))
        .addName.name.id as string,
    emailAddress: async () =>
      (await must(admin, 'mutation($input: AddEmailAddressInput!) { addEmailAddress(input: $input) { emailAddress { id } } }', {
        input: { personId: ids().person, mail: `${uniqueName('fresh')}@example.org` },
      })).addEmailAddress.emailAddress.id as string,
    identifier: async () =>
      (await must(admin, 'mutation($input: AddIdentifierInput!) { addIdentifier(input: $input) { identifier { id } } }', {
        input: { personId: ids().person, type: 'eppn', value: `${uniqueName('fresh')}@example.org` },
      })).addIdentifier.identifier.id as string,
    url: async () =>
      (await must(admin, 'mutation($input: AddUrlInput!) { addUrl(input: $input) { url { id } } }', { input: { personId: ids().person, url: `https://example.org/${uniqueName('u')}` } }))
        .addUrl.url.id as string,
    role: async () =>
      (await must(admin, 'mutation($input: AddPersonRoleInput!) { addPersonRole(input: $input) { personRole { id } } }', { input: { personId: ids().person, title: 'Fresh role' } }))
        .addPersonRole.personRole.id as string,
    address: async () =>
      (await must(admin, 'mutation($input: AddAddressInput!) { addAddress(input: $input) { address { id } } }', { input: { roleId: ids().role, street: 'Fresh Street 1' } }))
        .addAddress.address.id as string,
    telephoneNumber: async () =>
      (await must(admin, 'mutation($input: AddTelephoneNumberInput!) { addTelephoneNumber(input: $input) { telephoneNumber { id } } }', { input: { roleId: ids().role, number: '555 0100' } }))
        .addTelephoneNumber.telephoneNumber.id as string,
    adHocAttribute: async () =>
      (await must(admin, 'mutation($input: AddAdHocAttributeInput!) { addAdHocAttribute(input: $input) { adHocAttribute { id } } }', { input: { roleId: ids().role, tag: 'fresh', value: 'x' } }))
        .addAdHocAttribute.adHocAttribute.id as string,
    cou: async () =>
      (await must(admin, 'mutation($input: CreateCouInput!) { createCou(input: $input) { cou { id } } }', { input: { ...organization, name: uniqueName('cou') } })).createCou.cou.id as string,
    folder: async () =>
      (await must(admin, 'mutation($input: CreateFolderInput!) { createFolder(input: $input) { folder { id } } }', { input: { ...organization, name: uniqueName('folder') } }))
        .createFolder.folder.id as string,
    group: async () =>
      (await must(admin, 'mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } } }', { input: { folderId: ids().folder, name: uniqueName('group') } }))
        .createGroup.group.id as string,
    /** A direct membership of a fresh person in the fixture group. */
    membership: async () => {
      const personId = await freshPerson();
      return (await must(admin, 'mutation($input: AddGroupMemberInput!) { addGroupMember(input: $input) { membership { id } } }', { input: { groupId: ids().group, personId } }))
        .addGroupMember.membership.id as string;
    },
    /** A fresh group nested in the fixture group. */
    nesting: async () => {
      const nestedGroupId = await freshGroup();
      return (await must(admin, 'mutation($input: NestGroupInput!) { nestGroup(input: $input) { nesting { id } } }', { input: { groupId: ids().group, nestedGroupId } }))
        .nestGroup.nesting.id as string;
    },
    source: async () =>
      (await must(admin, 'mutation($input: CreateOrgIdentitySourceInput!) { createOrgIdentitySource(input: $input) { orgIdentitySource { id } } }', {
        input: { ...organization, name: uniqueName('source'), kind: 'directory' },
      })).createOrgIdentitySource.orgIdentitySource.id as string,
    link: async () =>
      (await must(admin, 'mutation($input: LinkOrgIdentityInput!) { linkOrgIdentity(input: $input) { link { id } } }', {
        input: { personId: ids().person, sourceId: ids().source, sourceKey: uniqueName('key') },
      })).linkOrgIdentity.link.id as string,
    service: async () =>
      (await must(admin, 'mutation($input: CreateServiceInput!) { createService(input: $input) { service { id } } }', { input: { ...organization, name: uniqueName('service') } }))
        .createService.service.id as string,
    terms: async () => freshTerms(),
    /** The fixture person's agreement to fresh terms (agreeing twice to the same terms is a conflict). */
    agreement: async () => {
      const termsId = await freshTerms();
      return (await must(admin, 'mutation($input: RecordTermsAgreementInput!) { recordTermsAgreement(input: $input) { agreement { id } } }', { input: { personId: ids().person, termsId } }))
        .recordTermsAgreement.agreement.id as string;
    },
    department: async () =>
      (await must(admin, 'mutation($input: CreateDepartmentInput!) { createDepartment(input: $input) { department { id } } }', { input: { ...organization, name: uniqueName('department') } }))
        .createDepartment.department.id as string,
    emailList: async () =>
      (await must(admin, 'mutation($input: CreateEmailListInput!) { createEmailList(input: $input) { emailList { id } } }', { input: { ...organization, name: uniqueName('list') } }))
        .createEmailList.emailList.id as string,
    target: async () => (await must(admin, CREATE_TARGET, recorderTarget(organizationId, { mode: 'DISABLED' }))).createProvisioningTarget.target.id as string,
    /** A fresh group's assignment on the folder-rules target. */
    assignment: async () => {
      const groupId = await freshGroup();
      return (await must(admin, 'mutation($input: SetGroupProvisioningInput!) { setGroupProvisioning(input: $input) { assignment { id } } }', {
        input: { groupId, targetId: ids().rulesTarget, provision: true },
      })).setGroupProvisioning.assignment.id as string;
    },
    /** An organisation token (ORG_READER), to revoke. */
    token: async () =>
      (await must(admin, 'mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token { id } } }', { input: { name: uniqueName('victim'), role: 'ORG_READER', ...organization } }))
        .createApiToken.token.id as string,
    platformToken: async () =>
      (await must(admin, 'mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token { id } } }', { input: { name: uniqueName('root'), role: 'PLATFORM_ADMIN' } }))
        .createApiToken.token.id as string,
    /** A job of the fixture organisation (an on-demand reconciliation), to cancel. */
    job: async () => (await must(admin, 'mutation($targetId: ID!) { reconcile(targetId: $targetId) { id } }', { targetId: ids().target })).reconcile.id as string,
  };

  async function freshPerson(): Promise<string> {
    return (await must(admin, 'mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }', {
      input: { organizationId, names: [{ given: uniqueName('Member'), family: 'Person' }] },
    })).createPerson.person.id;
  }
  async function freshGroup(): Promise<string> {
    return (await must(admin, 'mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } } }', { input: { folderId: ids().folder, name: uniqueName('group') } }))
      .createGroup.group.id;
  }
  async function freshTerms(): Promise<string> {
    return (await must(admin, 'mutation($input: CreateTermsAndConditionsInput!) { createTermsAndConditions(input: $input) { termsAndConditions { id } } }', {
      input: { organizationId, name: uniqueName('terms'), url: 'https://example.org/terms' },
    })).createTermsAndConditions.termsAndConditions.id;
  }
}

/**
 * One organisation holding a record of every kind, provisioning results (a success and a failure
 * notification), a finished job and a reconciliation run; a second organisation whose admin is the
 * outsider; and a revoked admin token of the first.
 */
export async function buildWorld(t: TestFerry): Promise<World> {
  const admin = t.admin;
  const organization = await createOrganization(admin);
  const other = await createOrganization(admin);
  const orgAdmin = await clientWithRole(t, 'ORG_ADMIN', organization.id);
  const reader = await clientWithRole(t, 'ORG_READER', organization.id);
  const outsider = await clientWithRole(t, 'ORG_ADMIN', other.id);
  const revoked = await clientWithRole(t, 'ORG_ADMIN', organization.id);
  await must(admin, 'mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }', { id: revoked.token.id });
  const organizationId = organization.id;
  const of = { organizationId };

  const cou = (await must(admin, 'mutation($input: CreateCouInput!) { createCou(input: $input) { cou { id } } }', { input: { ...of, name: uniqueName('unit') } })).createCou.cou.id;
  const { person } = (await must(
    admin,
    `mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id names { id } emailAddresses { id } identifiers { id } } } }`,
    {
      input: {
        ...of,
        names: [{ given: 'Ada', family: 'Lovelace' }],
        emailAddresses: [{ mail: `${uniqueName('ada')}@example.org` }],
        identifiers: [{ type: 'uid', value: uniqueName('ada') }],
      },
    },
  )).createPerson;
  const url = (await must(admin, 'mutation($input: AddUrlInput!) { addUrl(input: $input) { url { id } } }', { input: { personId: person.id, url: 'https://example.org/ada' } })).addUrl.url.id;
  const role = (await must(admin, 'mutation($input: AddPersonRoleInput!) { addPersonRole(input: $input) { personRole { id } } }', { input: { personId: person.id, couId: cou, title: 'Analyst' } }))
    .addPersonRole.personRole.id;
  const address = (await must(admin, 'mutation($input: AddAddressInput!) { addAddress(input: $input) { address { id } } }', { input: { roleId: role, street: 'Main Street 1' } })).addAddress.address.id;
  const telephoneNumber = (await must(admin, 'mutation($input: AddTelephoneNumberInput!) { addTelephoneNumber(input: $input) { telephoneNumber { id } } }', { input: { roleId: role, number: '555 0199' } }))
    .addTelephoneNumber.telephoneNumber.id;
  const adHocAttribute = (await must(admin, 'mutation($input: AddAdHocAttributeInput!) { addAdHocAttribute(input: $input) { adHocAttribute { id } } }', { input: { roleId: role, tag: 'shoe', value: '42' } }))
    .addAdHocAttribute.adHocAttribute.id;
  const folder = (await must(admin, 'mutation($input: CreateFolderInput!) { createFolder(input: $input) { folder { id } } }', { input: { ...of, name: uniqueName('apps') } })).createFolder.folder.id;
  const group = (await must(admin, 'mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } } }', { input: { folderId: folder, name: uniqueName('wiki') } })).createGroup.group.id;
  const membership = (await must(admin, 'mutation($input: AddGroupMemberInput!) { addGroupMember(input: $input) { membership { id } } }', { input: { groupId: group, personId: person.id } }))
    .addGroupMember.membership.id;
  const source = (await must(admin, 'mutation($input: CreateOrgIdentitySourceInput!) { createOrgIdentitySource(input: $input) { orgIdentitySource { id } } }', {
    input: { ...of, name: uniqueName('hr'), kind: 'directory' },
  })).createOrgIdentitySource.orgIdentitySource.id;
  const link = (await must(admin, 'mutation($input: LinkOrgIdentityInput!) { linkOrgIdentity(input: $input) { link { id } } }', { input: { personId: person.id, sourceId: source, sourceKey: 'ada-1' } }))
    .linkOrgIdentity.link.id;
  const service = (await must(admin, 'mutation($input: CreateServiceInput!) { createService(input: $input) { service { id } } }', { input: { ...of, name: uniqueName('wiki'), groupId: group } }))
    .createService.service.id;
  const terms = (await must(admin, 'mutation($input: CreateTermsAndConditionsInput!) { createTermsAndConditions(input: $input) { termsAndConditions { id } } }', {
    input: { ...of, name: uniqueName('aup'), url: 'https://example.org/aup' },
  })).createTermsAndConditions.termsAndConditions.id;
  const agreement = (await must(admin, 'mutation($input: RecordTermsAgreementInput!) { recordTermsAgreement(input: $input) { agreement { id } } }', { input: { personId: person.id, termsId: terms } }))
    .recordTermsAgreement.agreement.id;
  const department = (await must(admin, 'mutation($input: CreateDepartmentInput!) { createDepartment(input: $input) { department { id } } }', { input: { ...of, name: uniqueName('physics') } }))
    .createDepartment.department.id;
  const emailList = (await must(admin, 'mutation($input: CreateEmailListInput!) { createEmailList(input: $input) { emailList { id } } }', { input: { ...of, name: uniqueName('announce') } }))
    .createEmailList.emailList.id;

  const target = (await must(admin, CREATE_TARGET, recorderTarget(organizationId))).createProvisioningTarget.target.id;
  const rulesTarget = (await must(admin, CREATE_TARGET, recorderTarget(organizationId, { groupSelection: 'FOLDER_RULES' }))).createProvisioningTarget.target.id;
  const bulkTarget = (await must(admin, CREATE_TARGET, recorderTarget(organizationId))).createProvisioningTarget.target.id;
  const failingTarget = (await must(admin, CREATE_TARGET, recorderTarget(organizationId, { config: { fail: 'permanent' } }))).createProvisioningTarget.target.id;
  const provision = 'mutation($input: ProvisionInput!) { provision(input: $input) { outcome } }';
  const succeeded = await must(admin, provision, { input: { targetId: target, subjectType: 'PERSON', subjectId: person.id } });
  assert.equal(succeeded.provision.outcome, 'SUCCEEDED', 'the fixture has a stored provisioning event');
  const failed = await must(admin, provision, { input: { targetId: failingTarget, subjectType: 'PERSON', subjectId: person.id } });
  assert.equal(failed.provision.outcome, 'FAILED', 'the fixture has an open failure notification');
  const assignment = (await must(admin, 'mutation($input: SetGroupProvisioningInput!) { setGroupProvisioning(input: $input) { assignment { id } } }', {
    input: { groupId: group, targetId: rulesTarget, provision: true },
  })).setGroupProvisioning.assignment.id;
  const job = (await must(admin, 'mutation($targetId: ID!) { reprovisionAll(targetId: $targetId, confirmDeletions: true) { id } }', { targetId: bulkTarget })).reprovisionAll.id;
  await must(admin, 'mutation($targetId: ID!) { reconcile(targetId: $targetId) { id } }', { targetId: target });
  const reconciliationRun = await firstReconciliationRun(admin, target);
  const importRun = (await must(admin, 'mutation($input: ImportInput!) { importPopulation(input: $input) { id } }', {
    input: { organizationId, format: 'CSV', document: 'uid,given\nmatrix,Matrix\n', dryRun: true },
  })).importPopulation.id;

  const ids: FixtureIds = {
    person: person.id,
    name: person.names[0].id,
    emailAddress: person.emailAddresses[0].id,
    identifier: person.identifiers[0].id,
    url,
    role,
    address,
    telephoneNumber,
    adHocAttribute,
    cou,
    folder,
    group,
    membership,
    source,
    link,
    service,
    terms,
    agreement,
    department,
    emailList,
    target,
    rulesTarget,
    bulkTarget,
    assignment,
    job,
    reconciliationRun,
    importRun,
  };
  return {
    t,
    organizationId,
    otherOrganizationId: other.id,
    tokens: {
      anonymous: null,
      revoked: revoked.secret,
      outsider: outsider.secret,
      reader: reader.secret,
      orgAdmin: orgAdmin.secret,
      platformAdmin: t.adminToken,
    },
    ids,
    fresh: freshRecords(admin, organizationId, () => ids),
  };
}

/** Reconciliation runs as a job; its run record appears once a worker has picked it up. */
async function firstReconciliationRun(admin: GraphQLTestClient, targetId: string): Promise<string> {
  const deadline = Date.now() + 20000;
  for (;;) {
    const data = await must(admin, 'query($targetId: ID!) { reconciliationRuns(targetId: $targetId) { nodes { id } } }', { targetId });
    if (data.reconciliationRuns.nodes.length > 0) return data.reconciliationRuns.nodes[0].id;
    if (Date.now() > deadline) assert.fail('no reconciliation run was recorded within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// ---------------------------------------------------------------------------------------------
// The cases, one or more per root field.

type Args = MatrixCase['args'];
const query = (field: string, rule: RuleName, args: Args, extra: Partial<MatrixCase> = {}): MatrixCase => ({ root: 'Query', field, rule, args, ...extra });
const mutation = (field: string, rule: RuleName, args: Args, extra: Partial<MatrixCase> = {}): MatrixCase => ({ root: 'Mutation', field, rule, args, ...extra });
const subscription = (field: string, rule: RuleName, args: Args, extra: Partial<MatrixCase> = {}): MatrixCase => ({ root: 'Subscription', field, rule, args, ...extra });

const org: Args = (w) => ({ organizationId: w.organizationId });
const byId = (key: keyof FixtureIds): Args => (w) => ({ id: w.ids[key] });
const freshId = (make: keyof World['fresh']): Args => async (w) => ({ id: await w.fresh[make]() });
const update = (key: keyof FixtureIds, input: Variables | (() => Variables)): Args => (w) => ({ id: w.ids[key], input: typeof input === 'function' ? input() : input });
const create = (input: (w: World) => Variables): Args => (w) => ({ input: input(w) });

const ROLE_OF: Record<Caller, string | null> = {
  anonymous: null,
  revoked: null,
  outsider: 'ORG_ADMIN',
  reader: 'ORG_READER',
  orgAdmin: 'ORG_ADMIN',
  platformAdmin: 'PLATFORM_ADMIN',
};

export const CASES: MatrixCase[] = [
  // ---- Queries ----
  query('viewer', 'anyToken', () => ({}), {
    selection: 'role organizationId',
    check(data, caller, w) {
      const { role, organizationId } = (data as { viewer: { role: string; organizationId: string | null } }).viewer;
      assert.equal(role, ROLE_OF[caller], 'the viewer is the token that called');
      const expected = caller === 'platformAdmin' ? null : caller === 'outsider' ? w.otherOrganizationId : w.organizationId;
      assert.equal(organizationId, expected);
    },
  }),
  query('provisioningPlugins', 'anyToken', () => ({}), {
    selection: 'name',
    check(data) {
      assert.ok((data as { provisioningPlugins: { name: string }[] }).provisioningPlugins.some((p) => p.name === 'recorder'));
    },
  }),
  query('organizations', 'anyToken', () => ({ first: 500 }), {
    selection: 'nodes { id }',
    check(data, caller, w) {
      const ids = (data as { organizations: { nodes: { id: string }[] } }).organizations.nodes.map((o) => o.id);
      if (caller === 'platformAdmin') assert.ok(ids.includes(w.organizationId) && ids.includes(w.otherOrganizationId), 'a platform admin sees every organisation');
      else if (caller === 'outsider') assert.deepEqual(ids, [w.otherOrganizationId], "another organisation's token sees only its own");
      else assert.deepEqual(ids, [w.organizationId], 'an organisation token sees only its own');
    },
  }),
  query('organization', 'orgRead', (w) => ({ id: w.organizationId })),
  query('apiTokens', 'orgAdminRead', org),
  query('apiTokens', 'platformOnly', () => ({}), { variant: 'every organisation' }),
  query('changeLog', 'orgRead', org),
  query('changeLog', 'platformOnly', () => ({}), { variant: 'every organisation' }),
  query('cou', 'orgRead', byId('cou')),
  query('cous', 'orgRead', org),
  query('person', 'orgRead', byId('person')),
  query('node', 'orgRead', byId('person')),
  query('people', 'orgRead', org),
  query('folder', 'orgRead', byId('folder')),
  query('folders', 'orgRead', org),
  query('group', 'orgRead', byId('group')),
  query('groups', 'orgRead', org),
  query('orgIdentitySource', 'orgRead', byId('source')),
  query('orgIdentitySources', 'orgRead', org),
  query('orgIdentityLink', 'orgRead', byId('link')),
  query('orgIdentityLinks', 'orgRead', org),
  query('coService', 'orgRead', byId('service')),
  query('coServices', 'orgRead', org),
  query('termsAndConditionsById', 'orgRead', byId('terms')),
  query('termsAndConditions', 'orgRead', org),
  query('termsAgreement', 'orgRead', byId('agreement')),
  query('termsAgreements', 'orgRead', org),
  query('department', 'orgRead', byId('department')),
  query('departments', 'orgRead', org),
  query('emailList', 'orgRead', byId('emailList')),
  query('emailLists', 'orgRead', org),
  query('provisioningTarget', 'orgRead', byId('target')),
  query('provisioningTargets', 'orgRead', org),
  query('provisioningStatus', 'orgRead', (w) => ({ subjectType: 'PERSON', subjectId: w.ids.person })),
  query('provisioningEvents', 'orgRead', org),
  query('targetActivity', 'orgRead', org),
  query('provisioningFailures', 'orgAdminRead', org),
  query('auditLog', 'orgAdminRead', org),
  query('provisioningJobs', 'orgRead', org),
  query('provisioningJob', 'orgRead', byId('job')),
  query('previewProvisioning', 'orgRead', (w) => ({ targetId: w.ids.target, subjectType: 'PERSON', subjectId: w.ids.person })),
  query('reconciliationRuns', 'orgRead', (w) => ({ targetId: w.ids.target })),
  query('reconciliationRun', 'orgRead', byId('reconciliationRun')),
  query('provisioningAssignments', 'orgRead', (w) => ({ targetId: w.ids.rulesTarget })),
  query('provisionable', 'orgRead', (w) => ({ groupId: w.ids.group, targetId: w.ids.rulesTarget })),
  query('provisionableGroups', 'orgRead', (w) => ({ targetId: w.ids.rulesTarget })),
  query('importRun', 'orgRead', byId('importRun')),
  query('exportPopulation', 'orgRead', org),

  // ---- Mutations: organisations, units and tokens ----
  mutation('createOrganization', 'platformOnly', () => ({ input: { name: uniqueName('org') } })),
  mutation('updateOrganization', 'orgWrite', (w) => ({ id: w.organizationId, input: { description: 'Changed by the matrix' } })),
  // Only the platform admin's call deletes anything: it gets an organisation of its own.
  mutation('deleteOrganization', 'platformOnlyOnOrganization', async (w, caller) => ({ id: caller === 'platformAdmin' ? await w.fresh.organization() : w.organizationId }), {
    runLast: true,
  }),
  mutation('createCou', 'orgWrite', create((w) => ({ organizationId: w.organizationId, name: uniqueName('unit') }))),
  mutation('updateCou', 'orgWrite', update('cou', { description: 'Changed' })),
  mutation('deleteCou', 'orgWrite', freshId('cou')),
  mutation('createApiToken', 'orgWrite', create((w) => ({ name: uniqueName('ci'), role: 'ORG_READER', organizationId: w.organizationId }))),
  mutation('createApiToken', 'platformOnly', create(() => ({ name: uniqueName('root'), role: 'PLATFORM_ADMIN' })), { variant: 'platform-admin token' }),
  mutation('revokeApiToken', 'orgWrite', freshId('token')),
  mutation('revokeApiToken', 'platformRecord', freshId('platformToken'), { variant: 'platform-admin token' }),

  // ---- Mutations: people ----
  mutation('createPerson', 'orgWrite', create((w) => ({ organizationId: w.organizationId, names: [{ given: uniqueName('New'), family: 'Person' }] }))),
  mutation('updatePerson', 'orgWrite', update('person', { timezone: 'Europe/London' })),
  mutation('deletePerson', 'orgWrite', freshId('person')),
  mutation('finishEnrollment', 'orgWrite', (w) => ({ personId: w.ids.person })),
  mutation('addName', 'orgWrite', create((w) => ({ personId: w.ids.person, given: uniqueName('Alias') }))),
  mutation('updateName', 'orgWrite', update('name', { family: 'Lovelace' })),
  mutation('deleteName', 'orgWrite', freshId('name')),
  mutation('addEmailAddress', 'orgWrite', create((w) => ({ personId: w.ids.person, mail: `${uniqueName('ada')}@example.org` }))),
  mutation('updateEmailAddress', 'orgWrite', update('emailAddress', { verified: true })),
  mutation('deleteEmailAddress', 'orgWrite', freshId('emailAddress')),
  mutation('addIdentifier', 'orgWrite', create((w) => ({ personId: w.ids.person, type: 'orcid', value: uniqueName('0000') }))),
  mutation('updateIdentifier', 'orgWrite', update('identifier', { login: true })),
  mutation('deleteIdentifier', 'orgWrite', freshId('identifier')),
  mutation('addUrl', 'orgWrite', create((w) => ({ personId: w.ids.person, url: `https://example.org/${uniqueName('ada')}` }))),
  mutation('updateUrl', 'orgWrite', update('url', { description: 'Home page' })),
  mutation('deleteUrl', 'orgWrite', freshId('url')),
  mutation('addPersonRole', 'orgWrite', create((w) => ({ personId: w.ids.person, title: 'Visitor' }))),
  mutation('updatePersonRole', 'orgWrite', update('role', { title: 'Senior analyst' })),
  mutation('deletePersonRole', 'orgWrite', freshId('role')),
  mutation('addAddress', 'orgWrite', create((w) => ({ roleId: w.ids.role, street: 'Side Street 2' }))),
  mutation('updateAddress', 'orgWrite', update('address', { locality: 'London' })),
  mutation('deleteAddress', 'orgWrite', freshId('address')),
  mutation('addTelephoneNumber', 'orgWrite', create((w) => ({ roleId: w.ids.role, number: '555 0123' }))),
  mutation('updateTelephoneNumber', 'orgWrite', update('telephoneNumber', { extension: '12' })),
  mutation('deleteTelephoneNumber', 'orgWrite', freshId('telephoneNumber')),
  mutation('addAdHocAttribute', 'orgWrite', create((w) => ({ roleId: w.ids.role, tag: 'badge', value: '7' }))),
  mutation('updateAdHocAttribute', 'orgWrite', update('adHocAttribute', { value: '43' })),
  mutation('deleteAdHocAttribute', 'orgWrite', freshId('adHocAttribute')),

  // ---- Mutations: folders, groups, memberships ----
  mutation('createFolder', 'orgWrite', create((w) => ({ organizationId: w.organizationId, name: uniqueName('folder') }))),
  mutation('updateFolder', 'orgWrite', update('folder', { description: 'Changed' })),
  mutation('deleteFolder', 'orgWrite', freshId('folder')),
  mutation('createGroup', 'orgWrite', create((w) => ({ folderId: w.ids.folder, name: uniqueName('group') }))),
  mutation('createGroup', 'orgWrite', create((w) => ({ organizationId: w.organizationId, name: uniqueName('group') })), { variant: 'at the root' }),
  mutation('updateGroup', 'orgWrite', update('group', { description: 'Changed' })),
  mutation('deleteGroup', 'orgWrite', freshId('group')),
  mutation('addGroupMember', 'orgWrite', async (w) => ({ input: { groupId: w.ids.group, personId: await w.fresh.person() } })),
  mutation('updateGroupMembership', 'orgWrite', update('membership', { owner: false })),
  mutation('removeGroupMember', 'orgWrite', freshId('membership')),
  mutation('nestGroup', 'orgWrite', async (w) => ({ input: { groupId: w.ids.group, nestedGroupId: await w.fresh.group() } })),
  mutation('unnestGroup', 'orgWrite', freshId('nesting')),

  // ---- Mutations: identity sources, services, terms, departments, email lists ----
  mutation('createOrgIdentitySource', 'orgWrite', create((w) => ({ organizationId: w.organizationId, name: uniqueName('source'), kind: 'directory' }))),
  mutation('updateOrgIdentitySource', 'orgWrite', update('source', { description: 'Changed' })),
  mutation('deleteOrgIdentitySource', 'orgWrite', freshId('source')),
  mutation('linkOrgIdentity', 'orgWrite', create((w) => ({ personId: w.ids.person, sourceId: w.ids.source, sourceKey: uniqueName('key') }))),
  mutation('updateOrgIdentityLink', 'orgWrite', update('link', () => ({ sourceKey: uniqueName('key') }))),
  mutation('unlinkOrgIdentity', 'orgWrite', freshId('link')),
  mutation('createService', 'orgWrite', create((w) => ({ organizationId: w.organizationId, name: uniqueName('service') }))),
  mutation('updateService', 'orgWrite', update('service', { description: 'Changed' })),
  mutation('deleteService', 'orgWrite', freshId('service')),
  mutation('createTermsAndConditions', 'orgWrite', create((w) => ({ organizationId: w.organizationId, name: uniqueName('terms'), url: 'https://example.org/t' }))),
  mutation('updateTermsAndConditions', 'orgWrite', update('terms', { url: 'https://example.org/aup-v2' })),
  mutation('deleteTermsAndConditions', 'orgWrite', freshId('terms')),
  mutation('recordTermsAgreement', 'orgWrite', async (w) => ({ input: { personId: w.ids.person, termsId: await w.fresh.terms() } })),
  mutation('withdrawTermsAgreement', 'orgWrite', freshId('agreement')),
  mutation('createDepartment', 'orgWrite', create((w) => ({ organizationId: w.organizationId, name: uniqueName('department') }))),
  mutation('updateDepartment', 'orgWrite', update('department', { description: 'Changed' })),
  mutation('deleteDepartment', 'orgWrite', freshId('department')),
  mutation('createEmailList', 'orgWrite', create((w) => ({ organizationId: w.organizationId, name: uniqueName('list') }))),
  mutation('updateEmailList', 'orgWrite', update('emailList', { description: 'Changed' })),
  mutation('deleteEmailList', 'orgWrite', freshId('emailList')),

  // ---- Mutations: provisioning ----
  mutation('createProvisioningTarget', 'orgWrite', (w) => ({ ...recorderTarget(w.organizationId, { mode: 'DISABLED' }) })),
  mutation('updateProvisioningTarget', 'orgWrite', update('bulkTarget', { retryIntervalSeconds: 120 })),
  mutation('deleteProvisioningTarget', 'orgWrite', freshId('target')),
  mutation('provision', 'orgWrite', (w) => ({ input: { targetId: w.ids.target, subjectType: 'PERSON', subjectId: w.ids.person } })),
  mutation('reprovisionAll', 'orgWrite', (w) => ({ targetId: w.ids.bulkTarget, confirmDeletions: true })),
  mutation('importPopulation', 'orgWrite', (w) => ({ input: { organizationId: w.organizationId, format: 'CSV', document: 'uid,given\nmatrix,Matrix\n', dryRun: true } })),
  mutation('reconcile', 'orgWrite', (w) => ({ targetId: w.ids.target, dryRun: true })),
  mutation('cancelProvisioningJob', 'orgWrite', freshId('job')),
  mutation('setFolderProvisioning', 'orgWrite', create((w) => ({ folderId: w.ids.folder, targetId: w.ids.rulesTarget, provision: true, scope: 'SUB' }))),
  mutation('setGroupProvisioning', 'orgWrite', create((w) => ({ groupId: w.ids.group, targetId: w.ids.rulesTarget, provision: true }))),
  mutation('deleteProvisioningAssignment', 'orgWrite', freshId('assignment')),
  mutation('recalculateProvisionability', 'orgWrite', (w) => ({ targetId: w.ids.rulesTarget })),
  mutation('resetTargetCircuit', 'orgWrite', (w) => ({ targetId: w.ids.target })),
  mutation('testProvisioningTarget', 'orgWrite', (w) => ({ targetId: w.ids.target })),

  // ---- Subscriptions (graphql-ws); "after: 0" replays stored results, so an allowed caller gets one at once ----
  subscription('provisioningEvents', 'orgRead', (w) => ({ organizationId: w.organizationId, after: '0' })),
  subscription('provisioningFailures', 'orgAdminRead', (w) => ({ organizationId: w.organizationId, after: '0' })),
  subscription('provisioningJobProgress', 'orgRead', (w) => ({ jobId: w.ids.job })),
];
