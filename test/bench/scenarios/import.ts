import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { v7 as uuidv7 } from 'uuid';
import { CancelProvisioningJobDocument, CreateOrganizationDocument, ImportRunDocument } from '../../../src/client/generated/graphql';
import type { BenchContext, Scenario } from '../support/context';
import { createDatabase, dropDatabase, spawnFerry, type FerryProcess } from '../support/ferry';
import { benchBudgetSeconds, procMemoryMb, scaled, timed, waitUntil } from '../support/measure';
import type { Figure } from '../support/report';
import { withClient } from '../support/seed';

const MEMORY_LIMIT_MB = 512;
const AFFILIATIONS = ['faculty', 'staff', 'student', 'member', 'affiliate'];

interface Dataset {
  label: string;
  people: number;
  groups: number;
  memberships: number;
  format: 'CSV' | 'LDIF';
  goalSeconds: number;
}

/** The population, generated: person i is `p<i>`; memberships go round the groups. */
class Population {
  constructor(readonly dataset: Dataset) {}

  uid = (index: number) => `p${String(index).padStart(6, '0')}`;
  group = (index: number) => `bench:team-${String(index).padStart(5, '0')}`;

  *memberships(): Generator<[group: number, person: number]> {
    const { people, groups, memberships } = this.dataset;
    const perPerson = Math.max(1, Math.round(memberships / people));
    const stride = Math.max(1, Math.floor(groups / perPerson));
    for (let person = 0; person < people; person++) {
      for (let k = 0; k < perPerson; k++) yield [(person + k * stride) % groups, person];
    }
  }

  /** The files an admin would import: CSV people then CSV memberships, or one LDIF. */
  files(): string[] {
    const { people } = this.dataset;
    if (this.dataset.format === 'CSV') {
      const rows = ['uid,given,family,email,affiliation'];
      for (let i = 0; i < people; i++) rows.push(`${this.uid(i)},Given${i},Family${i},${this.uid(i)}@bench.example.org,${AFFILIATIONS[i % AFFILIATIONS.length]}`);
      const members = ['group,person'];
      for (const [group, person] of this.memberships()) members.push(`${this.group(group)},${this.uid(person)}`);
      return [`${rows.join('\n')}\n`, `${members.join('\n')}\n`];
    }
    const entries: string[] = [];
    for (let i = 0; i < people; i++) {
      entries.push(
        `dn: uid=${this.uid(i)},ou=people,dc=bench\nobjectClass: inetOrgPerson\nobjectClass: eduPerson\nuid: ${this.uid(i)}\ncn: Given${i} Family${i}\n` +
          `givenName: Given${i}\nsn: Family${i}\nmail: ${this.uid(i)}@bench.example.org\neduPersonAffiliation: ${AFFILIATIONS[i % AFFILIATIONS.length]}\n`,
      );
    }
    const members = new Map<number, string[]>();
    for (const [group, person] of this.memberships()) members.set(group, [...(members.get(group) ?? []), `member: uid=${this.uid(person)},ou=people,dc=bench`]);
    for (let g = 0; g < this.dataset.groups; g++) {
      entries.push(`dn: cn=${this.group(g)},ou=groups,dc=bench\nobjectClass: groupOfNames\ncn: ${this.group(g)}\n${(members.get(g) ?? []).join('\n')}\n`);
    }
    return [entries.join('\n')];
  }
}

/**
 * `import`: a population from files (CSV people and memberships, or one LDIF) to the committed
 * registry, through `POST /imports` of a Ferry child process, from the first upload to the last
 * run's end. Baseline: PostgreSQL `COPY` of the same registry rows (people with a name, an e-mail
 * address, an identifier and a role, the folder, the groups, the memberships and the automatic
 * ones) into tables like Ferry's (`create table ... (like ... including all)`), same database.
 */
