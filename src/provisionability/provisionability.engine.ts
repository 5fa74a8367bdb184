import { isDeepStrictEqual } from 'node:util';
import { v7 as uuidv7 } from 'uuid';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ChangeKind } from '../changelog/change-log-entry.entity';
import type { ChangeLogRow } from '../changelog/change-log.reader';
import { sqlRows, sqlRowsOfEach, uuidArrayLiteral, uuidValueLiteral } from '../db/sql';
import { GroupSelection, ProvisioningTarget } from '../provisioning/provisioning-target.entity';
import { decide, Decider, FolderScope, type Decision, type DecisionSource, type FailedFilter, type FolderRule, type GroupFacts, type GroupRule, type TargetRules } from './rules';
import { ProvisioningAssignment } from './provisioning-assignment.entity';
import { Group } from '../registry/groups/group.entity';

/** Namespace of the per-target advisory lock (the second key is the target id's hash). */
const RECALCULATION_LOCK = 0x46657252; // "FerR"

/** Target settings whose change means every group of the target is decided anew. */
const TARGET_RULE_FIELDS = ['groupSelection', 'onlyPolicyGroups', 'provisionableRegex', 'allowPolicyGroupOverride', 'allowRegexOverride'];

export interface ProvisionabilityChange {
  targetId: string;
  organizationId: string;
  groupId: string;
  provisionable: boolean;
  /** The change-log entry that caused the recalculation, if one did. */
  changeSeq: string | null;
}

/** What one change asks to recalculate: groups, and folders (their groups at any depth), each with the entry that named it. */
export interface Scope {
  groups: Map<string, string>;
  folders: Map<string, string>;
}

/** What a recalculation needs of a target: whose groups, and its own filter settings. */
export type RulesTarget = Pick<ProvisioningTarget, 'id' | 'organizationId'> & TargetRules;

export interface Rules {
  folders: Map<string, FolderRule>;
  groups: Map<string, GroupRule>;
  target: TargetRules;
}

/** A stored answer as read back (only what a recalculation compares or carries over). */
interface StoredRow {
  id: string;
  group_id: string;
  group_name: string;
  provisionable: boolean;
  source: DecisionSource;
  deciding_folder_id: string | null;
  failed_filter: FailedFilter | null;
  explanation: string;
  metadata: Record<string, unknown> | null;
}

/** A target's assignment as read with its folder's current name (ASSIGNMENTS_OF_TARGET). */
export interface AssignmentRow {
  id: string;
  folder_id: string | null;
  group_id: string | null;
  provision: boolean;
  scope: FolderScope | null;
  metadata: Record<string, unknown> | null;
  only_policy_groups: boolean | null;
  provisionable_regex: string | null;
  folder_full_name: string | null;
}

const STORED_COLUMNS = `id, group_id, group_name, provisionable, source, deciding_folder_id, failed_filter, explanation, metadata`;

/** A group as read for a recalculation; a scoped one reads its stored answer beside it (`stored_` columns, null when there is none). */
type PickedRow = { id: string; full_name: string; policy: boolean; via: string | null } & { [K in keyof StoredRow as `stored_${K}`]?: StoredRow[K] | null };

/** The stored answer's columns read beside a picked group (its group_id is the group's id). */
const PICKED_STORED_COLUMNS = STORED_COLUMNS.split(', ')
  .filter((column) => column !== 'group_id')
  .map((column) => `s.${column} as stored_${column}`)
  .join(', ');

/** The stored answers read beside the picked groups. */
function storedOfPicked(groups: readonly PickedRow[]): StoredRow[] {
  const rows: StoredRow[] = [];
  for (const group of groups) {
    if (!group.stored_id) continue;
    rows.push({
      id: group.stored_id,
      group_id: group.id,
      group_name: group.stored_group_name!,
      provisionable: group.stored_provisionable!,
      source: group.stored_source!,
      deciding_folder_id: group.stored_deciding_folder_id ?? null,
      failed_filter: group.stored_failed_filter ?? null,
      explanation: group.stored_explanation!,
      metadata: group.stored_metadata ?? null,
    });
  }
  return rows;
}

