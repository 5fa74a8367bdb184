import net from 'node:net';
import {
  AddGroupMemberDocument,
  CreateFolderDocument,
  CreateGroupDocument,
  CreateOrganizationDocument,
  CreatePersonDocument,
  CreateProvisioningTargetDocument,
  GroupsWithMembersDocument,
  PeopleWithEverythingDocument,
  UpdateIdentifierDocument,
  type PeopleWithEverythingQuery,
} from '../../../src/client/generated/graphql';
import { startSlapd, type Slapd } from '../../support/slapd';
import type { BenchContext, Scenario } from '../support/context';
import { createDatabase, dropDatabase, spawnFerry } from '../support/ferry';
import type { BenchClient } from '../support/graphql';
import { ldapTargetConfig, readEntries } from '../support/ldap';
import { distribution, now, waitUntil, type Distribution } from '../support/measure';
import type { Figure } from '../support/report';

const CLIENTS = 20;
const CUT = Symbol('cut off');

/** BENCH_LOAD_SECONDS, or 60 s scaled (at least 10 s): how long each load phase runs. */
function phaseSeconds(scale: number): number {
  const raw = process.env.BENCH_LOAD_SECONDS;
  if (raw) return Number(raw);
  return Math.max(10, Math.round(60 * scale));
}

/** How long after its end a phase waits for requests still in flight before it stops waiting. */
const GRACE_MS = 30000;

interface PhaseResult {
  seconds: number;
  mutations: number;
  failed: number;
  /** Requests still unanswered GRACE_MS after the phase ended: counted with the time waited so far. */
  unanswered: number;
  perSecond: number;
  latency: Distribution;
  byKind: Record<string, Distribution>;
}

/**
 * `clients` concurrent clients, each repeating: create a person, add them to the organisation's
 * group, rename their uid, until `seconds` have passed. Every mutation's round trip is timed.
 */
async function runLoad(client: BenchClient, organizationId: string, groupId: string, prefix: string, clients: number, seconds: number): Promise<PhaseResult> {
  const latencies: number[] = [];
  const byKind: Record<string, number[]> = { create: [], add: [], rename: [] };
  let failed = 0;
  const started = now();
  const deadline = started + seconds * 1000;
  let unanswered = 0;
  let giveUp: () => void = () => undefined;
  const cutOff = new Promise<typeof CUT>((resolve) => {
    const timer = setTimeout(() => resolve(CUT), seconds * 1000 + GRACE_MS);
    giveUp = () => {
      clearTimeout(timer);
      resolve(CUT);
    };
  });
  const timed = async (kind: string, work: () => Promise<unknown>) => {
    const sent = now();
    try {
      const value = await Promise.race([work(), cutOff]);
      if (value === CUT) {
        unanswered += 1;
        latencies.push(now() - sent);
        byKind[kind].push(now() - sent);
        return null;
      }
      const ms = now() - sent;
      latencies.push(ms);
      byKind[kind].push(ms);
      return value;
    } catch {
      failed += 1;
      return null;
    }
  };
  await Promise.all(
    Array.from({ length: clients }, async (_, worker) => {
      for (let n = 0; now() < deadline && unanswered === 0; n++) {
        const uid = `${prefix}-${worker}-${n}`;
        const created = (await timed('create', () =>
          client.request(CreatePersonDocument, {
            input: { organizationId, status: 'ACTIVE', names: [{ given: 'Load', family: uid }], identifiers: [{ type: 'uid', value: uid }] },
          }),
        )) as { createPerson: { person: { id: string; identifiers: { id: string }[] } } } | null;
        if (!created || now() >= deadline) continue;
        const person = created.createPerson.person;
        await timed('add', () => client.request(AddGroupMemberDocument, { input: { groupId, personId: person.id } }));
        if (now() >= deadline) continue;
        await timed('rename', () => client.request(UpdateIdentifierDocument, { id: person.identifiers[0].id, input: { value: `${uid}-r` } }));
      }
    }),
  );
  giveUp();
  const elapsed = (now() - started) / 1000;
  return {
    seconds: elapsed,
    mutations: latencies.length - unanswered,
    failed,
    unanswered,
    perSecond: (latencies.length - unanswered) / elapsed,
    latency: distribution(latencies),
    byKind: Object.fromEntries(Object.entries(byKind).map(([kind, values]) => [kind, distribution(values)])),
  };
}

/** An organisation with one folder and group for the load's memberships. */
async function organization(client: BenchClient, name: string): Promise<{ id: string; groupId: string }> {
  const created = (await client.request(CreateOrganizationDocument, { input: { name } })).createOrganization.organization;
  const folder = (await client.request(CreateFolderDocument, { input: { organizationId: created.id, name: 'load' } })).createFolder.folder;
  const group = (await client.request(CreateGroupDocument, { input: { folderId: folder.id, name: 'crew' } })).createGroup.group;
  return { id: created.id, groupId: group.id };
}