export const importScenario: Scenario = {
  name: 'import',
  title: 'Import of a population from files (issue [3/7]): COmanage dataset in CSV, 20,000 / 2,000 / 100,000 in CSV and LDIF',
  async run(context: BenchContext) {
    const datasets: Dataset[] = [
      { label: 'COmanage dataset, CSV', people: 1000, groups: 100, memberships: 5000, format: 'CSV', goalSeconds: 2 },
      ...(['CSV', 'LDIF'] as const).map((format): Dataset => {
        const [people, groups, memberships] = [scaled(20000, context.scale, 100), scaled(2000, context.scale, 10), scaled(100000, context.scale, 500)];
        return { label: `${people.toLocaleString('en')} people, ${format}`, people, groups, memberships, format, goalSeconds: 60 };
      }),
    ];
    const figures: Figure[] = [];
    const notes: string[] = [];
    for (const dataset of datasets) {
      const population = new Population(dataset);
      const files = population.files();
      const databaseUrl = await createDatabase(context.clusterUrl, 'bench_import');
      const ferry = await spawnFerry(databaseUrl);
      try {
        const organization = (await ferry.client.request(CreateOrganizationDocument, { input: { name: 'Bench University' } })).createOrganization.organization;
        context.log(`${dataset.label}: importing ${files.map((file) => `${(file.length / 1e6).toFixed(1)} MB`).join(' + ')}`);
        const rssBeforeMb = procMemoryMb(ferry.pid, 'VmRSS');
        const run = await timed(() => importFiles(ferry, organization.id, dataset.format, files, context));
        const peakMb = procMemoryMb(ferry.pid, 'VmHWM');
        const counts = await registryCounts(databaseUrl, organization.id);
        if (!run.value.partial && (counts.people !== dataset.people || counts.direct !== dataset.memberships)) {
          notes.push(`${dataset.label}: the registry holds ${counts.people} people and ${counts.direct} memberships, expected ${dataset.people} and ${dataset.memberships}`);
        }
        if (run.value.partial) notes.push(`${dataset.label}: PARTIAL: stopped after the ${benchBudgetSeconds()} s budget with ${counts.people} people and ${counts.direct} memberships written; the time is over that part`);
        context.log(`${dataset.label}: ${(run.ms / 1000).toFixed(1)} s; COPY baseline`);
        const baselineMs = await copyBaseline(databaseUrl, population);
        const seconds = run.ms / 1000;
        figures.push(
          {
            metric: `${dataset.label}: file to committed registry`,
            unit: 's',
            value: seconds,
            better: 'lower',
            baseline: { label: 'PostgreSQL COPY of the same rows', value: baselineMs / 1000 },
            goal: { text: `<= ${dataset.goalSeconds} s`, met: !run.value.partial && seconds <= dataset.goalSeconds },
          },
          {
            metric: `${dataset.label}: Ferry peak RSS (VmHWM)`,
            unit: 'MB',
            value: peakMb,
            better: 'lower',
            baseline: { label: 'Ferry RSS before the import', value: rssBeforeMb },
            goal: { text: `< ${MEMORY_LIMIT_MB} MB`, met: peakMb < MEMORY_LIMIT_MB },
          },
        );
      } catch (error) {
        throw ferry.explain(error);
      } finally {
        await ferry.stop();
        await dropDatabase(context.clusterUrl, databaseUrl);
      }
    }
    return { dataset: { datasets }, figures, notes };
  },
};

/** Uploads the files one after the other, each followed to its end; cancels past the budget. */
async function importFiles(ferry: FerryProcess, organizationId: string, format: string, files: string[], context: BenchContext): Promise<{ partial: boolean }> {
  const started = Date.now();
  const budgetMs = benchBudgetSeconds() * 1000;
  for (const file of files) {
    const response = await fetch(`${ferry.url.replace(/\/graphql$/, '')}/imports?organizationId=${organizationId}&format=${format.toLowerCase()}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ferry.client.token}` },
      body: file,
    });
    const body = (await response.json()) as { importRun?: { id: string; jobId: string }; errors?: unknown };
    if (!body.importRun) throw new Error(`the upload was refused: ${JSON.stringify(body.errors)}`);
    const { id, jobId } = body.importRun;
    let cancelled = false;
    const finished = await waitUntil(
      'the import to finish',
      async () => {
        const { importRun } = await ferry.client.request(ImportRunDocument, { id });
        if (importRun.state !== 'QUEUED' && importRun.state !== 'RUNNING') return importRun;
        if (!cancelled && Date.now() - started > budgetMs) {
          cancelled = true;
          context.log(`over the ${budgetMs / 1000} s budget: cancelling`);
          await ferry.client.request(CancelProvisioningJobDocument, { id: jobId });
        }
        return null;
      },
      { timeoutMs: budgetMs + 10 * 60 * 1000, intervalMs: 100 },
    );
    if (finished.state === 'FAILED') throw new Error(`the import failed: ${finished.error}`);
    const report = finished.report as { refusedCount?: number; refused?: unknown[] };
    if (report?.refusedCount) throw new Error(`the import refused ${report.refusedCount} records: ${JSON.stringify(report.refused?.slice(0, 3))}`);
    if (finished.state === 'CANCELLED') return { partial: true };
  }
  return { partial: false };
}

