import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DeleteGroupDocument,
  DeleteProvisioningAssignmentDocument,
  DeleteProvisioningTargetDocument,
  ProvisionableGroupsDocument,
  type ProvisionableGroupsQuery,
  ProvisioningAssignmentsDocument,
  ProvisioningEventsDocument,
  SetFolderProvisioningDocument,
  UpdateFolderDocument,
  UpdateGroupDocument,
  UpdateProvisioningTargetDocument,
} from '../../src/client/generated/graphql';
import { allJobs } from '../support/events';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { uniqueName } from '../support/fixtures';
import { recordingPlugin } from '../support/recording-plugin';
import { RulesWorld } from './rules-world';
import { GROUP_COLUMNS, insertRows, withClient } from '../bench/support/seed';
import { v7 as uuidv7 } from 'uuid';

describe('folder rules: which groups are provisionable on a target (spec 2.3)', () => {
  let t: TestFerry;
  const recorder = recordingPlugin();
  before(async () => {
    t = await startTestFerry({ FERRY_JOB_POLL_MS: '100' }, { plugins: [recorder.plugin] });
  });
  after(async () => {
    await t?.stop();
  });

  it('R1: a group\'s own assignment beats its folders both ways, and no filter applies to it', async () => {
    const world = await RulesWorld.create(t, ['a:in', 'a:out', 'b:chosen', 'b:other', 'p:plain']);
    const target = await world.expectProvisionable(
      async (target) => {
        await world.markFolder(target, 'a', { provision: true, scope: 'SUB' });
        await world.markGroup(target, 'a:out', false);
        await world.markGroup(target, 'b:chosen', true, { md_owner: 'b-team' });
        await world.markFolder(target, 'p', { provision: true, scope: 'SUB', onlyPolicyGroups: true });
        await world.markGroup(target, 'p:plain', true);
      },
      ['a:in', 'b:chosen', 'p:plain'],
    );
    const out = await world.decision('a:out', target);
    assert.equal(out.source, 'GROUP_ASSIGNMENT');
    assert.match(out.explanation, /own assignment says not to provision/);
    const chosen = await world.decision('b:chosen', target);
    assert.deepEqual(chosen.metadata, { md_owner: 'b-team' }, 'a direct group keeps its own metadata (R8)');
  });

  it('R2: the nearest applicable folder decides; higher ones are not consulted', async () => {
    const world = await RulesWorld.create(t, ['a:g', 'a:b:g', 'a:b:c:g']);
    const target = await world.expectProvisionable(
      async (target) => {
        await world.markFolder(target, 'a', { provision: true, scope: 'SUB' });
        await world.markFolder(target, 'a:b', { provision: false, scope: 'SUB' });
        await world.markFolder(target, 'a:b:c', { provision: true, scope: 'SUB' });
      },
      ['a:g', 'a:b:c:g'],
    );
    const blocked = await world.decision('a:b:g', target);
    assert.deepEqual([blocked.provisionable, blocked.source, blocked.folderFullName, blocked.depth], [false, 'FOLDER', 'a:b', 1]);
    assert.match(blocked.explanation, /a:b \(SUB, depth 1\) says not to provision/);
    const reenabled = await world.decision('a:b:c:g', target);
    assert.equal(reenabled.folderFullName, 'a:b:c');
  });

  it('R3: a ONE folder reaches its direct children only, and is passed over deeper down (the spec example)', async () => {
    const world = await RulesWorld.create(t, ['test:testGroup', 'test:test2:testGroup', 'test:test2:test3:testGroup', 'test:test2:test3:test4:testGroup']);
    const target = await world.expectProvisionable(
      async (target) => {
        await world.markFolder(target, 'test', { provision: true, scope: 'ONE' });
        await world.markFolder(target, 'test:test2:test3', { provision: true, scope: 'ONE' });
      },
      ['test:testGroup', 'test:test2:test3:testGroup'],
    );
    const deep = await world.decision('test:test2:test3:test4:testGroup', target);
    assert.equal(deep.source, 'NONE');
    assert.deepEqual(deep.skippedFolders, ['test:test2:test3', 'test']);
  });

  it('R4: a folder assignment needs an explicit scope; without one nothing is stored', async () => {
    const world = await RulesWorld.create(t, ['a:g']);
    const target = await world.target();
    const result = await world.admin.request(SetFolderProvisioningDocument, {
      input: { targetId: target, folderId: world.folders.get('a')!, provision: true } as never,
    });
    assert.ok(result.errors?.length, 'refused');
    assert.deepEqual(await world.provisionableNames(target), []);
  });

  it('R5: a blocking folder blocks its scope; a ONE blocker lets deeper groups inherit from above', async () => {
    const world = await RulesWorld.create(t, ['a:g', 'a:b:g', 'a:b:c:g', 'x:y:g', 'x:y:z:g']);
    await world.expectProvisionable(
      async (target) => {
        await world.markFolder(target, 'a', { provision: true, scope: 'SUB' });
        await world.markFolder(target, 'a:b', { provision: false, scope: 'ONE' });
        await world.markFolder(target, 'x', { provision: true, scope: 'SUB' });
        await world.markFolder(target, 'x:y', { provision: false, scope: 'SUB' });
      },
      ['a:g', 'a:b:c:g'],
    );
  });

  it('R6: policy and regex filters judge inherited groups by the deciding folder; a failure does not climb further', async () => {
    const world = await RulesWorld.create(
      t,
      ['pol:member', 'pol:plain', 'rx:team_includes', 'rx:team', 'ov:keep1', 'ov:drop', 'up:b:plain', 'up:b:member'],
      ['pol:member', 'up:b:member'],
    );
    const settings = { provisionableRegex: 'groupExtension not matches .*_includes|.*_excludes' };
    const target = await world.expectProvisionable(
      async (target) => {
        await world.markFolder(target, 'pol', { provision: true, scope: 'SUB', onlyPolicyGroups: true });
        await world.markFolder(target, 'rx', { provision: true, scope: 'SUB' });
        await world.markFolder(target, 'ov', { provision: true, scope: 'SUB', provisionableRegex: 'groupName matches ov:keep.*' });
        await world.markFolder(target, 'up', { provision: true, scope: 'SUB' });
        await world.markFolder(target, 'up:b', { provision: true, scope: 'SUB', onlyPolicyGroups: true });
      },
      ['pol:member', 'rx:team', 'ov:keep1', 'up:b:member'],
      settings,
    );
    assert.equal((await world.decision('pol:plain', target)).failedFilter, 'POLICY');
    assert.equal((await world.decision('rx:team_includes', target)).failedFilter, 'REGEX');
    const plain = await world.decision('up:b:plain', target);
    assert.equal(plain.folderFullName, 'up:b', 'the nearest folder decided; "up" above was not consulted');

    // A target that does not allow folder overrides uses its own settings everywhere.
    await world.expectProvisionable(
      async (target) => {
        await world.markFolder(target, 'pol', { provision: true, scope: 'SUB', onlyPolicyGroups: true });
        await world.markFolder(target, 'ov', { provision: true, scope: 'SUB', provisionableRegex: 'groupName matches ov:keep.*' });
      },
      ['pol:member', 'pol:plain', 'ov:drop', 'ov:keep1'],
      { allowPolicyGroupOverride: false, allowRegexOverride: false },
    );
  });

  it('R7: regex expressions follow the grammar and match whole values; a bad one is refused with the reason', async () => {
    const world = await RulesWorld.create(t, ['r:keep', 'r:keeper', 'dept:staff', 'other:staff']);
    await world.expectProvisionable(
      async (target) => {
        await world.markFolder(target, 'r', { provision: true, scope: 'SUB', provisionableRegex: 'groupExtension matches keep' });
        await world.markFolder(target, 'dept', { provision: true, scope: 'SUB', provisionableRegex: 'folderExtension   not   matches  other' });
        await world.markFolder(target, 'other', { provision: true, scope: 'SUB', provisionableRegex: 'folderName matches dept' });
      },
      ['dept:staff', 'r:keep'],
    );
    const target = await world.target();
    for (const bad of ['groupExtension contains x', 'groupName matches (unclosed']) {
      const error = await world.admin.fails('BAD_USER_INPUT', SetFolderProvisioningDocument, {
        input: { targetId: target, folderId: world.folders.get('r')!, provision: true, scope: 'SUB', provisionableRegex: bad },
      });
      assert.match(error.message, /provisionableRegex/);
    }
    await world.admin.fails('BAD_USER_INPUT', UpdateProvisioningTargetDocument, { id: target, input: { provisionableRegex: 'nonsense' } });
  });

  it('R8: groups inherit the deciding folder\'s metadata, stored with the answer', async () => {
    // A name with the characters PostgreSQL's array text escapes: the answers of a folder's
    // groups are sent as arrays.
    const quoted = 'm:say "hi" \\ {back}, NULL';
    const world = await RulesWorld.create(t, ['m:g', 'm:sub:g', quoted]);
    const target = await world.expectProvisionable(
      async (target) => {
        await world.markFolder(target, 'm', { provision: true, scope: 'SUB', metadata: { md_quota: 5 } });
        await world.markFolder(target, 'm:sub', { provision: true, scope: 'ONE', metadata: { md_quota: 9 } });
      },
      ['m:g', 'm:sub:g', quoted],
    );
    assert.deepEqual((await world.decision('m:sub:g', target)).metadata, { md_quota: 9 });
    assert.deepEqual((await world.decision('m:g', target)).metadata, { md_quota: 5 });
    // The mark's metadata changes and nothing else: every stored answer it decides carries the new one.
    await world.markFolder(target, 'm', { provision: true, scope: 'SUB', metadata: { md_quota: 6 } });
    const stored = (await world.admin.ok(ProvisionableGroupsDocument, { targetId: target, first: 100 })).provisionableGroups.nodes;
    assert.deepEqual(
      stored.map((row) => [row.groupName, row.metadata]).sort(([a], [b]) => String(a).localeCompare(String(b))),
      [['m:g', { md_quota: 6 }], [quoted, { md_quota: 6 }], ['m:sub:g', { md_quota: 9 }]].sort(([a], [b]) => String(a).localeCompare(String(b))),
    );
  });

  it('a full recalculation creating more answers than one insert carries stores each with its own folder\'s explanation and metadata', async () => {
    // 12,000 groups (seeded directly: the change log is not what is tested) in three folders,
    // interleaved, so every chunk of new answers mixes them.
    const world = await RulesWorld.create(t);
    const folders = { a: await world.folder('bulk:a'), b: await world.folder('bulk:b'), c: await world.folder('bulk:c') };
    const target = await world.target({ mode: 'DISABLED' });
    await world.markFolder(target, 'bulk:a', { provision: true, scope: 'ONE', metadata: { md_quota: 1 } });
    await world.markFolder(target, 'bulk:b', { provision: true, scope: 'ONE', metadata: { md_quota: 2 } });
    await world.markFolder(target, 'bulk:c', { provision: false, scope: 'ONE' });
    const rows: unknown[][] = [];
    for (let index = 0; index < 12000; index++) {
      const folder = (['a', 'b', 'c'] as const)[index % 3];
      rows.push([uuidv7(), world.organizationId, folders[folder], `g${index}`, `bulk:${folder}:g${index}`, 'ACTIVE', 'STANDARD', false]);
    }
    await withClient(t.databaseUrl, (client) => insertRows(client, 'group', GROUP_COLUMNS, rows));

    const job = await world.fullRecalculation(target);
    assert.equal(job.details.flipped, 8000);
    const stored: ProvisionableGroupsQuery['provisionableGroups']['nodes'] = [];
    let after: string | null = null;
    for (;;) {
      const result: ProvisionableGroupsQuery = await world.admin.ok(ProvisionableGroupsDocument, { targetId: target, first: 500, after });
      stored.push(...result.provisionableGroups.nodes);
      if (!result.provisionableGroups.pageInfo.hasNextPage) break;
      after = result.provisionableGroups.pageInfo.endCursor ?? null;
    }
    assert.equal(stored.length, 8000, 'one answer per group that became provisionable, none for the blocked folder');
    const wrong = stored.filter((row) => {
      const folder = row.groupName.split(':')[1];
      return (
        !row.provisionable ||
        row.decidingFolderId !== folders[folder as 'a' | 'b'] ||
        row.explanation !== `folder bulk:${folder} (ONE, depth 1) provisions it` ||
        JSON.stringify(row.metadata) !== JSON.stringify({ md_quota: folder === 'a' ? 1 : 2 })
      );
    });
    assert.deepEqual(wrong.slice(0, 3), [], `${wrong.length} answers carry another folder's decision`);
    assert.equal(new Set(stored.map((row) => row.groupId)).size, 8000);
    assert.equal((await world.fullRecalculation(target)).details.flipped, 0, 'what was stored is what a second calculation decides');
  });

  it('R9, R11: deleted groups stop being provisionable; targets are independent', async () => {
    const world = await RulesWorld.create(t, ['d:keep', 'd:gone']);
    const target = await world.expectProvisionable((target) => world.markFolder(target, 'd', { provision: true, scope: 'SUB' }).then(() => undefined), [
      'd:gone',
      'd:keep',
    ]);
    const untouched = await world.target();
    assert.deepEqual(await world.provisionableNames(untouched), [], 'another target has its own marks (none)');
    await world.admin.ok(DeleteGroupDocument, { id: world.groups.get('d:gone')! });
    assert.deepEqual(await world.provisionableNames(target), ['d:keep']);
    const history = (await world.admin.ok(ProvisionableGroupsDocument, { targetId: target, provisionable: false }))
      .provisionableGroups.nodes;
    assert.deepEqual(history.map((row) => [row.groupName, row.source, Boolean(row.provisionableUntil)]), [['d:gone', 'DELETED', true]]);

    // The stored answers go with their target (a trigger: the table has no foreign key to it).
    const storedRows = async () =>
      Number((await t.ferry.orm.em.fork().execute('select count(*) as n from group_provisionability where target_id = ?', [target]))[0].n);
    assert.equal(await storedRows(), 2);
    await world.admin.ok(DeleteProvisioningTargetDocument, { id: target });
    assert.equal(await storedRows(), 0, "deleting a target deletes its answers");
  });

  it('R12, R13: moves, renames, policy flags and removed assignments take effect at once, as a full recalculation confirms', async () => {
    const world = await RulesWorld.create(t, ['on:g', 'off:moved', 'off:sub:g', 'pol:g']);
    const target = await world.target();
    await world.markFolder(target, 'on', { provision: true, scope: 'SUB' });
    await world.markFolder(target, 'pol', { provision: true, scope: 'SUB', onlyPolicyGroups: true });
    const blocker = await world.markFolder(target, 'off', { provision: false, scope: 'SUB' });
    assert.deepEqual(await world.provisionableNames(target), ['on:g']);

    // A group moved under a provisioned folder.
    await world.admin.ok(UpdateGroupDocument, { id: world.groups.get('off:moved')!, input: { folderId: world.folders.get('on')! } });
    // A folder subtree moved under a provisioned folder: its groups follow by name.
    await world.admin.ok(UpdateFolderDocument, { id: world.folders.get('off:sub')!, input: { parentId: world.folders.get('on')! } });
    // A policy flag set.
    await world.admin.ok(UpdateGroupDocument, { id: world.groups.get('pol:g')!, input: { policy: true } });
    assert.deepEqual(await world.provisionableNames(target), ['on:g', 'on:moved', 'on:sub:g', 'pol:g']);

    // A renamed folder keeps its assignment: names are resolved when calculating.
    await world.admin.ok(UpdateFolderDocument, { id: world.folders.get('on')!, input: { name: 'renamed' } });
    assert.deepEqual(await world.provisionableNames(target), ['pol:g', 'renamed:g', 'renamed:moved', 'renamed:sub:g']);

    // Removing the folder's assignment: its groups are recalculated (and fall back to nothing).
    const marks = await world.admin.ok(ProvisioningAssignmentsDocument, { targetId: target });
    const onMark = marks.provisioningAssignments.nodes.find((m) => m.folderId === world.folders.get('on'))!;
    await world.admin.ok(DeleteProvisioningAssignmentDocument, { id: onMark.id });
    assert.deepEqual(await world.provisionableNames(target), ['pol:g']);
    // A group's own assignment removed: it falls back to inheritance.
    await world.markGroup(target, 'pol:g', false);
    assert.deepEqual(await world.provisionableNames(target), []);
    const own = (await world.admin.ok(ProvisioningAssignmentsDocument, { targetId: target }))
      .provisioningAssignments.nodes.find((m) => m.groupId)!;
    await world.admin.ok(DeleteProvisioningAssignmentDocument, { id: own.id });
    assert.deepEqual(await world.provisionableNames(target), ['pol:g']);
    assert.ok(blocker.setFolderProvisioning.assignment.id);

    const job = await world.fullRecalculation(target);
    assert.equal(job.details.flipped, 0, 'the incremental recalculations left nothing for the full one to fix');
  });

  it('schedules a daily full recalculation per folder-rules target', async () => {
    const world = await RulesWorld.create(t, ['daily:g']);
    const target = await world.target();
    const deadline = Date.now() + 10000;
    let daily;
    while (!daily) {
      const jobs = await allJobs(world.admin, { organizationId: world.organizationId, targetId: target, state: 'QUEUED' });
      daily = jobs.find((job) => job.name === 'provisionability-full-recalculation' && job.details.trigger === 'DAILY');
      if (!daily && Date.now() > deadline) assert.fail('no daily recalculation was scheduled');
      if (!daily) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const inHours = (new Date(daily.nextRunAt!).getTime() - Date.now()) / 3600_000;
    assert.ok(inHours > 23 && inHours <= 24, `next run in ${inHours} h`);
  });

  it('provisions a group that becomes provisionable with its members, and removes one that stops (unless the target keeps them)', async () => {
    const world = await RulesWorld.create(t, ['team:alpha', 'team:beta']);
    const live = await world.target({ mode: 'AUTOMATIC' });
    const keeper = await world.target({ mode: 'AUTOMATIC', keepUnprovisionableGroups: true });
    recorder.clear();
    for (const target of [live, keeper]) await world.markFolder(target, 'team', { provision: true, scope: 'SUB' });
    const added = recorder.calls.filter((c) => c.subject.subjectType === 'GROUP').map((c) => `${c.action} ${(c.subject as { name: string }).name}`);
    assert.deepEqual(added.sort(), [
      'GROUP_ADDED team:alpha',
      'GROUP_ADDED team:alpha',
      'GROUP_ADDED team:beta',
      'GROUP_ADDED team:beta',
    ], 'a group that becomes provisionable reaches the target as an add');
    recorder.clear();
    for (const target of [live, keeper]) await world.markGroup(target, 'team:beta', false);
    const removed = recorder.calls.map((c) => [c.action, (c.subject as { name: string }).name]);
    assert.deepEqual(removed, [['GROUP_DELETED', 'team:beta']], 'removed from one target, kept on the other');
    recorder.clear();
    await world.admin.ok(DeleteGroupDocument, { id: world.groups.get('team:beta')! });
    assert.deepEqual(
      recorder.calls.map((c) => c.action),
      ['GROUP_DELETED'],
      'deleting the group in Ferry removes it from the keeping target too',
    );
  });
  it('adds a group where a move makes it provisionable, keeps the name the target holds when a rename excludes it, and records nothing for groups a target neither gets nor holds', async () => {
    const world = await RulesWorld.create(t, ['lab:alpha', 'other:gamma']);
    const rulesName = uniqueName('rules');
    const allName = uniqueName('all');
    const rules = await world.target({ mode: 'AUTOMATIC', name: rulesName });
    await world.target({ mode: 'AUTOMATIC', name: allName, selection: 'ALL_GROUPS' });
    await world.markFolder(rules, 'lab', { provision: true, scope: 'SUB', provisionableRegex: 'groupExtension not matches hidden.*' });
    const alpha = world.groups.get('lab:alpha')!;
    const gamma = world.groups.get('other:gamma')!;
    const actionsOn = (targetName: string, groupId: string) => recorder.on(targetName).filter((c) => c.subject.id === groupId).map((c) => c.action);
    const events = async (groupId: string) =>
      (await t.admin.ok(ProvisioningEventsDocument, { organizationId: world.organizationId, subjectId: groupId, first: 100 })).provisioningEvents.nodes
        .filter((event) => event.targetName === rulesName)
        .map((event) => `${event.action}:${event.outcome}`);

    // A group the rules keep off the target, which does not hold it: its changes store nothing there.
    recorder.clear();
    await world.admin.ok(UpdateGroupDocument, { id: gamma, input: { description: 'first' } });
    await world.admin.ok(UpdateGroupDocument, { id: gamma, input: { description: 'second' } });
    assert.deepEqual(await events(gamma), [], 'no SKIPPED GROUP_DELETED for every change');
    assert.deepEqual(actionsOn(rulesName, gamma), []);
    assert.deepEqual(actionsOn(allName, gamma), ['GROUP_UPDATED', 'GROUP_UPDATED'], 'the target that takes every group gets them');

    // Moved into the marked folder: an add where it became provisionable, an update elsewhere.
    recorder.clear();
    await world.admin.ok(UpdateGroupDocument, { id: gamma, input: { folderId: world.folders.get('lab')! } });
    assert.deepEqual(actionsOn(rulesName, gamma), ['GROUP_ADDED']);
    assert.deepEqual(actionsOn(allName, gamma), ['GROUP_UPDATED']);
    assert.deepEqual(await events(gamma), ['GROUP_ADDED:SUCCEEDED']);

    // Renamed into the regex exclusion: removed from the target; the stored answer keeps the name
    // the target holds (Grouper's sync row), not the new one.
    recorder.clear();
    await world.admin.ok(UpdateGroupDocument, { id: alpha, input: { name: 'hidden-alpha' } });
    assert.deepEqual(actionsOn(rulesName, alpha), ['GROUP_DELETED']);
    const stored = (await t.admin.ok(ProvisionableGroupsDocument, { targetId: rules, provisionable: false, first: 100 })).provisionableGroups.nodes.find((row) => row.groupId === alpha);
    assert.deepEqual([stored?.provisionable, stored?.groupName, stored?.group?.fullName], [false, 'lab:alpha', 'lab:hidden-alpha']);
    // The folder then stops provisioning its groups: the answer's reason changes, and it still
    // carries the name the target last held.
    await world.markFolder(rules, 'lab', { provision: false, scope: 'SUB' });
    const blocked = (await t.admin.ok(ProvisionableGroupsDocument, { targetId: rules, provisionable: false, first: 100 })).provisionableGroups.nodes.find((row) => row.groupId === alpha);
    assert.deepEqual([blocked?.provisionable, blocked?.groupName, blocked?.explanation], [false, 'lab:alpha', 'folder lab (SUB, depth 1) says not to provision its groups']);
    await world.markFolder(rules, 'lab', { provision: true, scope: 'SUB', provisionableRegex: 'groupExtension not matches hidden.*' });
    const removed = await events(alpha);
    assert.equal(removed.at(-1), 'GROUP_DELETED:SUCCEEDED', 'its removal is recorded: the target held it');
    // Gone from the target now: later changes record nothing there.
    await world.admin.ok(UpdateGroupDocument, { id: alpha, input: { description: 'later' } });
    assert.deepEqual(await events(alpha), removed);
  });
});

