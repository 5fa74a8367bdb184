import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { freePort } from '../../src/db/scratch-database';
import { PermanentProvisioningError, TransientProvisioningError } from '../../src/plugins/plugin';
import { scimPlugin } from '../../src/plugins/scim';
import { SubjectType } from '../../src/provisioning/actions';
import type { PersonPayload } from '../../src/provisioning/payload';
import { PersonStatus } from '../../src/registry/enums';
import { startScimServer, type RecordedRequest, type ScimServer } from '../support/scim-server';
import { group, memberOf, person, ProvisioningAction, role, skeleton, unique } from './ldap-fixtures';
import { closeScimTargets, scimTarget, type ScimTestTarget } from './scim-fixtures';

const A = ProvisioningAction;
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** Member values a recorded PATCH adds and removes. */
function memberChanges(request: RecordedRequest): { added: number; removed: number; replaced: number } {
  let added = 0;
  let removed = 0;
  let replaced = 0;
  for (const operation of request.body.Operations as { op: string; path?: string; value?: unknown }[]) {
    const op = operation.op.toLowerCase();
    const path = operation.path ?? '';
    if (!path.startsWith('members')) continue;
    if (op === 'add') added += (operation.value as unknown[]).length;
    if (op === 'remove') removed += 1;
    if (op === 'replace') replaced += 1;
  }
  return { added, removed, replaced };
}

const memberIds = (stored: Record<string, any> | undefined): string[] => ((stored?.members ?? []) as { value: string }[]).map((member) => member.value).sort();

