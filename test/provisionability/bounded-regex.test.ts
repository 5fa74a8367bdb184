import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateFolderDocument,
  CreateGroupDocument,
  CreatePersonWithOutcomesDocument,
  CreateProvisioningTargetDocument,
  ProvisioningAssignmentsDocument,
  ProvisioningTargetDocument,
  SetFolderProvisioningDocument,
  UpdateProvisioningTargetDocument,
} from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, uniqueName } from '../support/fixtures';
import { recordingPlugin } from '../support/recording-plugin';
import { RulesWorld } from './rules-world';

/**
 * Admin-supplied patterns run on RE2 through the API: a catastrophic pattern and a name built to
 * trigger it answer at once (and /healthz with them), and a pattern RE2 cannot run is refused on
 * save with BAD_USER_INPUT, changing nothing.
 */
const EVIL_NAME = `${'a'.repeat(31)}!`;
/** What a request may take here; on a backtracking engine the first such request took 17.4 s. */
const REQUEST_BOUND_MS = 5000;
const HEALTH_BOUND_MS = 1000;

describe('admin-supplied regular expressions through the API (RE2)', () => {
  let t: TestFerry;
  const recorder = recordingPlugin();
  before(async () => {
    t = await startTestFerry({ FERRY_JOB_POLL_MS: '100' }, { plugins: [recorder.plugin] });
  });
  after(async () => {
    await t?.stop();
  });

  /** Runs the request while polling /healthz; returns its result, its duration and the slowest health answer. */
  async function withHealthPolls<T>(request: () => Promise<T>): Promise<{ value: T; ms: number; slowestHealthMs: number; polls: number }> {
    const health = new URL('/healthz', t.ferry.url).toString();
    let done = false;
    let slowestHealthMs = 0;
    let polls = 0;
    const poller = (async () => {
      while (!done) {
        const start = performance.now();
        const response = await fetch(health);
        assert.equal(response.status, 200);
        await response.arrayBuffer();
        slowestHealthMs = Math.max(slowestHealthMs, performance.now() - start);
        polls += 1;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const start = performance.now();
    const value = await request();
    const ms = performance.now() - start;
    done = true;
    await poller;
    return { value, ms, slowestHealthMs, polls };
  }

  it('a folder rule "groupExtension matches (a+)+$" decides a group named 31 "a"s and "!" at once, correctly, with /healthz answering', async () => {
    const world = await RulesWorld.create(t, ['f:aaaa']);
    const target = await world.target();
    await world.markFolder(target, 'f', { provision: true, scope: 'SUB', provisionableRegex: 'groupExtension matches (a+)+$' });

    const created = await withHealthPolls(() => world.group(`f:${EVIL_NAME}`));
    assert.ok(created.ms < REQUEST_BOUND_MS, `creating the group took ${created.ms.toFixed(0)} ms`);
    assert.ok(created.polls > 0 && created.slowestHealthMs < HEALTH_BOUND_MS, `/healthz took up to ${created.slowestHealthMs.toFixed(0)} ms`);

    const evil = await world.decision(`f:${EVIL_NAME}`, target);
    assert.deepEqual([evil.provisionable, evil.failedFilter], [false, 'REGEX']);
    assert.deepEqual(await world.provisionableNames(target), ['f:aaaa'], 'a name the pattern matches is still provisionable');

    // The target's own expression, and a full recalculation over the group, answer as quickly.
    const slow = await withHealthPolls(async () => {
      await world.admin.ok(UpdateProvisioningTargetDocument, { id: target, input: { provisionableRegex: 'groupName matches f:(a+)+$' } });
      return world.fullRecalculation(target);
    });
    assert.ok(slow.ms < REQUEST_BOUND_MS + 2000, `the target update and a full recalculation took ${slow.ms.toFixed(0)} ms`);
    assert.ok(slow.slowestHealthMs < HEALTH_BOUND_MS, `/healthz took up to ${slow.slowestHealthMs.toFixed(0)} ms`);
  });

  it('a folder rule or target expression with a backreference or lookaround is refused with BAD_USER_INPUT and changes nothing', async () => {
    const world = await RulesWorld.create(t, ['r:aa']);
    const target = await world.target({ provisionableRegex: 'groupExtension matches a+' });
    await world.markFolder(target, 'r', { provision: true, scope: 'SUB', provisionableRegex: 'groupExtension matches .*' });
    const before = (await world.admin.ok(ProvisioningAssignmentsDocument, { targetId: target })).provisioningAssignments.nodes;

    for (const bad of ['groupExtension matches (a)\\1', 'groupName matches (?=r).*', 'groupName not matches (?<!x)y']) {
      const error = await world.admin.fails('BAD_USER_INPUT', SetFolderProvisioningDocument, {
        input: { targetId: target, folderId: world.folders.get('r')!, provision: false, scope: 'ONE', provisionableRegex: bad },
      });
      assert.equal(error.extensions?.field, 'provisionableRegex');
      assert.match(error.message, /provisionableRegex: the regex does not compile on RE2.*no backreferences or lookaround/);
      const onTarget = await world.admin.fails('BAD_USER_INPUT', UpdateProvisioningTargetDocument, {
        id: target,
        input: { provisionableRegex: bad, onlyPolicyGroups: true },
      });
      assert.match(onTarget.message, /RE2/);
    }
    const after = (await world.admin.ok(ProvisioningAssignmentsDocument, { targetId: target })).provisioningAssignments.nodes;
    assert.deepEqual(after, before, 'the folder assignment is unchanged');
    const stored = (await world.admin.ok(ProvisioningTargetDocument, { id: target })).provisioningTarget;
    assert.deepEqual([stored.provisionableRegex, stored.onlyPolicyGroups], ['groupExtension matches a+', false], 'the target is unchanged');
    assert.deepEqual(await world.provisionableNames(target), ['r:aa']);
  });

  it('an expression stored before RE2 that RE2 refuses fails closed on use, whatever its verb, and the decision says why', async () => {
    const world = await RulesWorld.create(t, ['old:aa', 'old:ab']);
    const target = await world.expectProvisionable(
      (target) => world.markFolder(target, 'old', { provision: true, scope: 'SUB', provisionableRegex: 'groupExtension not matches x' }).then(() => undefined),
      ['old:aa', 'old:ab'],
    );
    // As if written by an older Ferry, which compiled patterns with RegExp.
    await t.ferry.orm.em
      .fork()
      .execute(`update provisioning_assignment set provisionable_regex = ? where target_id = ? and folder_id is not null`, [
        'groupExtension not matches (a)\\1',
        target,
      ]);
    await world.fullRecalculation(target);
    assert.deepEqual(await world.provisionableNames(target), []);
    const decision = await world.decision('old:ab', target);
    assert.deepEqual([decision.provisionable, decision.failedFilter], [false, 'REGEX']);
    assert.match(decision.explanation, /cannot be evaluated .*RE2.*no group passes it until it is corrected/);
  });

  describe('data filters', () => {
    async function world(pattern: string) {
      const organization = await createOrganization(t.admin);
      const target = (
        await t.admin.ok(CreateProvisioningTargetDocument, {
          input: {
            organizationId: organization.id,
            name: uniqueName('filtered'),
            plugin: 'recorder',
            config: {},
            dataFilters: [{ groupFilter: { rules: [{ pattern, rule: 'OPTIONAL' }] } }],
          },
        })
      ).createProvisioningTarget.target;
      const folder = (await t.admin.ok(CreateFolderDocument, { input: { organizationId: organization.id, name: 'research' } })).createFolder.folder;
      return { organization, target, folder };
    }

    it('a group filter "research:(a+)+$" filters a group named 31 "a"s and "!" at once, with /healthz answering', async () => {
      const { target, folder } = await world('research:(a+)+$');
      recorder.clear();
      const created = await withHealthPolls(() => t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name: EVIL_NAME } }));
      assert.ok(created.ms < REQUEST_BOUND_MS, `creating the group took ${created.ms.toFixed(0)} ms`);
      assert.ok(created.polls > 0 && created.slowestHealthMs < HEALTH_BOUND_MS, `/healthz took up to ${created.slowestHealthMs.toFixed(0)} ms`);
      await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name: 'aaaa' } });
      const sent = recorder
        .on(target.name)
        .filter((c) => c.subject.subjectType === 'GROUP' && !c.action.endsWith('_DELETED'))
        .map((c) => (c.subject as { name: string }).name);
      assert.deepEqual([...new Set(sent)], ['research:aaaa'], 'the matching group goes out, the other is filtered out');
    });

    it('a pattern with a backreference or lookaround is refused with BAD_USER_INPUT and changes nothing', async () => {
      const { target } = await world('research:.*');
      for (const bad of ['(a)\\1', 'research:(?!secret).*', '(?<=x)y']) {
        const error = await t.admin.fails('BAD_USER_INPUT', UpdateProvisioningTargetDocument, {
          id: target.id,
          input: { name: uniqueName('renamed'), dataFilters: [{ groupFilter: { rules: [{ pattern: bad, rule: 'OPTIONAL' }] } }] },
        });
        assert.equal(error.extensions?.field, 'dataFilters');
        assert.match(error.message, /dataFilters\.0\.rules\.0\.pattern: the regex does not compile on RE2.*no backreferences or lookaround/);
      }
      const stored = (await t.admin.ok(ProvisioningTargetDocument, { id: target.id })).provisioningTarget;
      assert.equal(stored.name, target.name, 'the target is unchanged');
      assert.deepEqual(stored.dataFilters, target.dataFilters);
    });

    it('a stored pattern RE2 refuses fails the target for the subject with the reason, and is never run on RegExp', async () => {
      const { organization, target } = await world('.*');
      await t.ferry.orm.em
        .fork()
        .execute(`update provisioning_target set data_filters = ? where id = ?`, [
          JSON.stringify([{ kind: 'GROUP_FILTER', rules: [{ pattern: '(a)\\1', rule: 'OPTIONAL' }] }]),
          target.id,
        ]);
      const saved = await t.admin.ok(CreatePersonWithOutcomesDocument, { input: { organizationId: organization.id, names: [{ given: 'Old' }] } });
      const [outcome] = saved.createPerson.provisioning.filter((e) => e.targetName === target.name && e.subjectType === 'PERSON');
      assert.equal(outcome.outcome, 'FAILED');
      assert.match(outcome.error ?? '', /data filter failed: group pattern "\(a\)\\1": the regex does not compile on RE2/);
    });
  });
});
