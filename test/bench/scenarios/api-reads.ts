import pg from 'pg';
import { CreateOrganizationDocument } from '../../../src/client/generated/graphql';
import type { BenchContext, Scenario } from '../support/context';
import { createDatabase, dropDatabase, startInProcessFerry } from '../support/ferry';
import type { BenchClient } from '../support/graphql';
import { median, scaled, timed } from '../support/measure';
import type { Figure } from '../support/report';
import { seedRegistry, withClient } from '../support/seed';

const PAGE_SIZES = [10, 50, 100, 500];
const REPEATS = 15;
const MAX_STATEMENTS = 15;
/** Time per request against plain pg (issue [3/7]). */
const TIME_RATIO_GOAL = 2;

/** People with names, emails, identifiers and groups (with the group's name), one page. */
const PEOPLE_PAGE = `query BenchPeople($organizationId: ID!, $first: Int, $after: String) {
  people(organizationId: $organizationId, first: $first, after: $after) {
    nodes {
      id
      status
      primaryName { given family }
      names { id given family primary }
      emailAddresses { id mail type }
      identifiers { id type value }
      memberships { id groupId group { id name fullName } }
    }
    pageInfo { endCursor hasNextPage }
    totalCount
  }
}`;

interface PeoplePage {
  people: { nodes: { id: string }[]; pageInfo: { endCursor: string | null; hasNextPage: boolean }; totalCount: number };
}

async function page(client: BenchClient, organizationId: string, first: number, after: string | null): Promise<PeoplePage['people']> {
  return (await client.request<PeoplePage, unknown>(PEOPLE_PAGE, { organizationId, first, after })).people;
}

/**
 * The same page with plain pg: one keyset query for the people, one count, and one query per kind
 * of nested record (groups joined in), assembled into the same JSON. What the read costs without
 * GraphQL, the ORM and DataLoader.
 */
async function plainPage(client: pg.Client, organizationId: string, first: number, after: string | null): Promise<string> {
  const people = await client.query<{ id: string; status: string }>(
    `select id, status from person where organization_id = $1 ${after ? 'and id > $3' : ''} order by id limit $2`,
    after ? [organizationId, first, after] : [organizationId, first],
  );
  const ids = people.rows.map((row) => row.id);
  const [count, names, emails, identifiers, memberships] = await Promise.all([
    client.query(`select count(*) from person where organization_id = $1`, [organizationId]),
    client.query(`select id, person_id, given, family, "primary" from name where person_id = any($1) order by id`, [ids]),
    client.query(`select id, person_id, mail, type from email_address where person_id = any($1) order by id`, [ids]),
    client.query(`select id, person_id, type, value from identifier where person_id = any($1) order by id`, [ids]),
    client.query(
      `select m.id, m.person_id, g.id as group_id, g.name, g.full_name from group_membership m join "group" g on g.id = m.group_id where m.person_id = any($1) order by m.id`,
      [ids],
    ),
  ]);
  const byPerson = (rows: { person_id: string }[]) => {
    const map = new Map<string, unknown[]>();
    for (const row of rows) map.set(row.person_id, [...(map.get(row.person_id) ?? []), row]);
    return map;
  };
  const [n, e, i, m] = [byPerson(names.rows), byPerson(emails.rows), byPerson(identifiers.rows), byPerson(memberships.rows)];
  return JSON.stringify({
    nodes: people.rows.map((person) => ({ ...person, names: n.get(person.id) ?? [], emailAddresses: e.get(person.id) ?? [], identifiers: i.get(person.id) ?? [], memberships: m.get(person.id) ?? [] })),
    totalCount: Number(count.rows[0].count),
  });
}

