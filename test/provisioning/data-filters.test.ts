import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AddGroupMemberDocument,
  AddIdentifierDocument,
  CreateFolderDocument,
  CreateGroupDocument,
  CreatePersonWithOutcomesDocument,
  CreateProvisioningTargetDocument,
  UpdateProvisioningTargetDocument,
  type DataFilterInput,
} from '../../src/client/generated/graphql';
import type { GroupPayload, PersonPayload } from '../../src/provisioning/payload';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, uniqueName } from '../support/fixtures';
import { recordingPlugin } from '../support/recording-plugin';

describe('data filters (spec section 4)', () => {
  let t: TestFerry;
  const recorder = recordingPlugin();
  before(async () => {
    t = await startTestFerry({}, { plugins: [recorder.plugin] });
  });
  after(async () => {
    await t?.stop();
  });

  async function world(dataFilters: DataFilterInput[]) {
    const organization = await createOrganization(t.admin);
    const target = async (name: string, filters: DataFilterInput[]) =>
      (
        await t.admin.ok(CreateProvisioningTargetDocument, {
          input: { organizationId: organization.id, name, plugin: 'recorder', config: {}, dataFilters: filters },
        })
      ).createProvisioningTarget.target;
    const filtered = await target(uniqueName('filtered'), dataFilters);
    const plain = await target(uniqueName('plain'), []);
    const folder = (await t.admin.ok(CreateFolderDocument, { input: { organizationId: organization.id, name: 'research' } })).createFolder.folder;
    const group = async (name: string) => (await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name } })).createGroup.group;
    return { organization, filtered, plain, group };
  }

  const sentTo = (targetName: string) => recorder.on(targetName);

  it('a group filter decides which groups a target gets, and which memberships people carry there', async () => {
    const { organization, filtered, plain, group } = await world([
      {
        groupFilter: {
          rules: [
            { pattern: 'research:secret.*', rule: 'NOT_PERMITTED' },
            { pattern: 'research:.*', rule: 'OPTIONAL' },
          ],
        },
      },
    ]);
    const open = await group('open');
    const secret = await group('secret-plans');
    recorder.clear();
    const saved = await t.admin.ok(CreatePersonWithOutcomesDocument, {
      input: { organizationId: organization.id, names: [{ given: 'Ada', family: 'Lovelace' }], identifiers: [{ type: 'uid', value: 'ada' }] },
    });
    for (const g of [open, secret]) await t.admin.ok(AddGroupMemberDocument, { input: { groupId: g.id, personId: saved.createPerson.person.id } });

    const person = sentTo(filtered.name).filter((c) => c.subject.subjectType === 'PERSON').at(-1)!.subject as PersonPayload;
    assert.deepEqual(person.memberships.map((m) => m.groupName), ['research:open'], 'only permitted groups, and CO:* groups matched no rule');
    const everything = sentTo(plain.name).filter((c) => c.subject.subjectType === 'PERSON').at(-1)!.subject as PersonPayload;
    assert.ok(everything.memberships.length >= 3, 'the other target gets every membership');

    const groupsSent = new Set(
      sentTo(filtered.name)
        .filter((c) => c.subject.subjectType === 'GROUP' && !c.action.endsWith('_DELETED'))
        .map((c) => (c.subject as GroupPayload).name),
    );
    assert.deepEqual([...groupsSent], ['research:open']);
    const events = saved.createPerson.provisioning.filter((e) => e.targetName === filtered.name && e.subjectType === 'GROUP');
    assert.ok(events.every((e) => e.outcome === 'SKIPPED' && /data filter 1 \(GROUP_FILTER\)/.test(e.detail ?? '')), JSON.stringify(events));
  });

  it('REQUIRED rules: a person in no required group is not provisioned on that target', async () => {
    const { organization, filtered, group } = await world([{ groupFilter: { rules: [{ pattern: 'research:staff', rule: 'REQUIRED' }, { pattern: '.*', rule: 'OPTIONAL' }] } }]);
    const staff = await group('staff');
    const outsider = await t.admin.ok(CreatePersonWithOutcomesDocument, { input: { organizationId: organization.id, names: [{ given: 'Out' }] } });
    const outcome = outsider.createPerson.provisioning.find((e) => e.targetName === filtered.name && e.subjectType === 'PERSON')!;
    assert.equal(outcome.outcome, 'SKIPPED');
    assert.match(outcome.detail ?? '', /no group matching a REQUIRED rule/);
    recorder.clear();
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: staff.id, personId: outsider.createPerson.person.id } });
    const sent = sentTo(filtered.name).filter((c) => c.subject.subjectType === 'PERSON');
    assert.deepEqual(sent.map((c) => c.action), ['PERSON_UPDATED'], 'once in a required group, the person goes out');
  });

  it("a group-name filter sends the group's identifier of a chosen type as its name, in groups and memberships", async () => {
    const { organization, filtered, group } = await world([{ groupName: { identifierType: 'gid' } }]);
    const staff = await group('staff');
    await t.admin.ok(AddIdentifierDocument, { input: { groupId: staff.id, type: 'gid', value: 'cn-staff-42' } });
    recorder.clear();
    const saved = await t.admin.ok(CreatePersonWithOutcomesDocument, { input: { organizationId: organization.id, names: [{ given: 'Grace' }] } });
    await t.admin.ok(AddGroupMemberDocument, { input: { groupId: staff.id, personId: saved.createPerson.person.id } });
    const groupSent = sentTo(filtered.name).filter((c) => c.subject.subjectType === 'GROUP' && (c.subject as GroupPayload).id === staff.id).at(-1)!;
    assert.equal((groupSent.subject as GroupPayload).name, 'cn-staff-42');
    const person = sentTo(filtered.name).filter((c) => c.subject.subjectType === 'PERSON').at(-1)!.subject as PersonPayload;
    assert.ok(person.memberships.some((m) => m.groupName === 'cn-staff-42'));
    assert.ok(person.memberships.some((m) => m.groupName === 'CO:members:all'), 'groups without such an identifier keep their name');
  });

  it('an attribute filter picks which names, emails and identifiers a target receives', async () => {
    const { organization, filtered, plain } = await world([
      {
        attributes: {
          emailAddresses: { types: ['OFFICIAL', 'PERSONAL'], pick: 'FIRST' },
          identifiers: { types: ['eppn'], pick: 'ALL' },
        },
      },
    ]);
    recorder.clear();
    await t.admin.ok(CreatePersonWithOutcomesDocument, {
      input: {
        organizationId: organization.id,
        names: [{ given: 'Ada', family: 'Lovelace' }],
        emailAddresses: [
          { mail: 'ada@home.example', type: 'PERSONAL' },
          { mail: 'ada@uni.example', type: 'OFFICIAL' },
          { mail: 'ada@old.example', type: 'OFFICIAL' },
        ],
        identifiers: [
          { type: 'uid', value: 'ada' },
          { type: 'eppn', value: 'ada@uni.example' },
        ],
      },
    });
    const person = sentTo(filtered.name).find((c) => c.subject.subjectType === 'PERSON')!.subject as PersonPayload;
    assert.deepEqual(person.emailAddresses.map((e) => e.mail), ['ada@uni.example'], 'the first OFFICIAL one');
    assert.deepEqual(person.identifiers.map((i) => i.type), ['eppn']);
    const whole = sentTo(plain.name).find((c) => c.subject.subjectType === 'PERSON')!.subject as PersonPayload;
    assert.equal(whole.emailAddresses.length, 3);
  });

  it('refuses filters that do not make sense, and a filter that throws fails its target only', async () => {
    const { organization, filtered } = await world([]);
    await t.admin.fails('BAD_USER_INPUT', UpdateProvisioningTargetDocument, {
      id: filtered.id,
      input: { dataFilters: [{ groupFilter: { rules: [{ pattern: '(', rule: 'OPTIONAL' }] } }] },
    });
    await t.admin.fails('BAD_USER_INPUT', UpdateProvisioningTargetDocument, {
      id: filtered.id,
      input: { dataFilters: [{ groupName: { identifierType: 'gid' }, attributes: { names: { types: [], pick: 'FIRST' } } }] },
    });
    // A stored filter that can no longer run (as if written by an older Ferry).
    await t.ferry.orm.em
      .fork()
      .execute(`update provisioning_target set data_filters = '[{"kind":"GROUP_FILTER","rules":[{"pattern":"(","rule":"OPTIONAL"}]}]' where id = ?`, [filtered.id]);
    const saved = await t.admin.ok(CreatePersonWithOutcomesDocument, { input: { organizationId: organization.id, names: [{ given: 'Still' }] } });
    const [broken] = saved.createPerson.provisioning.filter((e) => e.targetName === filtered.name && e.subjectType === 'PERSON');
    assert.equal(broken.outcome, 'FAILED');
    assert.match(broken.error ?? '', /data filter failed/);
    const others = saved.createPerson.provisioning.filter((e) => e.targetName !== filtered.name && e.subjectType === 'PERSON');
    assert.ok(others.length > 0 && others.every((e) => e.outcome === 'SUCCEEDED'), 'the other target still provisioned');
  });
});