async function ldapTarget(client: BenchClient, organizationId: string, name: string, config: Record<string, unknown>): Promise<void> {
  await client.request(CreateProvisioningTargetDocument, { input: { organizationId, name, plugin: 'ldap', mode: 'AUTOMATIC', config } });
}

/**
 * People and group members the registry holds for the organisation against what slapd holds:
 * missing and extra person entries, and group entries whose members differ. Waits (up to a
 * minute) for late provisioning to land before it counts.
 */
async function directoryDifferences(client: BenchClient, organizationId: string, slapd: Slapd): Promise<{ missing: number; extra: number; wrongGroups: number }> {
  const uidById = new Map<string, string>();
  let after: string | null = null;
  for (;;) {
    const page: PeopleWithEverythingQuery['people'] = (await client.request(PeopleWithEverythingDocument, { organizationId, first: 500, after })).people;
    for (const person of page.nodes) uidById.set(person.id, person.identifiers.find((identifier) => identifier.type === 'uid')!.value);
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor ?? null;
  }
  const dnOf = (uid: string) => `uid=${uid},${slapd.peopleDn}`.toLowerCase();
  const expectedPeople = new Set([...uidById.values()].map(dnOf));
  const groups = (await client.request(GroupsWithMembersDocument, { organizationId, first: 100 })).groups.nodes;
  const expectedGroups = new Map(
    groups.filter((group) => group.members.length > 0).map((group) => [`cn=${group.fullName},${slapd.groupsDn}`.toLowerCase(), group.members.map((m) => dnOf(uidById.get(m.id)!)).sort()]),
  );
  const count = async () => {
    const people = new Set((await readEntries(slapd, slapd.peopleDn)).map((entry) => entry.dn.toLowerCase()));
    const groupEntries = new Map((await readEntries(slapd, slapd.groupsDn)).map((entry) => [entry.dn.toLowerCase(), (entry.attributes.member ?? []).map((m) => m.toLowerCase()).sort()]));
    const missing = [...expectedPeople].filter((dn) => !people.has(dn)).length;
    const extra = [...people].filter((dn) => !expectedPeople.has(dn)).length;
    let wrongGroups = 0;
    for (const [dn, members] of expectedGroups) if (JSON.stringify(groupEntries.get(dn) ?? null) !== JSON.stringify(members)) wrongGroups += 1;
    return { missing, extra, wrongGroups };
  };
  let result = await count();
  await waitUntil(
    'the directory to match the registry',
    async () => {
      result = await count();
      return result.missing + result.extra + result.wrongGroups === 0;
    },
    { timeoutMs: 60000, intervalMs: 1000 },
  ).catch(() => undefined);
  return result;
}

