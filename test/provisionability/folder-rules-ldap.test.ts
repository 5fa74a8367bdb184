import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AddGroupMemberDocument, CreatePersonDocument } from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { uniqueName } from '../support/fixtures';
import { startSlapd, type Slapd } from '../support/slapd';
import { RulesWorld } from './rules-world';

describe('folder rules into a real slapd', () => {
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

  it('marking a folder brings its groups (with members) into the directory; blocking a subfolder takes them out', async () => {
    const world = await RulesWorld.create(t, ['research:physics', 'research:chemistry', 'research:secret:plans', 'admin:payroll']);
    const ou = uniqueName('rules');
    const base = `ou=${ou},${slapd.suffix}`;
    await slapd.client().add(base, { objectClass: ['organizationalUnit'], ou });
    for (const branch of ['people', 'groups']) await slapd.client().add(`ou=${branch},${base}`, { objectClass: ['organizationalUnit'], ou: branch });
    const people = `ou=people,${base}`;
    const groups = `ou=groups,${base}`;
    const target = await world.target({
      plugin: 'ldap',
      mode: 'AUTOMATIC',
      config: { url: slapd.url, bindDn: slapd.bindDn, bindPassword: slapd.bindPassword, peopleBaseDn: people, groupBaseDn: groups, timeoutMs: 2000 },
    });
    const ada = (
      await world.admin.ok(CreatePersonDocument, {
        input: { organizationId: world.organizationId, names: [{ given: 'Ada', family: 'Lovelace' }], identifiers: [{ type: 'uid', value: 'ada' }] },
      })
    ).createPerson.person;
    for (const group of ['research:physics', 'research:secret:plans', 'admin:payroll']) {
      await world.admin.ok(AddGroupMemberDocument, { input: { groupId: world.groups.get(group)!, personId: ada.id } });
    }
    const groupNames = async () => (await slapd.childDns(groups)).map((dn) => /^cn=([^,]+)/.exec(dn)![1]).sort();
    assert.deepEqual(await groupNames(), [], 'nothing is marked yet: no group on the target');

    await world.markFolder(target, 'research', { provision: true, scope: 'SUB' });
    // research:chemistry has no members: the target's empty-group policy leaves it out.
    assert.deepEqual(await groupNames(), ['research:physics', 'research:secret:plans']);
    const physics = await slapd.entry(`cn=research:physics,${groups}`);
    assert.deepEqual(physics?.get('member'), [`uid=ada,${people}`], 'with its members');

    await world.markFolder(target, 'research:secret', { provision: false, scope: 'SUB' });
    assert.deepEqual(await groupNames(), ['research:physics'], 'the blocked subfolder\'s group is gone');
    const decision = await world.decision('research:secret:plans', target);
    assert.match(decision.explanation, /research:secret \(SUB, depth 1\) says not to provision/);
  });
});
