import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { ChangeKind, ChangeLogEntry } from '../../../src/changelog/change-log-entry.entity';
import { CreateOrganizationDocument, CreateProvisioningTargetDocument } from '../../../src/client/generated/graphql';
import { ProvisioningTarget } from '../../../src/provisioning/provisioning-target.entity';
import { rulesOf, type AssignmentRow } from '../../../src/provisionability/provisionability.engine';
import { Decider, FolderScope, type TargetRules } from '../../../src/provisionability/rules';
import type { BenchContext, Scenario } from '../support/context';
import { createDatabase, dropDatabase, startInProcessFerry } from '../support/ferry';
import { median, scaled, timed } from '../support/measure';
import type { Figure } from '../support/report';
import { FOLDER_COLUMNS, GROUP_COLUMNS, inTransaction, insertRows, withClient } from '../support/seed';

const FULL_GOAL_MS = 1000;
const INCREMENTAL_GOAL_MS = 50;
const REPEATS = 5;
const WARM_UP = 2;

interface Tree {
  organizationId: string;
  folders: { id: string; fullName: string; level: 'top' | 'mid' | 'leaf' }[];
  groups: number;
  /** Folder assignments by level (id of the assignment and of its folder). */
  assignments: { id: string; folderId: string | null; level: 'top' | 'mid' | 'leaf' | 'group' }[];
}

/**
 * A Grouper-like tree: a few top folders, each with sub-folders, each with many leaf folders;
 * groups spread evenly over every folder; folder marks on every top folder (mostly SUB, some
 * blocking), some sub-folders (SUB or ONE, provisioning or blocking) and many leaves (mostly ONE,
 * some with a regex override), and the rest on single groups.
 */
export async function seedTree(databaseUrl: string, organizationId: string, targetId: string, sizes: { folders: number; groups: number; assignments: number }): Promise<Tree> {
  const topCount = Math.max(1, Math.round(sizes.folders * 0.005));
  const midCount = Math.max(1, Math.round(sizes.folders * 0.045));
  const leafCount = Math.max(1, sizes.folders - topCount - midCount);
  const folders: Tree['folders'] = [];
  const folderRows: unknown[][] = [];
  const add = (name: string, parent: { id: string; fullName: string } | null, level: 'top' | 'mid' | 'leaf') => {
    const id = uuidv7();
    const fullName = parent ? `${parent.fullName}:${name}` : name;
    folders.push({ id, fullName, level });
    folderRows.push([id, organizationId, name, fullName, parent?.id ?? null, false]);
    return { id, fullName };
  };
  const tops = Array.from({ length: topCount }, (_, index) => add(`dept-${String(index).padStart(2, '0')}`, null, 'top'));
  const mids = Array.from({ length: midCount }, (_, index) => add(`div-${String(index).padStart(3, '0')}`, tops[index % topCount], 'mid'));
  for (let index = 0; index < leafCount; index++) add(`team-${String(index).padStart(4, '0')}`, mids[index % midCount], 'leaf');

  const groupRows: unknown[][] = [];
  const groupIds: string[] = [];
  for (let index = 0; index < sizes.groups; index++) {
    const folder = folders[index % folders.length];
    const name = `g-${index}`;
    const id = uuidv7();
    groupIds.push(id);
    groupRows.push([id, organizationId, folder.id, name, `${folder.fullName}:${name}`, 'ACTIVE', 'STANDARD', index % 10 === 0]);
  }

  const assignments: Tree['assignments'] = [];
  const assignmentRows: unknown[][] = [];
  const mark = (folderId: string | null, groupId: string | null, level: Tree['assignments'][number]['level'], provision: boolean, scope: FolderScope | null, regex: string | null) => {
    const id = uuidv7();
    assignments.push({ id, folderId, level });
    assignmentRows.push([id, organizationId, targetId, folderId, groupId, provision, scope, regex]);
  };
  const byLevel = (level: 'top' | 'mid' | 'leaf') => folders.filter((folder) => folder.level === level);
  const budget = sizes.assignments;
  byLevel('top').slice(0, budget).forEach((folder, index) => mark(folder.id, null, 'top', index % 5 !== 4, FolderScope.SUB, null));
  const midBudget = Math.round(budget * 0.2);
  byLevel('mid')
    .filter((_, index) => index % 2 === 0)
    .slice(0, midBudget)
    .forEach((folder, index) => mark(folder.id, null, 'mid', index % 3 !== 2, index % 2 ? FolderScope.ONE : FolderScope.SUB, null));
  const leafBudget = Math.round(budget * 0.6);
  byLevel('leaf')
    .filter((_, index) => index % 3 === 0)
    .slice(0, leafBudget)
    .forEach((folder, index) => mark(folder.id, null, 'leaf', index % 4 !== 3, index % 5 ? FolderScope.ONE : FolderScope.SUB, index % 7 === 0 ? 'groupExtension matches g-\\d*[02468]' : null));
  for (let index = 0; assignments.length < budget && index < groupIds.length; index++) {
    mark(null, groupIds[(index * 997) % groupIds.length], 'group', index % 2 === 0, null, null);
  }

  await withClient(databaseUrl, async (client) => {
    await inTransaction(client, async () => {
      await insertRows(client, 'folder', FOLDER_COLUMNS, folderRows);
      await insertRows(client, 'group', GROUP_COLUMNS, groupRows);
      await insertRows(client, 'provisioning_assignment', [
        { name: 'id', type: 'uuid' },
        { name: 'organization_id', type: 'uuid' },
        { name: 'target_id', type: 'uuid' },
        { name: 'folder_id', type: 'uuid' },
        { name: 'group_id', type: 'uuid' },
        { name: 'provision', type: 'boolean' },
        { name: 'scope', type: 'folder_scope' },
        { name: 'provisionable_regex', type: 'text' },
      ], assignmentRows);
    });
    await client.query('analyze');
  });
  return { organizationId, folders, groups: sizes.groups, assignments };
}

