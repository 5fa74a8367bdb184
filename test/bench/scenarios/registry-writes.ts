import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { CreateFolderDocument, CreateGroupDocument, CreateOrganizationDocument } from '../../../src/client/generated/graphql';
import { REGISTRY_WRITE_LOCK } from '../../../src/db/transaction';
import type { BenchContext, Scenario } from '../support/context';
import { createDatabase, dropDatabase, spawnFerry } from '../support/ferry';
import type { BenchClient } from '../support/graphql';
import { distribution, inParallel, now, scaled, type Distribution } from '../support/measure';
import type { Figure } from '../support/report';

const PERSON_GOAL_MS = 5;
const MEMBERSHIP_GOAL_MS = 3;
const RATIO_GOAL = 3;
const CLIENTS = 8;
const WARM_UP = 50;

/** The mutations as an integrator's client sends them: the new record's id back, nothing more. */
const CREATE_PERSON = `mutation CreatePersonBench($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }`;
const ADD_MEMBER = `mutation AddGroupMemberBench($input: AddGroupMemberInput!) { addGroupMember(input: $input) { membership { id } } }`;

const personInput = (organizationId: string, uid: string) => ({
  organizationId,
  status: 'ACTIVE',
  names: [{ given: 'Bench', family: uid }],
  emailAddresses: [{ mail: `${uid}@example.org` }],
  identifiers: [{ type: 'uid', value: uid }],
});

interface Phase {
  person: Distribution;
  membership: Distribution;
  /** Person creates and membership adds per second over the phase (clients together). */
  perSecond: number;
}

/** `clients` clients, each creating its share of `count` people and then adding each to the group. */
async function phase(count: number, clients: number, create: (uid: string) => Promise<string>, add: (personId: string) => Promise<void>, prefix: string): Promise<Phase> {
  const uids = Array.from({ length: count }, (_, index) => `${prefix}${index}`);
  const people: string[] = [];
  const personMs: number[] = [];
  const membershipMs: number[] = [];
  const started = now();
  await inParallel(uids, clients, async (uid) => {
    const sent = now();
    people.push(await create(uid));
    personMs.push(now() - sent);
  });
  await inParallel(people, clients, async (personId) => {
    const sent = now();
    await add(personId);
    membershipMs.push(now() - sent);
  });
  return { person: distribution(personMs), membership: distribution(membershipMs), perSecond: (2 * count) / ((now() - started) / 1000) };
}

/**
 * The same writes in plain SQL, one parameterised statement per table as an application over `pg`
 * would send them: a person with a name, an email, an identifier and the memberships of the
 * organisation's two automatic groups Ferry gives every new active person; a membership. Each
 * transaction has the change-log rows Ferry writes (one per record) and takes the registry lock
 * Ferry takes for the change log's order.
 */