const ASSIGNMENTS_OF_TARGET = (target: string) =>
  `select a.id, a.folder_id, a.group_id, a.provision, a.scope, a.metadata, a.only_policy_groups, a.provisionable_regex, f.full_name as folder_full_name
     from provisioning_assignment a left join folder f on f.id = a.folder_id where a.target_id = ${target}`;

/**
 * Keeps GroupProvisionability in step with the folder rules, for targets that take their groups
 * from them. Recalculations of one target hold a per-target transaction lock, so a full
 * recalculation and incremental ones never interleave; whatever waits for the lock recalculates
 * after, from the data as it is then.
 *
 * Everything here is set-based over plain rows (a full calculation decides 100,000 groups): the
 * lock, the target's assignments, the groups and their stored answers are read in one round trip,
 * the rules run in memory, and only the answers that differ are written (one insert, one update).
 */
export class ProvisionabilityEngine {
  /** The decision for one group on one target, computed now from the stored assignments. */
  async decisionFor(em: EntityManager, target: RulesTarget, group: GroupFacts): Promise<Decision> {
    const [assignments] = await sqlRowsOfEach(em, [ASSIGNMENTS_OF_TARGET(uuidLiteral(target.id))]);
    const rules = rulesOf(target, assignments);
    return decide(facts(group), rules.groups.get(group.id) ?? null, rules.folders, rules.target);
  }

  /**
   * What one committed change means for provisionability: recalculates the groups it touches on
   * every folder-rules target of the organisation (all groups of a target whose rules changed)
   * and returns the groups whose answer flipped.
   */
  async onChange(em: EntityManager, entries: readonly ChangeLogRow[]): Promise<{ changes: ProvisionabilityChange[]; rulesChangedOn: { targetId: string; organizationId: string }[] }> {
    const byOrganization = new Map<string, Scope & { fullTargets: Map<string, string> }>();
    const scope = (organizationId: string) => {
      let entry = byOrganization.get(organizationId);
      if (!entry) byOrganization.set(organizationId, (entry = { groups: new Map(), folders: new Map(), fullTargets: new Map() }));
      return entry;
    };
    const touch = (organizationId: string, groupId: string, seq: string) => {
      const groups = scope(organizationId).groups;
      if (!groups.has(groupId)) groups.set(groupId, seq);
    };
    for (const entry of entries) {
      const data = (entry.data ?? {}) as Record<string, unknown>;
      if (entry.entityType === Group.name) {
        touch(entry.organizationId, entry.entityId, entry.seq);
      } else if (entry.entityType === ProvisioningTarget.name && entry.kind !== ChangeKind.DELETED) {
        if (entry.kind === ChangeKind.CREATED || entry.changedFields.some((field) => TARGET_RULE_FIELDS.includes(field))) {
          scope(entry.organizationId).fullTargets.set(entry.entityId, entry.seq);
        }
      } else if (entry.entityType === ProvisioningAssignment.name) {
        // The assignment as it is now (a deleted one as its entry recorded it), and the groups its folder reaches.
        const [row] =
          entry.kind === ChangeKind.DELETED
            ? [{ group_id: (data.group as string | null | undefined) ?? null, folder_id: (data.folder as string | null | undefined) ?? null }]
            : await sqlRows<{ group_id: string | null; folder_id: string | null }>(em, 'select group_id, folder_id from provisioning_assignment where id = ?', [entry.entityId]);
        if (row?.group_id) touch(entry.organizationId, row.group_id, entry.seq);
        const folders = scope(entry.organizationId).folders;
        if (row?.folder_id && !folders.has(row.folder_id)) folders.set(row.folder_id, entry.seq);
      }
    }
    const changes: ProvisionabilityChange[] = [];
    const rulesChangedOn: { targetId: string; organizationId: string }[] = [];
    for (const [organizationId, work] of byOrganization) {
      if (work.groups.size === 0 && work.folders.size === 0 && work.fullTargets.size === 0) continue;
      for (const target of await folderRulesTargets(em, organizationId)) {
        const fullSeq = work.fullTargets.get(target.id);
        if (fullSeq !== undefined) rulesChangedOn.push({ targetId: target.id, organizationId });
        const flipped = await this.recalculate(em, target, fullSeq !== undefined ? 'all' : work);
        for (const change of flipped) changes.push(fullSeq !== undefined ? { ...change, changeSeq: fullSeq } : change);
      }
    }
    return { changes, rulesChangedOn };
  }