/** A TCP server that accepts connections and never answers: a target host that hangs. */
async function hangingServer(): Promise<{ url: string; accepted: () => number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `ldap://127.0.0.1:${port}`,
    accepted: () => accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const latencyFigures = (label: string, result: PhaseResult, baseline: PhaseResult, baselineLabel: string, goals: { throughput?: number; p99?: number }): Figure[] => [
  {
    metric: `${label}: mutations/s (${CLIENTS} clients)`,
    unit: 'mutations/s',
    value: result.perSecond,
    better: 'higher',
    baseline: { label: baselineLabel, value: baseline.perSecond },
    ...(goals.throughput ? { goal: { text: `>= ${goals.throughput} of baseline`, met: result.perSecond >= goals.throughput * baseline.perSecond } } : {}),
  },
  {
    metric: `${label}: mutation p50`,
    unit: 'ms',
    value: result.latency.p50,
    better: 'lower',
    baseline: { label: baselineLabel, value: baseline.latency.p50 },
  },
  {
    metric: `${label}: mutation p99`,
    unit: 'ms',
    value: result.latency.p99,
    better: 'lower',
    baseline: { label: baselineLabel, value: baseline.latency.p99 },
    ...(goals.p99 ? { goal: { text: `<= ${goals.p99}x baseline p99`, met: result.latency.p99 <= goals.p99 * baseline.latency.p99 } } : {}),
  },
];

/**
 * `load`: 20 concurrent clients (create person, add membership, rename) with an Automatic LDAP
 * target, against the same load in an organisation without targets, in the same Ferry process.
 */
export const concurrentLoad: Scenario = {
  name: 'load',
  title: `${CLIENTS} concurrent clients (create person, add membership, rename) with an Automatic LDAP target`,
  async run(context: BenchContext) {
    const seconds = phaseSeconds(context.scale);
    const databaseUrl = await createDatabase(context.clusterUrl, 'bench_load');
    const slapd = await startSlapd();
    const ferry = await spawnFerry(databaseUrl);
    try {
      const { client } = ferry;
      const plain = await organization(client, 'Load without targets');
      const provisioned = await organization(client, 'Load with LDAP');
      await ldapTarget(client, provisioned.id, 'directory', ldapTargetConfig(slapd));
      context.log(`baseline: ${CLIENTS} clients for ${seconds} s, no targets`);
      const baseline = await runLoad(client, plain.id, plain.groupId, 'b', CLIENTS, seconds);
      context.log(`${CLIENTS} clients for ${seconds} s, Automatic LDAP target`);
      const loaded = await runLoad(client, provisioned.id, provisioned.groupId, 'l', CLIENTS, seconds);
      context.log('comparing slapd with the registry');
      const differences = await directoryDifferences(client, provisioned.id, slapd);
      const figures = latencyFigures('with LDAP target', loaded, baseline, 'same load, no targets', { throughput: 0.5, p99: 3 });
      const wrong = differences.missing + differences.extra + differences.wrongGroups;
      figures.push({
        metric: 'slapd entries differing from the registry afterwards',
        unit: 'entries',
        value: wrong,
        better: 'lower',
        baseline: null,
        goal: { text: '0', met: wrong === 0 },
      });
      const notes = [`load: ${JSON.stringify(differences)} (missing people, extra people, groups with wrong members) after up to 60 s of settling`];
      if (loaded.failed || baseline.failed) notes.push(`load: failed requests: ${loaded.failed} with target, ${baseline.failed} without`);
      return { dataset: { clients: CLIENTS, seconds, baseline, loaded, differences }, figures, notes };
    } catch (error) {
      throw ferry.explain(error);
    } finally {
      await ferry.stop();
      await slapd.dispose();
      await dropDatabase(context.clusterUrl, databaseUrl).catch(() => undefined);
    }
  },
};

/**
 * `isolation`: the `load` with an Automatic LDAP target, measured alone and then again while a
 * target in another organisation, and one in the same, point at a host that accepts TCP and
 * never answers (the LDAP target's default 10 s timeout per operation); a few clients keep the
 * other organisation busy.
 */
export const isolation: Scenario = {
  name: 'isolation',
  title: `${CLIENTS} clients in a healthy organisation while targets (another organisation's, and one of its own) hang`,
  async run(context: BenchContext) {
    const seconds = phaseSeconds(context.scale);
    const databaseUrl = await createDatabase(context.clusterUrl, 'bench_isolation');
    const slapd = await startSlapd();
    const hanging = await hangingServer();
    const ferry = await spawnFerry(databaseUrl);
    try {
      const { client } = ferry;
      const healthy = await organization(client, 'Healthy');
      await ldapTarget(client, healthy.id, 'directory', ldapTargetConfig(slapd));
      context.log(`alone: ${CLIENTS} clients for ${seconds} s`);
      const alone = await runLoad(client, healthy.id, healthy.groupId, 'a', CLIENTS, seconds);

      const other = await organization(client, 'Other, with a hanging target');
      const hangingConfig = { ...ldapTargetConfig(slapd), url: hanging.url, bindDn: 'cn=nobody', bindPassword: 'x' };
      await ldapTarget(client, other.id, 'hanging', hangingConfig);
      await ldapTarget(client, healthy.id, 'hanging too', hangingConfig);
      context.log(`with hanging targets: ${CLIENTS} clients for ${seconds} s (and 4 in the other organisation)`);
      const [beside] = await Promise.all([
        runLoad(client, healthy.id, healthy.groupId, 'h', CLIENTS, seconds),
        runLoad(client, other.id, other.groupId, 'o', 4, seconds),
      ]);
      context.log('comparing slapd with the registry');
      const differences = await directoryDifferences(client, healthy.id, slapd);
      const figures = latencyFigures('healthy organisation beside hanging targets', beside, alone, 'same load, no hanging target', { p99: 1.2 });
      const wrong = differences.missing + differences.extra + differences.wrongGroups;
      figures.push({
        metric: 'healthy target: entries differing from the registry afterwards',
        unit: 'entries',
        value: wrong,
        better: 'lower',
        baseline: null,
        goal: { text: '0', met: wrong === 0 },
      });
      return {
        dataset: { clients: CLIENTS, seconds, alone, beside, differences, hangingConnectionsAccepted: hanging.accepted() },
        figures,
        notes: [
          `isolation: ${hanging.accepted()} connections reached the hanging host; healthy directory ${JSON.stringify(differences)} after up to 60 s of settling`,
          `isolation: ${beside.unanswered} requests of the healthy organisation were still unanswered ${GRACE_MS / 1000} s after the phase ended (counted with the time waited, so p99 is a lower bound)`,
        ],
      };
    } catch (error) {
      throw ferry.explain(error);
    } finally {
      await ferry.stop();
      await hanging.close();
      await slapd.dispose();
      await dropDatabase(context.clusterUrl, databaseUrl).catch(() => undefined);
    }
  },
};