async function rejection<T extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof type, `expected a ${type.name}, got ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
    return error;
  }
  assert.fail(`expected a ${type.name}, but it succeeded`);
}

describe('SCIM provisioner against a real SCIM server (SCIMMY)', () => {
  let server: ScimServer;

  before(async () => {
    server = await startScimServer();
  });
  beforeEach(() => server.resetBehaviour());
  after(async () => {
    await closeScimTargets();
    await server?.close();
  });

  /** People already on the target as Users (seeded in the server, ids stored as the engine would). */
  function seedPeople(target: ScimTestTarget, count: number): PersonPayload[] {
    return Array.from({ length: count }, () => {
      const someone = person(unique('m'));
      const stored = server.seedUser({ userName: someone.identifiers[0].value, externalId: someone.id, active: true });
      target.state.set(SubjectType.PERSON, someone.id, stored.id);
      return someone;
    });
  }

  describe('configuration', () => {
    it('applies defaults, marks the token secret and refuses what it cannot use', () => {
      const config = scimPlugin.configSchema.parse({ baseUrl: 'https://app.example.org/scim/v2/', bearerToken: 't' });
      assert.equal(config.baseUrl, 'https://app.example.org/scim/v2');
      assert.equal(config.membershipChunkSize, 100);
      assert.equal(config.userMatchAttribute, 'externalId');
      assert.equal(config.groupMatchAttribute, 'externalId');
      assert.equal(config.deprovision, 'DELETE');
      assert.equal(config.userNameIdentifierType, 'uid');
      assert.ok(config.maxInlineRetryAfterSeconds <= 5);
      assert.deepEqual(scimPlugin.secretFields, ['bearerToken']);

      const bad = scimPlugin.configSchema.safeParse({
        baseUrl: 'ftp://app.example.org',
        bearerToken: '',
        userAttributes: ['emails', 'shoeSize'],
        deprovision: 'ARCHIVE',
      });
      assert.equal(bad.success, false);
      const paths = bad.error!.issues.map((issue) => issue.path.join('.')).sort();
      assert.deepEqual(paths, ['baseUrl', 'bearerToken', 'deprovision', 'userAttributes.1']);
    });
  });

  describe('users', () => {
    it('creates a User with the configured attributes and reads it back', async () => {
      const target = scimTarget(server, { userAttributes: ['name', 'displayName', 'emails', 'phoneNumbers', 'addresses', 'title', 'userType', 'enterprise'] });
      const uid = unique('ada');
      const ada = person(uid, {
        identifiers: [
          { type: 'uid', value: uid, login: true },
          { type: 'enterprise', value: 'E-42', login: false },
        ],
        emailAddresses: [
          { mail: 'ada@home.example', type: 'PERSONAL', verified: false },
          { mail: `${uid}@example.org`, type: 'OFFICIAL', verified: true },
        ],
        roles: [
          role({
            title: 'Professor',
            o: 'Example University',
            ou: 'Mathematics',
            telephoneNumbers: [{ type: 'OFFICE', countryCode: '1', areaCode: '734', number: '555 1212', extension: null }],
            addresses: [
              { type: 'OFFICE', street: 'Main Street 1', room: 'B12', locality: 'Ann Arbor', state: 'MI', postalCode: '48109', country: 'US', language: null },
            ],
          }),
        ],
      });

      const result = await target.provision(A.PERSON_ADDED, ada);
      const stored = server.users.get(result.remoteId!);
      assert.ok(stored, 'the User is in the server store under the returned id');
      assert.match(result.detail, /^created User /);
      assert.equal(stored.userName, uid);
      assert.equal(stored.externalId, ada.id);
      assert.equal(stored.active, true);
      assert.deepEqual(stored.name, { formatted: 'Ada Lovelace', familyName: 'Lovelace', givenName: 'Ada' });
      assert.equal(stored.displayName, 'Ada Lovelace');
      assert.deepEqual(stored.emails, [
        { value: 'ada@home.example', type: 'home' },
        { value: `${uid}@example.org`, type: 'work', primary: true },
      ]);
      assert.deepEqual(stored.phoneNumbers, [{ value: '+1 734 555 1212', type: 'work' }]);
      assert.equal(stored.addresses[0].locality, 'Ann Arbor');
      assert.equal(stored.title, 'Professor');
      assert.equal(stored.userType, 'staff');
      assert.deepEqual(stored[ENTERPRISE], { employeeNumber: 'E-42', organization: 'Example University', department: 'Mathematics' });

      const back = await target.readBack(SubjectType.PERSON, result.remoteId!);
      assert.equal(back.exists, true);
      assert.deepEqual(back.attributes?.userName, [uid]);
      assert.deepEqual(back.attributes?.active, ['true']);
      assert.deepEqual(back.attributes?.externalId, [ada.id]);

      const moved = { ...ada, roles: [role({ title: 'Professor', o: 'Example University', ou: 'Physics' })] };
      await target.provision(A.PERSON_UPDATED, moved);
      const [patch] = server.requestsTo('PATCH', `/Users/${result.remoteId}`);
      assert.deepEqual(patch.body.Operations.map((operation: { op: string; path: string }) => `${operation.op} ${operation.path}`).sort(), [
        'remove addresses',
        'remove phoneNumbers',
        `replace ${ENTERPRISE}`,
      ]);
      assert.deepEqual(server.users.get(result.remoteId!)![ENTERPRISE], { employeeNumber: 'E-42', organization: 'Example University', department: 'Physics' });
      assert.equal(server.users.get(result.remoteId!)!.addresses, undefined);
    });

    it('updates by PATCH only what changed, removes what the person lost, and sends nothing when up to date', async () => {
      const target = scimTarget(server);
      const uid = unique('grace');
      const grace = person(uid, { roles: [role({ title: 'Admiral', telephoneNumbers: [{ type: 'MOBILE', countryCode: '1', areaCode: null, number: '555', extension: null }] })] });
      const { remoteId } = await target.provision(A.PERSON_ADDED, grace);

      const changed = { ...grace, emailAddresses: [{ mail: 'grace@navy.example', type: 'OFFICIAL', verified: true }], roles: [role({ title: 'Rear Admiral' })] };
      const result = await target.provision(A.PERSON_UPDATED, changed);
      assert.equal(result.remoteId, remoteId);
      const [patch] = server.requestsTo('PATCH', `/Users/${remoteId}`);
      assert.deepEqual(
        patch.body.Operations.map((operation: { op: string; path: string }) => `${operation.op} ${operation.path}`).sort(),
        ['remove phoneNumbers', 'replace emails', 'replace title'],
      );
      const stored = server.users.get(remoteId!)!;
      assert.deepEqual(stored.emails, [{ value: 'grace@navy.example', type: 'work', primary: true }]);
      assert.equal(stored.title, 'Rear Admiral');
      assert.equal(stored.phoneNumbers, undefined);
      assert.equal(server.requestsTo('PUT', '/Users').length, 0);

      const again = await target.provision(A.PERSON_UPDATED, changed);
      assert.match(again.detail, /already up to date/);
      assert.equal(server.requestsTo('PATCH', '/Users').length, 1, 'no second PATCH');
    });

    it('switches a suspended person off and on again, keeping the account', async () => {
      const target = scimTarget(server);
      const linus = person(unique('linus'));
      const { remoteId } = await target.provision(A.PERSON_ADDED, linus);
      await target.provision(A.PERSON_UPDATED, { ...linus, status: PersonStatus.SUSPENDED });
      assert.equal(server.users.get(remoteId!)!.active, false);
      const back = await target.provision(A.PERSON_UPDATED, linus);
      assert.equal(back.remoteId, remoteId);
      assert.equal(server.users.get(remoteId!)!.active, true);
    });

    it('adopts an existing User found by externalId instead of creating a second one', async () => {
      const target = scimTarget(server);
      const uid = unique('existing');
      const someone = person(uid);
      const existing = server.seedUser({ userName: `${uid}-old`, externalId: someone.id, active: false });

      const result = await target.provision(A.PERSON_ADDED, someone);
      assert.equal(result.remoteId, existing.id);
      assert.match(result.detail, /adopted existing User .* by externalId/);
      assert.equal(server.requestsTo('POST', '/Users').length, 0);
      assert.equal(server.users.get(existing.id)!.userName, uid);
      assert.equal(server.users.get(existing.id)!.active, true);
    });

    it('adopts an existing User found by userName when configured to match on userName', async () => {
      const target = scimTarget(server, { userMatchAttribute: 'userName' });
      const uid = unique('byname');
      const existing = server.seedUser({ userName: uid, active: true, title: 'set elsewhere' });
      const someone = person(uid);

      const result = await target.provision(A.PERSON_ADDED, someone);
      assert.equal(result.remoteId, existing.id);
      assert.equal(server.requestsTo('POST', '/Users').length, 0);
      assert.equal(server.users.get(existing.id)!.externalId, someone.id, 'the adopted User now carries the Ferry id');
      const filters = server.requestsTo('GET', '/Users').map((request) => request.query.filter);
      assert.ok(filters.includes(`userName eq "${uid}"`), `filtered by userName: ${filters.join(' | ')}`);
    });

    it('adopts the User that holds the userName when creating answers 409', async () => {
      const target = scimTarget(server);
      const uid = unique('conflict');
      const existing = server.seedUser({ userName: uid, active: true });
      const someone = person(uid);

      const result = await target.provision(A.PERSON_ADDED, someone);
      assert.equal(result.remoteId, existing.id);
      assert.match(result.detail, /after a uniqueness conflict/);
      assert.equal(server.requestsTo('POST', '/Users').length, 1, 'the create was tried and refused');
      assert.equal(server.users.get(existing.id)!.externalId, someone.id);
      assert.equal([...server.users.values()].filter((user) => user.userName === uid).length, 1);
    });

    it("never takes over another subject's User on a 409", async () => {
      const target = scimTarget(server);
      const uid = unique('taken');
      const owner = person(uid);
      server.seedUser({ userName: uid, externalId: owner.id, active: true });
      const intruder = person(uid);

      const error = await rejection(target.provision(A.PERSON_ADDED, intruder), PermanentProvisioningError);
      assert.match(error.message, /already has it .* for another subject/);
      assert.equal(server.userBy('userName', uid)!.externalId, owner.id);
    });

    it('re-creates a User that vanished when updating (404)', async () => {
      const target = scimTarget(server);
      const someone = person(unique('vanish'));
      const first = await target.provision(A.PERSON_ADDED, someone);
      server.users.delete(first.remoteId!);

      const result = await target.provision(A.PERSON_UPDATED, someone);
      assert.notEqual(result.remoteId, first.remoteId);
      assert.match(result.detail, /was gone; created User/);
      assert.equal(server.users.get(result.remoteId!)!.externalId, someone.id);
    });

    it('deletes the User of a person who is no longer provisionable; a 404 on delete is success', async () => {
      const target = scimTarget(server);
      const someone = person(unique('leaver'));
      const { remoteId } = await target.provision(A.PERSON_ADDED, someone);

      const result = await target.provision(A.PERSON_DELETED, skeleton(someone, PersonStatus.PENDING));
      assert.equal(result.remoteId, null);
      assert.equal(server.users.has(remoteId!), false);
      assert.equal((await target.readBack(SubjectType.PERSON, remoteId!)).exists, false);

      const again = await scimPlugin.provision(target.ctx, { action: A.PERSON_DELETED, subject: skeleton(someone), remoteId });
      assert.equal(again.remoteId, null);
      assert.match(again.detail, /nothing to delete/);
      assert.equal(server.requestsTo('DELETE', `/Users/${remoteId}`).length, 2, 'the second DELETE was sent and its 404 accepted');
    });

    it('deactivates instead of deleting under the DEACTIVATE policy, and the person can come back', async () => {
      const target = scimTarget(server, { deprovision: 'DEACTIVATE' });
      const someone = person(unique('sleeper'));
      const { remoteId } = await target.provision(A.PERSON_ADDED, someone);

      const result = await target.provision(A.PERSON_DELETED, skeleton(someone, PersonStatus.DELETED));
      assert.equal(result.remoteId, remoteId, 'the User stays, so its id is kept');
      assert.match(result.detail, /^deactivated User /);
      assert.equal(server.users.get(remoteId!)!.active, false);
      assert.equal(server.requestsTo('DELETE', '/Users').length, 0);
      const [patch] = server.requestsTo('PATCH', `/Users/${remoteId}`);
      assert.deepEqual(patch.body.Operations, [{ op: 'replace', path: 'active', value: false }]);

      const back = await target.provision(A.PERSON_UPDATED, someone);
      assert.equal(back.remoteId, remoteId);
      assert.equal(server.users.get(remoteId!)!.active, true);
    });

    it('fails permanently for an active person without the userName identifier', async () => {
      const target = scimTarget(server);
      const nameless = person(unique('x'), { identifiers: [{ type: 'eppn', value: 'x@example.org', login: true }] });
      const error = await rejection(target.provision(A.PERSON_ADDED, nameless), PermanentProvisioningError);
      assert.match(error.message, /no active identifier of type "uid"/);
      assert.equal(server.requestsTo('POST', '/Users').length, 0);
    });
  });

  describe('groups', () => {
    it('creates a Group with its members, renames it and deletes it; a 404 on delete is success', async () => {
      const target = scimTarget(server);
      const [ada, grace] = seedPeople(target, 2);
      const pending = person(unique('pending'));
      const staff = group(unique('research:staff'), [...memberOf([ada, grace, pending]), ...memberOf([person(unique('owner'))], { owner: true, member: false })]);

      const created = await target.provision(A.GROUP_ADDED, staff);
      const stored = server.groups.get(created.remoteId!);
      assert.ok(stored);
      assert.equal(stored.displayName, staff.name);
      assert.equal(stored.externalId, staff.id);
      const expected = [(await target.remoteId(ada))!, (await target.remoteId(grace))!].sort();
      assert.deepEqual(memberIds(stored), expected);
      assert.match(created.detail, /skipped 1 member without a User on this target yet/);

      const back = await target.readBack(SubjectType.GROUP, created.remoteId!);
      assert.deepEqual([...back.attributes!.members].sort(), expected);

      const renamed = await target.provision(A.GROUP_UPDATED, { ...staff, name: `${staff.name}-renamed` });
      assert.equal(renamed.remoteId, created.remoteId);
      assert.equal(server.groups.get(created.remoteId!)!.displayName, `${staff.name}-renamed`);
      const [patch] = server.requestsTo('PATCH', `/Groups/${created.remoteId}`);
      assert.deepEqual(patch.body.Operations, [{ op: 'replace', path: 'displayName', value: `${staff.name}-renamed` }]);

      const deleted = await target.provision(A.GROUP_DELETED, staff);
      assert.equal(deleted.remoteId, null);
      assert.equal(server.groups.has(created.remoteId!), false);
      const again = await scimPlugin.provision(target.ctx, { action: A.GROUP_DELETED, subject: staff, remoteId: created.remoteId });
      assert.match(again.detail, /nothing to delete/);
    });

    it('sends membership changes as PATCH deltas in chunks, never replacing the member list', async () => {
      server.behaviour.maxMembersPerRequest = 100;
      const target = scimTarget(server, { membershipChunkSize: 100 });
      const people = seedPeople(target, 270);
      const big = group(unique('big'), memberOf(people.slice(0, 250)));

      const created = await target.provision(A.GROUP_ADDED, big);
      const id = created.remoteId!;
      const [post] = server.requestsTo('POST', '/Groups');
      assert.equal(post.body.members.length, 100, 'the create carries the first chunk');
      let patches = server.requestsTo('PATCH', `/Groups/${id}`);
      assert.deepEqual(
        patches.map((request) => memberChanges(request)),
        [
          { added: 100, removed: 0, replaced: 0 },
          { added: 50, removed: 0, replaced: 0 },
        ],
      );
      assert.equal(memberIds(server.groups.get(id)).length, 250);

      server.requests.splice(0);
      // 30 leave, 20 join: one request of 50 member values.
      const changed = { ...big, members: memberOf([...people.slice(30, 250), ...people.slice(250, 270)]) };
      const result = await target.provision(A.GROUP_UPDATED, changed);
      assert.match(result.detail, /added 20 members, removed 30 members, in 1 PATCH request/);
      patches = server.requestsTo('PATCH', `/Groups/${id}`);
      assert.deepEqual(patches.map(memberChanges), [{ added: 20, removed: 30, replaced: 0 }]);
      const wanted = await Promise.all([...people.slice(30, 270)].map((p) => target.remoteId(p)));
      assert.deepEqual(memberIds(server.groups.get(id)), (wanted as string[]).sort());
      assert.equal(server.requestsTo('PUT', '/Groups').length, 0, 'never a PUT of the whole group');

      server.requests.splice(0);
      // 150 leave at once: two requests, 100 then 50.
      await target.provision(A.GROUP_UPDATED, { ...big, members: memberOf(people.slice(180, 270)) });
      assert.deepEqual(server.requestsTo('PATCH', `/Groups/${id}`).map(memberChanges), [
        { added: 0, removed: 100, replaced: 0 },
        { added: 0, removed: 50, replaced: 0 },
      ]);
      assert.equal(memberIds(server.groups.get(id)).length, 90);

      server.requests.splice(0);
      const unchanged = await target.provision(A.GROUP_UPDATED, { ...big, members: memberOf(people.slice(180, 270)) });
      assert.match(unchanged.detail, /already up to date/);
      assert.equal(server.requestsTo('PATCH', '/Groups').length, 0);
    });

    it('reports the server\'s refusal when a chunk is larger than it accepts', async () => {
      server.behaviour.maxMembersPerRequest = 100;
      const target = scimTarget(server, { membershipChunkSize: 150 });
      const people = seedPeople(target, 150);
      const error = await rejection(target.provision(A.GROUP_ADDED, group(unique('too-big'), memberOf(people))), PermanentProvisioningError);
      assert.match(error.message, /answered HTTP 400 Bad Request \(invalidValue: a request may carry at most 100 members; this one carries 150\)/);
    });

    it('adopts an existing Group by displayName, and on a 409', async () => {
      const byName = scimTarget(server, { groupMatchAttribute: 'displayName' });
      const [member] = seedPeople(byName, 1);
      const named = group(unique('named'), memberOf([member]));
      const existing = server.seedGroup({ displayName: named.name, members: [{ value: 'someone-else' }] });
      const adopted = await byName.provision(A.GROUP_ADDED, named);
      assert.equal(adopted.remoteId, existing.id);
      assert.equal(server.requestsTo('POST', '/Groups').length, 0);
      assert.equal(server.groups.get(existing.id)!.externalId, named.id);
      assert.deepEqual(memberIds(server.groups.get(existing.id)), [(await byName.remoteId(member))!]);

      const byId = scimTarget(server);
      const clash = group(unique('clash'));
      const holder = server.seedGroup({ displayName: clash.name });
      const result = await byId.provision(A.GROUP_ADDED, clash);
      assert.equal(result.remoteId, holder.id);
      assert.match(result.detail, /after a uniqueness conflict/);
    });

    it('re-creates a Group that vanished (404 on update)', async () => {
      const target = scimTarget(server);
      const [member] = seedPeople(target, 1);
      const team = group(unique('team'), memberOf([member]));
      const first = await target.provision(A.GROUP_ADDED, team);
      server.groups.delete(first.remoteId!);
      const result = await target.provision(A.GROUP_UPDATED, team);
      assert.notEqual(result.remoteId, first.remoteId);
      assert.deepEqual(memberIds(server.groups.get(result.remoteId!)), [(await target.remoteId(member))!]);
    });

    it('notices members the server silently dropped, on read-back', async () => {
      server.behaviour.keepMembersUpTo = 120;
      const target = scimTarget(server);
      const people = seedPeople(target, 150);
      const error = await rejection(target.provision(A.GROUP_ADDED, group(unique('lossy'), memberOf(people))), PermanentProvisioningError);
      assert.match(error.message, /30 of 150 members are missing/);
      assert.match(error.message, /read back after provisioning/);
    });

    it('reports the members it wrote with each result, and takes a Group emptied behind its back for what groupMembersInReads says', async () => {
      // A Group emptied on the server reads like a Group on a server that hides members.
      const emptied = async (overrides: Record<string, unknown>) => {
        const target = scimTarget(server, overrides);
        const people = seedPeople(target, 3);
        const team = group(unique('team'), memberOf(people));
        const created = await target.provision(A.GROUP_ADDED, team);
        const ids = (await Promise.all(people.map((p) => target.remoteId(p)))) as string[];
        assert.deepEqual([...(created.members ?? [])].sort(), [...ids].sort(), 'the result names the members written');
        server.groups.get(created.remoteId!)!.members = [];
        await scimPlugin.close!(target.ctx.targetId); // a new process: nothing learnt about the server yet
        const result = await target.provision(A.GROUP_UPDATED, { ...team, members: memberOf(people.slice(1)) });
        return { result, held: memberIds(server.groups.get(created.remoteId!)), ids };
      };
      // "shown": the read is the truth: the two who should be members are added again.
      const shown = await emptied({ groupMembersInReads: 'shown' });
      assert.deepEqual(shown.held, shown.ids.slice(1).sort());
      assert.match(shown.result.detail, /added 2 members/);
      // "hidden": Ferry's record is the truth: the one who left is removed, nobody is added.
      const hidden = await emptied({ groupMembersInReads: 'hidden' });
      assert.deepEqual(hidden.held, []);
      assert.match(hidden.result.detail, /members as Ferry last wrote them \(3 members; the target shows none\); updated .*: removed 1 member/);
      assert.match(hidden.result.detail, /does not show Group members when read/);
    });
  });

  describe('a server without PATCH', () => {
    it('reads /ServiceProviderConfig and updates Users and Groups by PUT, keeping attributes Ferry does not manage', async () => {
      server.behaviour.patch = false;
      const target = scimTarget(server);
      const someone = person(unique('putter'));
      const { remoteId } = await target.provision(A.PERSON_ADDED, someone);
      server.users.get(remoteId!)!.locale = 'en-GB';

      await target.provision(A.PERSON_UPDATED, { ...someone, roles: [role({ title: 'Engineer' })] });
      assert.equal(server.requestsTo('PATCH', '/Users').length, 0);
      const [put] = server.requestsTo('PUT', `/Users/${remoteId}`);
      assert.equal(put.body.title, 'Engineer');
      assert.equal(server.users.get(remoteId!)!.title, 'Engineer');
      assert.equal(server.users.get(remoteId!)!.locale, 'en-GB', 'an attribute managed elsewhere survives the PUT');

      const people = seedPeople(target, 3);
      const small = group(unique('small'), memberOf(people.slice(0, 2)));
      const created = await target.provision(A.GROUP_ADDED, small);
      await target.provision(A.GROUP_UPDATED, { ...small, members: memberOf(people) });
      const [groupPut] = server.requestsTo('PUT', `/Groups/${created.remoteId}`);
      assert.equal(groupPut.body.members.length, 3, 'the full member list: the only case of a full replace');
      assert.equal(memberIds(server.groups.get(created.remoteId!)).length, 3);
      assert.equal(server.requestsTo('GET', '/ServiceProviderConfig').length, 1, 'read once for the target');
    });

    it('puts a User created again back in its groups by PUT', async () => {
      server.behaviour.patch = false;
      const target = scimTarget(server);
      const [other] = seedPeople(target, 1);
      const team = group(unique('team'), memberOf([other]));
      const { remoteId: groupId } = await target.provision(A.GROUP_ADDED, team);
      const membership = { groupId: team.id, groupName: team.name, groupType: team.groupType, member: true, owner: false, groupIdentifiers: [] };
      const someone = person(unique('again'), { memberships: [membership] });
      target.state.set(SubjectType.PERSON, someone.id, 'vanished-user-id');

      const result = await target.provision(A.PERSON_UPDATED, someone);
      assert.match(result.detail, /was gone; created .*; added to 1 group it belongs to/);
      assert.deepEqual(result.addedToGroups, [team.id]);
      assert.equal(server.requestsTo('PATCH', '/Groups').length, 0);
      const [put] = server.requestsTo('PUT', `/Groups/${groupId}`);
      assert.equal(put.body.id, undefined, 'server-assigned attributes are not sent back');
      assert.deepEqual(memberIds(server.groups.get(groupId!)), [(await target.remoteId(other))!, result.remoteId!].sort());
      assert.equal(server.groups.get(groupId!)!.displayName, team.name, 'the Group is otherwise as it was');
    });

    it('refuses, before writing anything, a group larger than one request may carry', async () => {
      server.behaviour.patch = false;
      server.behaviour.maxMembersPerRequest = 100;
      const target = scimTarget(server, { membershipChunkSize: 100 });
      const people = seedPeople(target, 120);
      const error = await rejection(target.provision(A.GROUP_ADDED, group(unique('huge'), memberOf(people))), PermanentProvisioningError);
      assert.match(error.message, /120 members, but this target does not support PATCH/);
      assert.equal(server.requestsTo('POST', '/Groups').length + server.requestsTo('PUT', '/Groups').length, 0);
    });
  });

  describe('service provider configuration', () => {
    it('is read once per target and again after close', async () => {
      const target = scimTarget(server);
      await target.provision(A.PERSON_ADDED, person(unique('a')));
      await target.provision(A.PERSON_ADDED, person(unique('b')));
      assert.equal(server.requestsTo('GET', '/ServiceProviderConfig').length, 1);
      await scimPlugin.close!(target.ctx.targetId);
      await target.provision(A.PERSON_ADDED, person(unique('c')));
      assert.equal(server.requestsTo('GET', '/ServiceProviderConfig').length, 2);
    });

    it('assumes PATCH and filtering when the server has no /ServiceProviderConfig', async () => {
      server.behaviour.serviceProviderConfig = false;
      const target = scimTarget(server);
      const someone = person(unique('assumed'));
      const { remoteId } = await target.provision(A.PERSON_ADDED, someone);
      await target.provision(A.PERSON_UPDATED, { ...someone, roles: [role({ title: 'Chef' })] });
      assert.equal(server.requestsTo('PATCH', `/Users/${remoteId}`).length, 1);
    });

    it('sends If-Match with the version it read when the server uses ETags; a stale version is transient', async () => {
      server.behaviour.etag = true;
      const target = scimTarget(server);
      const someone = person(unique('etag'));
      const { remoteId } = await target.provision(A.PERSON_ADDED, someone);
      const version = `W/"${server.users.get(remoteId!)!.meta.revision}"`;
      await target.provision(A.PERSON_UPDATED, { ...someone, roles: [role({ title: 'Versioned' })] });
      const [patch] = server.requestsTo('PATCH', `/Users/${remoteId}`);
      assert.equal(patch.ifMatch, version);

      server.failNext({ status: 412, method: 'PATCH', detail: 'version mismatch' });
      const error = await rejection(target.provision(A.PERSON_UPDATED, { ...someone, roles: [role({ title: 'Raced' })] }), TransientProvisioningError);
      assert.match(error.message, /412/);
    });
  });

  describe('errors', () => {
    it('waits out a short 429 inline and succeeds', async () => {
      const target = scimTarget(server, { maxInlineRetryAfterSeconds: 2 });
      await target.provision(A.PERSON_ADDED, person(unique('warmup')));
      server.failNext({ status: 429, retryAfter: '1', method: 'POST', detail: 'slow down' });
      const started = Date.now();
      const result = await target.provision(A.PERSON_ADDED, person(unique('patient')));
      assert.ok(server.users.has(result.remoteId!));
      assert.ok(Date.now() - started >= 950, 'it waited for Retry-After');
      assert.equal(server.requestsTo('POST', '/Users').length, 3, 'warm-up, the refused POST and its retry');
    });

    it('leaves a long 429 to the retry queue, with the wait the server asked for', async () => {
      const target = scimTarget(server, { maxInlineRetryAfterSeconds: 2 });
      server.failNext({ status: 429, retryAfter: '120', pathPrefix: '/Users' });
      const started = Date.now();
      const error = await rejection(target.provision(A.PERSON_ADDED, person(unique('impatient'))), TransientProvisioningError);
      assert.equal(error.retryAfterMs, 120_000);
      assert.ok(Date.now() - started < 2000, 'it did not wait inline');
    });

    it('treats 5xx as transient and 400 as permanent with the server\'s detail', async () => {
      const target = scimTarget(server);
      server.failNext({ status: 503, pathPrefix: '/Users', detail: 'maintenance', retryAfter: '30' });
      const unavailable = await rejection(target.provision(A.PERSON_ADDED, person(unique('t'))), TransientProvisioningError);
      assert.match(unavailable.message, /answered HTTP 503 Service Unavailable \(maintenance\)/);
      assert.equal(unavailable.retryAfterMs, 30_000);

      server.failNext({ status: 400, method: 'POST', scimType: 'invalidValue', detail: 'emails[0].value is not an address' });
      const rejected = await rejection(target.provision(A.PERSON_ADDED, person(unique('p'))), PermanentProvisioningError);
      assert.match(rejected.message, /answered HTTP 400 Bad Request \(invalidValue: emails\[0\]\.value is not an address\)/);
    });

    it('treats a refused connection and a timeout as transient, and a wrong token as permanent', async () => {
      const closed = scimTarget({ url: `http://127.0.0.1:${await freePort()}/scim/v2`, token: 't' });
      const refused = await rejection(closed.provision(A.PERSON_ADDED, person(unique('r'))), TransientProvisioningError);
      assert.match(refused.message, /unavailable/);

      server.behaviour.delayMs = 500;
      const slow = scimTarget(server, { timeoutMs: 200 });
      const timedOut = await rejection(slow.provision(A.PERSON_ADDED, person(unique('s'))), TransientProvisioningError);
      assert.match(timedOut.message, /no answer within 200 ms/);
      server.behaviour.delayMs = 0;

      const wrongToken = scimTarget({ url: server.url, token: 'wrong' });
      const denied = await rejection(wrongToken.provision(A.PERSON_ADDED, person(unique('w'))), PermanentProvisioningError);
      assert.match(denied.message, /401/);
    });
  });

  describe('listing', () => {
    it('lists every User page by page, with the Ferry id when externalId is one', async () => {
      const target = scimTarget(server);
      const ours = person(unique('listed'));
      const { remoteId } = await target.provision(A.PERSON_ADDED, ours);
      const foreign = server.seedUser({ userName: unique('foreign'), externalId: 'hr-123' });
      for (let i = 0; i < 120; i += 1) server.seedUser({ userName: unique('filler') });

      const listed = await target.list(SubjectType.PERSON);
      assert.equal(listed.length, server.users.size);
      assert.equal(new Set(listed.map((object) => object.remoteId)).size, server.users.size, 'no User twice');
      assert.deepEqual(listed.find((object) => object.remoteId === remoteId), { remoteId, subjectId: ours.id, label: ours.identifiers[0].value });
      assert.equal(listed.find((object) => object.remoteId === foreign.id)!.subjectId, null);
      const pages = server.requestsTo('GET', '/Users').filter((request) => request.query.startIndex);
      assert.ok(pages.length >= 2, `paged: ${pages.length} requests`);
      assert.ok(pages.every((request) => Number(request.query.count) <= 100 && !request.query.attributes.includes('members')));
    });

    it('lists Groups without fetching their members', async () => {
      const target = scimTarget(server);
      const team = group(unique('listed-group'));
      const { remoteId } = await target.provision(A.GROUP_ADDED, team);
      const listed = await target.list(SubjectType.GROUP);
      assert.deepEqual(listed.find((object) => object.remoteId === remoteId), { remoteId, subjectId: team.id, label: team.name });
      const [page] = server.requestsTo('GET', '/Groups').filter((request) => request.query.startIndex);
      assert.equal(page.query.attributes, 'id,externalId,displayName');
    });
  });

  it('ignores services', async () => {
    const target = scimTarget(server);
    const result = await scimPlugin.provision(target.ctx, {
      action: A.SERVICE_ADDED,
      subject: { subjectType: 'SERVICE', id: 'svc', organizationId: 'org', name: 'Wiki', description: null, shortLabel: null, entitlementUri: null, serviceUrl: null, groupId: null, status: 'ACTIVE' as never },
      remoteId: null,
    });
    assert.equal(result.remoteId, null);
    assert.equal(server.requests.length, 0);
  });
});