  /**
   * Decides the groups in scope (or all of the organisation) on the target and stores the
   * answers. A row is created only once a group is provisionable (it then stays as history); a
   * row is written only when its answer differs from the stored one. A flipped answer carries
   * the change-log entry that brought its group (or its folder) into scope.
   */
  async recalculate(em: EntityManager, target: RulesTarget, scope: Scope | 'all', now = new Date()): Promise<ProvisionabilityChange[]> {
    const targetId = uuidLiteral(target.id);
    const lock = `select pg_advisory_xact_lock(${RECALCULATION_LOCK}, hashtext(${targetId}::text))`;
    if (scope !== 'all' && scope.groups.size === 0 && scope.folders.size === 0) {
      await sqlRowsOfEach(em, [lock]);
      return [];
    }
    const organizationId = target.organizationId;
    // One round trip, in this order: the lock first, so what is read after it is what the
    // recalculation that held it left; then the target's row, locked against its deletion until
    // the answers are written (group_provisionability has no foreign key: see its entity).
    // A full calculation reads the groups in name order, so the answers it creates are stored
    // folder by folder: a later recalculation of one folder finds its answers on a few hundred
    // pages instead of one page each (2,898 answers under a top folder in the bench: 290 pages
    // instead of 2,523). A scoped one reads each picked group's stored answer beside it, so the
    // subtree is walked once (the `limit 1` keeps the lateral lookup a probe of the (target,
    // group) index per group: joined plainly, it was planned as a hash over every stored answer
    // of the target, 40 ms slower), and the stored answers of the named groups apart (a deleted
    // group is not among the picked).
    const [, present, assignments, groups, named] = (await sqlRowsOfEach(em, [
      lock,
      `select 1 from provisioning_target where id = ${targetId} for key share`,
      ASSIGNMENTS_OF_TARGET(targetId),
      scope === 'all'
        ? `select id, full_name, policy, null as via from "group" where organization_id = ${uuidLiteral(organizationId)} order by full_name`
        : `${pickedInScope(scope)} select pk.id, pk.full_name, pk.policy, pk.via, ${PICKED_STORED_COLUMNS}
             from picked pk left join lateral (select ${STORED_COLUMNS} from group_provisionability p where p.target_id = ${targetId} and p.group_id = pk.id limit 1) s on true`,
      scope === 'all'
        ? `select ${STORED_COLUMNS} from group_provisionability where target_id = ${targetId}`
        : `select ${STORED_COLUMNS} from group_provisionability where target_id = ${targetId} and group_id = any(${uuidArray([...scope.groups.keys()])})`,
    ])) as [unknown, unknown[], AssignmentRow[], PickedRow[], StoredRow[]];
    if (present.length === 0) return []; // the target is gone, and its answers with it
    const rows = scope === 'all' ? named : [...named, ...storedOfPicked(groups)];
    const seqOf = (group: string, via: string | null | undefined): string | null =>
      scope === 'all' ? null : (scope.groups.get(group) ?? (via ? scope.folders.get(via) : undefined) ?? null);
    const rules = rulesOf(target, assignments);
    const rowOf = new Map(rows.map((row) => [row.group_id, row]));
    const writes = new Writes(em, organizationId, target.id, now);
    const changes: ProvisionabilityChange[] = [];
    const decider = new Decider(rules.folders, rules.target);
    const settled = new Set<string>();
    const settle = (group: GroupFacts, via: string | null) => {
      if (settled.has(group.id)) return; // a group both named and under a folder in scope
      settled.add(group.id);
      const decision = decider.decide(group, rules.groups.get(group.id) ?? null);
      const row = rowOf.get(group.id);
      if (!row && !decision.provisionable) return;
      if ((row?.provisionable ?? false) !== decision.provisionable) {
        changes.push({ targetId: target.id, organizationId, groupId: group.id, provisionable: decision.provisionable, changeSeq: seqOf(group.id, via) });
      }
      writes.add(group, decision, row);
    };
    let decided = 0;
    for (const group of groups) {
      settle({ id: group.id, fullName: group.full_name, policy: group.policy }, group.via);
      writes.sendIfFull();
      // Every thousand groups, the event loop gets a turn: a chunk of new rows sent leaves (and the
      // one before it is seen done) while the next are decided, and a 100,000-group calculation
      // does not hold up API answers for its whole decision.
      if (++decided % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    // Groups gone from the registry (R9), as far as we have a row for them.
    for (const row of rows) if (!settled.has(row.group_id)) settle({ id: row.group_id, fullName: row.group_name, policy: false, deleted: true }, null);
    await writes.flush();
    return changes;
  }

  /** The stored answer for a group on a folder-rules target (not provisionable when there is none). */
  async stored(em: EntityManager, targetId: string, groupId: string): Promise<{ provisionable: boolean; explanation: string }> {
    const [row] = await sqlRows<{ provisionable: boolean; explanation: string }>(em,
      'select provisionable, explanation from group_provisionability where target_id = ? and group_id = ?',
      [targetId, groupId],
    );
    return row ?? { provisionable: false, explanation: 'no folder or assignment makes it provisionable on this target' };
  }

  /** Of these groups, the ones provisionable on the target. */
  async provisionableAmong(em: EntityManager, targetId: string, groupIds: string[]): Promise<Set<string>> {
    if (groupIds.length === 0) return new Set();
    const rows = await sqlRows<{ group_id: string }>(em,
      'select group_id from group_provisionability where target_id = ? and group_id = any(?::uuid[]) and provisionable',
      [targetId, groupIds],
    );
    return new Set(rows.map((row) => row.group_id));
  }
}

/**
 * The groups a change brings into scope, as a `picked` CTE: named ones, and those in a folder
 * whose assignment changed or anywhere below it (the subtree walked by parent), each with the
 * folder it came by (`via`, null for a named one). Groups and stored rows are looked up with
 * `= any(array(...))`, which the indexes serve whatever the planner guesses of the subtree.
 */
function pickedInScope(scope: Scope): string {
  return `with recursive below(id, via) as (
            select id, id from folder where id = any(${uuidArray([...scope.folders.keys()])})
            union all select f.id, b.via from folder f join below b on f.parent_id = b.id),
          picked as (
            select g.id, g.full_name, g.policy, null::uuid as via from "group" g where g.id = any(${uuidArray([...scope.groups.keys()])})
            union all select g.id, g.full_name, g.policy, b.via from "group" g join below b on b.id = g.folder_id
             where g.folder_id = any(array(select id from below)))`;
}

/** The organisation's targets that take their groups from the folder rules, as plain rows. */
async function folderRulesTargets(em: EntityManager, organizationId: string): Promise<RulesTarget[]> {
  const rows = await sqlRows<{ id: string; only_policy_groups: boolean; provisionable_regex: string | null; allow_policy_group_override: boolean; allow_regex_override: boolean }>(em,
    `select id, only_policy_groups, provisionable_regex, allow_policy_group_override, allow_regex_override
       from provisioning_target where organization_id = ? and group_selection = ? order by "order", id`,
    [organizationId, GroupSelection.FOLDER_RULES],
  );
  return rows.map((row) => ({
    id: row.id,
    organizationId,
    onlyPolicyGroups: row.only_policy_groups,
    provisionableRegex: row.provisionable_regex,
    allowPolicyGroupOverride: row.allow_policy_group_override,
    allowRegexOverride: row.allow_regex_override,
  }));
}

/** The rules of a target from its assignment rows: folder marks by the folder's name now, group marks by group id. */
export function rulesOf(target: TargetRules, assignments: readonly AssignmentRow[]): Rules {
  const folders = new Map<string, FolderRule>();
  const groups = new Map<string, GroupRule>();
  for (const row of assignments) {
    if (row.folder_id && row.folder_full_name !== null) {
      // Keyed by the folder's name as it is now (R12).
      folders.set(row.folder_full_name, {
        assignmentId: row.id,
        folderId: row.folder_id,
        folderFullName: row.folder_full_name,
        provision: row.provision,
        scope: row.scope ?? FolderScope.ONE,
        metadata: row.metadata,
        onlyPolicyGroups: row.only_policy_groups,
        provisionableRegex: row.provisionable_regex,
      });
    } else if (row.group_id) {
      groups.set(row.group_id, { assignmentId: row.id, provision: row.provision, metadata: row.metadata });
    }
  }
  return {
    folders,
    groups,
    target: {
      onlyPolicyGroups: target.onlyPolicyGroups,
      provisionableRegex: target.provisionableRegex,
      allowPolicyGroupOverride: target.allowPolicyGroupOverride,
      allowRegexOverride: target.allowRegexOverride,
    },
  };
}

/**
 * The distinct decisions of a statement's rows, sent once each, every row carrying its decision's
 * position (1-based, as SQL arrays count). A decision is shared by every group its folder decides
 * the same way (see Decider), so a full calculation sends a few hundred instead of one per group,
 * and a row is its ids, its name and a number.
 */
class DistinctDecisions {
  readonly provisionable: boolean[] = [];
  readonly source: string[] = [];
  readonly folderId: (string | null)[] = [];
  readonly failedFilter: (string | null)[] = [];
  readonly explanation: string[] = [];
  readonly metadata: (string | null)[] = [];
  private readonly positions = new Map<Decision, number>();

  of(decision: Decision): number {
    let position = this.positions.get(decision);
    if (position === undefined) {
      this.provisionable.push(decision.provisionable);
      this.source.push(decision.source);
      this.folderId.push(decision.folderId);
      this.failedFilter.push(decision.failedFilter);
      this.explanation.push(decision.explanation);
      this.metadata.push(decision.metadata === null ? null : JSON.stringify(decision.metadata));
      position = this.provisionable.length;
      this.positions.set(decision, position);
    }
    return position;
  }
}

/** Answers as the columns of group_provisionability (since and until are set by the statement). */
class Columns {
  readonly groupId: string[] = [];
  readonly groupName: string[] = [];
  readonly decision: number[] = [];
  private readonly decisions = new DistinctDecisions();

  get length(): number {
    return this.groupId.length;
  }

  add(groupId: string, groupName: string, decision: Decision): void {
    this.groupId.push(groupId);
    this.groupName.push(groupName);
    this.decision.push(this.decisions.of(decision));
  }

  /**
   * The rows as a subquery `d` (id when `ids` are given, group_id, group_name, provisionable,
   * source, folder_id, failed_filter, explanation, metadata; source and failed_filter as text),
   * and its parameters in the order they appear.
   */
  rows(ids?: string[]): { sql: string; params: unknown[] } {
    const { provisionable, source, folderId, failedFilter, explanation, metadata } = this.decisions;
    return {
      sql: `(select ${ids ? 'u.id, ' : ''}u.group_id, u.group_name, (?::boolean[])[u.decision] as provisionable, (?::text[])[u.decision] as source,
                    (?::uuid[])[u.decision] as folder_id, (?::text[])[u.decision] as failed_filter, (?::text[])[u.decision] as explanation,
                    ((?::text[])[u.decision])::jsonb as metadata
               from unnest(${ids ? '?::uuid[], ' : ''}?::uuid[], ?::text[], ?::int[]) as u(${ids ? 'id, ' : ''}group_id, group_name, decision)) d`,
      params: [provisionable, source, folderId, failedFilter, explanation, metadata, ...(ids ? [ids] : []), this.groupId, this.groupName, this.decision],
    };
  }
}

/** New rows are sent in chunks of this many while the rest are decided (see Writes.sendIfFull); measured best of 2,500 / 5,000 / 10,000. */
const CREATE_CHUNK = 5000;

/** Changed answers up to this many are updated through the primary key's index (see Writes.flush). */
const HIDDEN_KEYS = 10_000;

/**
 * The answers that differ from the stored ones: new rows in inserts of CREATE_CHUNK rows each,
 * changed ones in one update by primary key, which also moves `provisionable_since` /
 * `provisionable_until` when the answer flips.
 */
class Writes {
  private created = new Columns();
  private createdIds: string[] = [];
  private readonly changed = new Columns();
  private readonly changedIds: string[] = [];
  /** Inserts sent and not yet awaited (they run one after the other on the transaction). */
  private readonly sent: Promise<unknown>[] = [];

  constructor(
    private readonly em: EntityManager,
    private readonly organizationId: string,
    private readonly targetId: string,
    private readonly now: Date,
  ) {}

  add(group: GroupFacts, decision: Decision, row: StoredRow | undefined): void {
    if (!row) {
      this.created.add(group.id, group.fullName, decision);
      this.createdIds.push(uuidv7());
      return;
    }
    // Grouper (spec 3, sync tables): the name is updated only while the group is provisionable, so
    // a group that stopped being provisionable (renamed into an exclusion, moved out of a marked
    // folder) keeps the name it had there: the name the target holds.
    const groupName = group.deleted || !decision.provisionable ? row.group_name : group.fullName;
    if (
      row.provisionable === decision.provisionable &&
      row.group_name === groupName &&
      row.source === decision.source &&
      row.deciding_folder_id === decision.folderId &&
      row.failed_filter === decision.failedFilter &&
      row.explanation === decision.explanation &&
      isDeepStrictEqual(row.metadata, decision.metadata)
    ) {
      return; // the stored answer stands
    }
    this.changed.add(group.id, groupName, decision);
    this.changedIds.push(row.id);
  }

  /**
   * Sends the new rows decided so far once there is a chunk of them, without waiting: PostgreSQL
   * writes them while the next ones are decided (a first calculation creates tens of thousands).
   * The statement leaves when the caller next yields to the event loop.
   */
  sendIfFull(): void {
    if (this.created.length >= CREATE_CHUNK) this.sendCreated();
  }

  async flush(): Promise<void> {
    if (this.created.length > 0) this.sendCreated();
    // Every insert is awaited, so the first failure is thrown (those after it fail with it: the transaction is aborted).
    await Promise.all(this.sent);
    if (this.changed.length > 0) {
      const { sql, params } = this.changed.rows(this.changedIds);
      // By primary key, with the keys as an array too. Up to HIDDEN_KEYS of them the array is
      // given as `array(select unnest(...))`, whose length the planner does not see: with a few
      // thousand keys it would otherwise scan every answer of every target (12 of the 25 ms of
      // 2,898 flips under a top folder in the bench); past that, a scan is the better plan.
      const keys = this.changedIds.length <= HIDDEN_KEYS ? 'array(select unnest(?::uuid[]))' : '?::uuid[]';
      await sqlRows(this.em,
        `update group_provisionability p set updated_at = ?, group_name = d.group_name, provisionable = d.provisionable,
                provisionable_since = case when d.provisionable and not p.provisionable then ?::timestamptz else p.provisionable_since end,
                provisionable_until = case when d.provisionable and not p.provisionable then null
                                           when p.provisionable and not d.provisionable then ?::timestamptz else p.provisionable_until end,
                source = d.source::provisionability_source, deciding_folder_id = d.folder_id,
                failed_filter = d.failed_filter::provisionability_filter, explanation = d.explanation, metadata = d.metadata
           from ${sql}
          where p.id = any(${keys}) and p.id = d.id`,
        [this.now, this.now, this.now, ...params, this.changedIds],
      );
    }
  }

  private sendCreated(): void {
    const { sql, params } = this.created.rows(this.createdIds);
    this.created = new Columns();
    this.createdIds = [];
    // Rows are created for provisionable groups only: provisionable since now.
    const insert = sqlRows(this.em,
      `insert into group_provisionability (id, created_at, updated_at, organization_id, target_id, group_id, group_name, provisionable,
              provisionable_since, source, deciding_folder_id, failed_filter, explanation, metadata)
       select d.id, ?, ?, ?, ?, d.group_id, d.group_name, d.provisionable, case when d.provisionable then ?::timestamptz end,
              d.source::provisionability_source, d.folder_id, d.failed_filter::provisionability_filter, d.explanation, d.metadata
         from ${sql}`,
      [this.now, this.now, this.organizationId, this.targetId, this.now, ...params],
    );
    insert.catch(() => undefined); // awaited in flush(); until then a failure must not count as unhandled
    this.sent.push(insert);
  }
}

/** A uuid[] as an SQL literal, checked (see uuidArrayLiteral). */
function uuidArray(values: string[]): string {
  const literal = uuidArrayLiteral(values);
  if (literal === null) throw new Error('not a list of UUIDs');
  return `${literal}::uuid[]`;
}

/** A UUID as an SQL literal, checked (only hex digits and dashes get into the text). */
function uuidLiteral(value: string): string {
  const literal = uuidValueLiteral(value);
  if (literal === null) throw new Error(`not a UUID: ${value}`);
  return `${literal}::uuid`;
}

const facts = (group: GroupFacts): GroupFacts => ({ id: group.id, fullName: group.fullName, policy: group.policy });
