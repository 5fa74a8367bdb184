import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  AddGroupMemberDocument,
  CreateFolderDocument,
  CreateGroupDocument,
  CreatePersonDocument,
  CreateProvisioningTargetDocument,
  GroupsWithMembersDocument,
  PeopleWithEverythingDocument,
  type PeopleWithEverythingQuery,
  ProvisioningJobDocument,
  ReprovisionAllDocument,
  UpdateIdentifierDocument,
} from '../../src/client/generated/graphql';
import { createTestDatabase } from '../support/ferry';
import { createOrganization } from '../support/fixtures';
import { startSlapd, type Slapd } from '../support/slapd';
import { killServerProcess, sleep, startServerProcess, waitFor, type ServerProcess } from '../support/server-process';
import type { GraphQLTestClient } from '../support/client';

/**
 * kill -9 of a Ferry process at random points of a burst of concurrent saves, again and again;
 * after the last restart the directory must hold exactly what the registry says.
 * FERRY_CRASH_KILLS (default 20) and FERRY_CRASH_SEED raise the count or replay a run.
 */
const KILLS = Number(process.env.FERRY_CRASH_KILLS ?? 20);
const SEED = Number(process.env.FERRY_CRASH_SEED ?? 20261206);
const CLIENTS = 16;

/** A small seeded generator (mulberry32), so a failing run can be replayed with its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

describe('a Ferry process killed during a burst of saves converges after restart', () => {
  let slapd: Slapd;
  let databaseUrl: string;
  let server: ServerProcess | null = null;
  const adminToken = `ferry_${randomBytes(32).toString('base64url')}`;

  const startServer = () => startServerProcess(databaseUrl, adminToken);
  const kill = killServerProcess;

  before(async () => {
    slapd = await startSlapd();
    databaseUrl = await createTestDatabase();
  });
  after(async () => {
    if (server) await kill(server);
    await slapd?.dispose();
  });

  async function branch(name: string) {
    const base = `ou=${name},${slapd.suffix}`;
    const client = slapd.client();
    await client.add(base, { objectClass: ['organizationalUnit'], ou: name });
    await client.add(`ou=people,${base}`, { objectClass: ['organizationalUnit'], ou: 'people' });
    await client.add(`ou=groups,${base}`, { objectClass: ['organizationalUnit'], ou: 'groups' });
    return { base, people: `ou=people,${base}`, groups: `ou=groups,${base}` };
  }

  const targetInput = (organizationId: string, name: string, mode: 'AUTOMATIC' | 'MANUAL', dirs: { people: string; groups: string }) => ({
    input: {
      organizationId,
      name,
      plugin: 'ldap',
      mode,
      config: {
        url: slapd.url,
        bindDn: slapd.bindDn,
        bindPassword: slapd.bindPassword,
        peopleBaseDn: dirs.people,
        groupBaseDn: dirs.groups,
        personObjectClasses: { eduPerson: true, eduMember: true, voPerson: true },
        groupObjectClasses: { groupOfNames: true, eduMember: true },
        timeoutMs: 5000,
      },
    },
  });

  /** People saved so far (as far as the clients know), for the adds and renames of later bursts. */
  const known: { id: string; identifierId: string; uid: string; inCrew: boolean }[] = [];
  /** Requests the server answered with an error (none expected: a cut connection is not one). */
  const refusals: string[] = [];

  /**
   * One client's work until its server dies, in turn: create a person, add a known person to the
   * crew, rename a known person's uid. A refused request (a duplicate add) is skipped; a failed
   * connection means the server was killed. Whatever was committed is in the registry.
   */
  async function client(api: GraphQLTestClient, organizationId: string, groupId: string, prefix: string, pick: () => number): Promise<void> {
    try {
      // Each client starts at a different step, so every kind of save is in flight at a kill.
      for (let n = Math.floor(pick() * 3); ; n += 1) {
        const someone = known[Math.floor(pick() * known.length)];
        if (n % 3 === 0 || !someone) {
          const uid = `${prefix}-${n}`;
          const created = await api.request(CreatePersonDocument, {
            input: { organizationId, status: 'ACTIVE', names: [{ given: 'Crash', family: uid }], identifiers: [{ type: 'uid', value: uid }] },
          });
          const person = created.data?.createPerson.person;
          if (person) known.push({ id: person.id, identifierId: person.identifiers[0].id, uid, inCrew: false });
        } else if (n % 3 === 1 && !someone.inCrew) {
          someone.inCrew = true;
          const added = await api.request(AddGroupMemberDocument, { input: { groupId, personId: someone.id } });
          if (added.errors) refusals.push(added.errors[0].message);
        } else {
          someone.uid = `${prefix}-${n}-r`;
          const renamed = await api.request(UpdateIdentifierDocument, { id: someone.identifierId, input: { value: someone.uid } });
          if (renamed.errors) refusals.push(renamed.errors[0].message);
        }
      }
    } catch {
      // the server was killed
    }
  }

  /** Every entry under a branch, by DN relative to the branch, with its user attributes. */
  async function entries(base: string): Promise<Map<string, Record<string, string[]>>> {
    const { searchEntries } = await slapd.client().search(base, { scope: 'sub', filter: '(|(objectClass=inetOrgPerson)(objectClass=groupOfNames))', attributes: ['*'] });
    const strip = (value: string) => value.toLowerCase().replace(`,${base.toLowerCase()}`, ',<base>');
    const result = new Map<string, Record<string, string[]>>();
    for (const entry of searchEntries) {
      const attributes: Record<string, string[]> = {};
      for (const [name, value] of Object.entries(entry)) {
        if (name === 'dn') continue;
        const values = (Array.isArray(value) ? value : [value]).map((item) => (Buffer.isBuffer(item) ? item.toString('utf8') : String(item)));
        attributes[name.toLowerCase()] = values.map((item) => (/^(member|owner)$/i.test(name) ? strip(item) : item)).sort();
      }
      result.set(strip(entry.dn), attributes);
    }
    return result;
  }

  /** What the registry says should be there: each person's DN, and each group's member DNs. */
  async function registry(api: GraphQLTestClient, organizationId: string) {
    const uidById = new Map<string, string>();
    let afterCursor: string | null = null;
    for (;;) {
      const page: PeopleWithEverythingQuery['people'] = (await api.ok(PeopleWithEverythingDocument, { organizationId, first: 500, after: afterCursor })).people;
      for (const person of page.nodes) {
        const uid = person.identifiers.find((identifier) => identifier.type === 'uid')!.value;
        uidById.set(person.id, uid);
      }
      if (!page.pageInfo.hasNextPage) break;
      afterCursor = page.pageInfo.endCursor ?? null;
    }
    const expected = new Map<string, string[]>();
    for (const uid of uidById.values()) expected.set(`uid=${uid},ou=people,<base>`.toLowerCase(), []);
    const groups = (await api.ok(GroupsWithMembersDocument, { organizationId, first: 100 })).groups.nodes;
    for (const group of groups) {
      if (group.members.length === 0) continue; // groupOfNames needs a member
      const members = group.members.map((member) => `uid=${uidById.get(member.id)},ou=people,<base>`.toLowerCase()).sort();
      expected.set(`cn=${group.fullName},ou=groups,<base>`.toLowerCase(), members);
    }
    return { expected, people: uidById.size };
  }

  /** Differences between the directory and the registry: missing, extra and wrong entries. */
  function registryDiff(actual: Map<string, Record<string, string[]>>, expected: Map<string, string[]>): string[] {
    const problems: string[] = [];
    for (const [dn, members] of expected) {
      const entry = actual.get(dn);
      if (!entry) problems.push(`missing ${dn}`);
      else if (dn.startsWith('cn=')) {
        const got = new Set(entry.member ?? []);
        const missing = members.filter((member) => !got.has(member));
        const extra = [...got].filter((member) => !members.includes(member));
        if (missing.length > 0) problems.push(`${dn} lacks members ${missing.join('; ')}`);
        if (extra.length > 0) problems.push(`${dn} has extra members ${extra.join('; ')}`);
      }
    }
    for (const dn of actual.keys()) if (!expected.has(dn)) problems.push(`extra ${dn}`);
    return problems;
  }

  /** Attribute-by-attribute differences against the entries a crash-free run wrote. */
  function entryDiff(actual: Map<string, Record<string, string[]>>, clean: Map<string, Record<string, string[]>>): string[] {
    const problems: string[] = [];
    for (const [dn, want] of clean) {
      const got = actual.get(dn);
      if (!got) {
        problems.push(`missing ${dn}`);
        continue;
      }
      for (const name of new Set([...Object.keys(want), ...Object.keys(got)])) {
        if (JSON.stringify(got[name] ?? []) !== JSON.stringify(want[name] ?? [])) {
          problems.push(`${dn} ${name}: ${JSON.stringify(got[name] ?? [])} instead of ${JSON.stringify(want[name] ?? [])}`);
        }
      }
    }
    for (const dn of actual.keys()) if (!clean.has(dn)) problems.push(`extra ${dn}`);
    return problems;
  }

  it(`${KILLS} kills at seeded random points (seed ${SEED}) leave 0 missing, 0 wrong and 0 extra entries`, async () => {
    const next = random(SEED);
    const live = await branch(`crash-${SEED}`);
    const clean = await branch(`clean-${SEED}`);

    server = await startServer();
    const organizationId = (await createOrganization(server.client)).id;
    await server.client.ok(CreateProvisioningTargetDocument, targetInput(organizationId, 'directory', 'AUTOMATIC', live));
    const folder = (await server.client.ok(CreateFolderDocument, { input: { organizationId, name: 'teams' } })).createFolder.folder;
    const crew = (await server.client.ok(CreateGroupDocument, { input: { folderId: folder.id, name: 'crew' } })).createGroup.group;

    // People to add and rename from the first burst on (a burst's own creates take seconds to answer).
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, index) => {
        const uid = `seed-${index}`;
        const person = (
          await server!.client.ok(CreatePersonDocument, {
            input: { organizationId, status: 'ACTIVE', names: [{ given: 'Crash', family: uid }], identifiers: [{ type: 'uid', value: uid }] },
          })
        ).createPerson.person;
        known.push({ id: person.id, identifierId: person.identifiers[0].id, uid, inCrew: false });
      }),
    );

    for (let round = 0; round < KILLS; round += 1) {
      if (!server) server = await startServer();
      const api = server.client;
      const burst = Array.from({ length: CLIENTS }, (_, index) => client(api, organizationId, crew.id, `k${round}-c${index}`, next));
      // Anywhere from the first requests to well into the burst.
      await sleep(100 + Math.floor(next() * 5900));
      await kill(server);
      server = null;
      await Promise.all(burst);
    }

    // The last restart replays whatever the dead processes committed but did not finish.
    server = await startServer();
    const api = server.client;
    const { expected, people } = await registry(api, organizationId);
    assert.ok(people >= KILLS, `the bursts saved people (${people})`);
    const renamed = [...expected.keys()].filter((dn) => /^uid=[^,]+-r,/.test(dn)).length;
    assert.ok(renamed > 0, `some people were renamed before a kill (refused: ${refusals.slice(0, 5).join('; ')})`);
    let problems: string[] = [];
    await waitFor(
      'the directory to match the registry',
      async () => {
        problems = registryDiff(await entries(live.base), expected);
        return problems.length === 0;
      },
      90000,
      500,
    ).catch(() => undefined);
    assert.deepEqual(problems, [], `${problems.length} differences after ${KILLS} kills (seed ${SEED}):\n${problems.slice(0, 30).join('\n')}`);

    // What a process that never crashed writes for the same registry, attribute by attribute.
    const cleanTarget = (await api.ok(CreateProvisioningTargetDocument, targetInput(organizationId, 'clean', 'MANUAL', clean))).createProvisioningTarget.target;
    const job = (await api.ok(ReprovisionAllDocument, { targetId: cleanTarget.id })).reprovisionAll;
    const done = await waitFor(
      'the clean reprovision to finish',
      async () => {
        const current = (await api.ok(ProvisioningJobDocument, { id: job.id })).provisioningJob;
        return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(current.state) ? current : null;
      },
      120000,
      200,
    );
    assert.equal(done.state, 'COMPLETED', `failReason: ${done.failReason}`);
    const differences = entryDiff(await entries(live.base), await entries(clean.base));
    assert.deepEqual(differences, [], `${differences.length} attribute differences:\n${differences.slice(0, 30).join('\n')}`);
  });
});