class PlainWriter {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly organizationId: string,
    private readonly groupId: string,
    /** The organisation's automatic groups (CO:members:all and :active), which Ferry adds every new active person to. */
    private readonly automaticGroups: string[],
  ) {}

  static async open(databaseUrl: string, organizationId: string, groupId: string, clients: number): Promise<PlainWriter> {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: clients });
    const { rows } = await pool.query<{ id: string }>(`select id from "group" where organization_id = $1 and type in ('MEMBERS_ALL', 'MEMBERS_ACTIVE') and cou_id is null`, [organizationId]);
    return new PlainWriter(pool, organizationId, groupId, rows.map((row) => row.id));
  }

  async createPerson(uid: string): Promise<string> {
    const client = await this.pool.connect();
    try {
      const org = this.organizationId;
      const [person, name, email, identifier] = [uuidv7(), uuidv7(), uuidv7(), uuidv7()];
      await client.query('begin');
      await client.query('select pg_advisory_xact_lock($1)', [REGISTRY_WRITE_LOCK]);
      await client.query(`insert into person (id, created_at, updated_at, organization_id, status) values ($1, now(), now(), $2, 'ACTIVE')`, [person, org]);
      await client.query(
        `insert into name (id, created_at, updated_at, organization_id, person_id, type, given, family, "primary") values ($1, now(), now(), $2, $3, 'OFFICIAL', 'Bench', $4, true)`,
        [name, org, person, uid],
      );
      await client.query(
        `insert into email_address (id, created_at, updated_at, organization_id, person_id, mail, type, verified) values ($1, now(), now(), $2, $3, $4, 'OFFICIAL', false)`,
        [email, org, person, `${uid}@example.org`],
      );
      await client.query(
        `insert into identifier (id, created_at, updated_at, organization_id, person_id, type, value, status, login) values ($1, now(), now(), $2, $3, 'uid', $4, 'ACTIVE', false)`,
        [identifier, org, person, uid],
      );
      const memberships = this.automaticGroups.map(() => uuidv7());
      await client.query(
        `insert into group_membership (id, created_at, updated_at, organization_id, group_id, person_id, member, owner)
         select m, now(), now(), $1, g, $2, true, false from unnest($3::uuid[], $4::uuid[]) as v(m, g)`,
        [org, person, memberships, this.automaticGroups],
      );
      await client.query(
        `insert into change_log_entry (organization_id, entity_type, entity_id, kind, changed_fields, person_id, group_id, occurred_at)
         select $1, t, e, 'CREATED', '{}', $2, g, now() from unnest($3::text[], $4::uuid[], $5::uuid[]) as v(t, e, g)`,
        [
          org,
          person,
          ['Person', 'Name', 'EmailAddress', 'Identifier', ...memberships.map(() => 'GroupMembership')],
          [person, name, email, identifier, ...memberships],
          [null, null, null, null, ...this.automaticGroups],
        ],
      );
      await client.query('commit');
      return person;
    } finally {
      client.release();
    }
  }

  async addMember(personId: string): Promise<void> {
    const client = await this.pool.connect();
    try {
      const org = this.organizationId;
      const id = uuidv7();
      await client.query('begin');
      await client.query('select pg_advisory_xact_lock($1)', [REGISTRY_WRITE_LOCK]);
      await client.query(
        `insert into group_membership (id, created_at, updated_at, organization_id, group_id, person_id, member, owner) values ($1, now(), now(), $2, $3, $4, true, false)`,
        [id, org, this.groupId, personId],
      );
      await client.query(
        `insert into change_log_entry (organization_id, entity_type, entity_id, kind, changed_fields, person_id, group_id, occurred_at)
         values ($1, 'GroupMembership', $2, 'CREATED', '{}', $3, $4, now())`,
        [org, id, personId, this.groupId],
      );
      await client.query('commit');
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

async function organization(client: BenchClient, name: string): Promise<{ id: string; groupId: string }> {
  const created = (await client.request(CreateOrganizationDocument, { input: { name } })).createOrganization.organization;
  const folder = (await client.request(CreateFolderDocument, { input: { organizationId: created.id, name: 'bench' } })).createFolder.folder;
  const group = (await client.request(CreateGroupDocument, { input: { folderId: folder.id, name: 'crew' } })).createGroup.group;
  return { id: created.id, groupId: group.id };
}

export const registryWrites: Scenario = {
  name: 'registry-writes',
  title: 'Registry writes without targets: create a person (name, email, identifier) and add a membership, 1 and 8 clients',
  async run(context: BenchContext) {
    const count = scaled(1000, context.scale, 100);
    const databaseUrl = await createDatabase(context.clusterUrl, 'bench_writes');
    const ferry = await spawnFerry(databaseUrl);
    try {
      const { client } = ferry;
      const viaApi = async (name: string) => {
        const org = await organization(client, name);
        return {
          create: async (uid: string) => (await client.request<{ createPerson: { person: { id: string } } }, unknown>(CREATE_PERSON, { input: personInput(org.id, uid) })).createPerson.person.id,
          add: async (personId: string) => void (await client.request(ADD_MEMBER, { input: { groupId: org.groupId, personId } })),
        };
      };
      const warm = await viaApi('Warm-up');
      await phase(WARM_UP, 1, warm.create, warm.add, 'w');

      const plainOrg = await organization(client, 'Plain SQL');
      const plain = await PlainWriter.open(databaseUrl, plainOrg.id, plainOrg.groupId, CLIENTS);
      const results: Record<string, { ferry: Phase; plain: Phase }> = {};
      try {
        await phase(WARM_UP, 1, (uid) => plain.createPerson(uid), (id) => plain.addMember(id), 'pw');
        for (const clients of [1, CLIENTS]) {
          context.log(`${clients} client(s): ${count} people created, then each added to a group, through the API and in plain SQL`);
          const api = await viaApi(`Writes, ${clients} clients`);
          const ferryPhase = await phase(count, clients, api.create, api.add, `f${clients}-`);
          const plainPhase = await phase(count, clients, (uid) => plain.createPerson(uid), (id) => plain.addMember(id), `p${clients}-`);
          results[clients] = { ferry: ferryPhase, plain: plainPhase };
        }
      } finally {
        await plain.close();
      }

      const figures: Figure[] = [];
      for (const [clients, { ferry: api, plain: sql }] of Object.entries(results)) {
        const who = clients === '1' ? 'sequential' : `${clients} clients`;
        const baseline = (value: number) => ({ label: `plain SQL, same rows + change log, ${who}`, value });
        figures.push(
          {
            metric: `create person p50, ${who}`,
            unit: 'ms',
            value: api.person.p50,
            better: 'lower',
            baseline: baseline(sql.person.p50),
            goal: { text: `<= ${PERSON_GOAL_MS} ms and <= ${RATIO_GOAL}x`, met: api.person.p50 <= PERSON_GOAL_MS && api.person.p50 <= RATIO_GOAL * sql.person.p50 },
          },
          { metric: `create person p99, ${who}`, unit: 'ms', value: api.person.p99, better: 'lower', baseline: baseline(sql.person.p99) },
          {
            metric: `add membership p50, ${who}`,
            unit: 'ms',
            value: api.membership.p50,
            better: 'lower',
            baseline: baseline(sql.membership.p50),
            goal: {
              text: `<= ${MEMBERSHIP_GOAL_MS} ms and <= ${RATIO_GOAL}x`,
              met: api.membership.p50 <= MEMBERSHIP_GOAL_MS && api.membership.p50 <= RATIO_GOAL * sql.membership.p50,
            },
          },
          { metric: `add membership p99, ${who}`, unit: 'ms', value: api.membership.p99, better: 'lower', baseline: baseline(sql.membership.p99) },
          { metric: `writes per second, ${who}`, unit: 'writes/s', value: api.perSecond, better: 'higher', baseline: baseline(sql.perSecond) },
        );
      }
      return {
        dataset: { people: count, clients: [1, CLIENTS], warmUp: WARM_UP, results },
        figures,
        notes: [
          'Ferry in a child process (`node dist/src/main.js`), an organisation without targets; each mutation asks only for the new id back.',
          'The baseline sends the same rows (with the two automatic-group memberships of a new person) and one change-log row per record over `pg`, one statement per table, in a transaction holding the registry lock.',
        ],
      };
    } catch (error) {
      throw ferry.explain(error);
    } finally {
      await ferry.stop();
      await dropDatabase(context.clusterUrl, databaseUrl).catch(() => undefined);
    }
  },
};
