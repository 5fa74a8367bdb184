import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AddGroupMemberDocument,
  CreateFolderDocument,
  CreateGroupDocument,
  CreatePersonDocument,
  CreateProvisioningTargetDocument,
  ProvisioningStatusDocument,
  UpdateGroupDocument,
} from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, uniqueName } from '../support/fixtures';
import { startScimServer, type ScimServer } from '../support/scim-server';

/**
 * groupNaming on SCIM targets, through the API into real SCIM servers: the Group's displayName is
 * the group's own name under "name" (automatic groups keep their full names), the full name by
 * default; a move between folders keeps the Group under "name"; a second group with the same name
 * never takes the first one's Group.
 */
describe('SCIM group naming (groupNaming) against a real SCIM server', () => {
  let t: TestFerry;
  let flat: ScimServer;
  let full: ScimServer;
  before(async () => {
    flat = await startScimServer();
    full = await startScimServer();
    t = await startTestFerry();
  });
  after(async () => {
    await t?.stop();
    await flat?.close();
    await full?.close();
  });

  async function scimTarget(organizationId: string, server: ScimServer, config: Record<string, unknown> = {}) {
    return (
      await t.admin.ok(CreateProvisioningTargetDocument, {
        input: {
          organizationId,
          name: uniqueName('scim'),
          plugin: 'scim',
          mode: 'AUTOMATIC',
          config: { baseUrl: server.url, bearerToken: server.token, ...config },
        },
      })
    ).createProvisioningTarget.target;
  }

  async function person(organizationId: string, uid: string) {
    return (
      await t.admin.ok(CreatePersonDocument, {
        input: { organizationId, names: [{ given: uid, family: 'Scim' }], identifiers: [{ type: 'uid', value: uid }] },
      })
    ).createPerson.person;
  }

  async function folder(organizationId: string, name: string) {
    return (await t.admin.ok(CreateFolderDocument, { input: { organizationId, name } })).createFolder.folder;
  }

  async function lastError(targetId: string, groupId: string) {
    const status = (await t.admin.ok(ProvisioningStatusDocument, { subjectType: 'GROUP', subjectId: groupId })).provisioningStatus;
    const state = status.find((s) => s.target.id === targetId)?.state;
    return { status: state?.status, error: state?.lastError ?? '' };
  }

  it('displayName is the group\'s own name under "name", its full name by default; moves and renames follow', async () => {
    const { id: orgId } = await createOrganization(t.admin);
    await scimTarget(orgId, flat, { groupNaming: 'name' });
    await scimTarget(orgId, full);
    const uid = uniqueName('ada');
    const ada = await person(orgId, uid);
    const staffName = uniqueName('staff');
    const wikiName = uniqueName('wiki');
    const staff = (await t.admin.ok(CreateGroupDocument, { input: { organizationId: orgId, name: staffName } })).createGroup.group;
    const app = await folder(orgId, 'app');
    const lab = await folder(orgId, 'lab');
    const wiki = (await t.admin.ok(CreateGroupDocument, { input: { folderId: app.id, name: wikiName } })).createGroup.group;
    for (const group of [staff, wiki]) await t.admin.ok(AddGroupMemberDocument, { input: { groupId: group.id, personId: ada.id } });

    const flatWiki = flat.groupBy('externalId', wiki.id)!;
    assert.equal(flatWiki.displayName, wikiName);
    assert.equal(flat.groupBy('externalId', staff.id)?.displayName, staffName);
    assert.equal(full.groupBy('externalId', wiki.id)?.displayName, `app:${wikiName}`);
    assert.equal(full.groupBy('externalId', staff.id)?.displayName, staffName, 'a root group\'s full name is its name');
    assert.equal(flat.groupBy('displayName', 'CO:members:all')?.members.length, 1, 'automatic groups keep their full names');
    assert.equal(flatWiki.members.length, 1);

    // A move between folders: the same Group, the same displayName under "name"; renamed by default.
    await t.admin.ok(UpdateGroupDocument, { id: wiki.id, input: { folderId: lab.id } });
    const moved = flat.groupBy('externalId', wiki.id)!;
    assert.deepEqual([moved.id, moved.displayName], [flatWiki.id, wikiName]);
    assert.equal(full.groupBy('externalId', wiki.id)?.displayName, `lab:${wikiName}`);

    // A rename changes the displayName on both.
    const renamed = uniqueName('docs');
    await t.admin.ok(UpdateGroupDocument, { id: wiki.id, input: { name: renamed } });
    assert.deepEqual([flat.groupBy('externalId', wiki.id)?.id, flat.groupBy('externalId', wiki.id)?.displayName], [flatWiki.id, renamed]);
    assert.equal(full.groupBy('externalId', wiki.id)?.displayName, `lab:${renamed}`);
  });

  it('a second group with the same name under "name" fails instead of taking the first one\'s Group', async () => {
    const { id: orgId } = await createOrganization(t.admin);
    const byId = await scimTarget(orgId, flat, { groupNaming: 'name' });
    const byName = await scimTarget(orgId, full, { groupNaming: 'name', groupMatchAttribute: 'displayName' });
    const ada = await person(orgId, uniqueName('ada'));
    const name = uniqueName('staff');
    const first = (await t.admin.ok(CreateGroupDocument, { input: { organizationId: orgId, name } })).createGroup.group;
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: first.id, personId: ada.id } });
    const app = await folder(orgId, 'app');
    const second = (await t.admin.ok(CreateGroupDocument, { input: { folderId: app.id, name } })).createGroup.group;

    // Matched by externalId: the create is refused (409) and the holder is another group's.
    const refused = await lastError(byId.id, second.id);
    assert.equal(refused.status, 'FAILED');
    assert.match(refused.error, /already has it .* for another subject/);
    // Matched by displayName: found, but another Ferry group's, so not adopted.
    const notAdopted = await lastError(byName.id, second.id);
    assert.equal(notAdopted.status, 'FAILED');
    assert.match(notAdopted.error, /another subject's .*two groups have this displayName/);
    for (const server of [flat, full]) {
      const held = server.groupBy('displayName', name)!;
      assert.equal(held.externalId, first.id, 'the first group keeps its Group');
      assert.equal(held.members.length, 1);
    }
  });
});
