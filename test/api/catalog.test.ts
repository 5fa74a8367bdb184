import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ChangeLogDocument,
  CoServiceDocument,
  CoServicesDocument,
  CreateCouDocument,
  CreateDepartmentDocument,
  CreateEmailListDocument,
  CreateFolderDocument,
  CreateGroupDocument,
  CreateOrgIdentitySourceDocument,
  CreatePersonDocument,
  CreateServiceDocument,
  CreateTermsAndConditionsDocument,
  DeleteDepartmentDocument,
  DeleteEmailListDocument,
  DeleteOrgIdentitySourceDocument,
  DeleteServiceDocument,
  DeleteTermsAndConditionsDocument,
  DepartmentDocument,
  DepartmentsDocument,
  EmailListDocument,
  EmailListsDocument,
  LinkOrgIdentityDocument,
  OrgIdentityLinkDocument,
  OrgIdentityLinksDocument,
  OrgIdentitySourceDocument,
  OrgIdentitySourcesDocument,
  RecordTermsAgreementDocument,
  TermsAgreementDocument,
  TermsAgreementsDocument,
  TermsAndConditionsByIdDocument,
  TermsAndConditionsListDocument,
  UnlinkOrgIdentityDocument,
  UpdateDepartmentDocument,
  UpdateEmailListDocument,
  UpdateOrgIdentityLinkDocument,
  UpdateOrgIdentitySourceDocument,
  UpdateServiceDocument,
  UpdateTermsAndConditionsDocument,
  WithdrawTermsAgreementDocument,
  type ChangeLogQuery,
} from '../../src/client/generated/graphql';
import type { GraphQLResponse, GraphQLTestClient } from '../support/client';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, organizationWithTokens, uniqueName } from '../support/fixtures';

type Change = ChangeLogQuery['changeLog']['nodes'][number];

/** [entityType, kind, personId] of each entry: what the provisioning engine keys on. */
const summary = (changes: readonly Change[]) => changes.map((c) => [c.entityType, c.kind, c.personId]);

const MISSING_ID = '00000000-0000-7000-8000-000000000000';