async function registryCounts(databaseUrl: string, organizationId: string): Promise<{ people: number; direct: number }> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ people: number; direct: number }>(
      `select (select count(*)::int from person where organization_id = $1) as people,
              (select count(*)::int from group_membership m join "group" g on g.id = m.group_id
                where m.organization_id = $1 and g.type = 'STANDARD' and m.nesting_id is null) as direct`,
      [organizationId],
    );
    return rows[0];
  });
}

/** COPY of the rows the import writes, into empty copies of Ferry's tables; milliseconds. */
async function copyBaseline(databaseUrl: string, population: Population): Promise<number> {
  const { people, groups } = population.dataset;
  const organizationId = uuidv7();
  const personIds = Array.from({ length: people }, () => uuidv7());
  const groupIds = Array.from({ length: groups }, () => uuidv7());
  const folderId = uuidv7();
  const [all, active] = [uuidv7(), uuidv7()];
  const now = new Date().toISOString();
  const tables: [table: string, columns: string[], rows: () => Iterable<unknown[]>][] = [
    ['person', ['id', 'created_at', 'updated_at', 'organization_id', 'status'], function* () {
      for (const id of personIds) yield [id, now, now, organizationId, 'ACTIVE'];
    }],
    ['name', ['id', 'created_at', 'updated_at', 'organization_id', 'person_id', 'type', 'given', 'family', 'primary'], function* () {
      for (const [i, id] of personIds.entries()) yield [uuidv7(), now, now, organizationId, id, 'OFFICIAL', `Given${i}`, `Family${i}`, 't'];
    }],
    ['email_address', ['id', 'created_at', 'updated_at', 'organization_id', 'person_id', 'mail', 'type', 'verified'], function* () {
      for (const [i, id] of personIds.entries()) yield [uuidv7(), now, now, organizationId, id, `${population.uid(i)}@bench.example.org`, 'OFFICIAL', 'f'];
    }],
    ['identifier', ['id', 'created_at', 'updated_at', 'organization_id', 'person_id', 'type', 'value', 'status', 'login'], function* () {
      for (const [i, id] of personIds.entries()) yield [uuidv7(), now, now, organizationId, id, 'uid', population.uid(i), 'ACTIVE', 't'];
    }],
    ['person_role', ['id', 'created_at', 'updated_at', 'organization_id', 'person_id', 'status', 'affiliation', 'order'], function* () {
      for (const [i, id] of personIds.entries()) yield [uuidv7(), now, now, organizationId, id, 'ACTIVE', AFFILIATIONS[i % AFFILIATIONS.length].toUpperCase(), 0];
    }],
    ['folder', ['id', 'created_at', 'updated_at', 'organization_id', 'name', 'full_name', 'system'], function* () {
      yield [folderId, now, now, organizationId, 'bench', 'bench', 'f'];
    }],
    ['group', ['id', 'created_at', 'updated_at', 'organization_id', 'folder_id', 'name', 'full_name', 'status', 'type', 'policy'], function* () {
      for (const [g, id] of groupIds.entries()) yield [id, now, now, organizationId, folderId, population.group(g).slice(6), population.group(g), 'ACTIVE', 'STANDARD', 'f'];
    }],
    ['group_membership', ['id', 'created_at', 'updated_at', 'organization_id', 'group_id', 'person_id', 'member', 'owner'], function* () {
      for (const [group, person] of population.memberships()) yield [uuidv7(), now, now, organizationId, groupIds[group], personIds[person], 't', 'f'];
      for (const id of personIds) for (const automatic of [all, active]) yield [uuidv7(), now, now, organizationId, automatic, id, 't', 'f'];
    }],
  ];
  return withClient(databaseUrl, async (client) => {
    for (const [table] of tables) await client.query(`create temporary table "bench_${table}" (like "${table}" including all)`);
    const started = performance.now();
    await client.query('begin');
    for (const [table, columns, rows] of tables) await copy(client, `bench_${table}`, columns, rows());
    await client.query('commit');
    return performance.now() - started;
  });
}

async function copy(client: pg.Client, table: string, columns: string[], rows: Iterable<unknown[]>): Promise<void> {
  const lines = (function* () {
    for (const row of rows) yield `${row.map((value) => (value === null ? '\\N' : String(value))).join('\t')}\n`;
  })();
  await pipeline(Readable.from(lines), client.query(copyFrom(`copy "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) from stdin`)));
}