const TARGET_DEFAULTS: TargetRules = { onlyPolicyGroups: false, provisionableRegex: null, allowPolicyGroupOverride: true, allowRegexOverride: true };

/**
 * The same computation with plain pg: read the groups (all, or those under a folder) and the
 * target's assignments, run the same pure rules, and upsert the answers in one statement into a
 * table shaped like Ferry's. What the work costs without the ORM.
 */
async function plainRecalculation(client: pg.Client, organizationId: string, targetId: string, underFolder: string | null): Promise<number> {
  const groups = await client.query<{ id: string; full_name: string; policy: boolean }>(
    underFolder
      ? `select id, full_name, policy from "group" where organization_id = $1 and full_name like $2`
      : `select id, full_name, policy from "group" where organization_id = $1`,
    underFolder ? [organizationId, `${underFolder}:%`] : [organizationId],
  );
  const marks = await client.query<AssignmentRow>(
    `select a.id, a.folder_id, a.group_id, a.provision, a.scope, a.metadata, a.only_policy_groups, a.provisionable_regex, f.full_name as folder_full_name
       from provisioning_assignment a left join folder f on f.id = a.folder_id where a.target_id = $1`,
    [targetId],
  );
  const { folders, groups: groupRules } = rulesOf(TARGET_DEFAULTS, marks.rows);
  const ids: string[] = [];
  const provisionable: boolean[] = [];
  const explanations: string[] = [];
  const decider = new Decider(folders, TARGET_DEFAULTS);
  for (const group of groups.rows) {
    const decision = decider.decide({ id: group.id, fullName: group.full_name, policy: group.policy }, groupRules.get(group.id) ?? null);
    ids.push(group.id);
    provisionable.push(decision.provisionable);
    explanations.push(decision.explanation);
  }
  await client.query(
    `insert into bench_group_provisionability (group_id, provisionable, explanation)
       select * from unnest($1::uuid[], $2::boolean[], $3::text[]) as d(group_id, provisionable, explanation)
       where d.provisionable or exists (select 1 from bench_group_provisionability b where b.group_id = d.group_id)
     on conflict (group_id) do update set provisionable = excluded.provisionable, explanation = excluded.explanation`,
    [ids, provisionable, explanations],
  );
  return groups.rows.length;
}

