import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Attribute, Change } from 'ldapts';
import {
  AddGroupMemberDocument,
  CreateFolderDocument,
  CreateGroupDocument,
  CreatePersonDocument,
  CreateProvisioningTargetDocument,
  PreviewProvisioningDocument,
  ProvisioningJobDocument,
  ReprovisionAllDocument,
  UpdatePersonDocument,
  UpdateProvisioningTargetDocument,
  type ProvisioningMode,
} from '../../src/client/generated/graphql';
import { differenceLines, reconcileAndWait } from '../support/reconciliation';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, uniqueName } from '../support/fixtures';
import { startSlapd, type Slapd } from '../support/slapd';

describe('reconciliation against a real slapd', () => {
  let t: TestFerry;
  let slapd: Slapd;
  before(async () => {
    slapd = await startSlapd();
    t = await startTestFerry({ FERRY_JOB_POLL_MS: '100' });
  });
  after(async () => {
    await t?.stop();
    await slapd?.dispose();
  });

  async function setUp(mode: ProvisioningMode = 'AUTOMATIC') {
    const organization = await createOrganization(t.admin);
    const ou = uniqueName('rec');
    const base = `ou=${ou},${slapd.suffix}`;
    await slapd.client().add(base, { objectClass: ['organizationalUnit'], ou });
    for (const branch of ['people', 'groups']) await slapd.client().add(`ou=${branch},${base}`, { objectClass: ['organizationalUnit'], ou: branch });
    const people = `ou=people,${base}`;
    const groups = `ou=groups,${base}`;
    const target = (
      await t.admin.ok(CreateProvisioningTargetDocument, {
        input: {
          organizationId: organization.id,
          name: uniqueName('directory'),
          plugin: 'ldap',
          mode,
          config: { url: slapd.url, bindDn: slapd.bindDn, bindPassword: slapd.bindPassword, peopleBaseDn: people, groupBaseDn: groups, timeoutMs: 2000 },
        },
      })
    ).createProvisioningTarget.target;
    const person = async (uid: string, family: string) =>
      (
        await t.admin.ok(CreatePersonDocument, {
          input: { organizationId: organization.id, names: [{ given: 'Test', family }], identifiers: [{ type: 'uid', value: uid }] },
        })
      ).createPerson.person;
    const ada = await person('ada', 'Lovelace');
    const bob = await person('bob', 'Builder');
    const folder = (await t.admin.ok(CreateFolderDocument, { input: { organizationId: organization.id, name: 'teams' } })).createFolder.folder;
    const team = (await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name: 'core' } })).createGroup.group;
    for (const member of [ada, bob]) await t.admin.ok(AddGroupMemberDocument, { input: { groupId: team.id, personId: member.id } });
    return { organization, target, people, groups, ada, bob, team };
  }

  const reconcile = (targetId: string, dryRun: boolean, confirmDeletions = false) => reconcileAndWait(t.admin, targetId, dryRun, confirmDeletions);
  const summary = differenceLines;

  it('previews exactly what would be written, without writing it', async () => {
    const { target, people, ada } = await setUp('MANUAL');
    const preview = (await t.admin.ok(PreviewProvisioningDocument, { targetId: target.id, subjectType: 'PERSON', subjectId: ada.id })).previewProvisioning;
    assert.equal(preview.willWrite, true);
    assert.equal(preview.remoteId, `uid=ada,${people}`);
    assert.equal((preview.document as { dn: string }).dn, `uid=ada,${people}`);
    assert.deepEqual((preview.attributes as Record<string, string[]>).sn, ['Lovelace']);
    assert.equal(await slapd.entry(`uid=ada,${people}`), null, 'nothing was written');
  });

  it('reports exactly what changed behind its back, fixes exactly that, and then finds nothing', async () => {
    const { target, people, groups } = await setUp();
    const ldap = slapd.client();
    // Behind Ferry's back: an edited attribute, a deleted entry, an unknown entry, a stray member.
    await ldap.modify(`uid=ada,${people}`, [new Change({ operation: 'replace', modification: new Attribute({ type: 'sn', values: ['Wrong'] }) })]);
    await ldap.del(`uid=bob,${people}`);
    await ldap.add(`uid=mallory,${people}`, { objectClass: ['inetOrgPerson'], uid: 'mallory', cn: 'Mallory', sn: 'Intruder' });
    await ldap.modify(`cn=teams:core,${groups}`, [new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [`uid=mallory,${people}`] }) })]);

    const dry = await reconcile(target.id, true);
    assert.equal(dry.status, 'COMPLETED');
    assert.deepEqual(summary(dry), ['DIFFERENT Test Lovelace [sn]', 'DIFFERENT teams:core [member]', `EXTRA uid=mallory,${people}`, 'MISSING Test Builder']);
    const orphan = dry.differences.find((d) => d.kind === 'EXTRA')!;
    assert.match(orphan.fix, /report only/);
    assert.deepEqual((await slapd.entry(`uid=ada,${people}`))?.get('sn'), ['Wrong'], 'a dry run changes nothing');

    const applied = await reconcile(target.id, false);
    assert.equal(applied.applied, 3, 'the three fixes were applied; the orphan was only reported');
    assert.deepEqual(summary(applied), summary(dry), 'the same differences as the dry run');
    assert.deepEqual((await slapd.entry(`uid=ada,${people}`))?.get('sn'), ['Lovelace']);
    assert.ok(await slapd.entry(`uid=bob,${people}`), 'bob is back');
    assert.deepEqual(((await slapd.entry(`cn=teams:core,${groups}`))?.get('member') ?? []).map(String).sort(), [`uid=ada,${people}`, `uid=bob,${people}`]);
    assert.ok(await slapd.entry(`uid=mallory,${people}`), 'orphans stay unless the target allows deleting them');

    await t.admin.ok(UpdateProvisioningTargetDocument, { id: target.id, input: { reconcileDeletesOrphans: true } });
    const cleaned = await reconcile(target.id, false);
    assert.deepEqual(summary(cleaned), [`EXTRA uid=mallory,${people}`]);
    assert.equal(await slapd.entry(`uid=mallory,${people}`), null, 'the orphan is gone');

    const again = await reconcile(target.id, true);
    assert.deepEqual(summary(again), [], 'a second reconcile right after finds nothing');
    assert.equal(again.remoteObjects, 5, 'ada, bob, teams:core and the two automatic member groups');
  });

  it('stops before deleting more than the threshold, unless confirmed', async () => {
    const { target, people } = await setUp();
    await t.admin.ok(UpdateProvisioningTargetDocument, { id: target.id, input: { reconcileDeletesOrphans: true, deletionThresholdPercent: 20 } });
    for (const uid of ['x1', 'x2', 'x3']) {
      await slapd.client().add(`uid=${uid},${people}`, { objectClass: ['inetOrgPerson'], uid, cn: uid, sn: uid });
    }
    const blocked = await reconcile(target.id, false);
    assert.equal(blocked.status, 'BLOCKED');
    assert.match(blocked.reason ?? '', /delete 3 of the 8 objects .*37\.5%.*20%/);
    assert.equal(blocked.applied, 0);
    assert.ok(await slapd.entry(`uid=x1,${people}`), 'nothing was deleted');

    const confirmed = await reconcile(target.id, false, true);
    assert.equal(confirmed.status, 'COMPLETED');
    assert.equal(confirmed.applied, 3);
    for (const uid of ['x1', 'x2', 'x3']) assert.equal(await slapd.entry(`uid=${uid},${people}`), null);
  });

  it('a reprovision-all that would delete past the threshold is refused unless confirmed', async () => {
    const { target, people, ada, bob } = await setUp('MANUAL');
    await waitForJob((await t.admin.ok(ReprovisionAllDocument, { targetId: target.id })).reprovisionAll.id);
    assert.ok(await slapd.entry(`uid=ada,${people}`));
    for (const person of [ada, bob]) await t.admin.ok(UpdatePersonDocument, { id: person.id, input: { status: 'DUPLICATE' } });
    const refused = await t.admin.fails('FORBIDDEN', ReprovisionAllDocument, { targetId: target.id });
    assert.match(refused.message, /would delete 2 of the \d+ entries .*confirmDeletions/);
    assert.equal(refused.extensions?.reason, 'DELETION_THRESHOLD', 'a console can tell this refusal from the others and ask to confirm');
    assert.equal(refused.extensions?.deletions, 2);
    assert.ok(await slapd.entry(`uid=ada,${people}`), 'nothing was deleted');
    await waitForJob((await t.admin.ok(ReprovisionAllDocument, { targetId: target.id, confirmDeletions: true })).reprovisionAll.id);
    assert.equal(await slapd.entry(`uid=ada,${people}`), null, 'confirmed: the people marked duplicate are gone');
  });

  async function waitForJob(id: string) {
    const deadline = Date.now() + 30000;
    while ((await t.admin.ok(ProvisioningJobDocument, { id })).provisioningJob.state !== 'COMPLETED') {
      if (Date.now() > deadline) assert.fail('the job did not complete');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
});