describe('identity sources, services, terms, departments and email lists', () => {
  let t: TestFerry;
  const folderOf = new Map<string, string>();

  before(async () => {
    t = await startTestFerry();
  });
  after(() => t?.stop());

  async function createPerson(organizationId: string, given = 'Ada') {
    const data = await t.admin.ok(CreatePersonDocument, {
      input: { organizationId, status: 'ACTIVE', names: [{ given, family: 'Lovelace' }] },
    });
    return data.createPerson.person;
  }

  async function createGroup(organizationId: string, name = uniqueName('group')) {
    let folderId = folderOf.get(organizationId);
    if (!folderId) {
      const folder = await t.admin.ok(CreateFolderDocument, { input: { organizationId, name: uniqueName('folder') } });
      folderId = folder.createFolder.folder.id;
      folderOf.set(organizationId, folderId);
    }
    return (await t.admin.ok(CreateGroupDocument, { input: { folderId, name } })).createGroup.group;
  }

  async function createCou(organizationId: string, name = uniqueName('unit')) {
    return (await t.admin.ok(CreateCouDocument, { input: { organizationId, name } })).createCou.cou;
  }

  /** Every change-log entry committed after `cursor`, across all organisations. */
  async function changesSince(cursor: string): Promise<{ entries: Change[]; cursor: string }> {
    const entries: Change[] = [];
    for (;;) {
      const page = (await t.admin.ok(ChangeLogDocument, { after: cursor, first: 500 })).changeLog;
      entries.push(...page.nodes);
      cursor = page.pageInfo.endCursor ?? cursor;
      if (!page.pageInfo.hasNextPage) return { entries, cursor };
    }
  }

  /** Runs failing calls and asserts that none of them left anything in the change log. */
  async function assertWritesNothing(failures: () => Promise<unknown>) {
    const { cursor } = await changesSince('0');
    await failures();
    const { entries } = await changesSince(cursor);
    assert.deepEqual(summary(entries), [], 'a failed mutation writes no change-log entry');
  }

  const codeOf = (response: GraphQLResponse<unknown>) => response.errors?.[0]?.extensions?.code;

  describe('identity sources', () => {
    it('creates, filters, updates and deletes sources, logging each change', async () => {
      const organization = await createOrganization(t.admin);
      const created = (
        await t.admin.ok(CreateOrgIdentitySourceDocument, {
          input: { organizationId: organization.id, name: 'HR system', kind: 'sql', description: 'Nightly import' },
        })
      ).createOrgIdentitySource;
      const hr = created.orgIdentitySource;
      assert.deepEqual(
        { name: hr.name, kind: hr.kind, status: hr.status, description: hr.description, organizationId: hr.organizationId },
        { name: 'HR system', kind: 'sql', status: 'ACTIVE', description: 'Nightly import', organizationId: organization.id },
      );
      assert.deepEqual(summary(created.changes), [['OrgIdentitySource', 'CREATED', null]]);
      assert.equal(created.changes[0].entityId, hr.id);
      assert.equal(created.changes[0].organizationId, organization.id);

      const ldap = (
        await t.admin.ok(CreateOrgIdentitySourceDocument, {
          input: { organizationId: organization.id, name: 'Campus LDAP', kind: 'ldap', status: 'SUSPENDED' },
        })
      ).createOrgIdentitySource.orgIdentitySource;
      const all = await t.admin.ok(OrgIdentitySourcesDocument, { organizationId: organization.id });
      assert.deepEqual(all.orgIdentitySources.nodes.map((s) => s.name), ['HR system', 'Campus LDAP']);
      assert.equal(all.orgIdentitySources.totalCount, 2);
      const suspended = await t.admin.ok(OrgIdentitySourcesDocument, { organizationId: organization.id, filter: { status: 'SUSPENDED' } });
      assert.deepEqual(suspended.orgIdentitySources.nodes.map((s) => s.id), [ldap.id]);

      const updated = (
        await t.admin.ok(UpdateOrgIdentitySourceDocument, { id: ldap.id, input: { status: 'ACTIVE', description: 'Read-only bind' } })
      ).updateOrgIdentitySource;
      assert.equal(updated.orgIdentitySource.status, 'ACTIVE');
      assert.deepEqual(summary(updated.changes), [['OrgIdentitySource', 'UPDATED', null]]);
      assert.deepEqual([...updated.changes[0].changedFields].sort(), ['description', 'status']);
      assert.deepEqual(updated.changes[0].data?.status, ['SUSPENDED', 'ACTIVE']);
      assert.equal((await t.admin.ok(OrgIdentitySourceDocument, { id: ldap.id })).orgIdentitySource.description, 'Read-only bind');

      const deleted = (await t.admin.ok(DeleteOrgIdentitySourceDocument, { id: ldap.id })).deleteOrgIdentitySource;
      assert.equal(deleted.id, ldap.id);
      assert.deepEqual(summary(deleted.changes), [['OrgIdentitySource', 'DELETED', null]]);
      await t.admin.fails('NOT_FOUND', OrgIdentitySourceDocument, { id: ldap.id });
    });

    it('rejects bad sources and duplicate names without writing anything', async () => {
      const organization = await createOrganization(t.admin);
      const other = await createOrganization(t.admin);
      const source = (
        await t.admin.ok(CreateOrgIdentitySourceDocument, { input: { organizationId: organization.id, name: 'ORCID', kind: 'orcid' } })
      ).createOrgIdentitySource.orgIdentitySource;
      await assertWritesNothing(async () => {
        const input = { organizationId: organization.id, name: 'Source', kind: 'ldap' };
        await t.admin.fails('BAD_USER_INPUT', CreateOrgIdentitySourceDocument, { input: { ...input, name: '' } });
        await t.admin.fails('BAD_USER_INPUT', CreateOrgIdentitySourceDocument, { input: { ...input, kind: '' } });
        await t.admin.fails('BAD_USER_INPUT', CreateOrgIdentitySourceDocument, { input: { ...input, name: 'x'.repeat(129) } });
        await t.admin.fails('BAD_USER_INPUT', CreateOrgIdentitySourceDocument, { input: { ...input, organizationId: 'nope' } });
        await t.admin.fails('NOT_FOUND', CreateOrgIdentitySourceDocument, { input: { ...input, organizationId: MISSING_ID } });
        await t.admin.fails('BAD_USER_INPUT', UpdateOrgIdentitySourceDocument, { id: source.id, input: { name: null } });
        await t.admin.fails('BAD_USER_INPUT', UpdateOrgIdentitySourceDocument, { id: source.id, input: { kind: null } });
        const duplicate = await t.admin.fails('CONFLICT', CreateOrgIdentitySourceDocument, { input: { ...input, name: 'ORCID' } });
        assert.match(duplicate.message, /identity source with this name already exists/);
      });
      // Names are unique per organisation only.
      await t.admin.ok(CreateOrgIdentitySourceDocument, { input: { organizationId: other.id, name: 'ORCID', kind: 'orcid' } });
    });
  });

  describe('identity links', () => {
    it('links people to source records once per source key, and logs each change with the person', async () => {
      const organization = await createOrganization(t.admin);
      const ada = await createPerson(organization.id, 'Ada');
      const grace = await createPerson(organization.id, 'Grace');
      const source = (
        await t.admin.ok(CreateOrgIdentitySourceDocument, { input: { organizationId: organization.id, name: 'HR', kind: 'sql' } })
      ).createOrgIdentitySource.orgIdentitySource;
      const otherSource = (
        await t.admin.ok(CreateOrgIdentitySourceDocument, { input: { organizationId: organization.id, name: 'LDAP', kind: 'ldap' } })
      ).createOrgIdentitySource.orgIdentitySource;

      const validFrom = '2025-01-01T00:00:00.000Z';
      const linked = (
        await t.admin.ok(LinkOrgIdentityDocument, { input: { personId: ada.id, sourceId: source.id, sourceKey: 'emp-1001', validFrom } })
      ).linkOrgIdentity;
      const link = linked.link;
      assert.deepEqual(
        { personId: link.personId, sourceId: link.sourceId, sourceKey: link.sourceKey, organizationId: link.organizationId },
        { personId: ada.id, sourceId: source.id, sourceKey: 'emp-1001', organizationId: organization.id },
      );
      assert.equal(new Date(link.validFrom!).toISOString(), validFrom);
      assert.equal(link.validThrough, null);
      assert.equal(link.source.name, 'HR');
      assert.deepEqual(summary(linked.changes), [['OrgIdentityLink', 'CREATED', ada.id]]);

      await assertWritesNothing(async () => {
        const duplicate = await t.admin.fails('CONFLICT', LinkOrgIdentityDocument, {
          input: { personId: grace.id, sourceId: source.id, sourceKey: 'emp-1001' },
        });
        assert.match(duplicate.message, /already linked/);
        await t.admin.fails('BAD_USER_INPUT', LinkOrgIdentityDocument, { input: { personId: grace.id, sourceId: source.id, sourceKey: '' } });
        const period = await t.admin.fails('BAD_USER_INPUT', LinkOrgIdentityDocument, {
          input: { personId: grace.id, sourceId: source.id, sourceKey: 'emp-2', validFrom: '2025-02-01T00:00:00Z', validThrough: '2025-01-01T00:00:00Z' },
        });
        assert.match(period.message, /validFrom/);
        await t.admin.fails('BAD_USER_INPUT', UpdateOrgIdentityLinkDocument, { id: link.id, input: { validThrough: '2024-12-31T00:00:00Z' } });
        await t.admin.fails('BAD_USER_INPUT', UpdateOrgIdentityLinkDocument, { id: link.id, input: { sourceKey: null } });
      });
      // The same key is fine in another source.
      const graceLink = (
        await t.admin.ok(LinkOrgIdentityDocument, { input: { personId: grace.id, sourceId: otherSource.id, sourceKey: 'emp-1001' } })
      ).linkOrgIdentity.link;

      const byPerson = await t.admin.ok(OrgIdentityLinksDocument, { organizationId: organization.id, filter: { personId: ada.id } });
      assert.deepEqual(byPerson.orgIdentityLinks.nodes.map((l) => [l.id, l.source.name, l.person.id]), [[link.id, 'HR', ada.id]]);
      const bySource = await t.admin.ok(OrgIdentityLinksDocument, { organizationId: organization.id, filter: { sourceId: otherSource.id } });
      assert.deepEqual(bySource.orgIdentityLinks.nodes.map((l) => l.id), [graceLink.id]);
      assert.equal((await t.admin.ok(OrgIdentityLinksDocument, { organizationId: organization.id })).orgIdentityLinks.totalCount, 2);

      const updated = (
        await t.admin.ok(UpdateOrgIdentityLinkDocument, { id: link.id, input: { sourceKey: 'emp-1002', validThrough: '2026-01-01T00:00:00Z' } })
      ).updateOrgIdentityLink;
      assert.equal(updated.link.sourceKey, 'emp-1002');
      assert.deepEqual(summary(updated.changes), [['OrgIdentityLink', 'UPDATED', ada.id]]);
      assert.deepEqual([...updated.changes[0].changedFields].sort(), ['sourceKey', 'validThrough']);

      const unlinked = (await t.admin.ok(UnlinkOrgIdentityDocument, { id: link.id })).unlinkOrgIdentity;
      assert.deepEqual(summary(unlinked.changes), [['OrgIdentityLink', 'DELETED', ada.id]]);
      await t.admin.fails('NOT_FOUND', OrgIdentityLinkDocument, { id: link.id });
    });

    it('refuses to link a person to a source of another organisation, even for a platform admin', async () => {
      const organization = await createOrganization(t.admin);
      const other = await createOrganization(t.admin);
      const person = await createPerson(organization.id);
      const stranger = await createPerson(other.id);
      const source = (
        await t.admin.ok(CreateOrgIdentitySourceDocument, { input: { organizationId: organization.id, name: 'HR', kind: 'sql' } })
      ).createOrgIdentitySource.orgIdentitySource;
      const foreignSource = (
        await t.admin.ok(CreateOrgIdentitySourceDocument, { input: { organizationId: other.id, name: 'HR', kind: 'sql' } })
      ).createOrgIdentitySource.orgIdentitySource;
      await assertWritesNothing(async () => {
        const foreign = await t.admin.fails('NOT_FOUND', LinkOrgIdentityDocument, {
          input: { personId: person.id, sourceId: foreignSource.id, sourceKey: 'k1' },
        });
        const missing = await t.admin.fails('NOT_FOUND', LinkOrgIdentityDocument, {
          input: { personId: person.id, sourceId: MISSING_ID, sourceKey: 'k1' },
        });
        // Another organisation's source must be indistinguishable from a missing one.
        assert.equal(foreign.message.replace(foreignSource.id, 'ID'), missing.message.replace(MISSING_ID, 'ID'));
        await t.admin.fails('NOT_FOUND', LinkOrgIdentityDocument, { input: { personId: stranger.id, sourceId: source.id, sourceKey: 'k1' } });
        await t.admin.fails('NOT_FOUND', LinkOrgIdentityDocument, { input: { personId: MISSING_ID, sourceId: source.id, sourceKey: 'k1' } });
        await t.admin.fails('BAD_USER_INPUT', LinkOrgIdentityDocument, { input: { personId: 'nobody', sourceId: source.id, sourceKey: 'k1' } });
      });
    });

    it("removes a deleted source's links, logging a change for each linked person", async () => {
      const organization = await createOrganization(t.admin);
      const ada = await createPerson(organization.id, 'Ada');
      const grace = await createPerson(organization.id, 'Grace');
      const source = (
        await t.admin.ok(CreateOrgIdentitySourceDocument, { input: { organizationId: organization.id, name: 'HR', kind: 'sql' } })
      ).createOrgIdentitySource.orgIdentitySource;
      for (const [person, key] of [[ada, 'a'], [grace, 'g']] as const) {
        await t.admin.ok(LinkOrgIdentityDocument, { input: { personId: person.id, sourceId: source.id, sourceKey: key } });
      }
      const deleted = (await t.admin.ok(DeleteOrgIdentitySourceDocument, { id: source.id })).deleteOrgIdentitySource;
      assert.deepEqual(
        summary(deleted.changes).sort(),
        [
          ['OrgIdentityLink', 'DELETED', ada.id],
          ['OrgIdentityLink', 'DELETED', grace.id],
          ['OrgIdentitySource', 'DELETED', null],
        ].sort(),
      );
      assert.equal((await t.admin.ok(OrgIdentityLinksDocument, { organizationId: organization.id })).orgIdentityLinks.totalCount, 0);
    });
  });

  describe('services', () => {
    it('grants an entitlement to a group, filters by it, and clears it', async () => {
      const organization = await createOrganization(t.admin);
      const group = await createGroup(organization.id);
      const created = (
        await t.admin.ok(CreateServiceDocument, {
          input: {
            organizationId: organization.id,
            name: 'Wiki',
            description: 'The team wiki',
            shortLabel: 'wiki',
            entitlementUri: 'urn:mace:example.org:wiki',
            serviceUrl: 'https://wiki.example.org/',
            groupId: group.id,
          },
        })
      ).createService;
      const wiki = created.service;
      assert.deepEqual(
        [wiki.name, wiki.shortLabel, wiki.entitlementUri, wiki.serviceUrl, wiki.groupId, wiki.status],
        ['Wiki', 'wiki', 'urn:mace:example.org:wiki', 'https://wiki.example.org/', group.id, 'ACTIVE'],
      );
      assert.deepEqual(summary(created.changes), [['Service', 'CREATED', null]]);
      assert.equal(created.changes[0].entityId, wiki.id);
      assert.equal((await t.admin.ok(CoServiceDocument, { id: wiki.id })).coService.group?.fullName, group.fullName);

      const mail = (
        await t.admin.ok(CreateServiceDocument, {
          input: { organizationId: organization.id, name: 'Mail', serviceUrl: 'http://mail.intranet:8080/', status: 'SUSPENDED' },
        })
      ).createService.service;
      const list = async (filter: { status?: 'ACTIVE' | 'SUSPENDED'; groupId?: string }) =>
        (await t.admin.ok(CoServicesDocument, { organizationId: organization.id, filter })).coServices.nodes.map((s) => s.name);
      assert.deepEqual(await list({}), ['Wiki', 'Mail']);
      assert.deepEqual(await list({ groupId: group.id }), ['Wiki']);
      assert.deepEqual(await list({ status: 'SUSPENDED' }), ['Mail']);
      const page = await t.admin.ok(CoServicesDocument, { organizationId: organization.id, first: 1 });
      assert.deepEqual([page.coServices.totalCount, page.coServices.pageInfo.hasNextPage], [2, true]);

      const updated = (await t.admin.ok(UpdateServiceDocument, { id: wiki.id, input: { groupId: null, shortLabel: null } })).updateService;
      assert.equal(updated.service.groupId, null);
      assert.equal(updated.service.shortLabel, null);
      assert.deepEqual(summary(updated.changes), [['Service', 'UPDATED', null]]);
      assert.deepEqual([...updated.changes[0].changedFields].sort(), ['group', 'shortLabel']);
      assert.deepEqual(await list({ groupId: group.id }), []);

      const deleted = (await t.admin.ok(DeleteServiceDocument, { id: mail.id })).deleteService;
      assert.deepEqual(summary(deleted.changes), [['Service', 'DELETED', null]]);
      await t.admin.fails('NOT_FOUND', CoServiceDocument, { id: mail.id });
    });

    it('rejects invalid URLs, labels, duplicates and foreign groups without writing anything', async () => {
      const organization = await createOrganization(t.admin);
      const other = await createOrganization(t.admin);
      const foreignGroup = await createGroup(other.id);
      const service = (await t.admin.ok(CreateServiceDocument, { input: { organizationId: organization.id, name: 'Wiki' } })).createService
        .service;
      await assertWritesNothing(async () => {
        const input = { organizationId: organization.id, name: 'Portal' };
        for (const serviceUrl of ['ftp://files.example.org/', 'not a url', 'javascript:alert(1)', 'www.example.org']) {
          const error = await t.admin.fails('BAD_USER_INPUT', CreateServiceDocument, { input: { ...input, serviceUrl } });
          assert.match(error.message, /http or https URL/, serviceUrl);
        }
        for (const entitlementUri of ['no scheme here', 'urn:mace:with space', '://missing-scheme']) {
          const error = await t.admin.fails('BAD_USER_INPUT', CreateServiceDocument, { input: { ...input, entitlementUri } });
          assert.match(error.message, /absolute URI/, entitlementUri);
        }
        await t.admin.fails('BAD_USER_INPUT', CreateServiceDocument, { input: { ...input, shortLabel: 'two words' } });
        await t.admin.fails('BAD_USER_INPUT', CreateServiceDocument, { input: { ...input, name: '' } });
        await t.admin.fails('BAD_USER_INPUT', CreateServiceDocument, { input: { ...input, name: ' Portal' } });
        await t.admin.fails('BAD_USER_INPUT', UpdateServiceDocument, { id: service.id, input: { name: null } });
        await t.admin.fails('BAD_USER_INPUT', UpdateServiceDocument, { id: service.id, input: { serviceUrl: 'mailto:x@example.org' } });
        await t.admin.fails('NOT_FOUND', CreateServiceDocument, { input: { ...input, groupId: foreignGroup.id } });
        await t.admin.fails('NOT_FOUND', UpdateServiceDocument, { id: service.id, input: { groupId: foreignGroup.id } });
        await t.admin.fails('NOT_FOUND', CreateServiceDocument, { input: { ...input, groupId: MISSING_ID } });
        const duplicate = await t.admin.fails('CONFLICT', CreateServiceDocument, { input: { ...input, name: 'Wiki' } });
        assert.match(duplicate.message, /service with this name already exists/);
      });
      assert.equal((await t.admin.ok(CoServiceDocument, { id: service.id })).coService.groupId, null);
    });
  });

  describe('terms and conditions', () => {
    it('manages terms, optionally for one unit', async () => {
      const organization = await createOrganization(t.admin);
      const other = await createOrganization(t.admin);
      const cou = await createCou(organization.id);
      const foreignCou = await createCou(other.id);
      const created = (
        await t.admin.ok(CreateTermsAndConditionsDocument, {
          input: { organizationId: organization.id, name: 'Acceptable use', url: 'https://example.org/aup', couId: cou.id },
        })
      ).createTermsAndConditions;
      const aup = created.termsAndConditions;
      assert.deepEqual([aup.name, aup.url, aup.status, aup.couId], ['Acceptable use', 'https://example.org/aup', 'ACTIVE', cou.id]);
      assert.deepEqual(summary(created.changes), [['TermsAndConditions', 'CREATED', null]]);
      await t.admin.ok(CreateTermsAndConditionsDocument, {
        input: { organizationId: organization.id, name: 'Privacy notice', url: 'https://example.org/privacy' },
      });

      const byUnit = await t.admin.ok(TermsAndConditionsListDocument, { organizationId: organization.id, filter: { couId: cou.id } });
      assert.deepEqual(byUnit.termsAndConditions.nodes.map((n) => [n.name, n.cou?.name]), [['Acceptable use', cou.name]]);
      assert.equal((await t.admin.ok(TermsAndConditionsListDocument, { organizationId: organization.id })).termsAndConditions.totalCount, 2);
      assert.equal((await t.admin.ok(TermsAndConditionsByIdDocument, { id: aup.id })).termsAndConditionsById.name, 'Acceptable use');

      await assertWritesNothing(async () => {
        const input = { organizationId: organization.id, name: 'Code of conduct', url: 'https://example.org/coc' };
        await t.admin.fails('BAD_USER_INPUT', CreateTermsAndConditionsDocument, { input: { ...input, url: 'example.org/coc' } });
        await t.admin.fails('BAD_USER_INPUT', CreateTermsAndConditionsDocument, { input: { ...input, url: '' } });
        await t.admin.fails('BAD_USER_INPUT', CreateTermsAndConditionsDocument, { input: { ...input, name: '' } });
        await t.admin.fails('NOT_FOUND', CreateTermsAndConditionsDocument, { input: { ...input, couId: foreignCou.id } });
        await t.admin.fails('BAD_USER_INPUT', UpdateTermsAndConditionsDocument, { id: aup.id, input: { url: null } });
        await t.admin.fails('NOT_FOUND', UpdateTermsAndConditionsDocument, { id: aup.id, input: { couId: foreignCou.id } });
        const duplicate = await t.admin.fails('CONFLICT', CreateTermsAndConditionsDocument, { input: { ...input, name: 'Privacy notice' } });
        assert.match(duplicate.message, /Terms and conditions with this name already exist/);
      });

      const updated = (
        await t.admin.ok(UpdateTermsAndConditionsDocument, { id: aup.id, input: { couId: null, url: 'https://example.org/aup-v2' } })
      ).updateTermsAndConditions;
      assert.deepEqual([updated.termsAndConditions.couId, updated.termsAndConditions.url], [null, 'https://example.org/aup-v2']);
      assert.deepEqual([...updated.changes[0].changedFields].sort(), ['cou', 'url']);
      const deleted = (await t.admin.ok(DeleteTermsAndConditionsDocument, { id: aup.id })).deleteTermsAndConditions;
      assert.deepEqual(summary(deleted.changes), [['TermsAndConditions', 'DELETED', null]]);
      await t.admin.fails('NOT_FOUND', TermsAndConditionsByIdDocument, { id: aup.id });
    });

    it('records an agreement once, logs it for the person, and lets it be withdrawn', async () => {
      const organization = await createOrganization(t.admin);
      const other = await createOrganization(t.admin);
      const ada = await createPerson(organization.id, 'Ada');
      const grace = await createPerson(organization.id, 'Grace');
      const newTerms = async (organizationId: string, status: 'ACTIVE' | 'SUSPENDED' = 'ACTIVE') =>
        (
          await t.admin.ok(CreateTermsAndConditionsDocument, {
            input: { organizationId, name: uniqueName('terms'), url: 'https://example.org/terms', status },
          })
        ).createTermsAndConditions.termsAndConditions;
      const terms = await newTerms(organization.id);
      const suspended = await newTerms(organization.id, 'SUSPENDED');
      const foreign = await newTerms(other.id);

      const before = Date.now();
      const recorded = (await t.admin.ok(RecordTermsAgreementDocument, { input: { personId: ada.id, termsId: terms.id } }))
        .recordTermsAgreement;
      const agreedAt = new Date(recorded.agreement.agreedAt).getTime();
      assert.ok(agreedAt >= before - 1000 && agreedAt <= Date.now() + 1000, 'agreedAt is the time of the mutation');
      assert.deepEqual([recorded.agreement.personId, recorded.agreement.termsId, recorded.agreement.terms.name], [ada.id, terms.id, terms.name]);
      assert.deepEqual(summary(recorded.changes), [['TermsAgreement', 'CREATED', ada.id]]);

      await assertWritesNothing(async () => {
        const again = await t.admin.fails('CONFLICT', RecordTermsAgreementDocument, { input: { personId: ada.id, termsId: terms.id } });
        assert.match(again.message, /already agreed/);
        const notActive = await t.admin.fails('BAD_USER_INPUT', RecordTermsAgreementDocument, {
          input: { personId: ada.id, termsId: suspended.id },
        });
        assert.match(notActive.message, /suspended/);
        await t.admin.fails('NOT_FOUND', RecordTermsAgreementDocument, { input: { personId: ada.id, termsId: foreign.id } });
        await t.admin.fails('NOT_FOUND', RecordTermsAgreementDocument, { input: { personId: MISSING_ID, termsId: terms.id } });
        await t.admin.fails('BAD_USER_INPUT', RecordTermsAgreementDocument, { input: { personId: ada.id, termsId: 'terms' } });
      });

      const graceAgreement = (await t.admin.ok(RecordTermsAgreementDocument, { input: { personId: grace.id, termsId: terms.id } }))
        .recordTermsAgreement.agreement;
      const byPerson = await t.admin.ok(TermsAgreementsDocument, { organizationId: organization.id, filter: { personId: grace.id } });
      assert.deepEqual(byPerson.termsAgreements.nodes.map((a) => [a.id, a.person.id, a.terms.id]), [[graceAgreement.id, grace.id, terms.id]]);
      const byTerms = await t.admin.ok(TermsAgreementsDocument, { organizationId: organization.id, filter: { termsId: terms.id } });
      assert.equal(byTerms.termsAgreements.totalCount, 2);

      const withdrawn = (await t.admin.ok(WithdrawTermsAgreementDocument, { id: recorded.agreement.id })).withdrawTermsAgreement;
      assert.deepEqual(summary(withdrawn.changes), [['TermsAgreement', 'DELETED', ada.id]]);
      await t.admin.fails('NOT_FOUND', TermsAgreementDocument, { id: recorded.agreement.id });
      await t.admin.ok(RecordTermsAgreementDocument, { input: { personId: ada.id, termsId: terms.id } });

      // Deleting the terms withdraws every agreement, each logged for its person.
      const deleted = (await t.admin.ok(DeleteTermsAndConditionsDocument, { id: terms.id })).deleteTermsAndConditions;
      assert.deepEqual(
        summary(deleted.changes).sort(),
        [
          ['TermsAgreement', 'DELETED', ada.id],
          ['TermsAgreement', 'DELETED', grace.id],
          ['TermsAndConditions', 'DELETED', null],
        ].sort(),
      );
    });
  });

  describe('departments', () => {
    it('creates a department with its unit and groups, updates and deletes it', async () => {
      const organization = await createOrganization(t.admin);
      const other = await createOrganization(t.admin);
      const cou = await createCou(organization.id);
      const leaders = await createGroup(organization.id);
      const admins = await createGroup(organization.id);
      const foreignGroup = await createGroup(other.id);
      const foreignCou = await createCou(other.id);
      const created = (
        await t.admin.ok(CreateDepartmentDocument, {
          input: {
            organizationId: organization.id,
            name: 'Physics',
            kind: 'research-institute',
            couId: cou.id,
            leadershipGroupId: leaders.id,
            administrativeGroupId: admins.id,
          },
        })
      ).createDepartment;
      const physics = created.department;
      assert.deepEqual(
        [physics.kind, physics.couId, physics.leadershipGroupId, physics.administrativeGroupId],
        ['research-institute', cou.id, leaders.id, admins.id],
      );
      assert.deepEqual(summary(created.changes), [['Department', 'CREATED', null]]);
      await t.admin.ok(CreateDepartmentDocument, { input: { organizationId: organization.id, name: 'Library' } });

      const listed = await t.admin.ok(DepartmentsDocument, { organizationId: organization.id, filter: { couId: cou.id } });
      assert.deepEqual(
        listed.departments.nodes.map((d) => [d.name, d.cou?.name, d.leadershipGroup?.fullName, d.administrativeGroup?.fullName]),
        [['Physics', cou.name, leaders.fullName, admins.fullName]],
      );
      const byKind = await t.admin.ok(DepartmentsDocument, { organizationId: organization.id, filter: { kind: 'research-institute' } });
      assert.deepEqual(byKind.departments.nodes.map((d) => d.id), [physics.id]);

      await assertWritesNothing(async () => {
        const input = { organizationId: organization.id, name: 'Chemistry' };
        await t.admin.fails('NOT_FOUND', CreateDepartmentDocument, { input: { ...input, leadershipGroupId: foreignGroup.id } });
        await t.admin.fails('NOT_FOUND', CreateDepartmentDocument, { input: { ...input, administrativeGroupId: foreignGroup.id } });
        await t.admin.fails('NOT_FOUND', CreateDepartmentDocument, { input: { ...input, couId: foreignCou.id } });
        await t.admin.fails('NOT_FOUND', UpdateDepartmentDocument, { id: physics.id, input: { leadershipGroupId: foreignGroup.id } });
        await t.admin.fails('BAD_USER_INPUT', CreateDepartmentDocument, { input: { ...input, name: '' } });
        await t.admin.fails('BAD_USER_INPUT', CreateDepartmentDocument, { input: { ...input, kind: 'k'.repeat(65) } });
        await t.admin.fails('BAD_USER_INPUT', UpdateDepartmentDocument, { id: physics.id, input: { name: null } });
        const duplicate = await t.admin.fails('CONFLICT', CreateDepartmentDocument, { input: { ...input, name: 'Library' } });
        assert.match(duplicate.message, /department with this name already exists/);
      });

      const updated = (
        await t.admin.ok(UpdateDepartmentDocument, { id: physics.id, input: { kind: null, leadershipGroupId: admins.id, administrativeGroupId: null } })
      ).updateDepartment;
      assert.deepEqual(
        [updated.department.kind, updated.department.leadershipGroupId, updated.department.administrativeGroupId, updated.department.couId],
        [null, admins.id, null, cou.id],
      );
      assert.deepEqual(summary(updated.changes), [['Department', 'UPDATED', null]]);
      assert.deepEqual([...updated.changes[0].changedFields].sort(), ['administrativeGroup', 'kind', 'leadershipGroup']);
      const deleted = (await t.admin.ok(DeleteDepartmentDocument, { id: physics.id })).deleteDepartment;
      assert.deepEqual(summary(deleted.changes), [['Department', 'DELETED', null]]);
      await t.admin.fails('NOT_FOUND', DepartmentDocument, { id: physics.id });
    });
  });

  describe('email lists', () => {
    it('creates a list over three groups, finds it by any of them, and updates and deletes it', async () => {
      const organization = await createOrganization(t.admin);
      const other = await createOrganization(t.admin);
      const [members, admins, moderators] = [await createGroup(organization.id), await createGroup(organization.id), await createGroup(organization.id)];
      const foreignGroup = await createGroup(other.id);
      const created = (
        await t.admin.ok(CreateEmailListDocument, {
          input: {
            organizationId: organization.id,
            name: 'staff',
            description: 'All staff',
            membersGroupId: members.id,
            adminsGroupId: admins.id,
            moderatorsGroupId: moderators.id,
          },
        })
      ).createEmailList;
      const staff = created.emailList;
      assert.deepEqual(
        [staff.status, staff.membersGroupId, staff.adminsGroupId, staff.moderatorsGroupId],
        ['ACTIVE', members.id, admins.id, moderators.id],
      );
      assert.deepEqual(summary(created.changes), [['EmailList', 'CREATED', null]]);
      await t.admin.ok(CreateEmailListDocument, { input: { organizationId: organization.id, name: 'announce', status: 'SUSPENDED' } });

      const names = async (filter: { groupId?: string; status?: 'ACTIVE' | 'SUSPENDED' }) =>
        (await t.admin.ok(EmailListsDocument, { organizationId: organization.id, filter })).emailLists.nodes.map((l) => l.name);
      for (const group of [members, admins, moderators]) assert.deepEqual(await names({ groupId: group.id }), ['staff']);
      assert.deepEqual(await names({ status: 'SUSPENDED' }), ['announce']);
      assert.deepEqual(await names({}), ['staff', 'announce']);
      const [listed] = (await t.admin.ok(EmailListsDocument, { organizationId: organization.id, filter: { status: 'ACTIVE' } })).emailLists.nodes;
      assert.deepEqual(
        [listed.membersGroup?.fullName, listed.adminsGroup?.fullName, listed.moderatorsGroup?.fullName],
        [members.fullName, admins.fullName, moderators.fullName],
      );

      await assertWritesNothing(async () => {
        const input = { organizationId: organization.id, name: 'faculty' };
        await t.admin.fails('NOT_FOUND', CreateEmailListDocument, { input: { ...input, membersGroupId: foreignGroup.id } });
        await t.admin.fails('NOT_FOUND', CreateEmailListDocument, { input: { ...input, moderatorsGroupId: MISSING_ID } });
        await t.admin.fails('NOT_FOUND', UpdateEmailListDocument, { id: staff.id, input: { adminsGroupId: foreignGroup.id } });
        await t.admin.fails('BAD_USER_INPUT', CreateEmailListDocument, { input: { ...input, name: '' } });
        await t.admin.fails('BAD_USER_INPUT', CreateEmailListDocument, { input: { ...input, name: 'tab\there' } });
        await t.admin.fails('BAD_USER_INPUT', UpdateEmailListDocument, { id: staff.id, input: { status: null } });
        const duplicate = await t.admin.fails('CONFLICT', CreateEmailListDocument, { input: { ...input, name: 'announce' } });
        assert.match(duplicate.message, /email list with this name already exists/);
      });

      const updated = (await t.admin.ok(UpdateEmailListDocument, { id: staff.id, input: { moderatorsGroupId: null, status: 'SUSPENDED' } }))
        .updateEmailList;
      assert.deepEqual([updated.emailList.moderatorsGroupId, updated.emailList.status], [null, 'SUSPENDED']);
      assert.deepEqual([...updated.changes[0].changedFields].sort(), ['moderatorsGroup', 'status']);
      assert.deepEqual(await names({ groupId: moderators.id }), []);
      const deleted = (await t.admin.ok(DeleteEmailListDocument, { id: staff.id })).deleteEmailList;
      assert.deepEqual(summary(deleted.changes), [['EmailList', 'DELETED', null]]);
      await t.admin.fails('NOT_FOUND', EmailListDocument, { id: staff.id });
    });

    it('loads the groups of a whole page of lists in a fixed number of queries', async () => {
      const organization = await createOrganization(t.admin);
      const group = await createGroup(organization.id);
      const createLists = async (count: number) => {
        for (let i = 0; i < count; i++) {
          await t.admin.ok(CreateEmailListDocument, {
            input: { organizationId: organization.id, name: uniqueName('list'), membersGroupId: group.id, adminsGroupId: group.id },
          });
        }
      };
      const queriesToList = async () => {
        const before = await t.sqlQueryCount();
        const data = await t.admin.ok(EmailListsDocument, { organizationId: organization.id, first: 100 });
        assert.ok(data.emailLists.nodes.every((l) => l.membersGroup?.id === group.id));
        return (await t.sqlQueryCount()) - before;
      };
      await createLists(2);
      const few = await queriesToList();
      await createLists(8);
      assert.equal(await queriesToList(), few, 'nested groups are batched, not fetched per list');
    });
  });

  describe('authorization', () => {
    it('lets organisation admins write, readers read, and hides everything from outsiders and anonymous callers', async () => {
      const { organization, orgAdmin, reader, outsider, anonymous } = await organizationWithTokens(t);
      const organizationId = organization.id;
      const person = await createPerson(organizationId);
      const group = await createGroup(organizationId);

      const source = (await orgAdmin.ok(CreateOrgIdentitySourceDocument, { input: { organizationId, name: 'HR', kind: 'sql' } }))
        .createOrgIdentitySource.orgIdentitySource;
      const link = (await orgAdmin.ok(LinkOrgIdentityDocument, { input: { personId: person.id, sourceId: source.id, sourceKey: 'k' } }))
        .linkOrgIdentity.link;
      const service = (await orgAdmin.ok(CreateServiceDocument, { input: { organizationId, name: 'Wiki', groupId: group.id } })).createService
        .service;
      const terms = (await orgAdmin.ok(CreateTermsAndConditionsDocument, { input: { organizationId, name: 'AUP', url: 'https://example.org/aup' } }))
        .createTermsAndConditions.termsAndConditions;
      const agreement = (await orgAdmin.ok(RecordTermsAgreementDocument, { input: { personId: person.id, termsId: terms.id } }))
        .recordTermsAgreement.agreement;
      const department = (await orgAdmin.ok(CreateDepartmentDocument, { input: { organizationId, name: 'Physics' } })).createDepartment
        .department;
      const emailList = (await orgAdmin.ok(CreateEmailListDocument, { input: { organizationId, name: 'staff' } })).createEmailList.emailList;

      type Call = (client: GraphQLTestClient) => Promise<GraphQLResponse<unknown>>;
      const reads: Record<string, Call> = {
        orgIdentitySources: (c) => c.request(OrgIdentitySourcesDocument, { organizationId }),
        orgIdentitySource: (c) => c.request(OrgIdentitySourceDocument, { id: source.id }),
        orgIdentityLinks: (c) => c.request(OrgIdentityLinksDocument, { organizationId }),
        orgIdentityLink: (c) => c.request(OrgIdentityLinkDocument, { id: link.id }),
        coServices: (c) => c.request(CoServicesDocument, { organizationId }),
        coService: (c) => c.request(CoServiceDocument, { id: service.id }),
        termsAndConditions: (c) => c.request(TermsAndConditionsListDocument, { organizationId }),
        termsAndConditionsById: (c) => c.request(TermsAndConditionsByIdDocument, { id: terms.id }),
        termsAgreements: (c) => c.request(TermsAgreementsDocument, { organizationId }),
        termsAgreement: (c) => c.request(TermsAgreementDocument, { id: agreement.id }),
        departments: (c) => c.request(DepartmentsDocument, { organizationId }),
        department: (c) => c.request(DepartmentDocument, { id: department.id }),
        emailLists: (c) => c.request(EmailListsDocument, { organizationId }),
        emailList: (c) => c.request(EmailListDocument, { id: emailList.id }),
      };
      const writes: Record<string, Call> = {
        createOrgIdentitySource: (c) => c.request(CreateOrgIdentitySourceDocument, { input: { organizationId, name: 'X', kind: 'x' } }),
        updateOrgIdentitySource: (c) => c.request(UpdateOrgIdentitySourceDocument, { id: source.id, input: { name: 'X' } }),
        deleteOrgIdentitySource: (c) => c.request(DeleteOrgIdentitySourceDocument, { id: source.id }),
        linkOrgIdentity: (c) => c.request(LinkOrgIdentityDocument, { input: { personId: person.id, sourceId: source.id, sourceKey: 'x' } }),
        updateOrgIdentityLink: (c) => c.request(UpdateOrgIdentityLinkDocument, { id: link.id, input: { sourceKey: 'x' } }),
        unlinkOrgIdentity: (c) => c.request(UnlinkOrgIdentityDocument, { id: link.id }),
        createService: (c) => c.request(CreateServiceDocument, { input: { organizationId, name: 'X' } }),
        updateService: (c) => c.request(UpdateServiceDocument, { id: service.id, input: { name: 'X' } }),
        deleteService: (c) => c.request(DeleteServiceDocument, { id: service.id }),
        createTermsAndConditions: (c) =>
          c.request(CreateTermsAndConditionsDocument, { input: { organizationId, name: 'X', url: 'https://example.org/x' } }),
        updateTermsAndConditions: (c) => c.request(UpdateTermsAndConditionsDocument, { id: terms.id, input: { name: 'X' } }),
        deleteTermsAndConditions: (c) => c.request(DeleteTermsAndConditionsDocument, { id: terms.id }),
        recordTermsAgreement: (c) => c.request(RecordTermsAgreementDocument, { input: { personId: person.id, termsId: terms.id } }),
        withdrawTermsAgreement: (c) => c.request(WithdrawTermsAgreementDocument, { id: agreement.id }),
        createDepartment: (c) => c.request(CreateDepartmentDocument, { input: { organizationId, name: 'X' } }),
        updateDepartment: (c) => c.request(UpdateDepartmentDocument, { id: department.id, input: { name: 'X' } }),
        deleteDepartment: (c) => c.request(DeleteDepartmentDocument, { id: department.id }),
        createEmailList: (c) => c.request(CreateEmailListDocument, { input: { organizationId, name: 'X' } }),
        updateEmailList: (c) => c.request(UpdateEmailListDocument, { id: emailList.id, input: { name: 'X' } }),
        deleteEmailList: (c) => c.request(DeleteEmailListDocument, { id: emailList.id }),
      };

      for (const [name, read] of Object.entries(reads)) {
        assert.equal(codeOf(await read(orgAdmin)), undefined, `org admin reads ${name}`);
        assert.equal(codeOf(await read(reader)), undefined, `reader reads ${name}`);
        assert.equal(codeOf(await read(outsider)), 'NOT_FOUND', `outsider reads ${name}`);
        const anonymousRead = await read(anonymous);
        assert.deepEqual([anonymousRead.status, codeOf(anonymousRead)], [401, 'UNAUTHENTICATED'], `anonymous reads ${name}`);
      }
      await assertWritesNothing(async () => {
        for (const [name, write] of Object.entries(writes)) {
          assert.equal(codeOf(await write(reader)), 'FORBIDDEN', `reader ${name}`);
          assert.equal(codeOf(await write(outsider)), 'NOT_FOUND', `outsider ${name}`);
          assert.equal(codeOf(await write(anonymous)), 'UNAUTHENTICATED', `anonymous ${name}`);
        }
      });
      assert.equal((await reader.ok(OrgIdentityLinksDocument, { organizationId })).orgIdentityLinks.totalCount, 1, 'the link survived');

      // The organisation admin may change and delete what it created.
      await orgAdmin.ok(UpdateServiceDocument, { id: service.id, input: { status: 'SUSPENDED' } });
      await orgAdmin.ok(UnlinkOrgIdentityDocument, { id: link.id });
      await orgAdmin.ok(WithdrawTermsAgreementDocument, { id: agreement.id });
      const deletions = [
        await orgAdmin.ok(DeleteOrgIdentitySourceDocument, { id: source.id }).then((d) => d.deleteOrgIdentitySource),
        await orgAdmin.ok(DeleteServiceDocument, { id: service.id }).then((d) => d.deleteService),
        await orgAdmin.ok(DeleteTermsAndConditionsDocument, { id: terms.id }).then((d) => d.deleteTermsAndConditions),
        await orgAdmin.ok(DeleteDepartmentDocument, { id: department.id }).then((d) => d.deleteDepartment),
        await orgAdmin.ok(DeleteEmailListDocument, { id: emailList.id }).then((d) => d.deleteEmailList),
      ];
      assert.deepEqual(
        deletions.map((d) => summary(d.changes)),
        [
          [['OrgIdentitySource', 'DELETED', null]],
          [['Service', 'DELETED', null]],
          [['TermsAndConditions', 'DELETED', null]],
          [['Department', 'DELETED', null]],
          [['EmailList', 'DELETED', null]],
        ],
      );
    });
  });
});