export const apiReads: Scenario = {
  name: 'api-reads',
  title: 'API reads (listing 1,000 people with names, emails, identifiers and groups)',
  async run(context: BenchContext) {
    const listed = scaled(1000, context.scale, 100);
    const databaseUrl = await createDatabase(context.clusterUrl, 'bench_reads');
    const running = await startInProcessFerry(databaseUrl, { FERRY_RUN_WORKERS: 'false' });
    try {
      const { ferry, client } = running;
      const organization = (await client.request(CreateOrganizationDocument, { input: { name: 'Bench reads' } })).createOrganization.organization;
      const shape = { people: Math.max(2 * listed, 2000), groups: 200, groupsPerPerson: 5, folders: 10 };
      await seedRegistry(databaseUrl, organization.id, shape);
      // Its background poll would add statements to the count.
      await ferry.services.engine.stop();

      // A scrape of /metrics runs statements of its own (the backlog gauges), counted by the scrape
      // that reads the counter after a request: measured once and taken off each count.
      const firstScrape = await client.sqlStatements();
      const scrapeStatements = (await client.sqlStatements()) - firstScrape;
      const statementsOf = async (work: () => Promise<unknown>) => {
        const before = await client.sqlStatements();
        await work();
        return (await client.sqlStatements()) - before - scrapeStatements;
      };
      const statementsPerPage: Record<number, number> = {};
      const msPerPage: Record<number, number> = {};
      for (const size of PAGE_SIZES) {
        await page(client, organization.id, size, null); // warm
        statementsPerPage[size] = await statementsOf(() => page(client, organization.id, size, null));
        const samples: number[] = [];
        for (let index = 0; index < REPEATS; index++) samples.push((await timed(() => page(client, organization.id, size, null))).ms);
        msPerPage[size] = median(samples);
      }

      /** All `listed` people, 500 (the largest page) at a time. */
      const listAll = async () => {
        let after: string | null = null;
        let requests = 0;
        let people = 0;
        while (people < listed) {
          const result: PeoplePage['people'] = await page(client, organization.id, Math.min(500, listed - people), after);
          requests += 1;
          people += result.nodes.length;
          after = result.pageInfo.endCursor;
          if (!result.pageInfo.hasNextPage) break;
        }
        return { requests, people };
      };
      let listing = { requests: 0, people: 0 };
      const listStatements = await statementsOf(async () => (listing = await listAll()));
      const listSamples: number[] = [];
      for (let index = 0; index < REPEATS; index++) listSamples.push((await timed(listAll)).ms);

      const plain = await withClient(databaseUrl, async (pgClient) => {
        const perPage: Record<number, number> = {};
        for (const size of PAGE_SIZES) {
          await plainPage(pgClient, organization.id, size, null);
          const samples: number[] = [];
          for (let index = 0; index < REPEATS; index++) samples.push((await timed(() => plainPage(pgClient, organization.id, size, null))).ms);
          perPage[size] = median(samples);
        }
        const listAllPlain = async () => {
          let after: string | null = null;
          for (let people = 0; people < listed; people += 500) {
            const json = JSON.parse(await plainPage(pgClient, organization.id, Math.min(500, listed - people), after)) as { nodes: { id: string }[] };
            after = json.nodes.at(-1)?.id ?? null;
          }
        };
        const listSamplesPlain: number[] = [];
        for (let index = 0; index < REPEATS; index++) listSamplesPlain.push((await timed(listAllPlain)).ms);
        return { perPage, list: median(listSamplesPlain) };
      });

      const counts = Object.values(statementsPerPage);
      const constant = Math.max(...counts) === Math.min(...counts);
      const figures: Figure[] = [
        {
          metric: `SQL statements per request, pages of ${PAGE_SIZES.join('/')}`,
          unit: 'statements',
          value: Math.max(...counts),
          better: 'lower',
          baseline: { label: 'plain pg, same data', value: 6 },
          goal: { text: `same for every page size, <= ${MAX_STATEMENTS}`, met: constant && Math.max(...counts) <= MAX_STATEMENTS },
        },
        ...PAGE_SIZES.map(
          (size): Figure => ({
            metric: `time per request, page of ${size}`,
            unit: 'ms',
            value: msPerPage[size],
            better: 'lower',
            baseline: { label: 'plain pg, same data', value: plain.perPage[size] },
            goal: { text: `<= ${TIME_RATIO_GOAL}x baseline`, met: msPerPage[size] <= TIME_RATIO_GOAL * plain.perPage[size] },
          }),
        ),
        {
          metric: `listing ${listing.people} people (${listing.requests} requests)`,
          unit: 'ms',
          value: median(listSamples),
          better: 'lower',
          baseline: { label: 'plain pg, same data', value: plain.list },
        },
        {
          metric: `SQL statements for listing ${listing.people} people`,
          unit: 'statements',
          value: listStatements,
          better: 'lower',
          baseline: { label: `plain pg, ${listing.requests} x 6`, value: listing.requests * 6 },
        },
      ];
      return {
        dataset: { peopleInOrganization: shape.people, listed, groupsPerPerson: shape.groupsPerPerson + 2, statementsPerPage, msPerPage, plain },
        figures,
        notes: ['Ferry runs in-process with its engine stopped, so /metrics counts only the statements of the requests.'],
      };
    } finally {
      await running.stop();
      await dropDatabase(context.clusterUrl, databaseUrl).catch(() => undefined);
    }
  },
};