export const provisionability: Scenario = {
  name: 'provisionability',
  title: 'Provisionability (100,000 groups in 5,000 folders, 500 assignments): full and incremental',
  async run(context: BenchContext) {
    const sizes = { folders: scaled(5000, context.scale, 20), groups: scaled(100000, context.scale, 200), assignments: scaled(500, context.scale, 10) };
    const databaseUrl = await createDatabase(context.clusterUrl, 'bench_rules');
    const running = await startInProcessFerry(databaseUrl, { FERRY_RUN_WORKERS: 'false' });
    try {
      const { ferry, client } = running;
      const organization = (await client.request(CreateOrganizationDocument, { input: { name: 'Bench rules' } })).createOrganization.organization;
      const created = (
        await client.request(CreateProvisioningTargetDocument, {
          input: {
            organizationId: organization.id,
            name: 'folder rules',
            plugin: 'ldap',
            mode: 'MANUAL',
            groupSelection: 'FOLDER_RULES',
            config: { url: 'ldap://127.0.0.1:9', bindDn: 'cn=x', bindPassword: 'x', peopleBaseDn: 'ou=people,dc=x' },
          },
        })
      ).createProvisioningTarget.target;
      // The engine only reads the change log, which the seeding below does not write; stopped all the same.
      await ferry.services.engine.stop();
      context.log(`seeding ${sizes.folders} folders, ${sizes.groups} groups, ${sizes.assignments} assignments`);
      const tree = await seedTree(databaseUrl, organization.id, created.id, sizes);
      const service = ferry.services.engine.provisionability;
      const target = await ferry.orm.em.fork().findOneOrFail(ProvisioningTarget, created.id);

      const full = () => timed(() => ferry.orm.em.fork().transactional((em) => service.recalculate(em, target, 'all')));
      const first = await full();
      const repeats: number[] = [];
      for (let index = 0; index < REPEATS; index++) repeats.push((await full()).ms);
      context.log(`full: first ${first.ms.toFixed(0)} ms (${first.value.length} groups became provisionable), then ${median(repeats).toFixed(0)} ms`);

      /** One change to a folder's mark (provision flipped), applied as the engine applies a change. */
      const incremental = async (level: 'top' | 'mid' | 'leaf') => {
        const assignment = tree.assignments.find((candidate) => candidate.level === level);
        if (!assignment?.folderId) return null;
        const folder = tree.folders.find((candidate) => candidate.id === assignment.folderId)!;
        const samples: number[] = [];
        let flipped = 0;
        let groupsBelow = 0;
        // The first rounds warm the code paths up (the engine runs these all day); they are not counted.
        for (let index = 0; index < WARM_UP + REPEATS; index++) {
          await withClient(databaseUrl, (pgClient) => pgClient.query('update provisioning_assignment set provision = not provision, updated_at = now() where id = $1', [assignment.id]));
          const entry = Object.assign(new ChangeLogEntry(), {
            seq: String(1_000_000 + index),
            organizationId: organization.id,
            entityType: 'ProvisioningAssignment',
            entityId: assignment.id,
            kind: ChangeKind.UPDATED,
            changedFields: ['provision'],
            groupId: null,
            personId: null,
            data: { provision: [index % 2 === 0, index % 2 !== 0] },
          });
          const run = await timed(() => ferry.orm.em.fork().transactional((em) => service.onChange(em, [entry])));
          if (index >= WARM_UP) samples.push(run.ms);
          flipped = run.value.changes.length;
        }
        groupsBelow = await withClient(databaseUrl, async (pgClient) =>
          Number((await pgClient.query(`select count(*) from "group" where organization_id = $1 and full_name like $2`, [organization.id, `${folder.fullName}:%`])).rows[0].count),
        );
        return { folder: folder.fullName, groupsBelow, flipped, ms: median(samples), samples };
      };
      const incrementalRuns = { leaf: await incremental('leaf'), mid: await incremental('mid'), top: await incremental('top') };

      context.log('plain SQL + the same rules baseline');
      const baseline = await withClient(databaseUrl, async (pgClient) => {
        await pgClient.query(`create temp table bench_group_provisionability (group_id uuid primary key, provisionable boolean not null, explanation text not null)`);
        const plain = (folder: string | null) => timed(() => inTransaction(pgClient, () => plainRecalculation(pgClient, organization.id, created.id, folder)));
        const plainFirst = await plain(null);
        const plainRepeats: number[] = [];
        for (let index = 0; index < REPEATS; index++) plainRepeats.push((await plain(null)).ms);
        const plainIncremental: Record<string, number> = {};
        for (const [level, runResult] of Object.entries(incrementalRuns)) {
          if (!runResult) continue;
          const samples: number[] = [];
          for (let index = 0; index < REPEATS; index++) samples.push((await plain(runResult.folder)).ms);
          plainIncremental[level] = median(samples);
        }
        return { first: plainFirst.ms, repeat: median(plainRepeats), incremental: plainIncremental };
      });

      const figures: Figure[] = [
        {
          metric: 'full calculation, first (creates the rows)',
          unit: 'ms',
          value: first.ms,
          better: 'lower',
          baseline: { label: 'plain pg + same rules + one upsert', value: baseline.first },
          goal: { text: `< ${FULL_GOAL_MS} ms`, met: first.ms < FULL_GOAL_MS },
        },
        {
          metric: 'full calculation, again (daily run, nothing changed)',
          unit: 'ms',
          value: median(repeats),
          better: 'lower',
          baseline: { label: 'plain pg + same rules + one upsert', value: baseline.repeat },
          goal: { text: `< ${FULL_GOAL_MS} ms`, met: median(repeats) < FULL_GOAL_MS },
        },
      ];
      for (const [level, runResult] of Object.entries(incrementalRuns)) {
        if (!runResult) continue;
        figures.push({
          metric: `incremental, one ${level} folder changed (${runResult.groupsBelow} groups below)`,
          unit: 'ms',
          value: runResult.ms,
          better: 'lower',
          baseline: { label: 'plain pg, groups below + rules + upsert', value: baseline.incremental[level] },
          goal: { text: `< ${INCREMENTAL_GOAL_MS} ms`, met: runResult.ms < INCREMENTAL_GOAL_MS },
        });
      }
      return {
        dataset: {
          ...sizes,
          folderLevels: { top: tree.folders.filter((f) => f.level === 'top').length, mid: tree.folders.filter((f) => f.level === 'mid').length, leaf: tree.folders.filter((f) => f.level === 'leaf').length },
          assignmentLevels: Object.fromEntries(['top', 'mid', 'leaf', 'group'].map((level) => [level, tree.assignments.filter((a) => a.level === level).length])),
          becameProvisionableOnFirstRun: first.value.length,
          fullRepeatsMs: repeats,
          incremental: incrementalRuns,
          baseline,
        },
        figures,
        notes: ['Timed in-process, through ProvisionabilityEngine (recalculate / onChange), each in its own transaction as the engine runs them.'],
      };
    } finally {
      await running.stop();
      await dropDatabase(context.clusterUrl, databaseUrl).catch(() => undefined);
    }
  },
};
