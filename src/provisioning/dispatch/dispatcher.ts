import { sqlRows } from '../../db/sql';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { v7 as uuidv7 } from 'uuid';
import { entriesAfter, type ChangeLogRow } from '../../changelog/change-log.reader';
import type { Logger } from '../../observability/logger';
import type { PipelineStatus } from '../../observability/metrics';
import { inChildSpan } from '../../observability/spans';
import type { ProvisionabilityChange, ProvisionabilityEngine } from '../../provisionability/provisionability.engine';
import { ProvisioningAction as A, ProvisioningMode, SubjectType } from '../actions';
import { emailListsUsing, Planner, type WorkItem } from '../planner';
import { route, type RoutingTarget, type WorkRow } from './router';
import type { Signals } from './signals';
import { insertWork } from './work-queue';
import { isDelete } from '../lanes/decisions';
import { SUBJECTS } from '../subjects';

const CURSOR = 'provisioning';
/** The kinds of subject the validity sweep reprovisions (spec 1.3 PR, GR, LR). */
type SweptSubject = SubjectType.PERSON | SubjectType.GROUP | SubjectType.EMAIL_LIST;
const VALIDITY_CURSOR = 'validity';
/** Change-log entries read per dispatch pass (whole transactions; a bigger one is read alone). */
const BATCH_ENTRIES = 500;

/**
 * The first stage of the pipeline. Under the change-log cursor's row lock it reads many committed
 * transactions at once, plans the work each asks for (the planner, the folder rules), routes every
 * item to the targets that take part (no payload is built) and writes the routed rows, then moves
 * the cursor, all in one transaction. It never talks to a target: the lanes do, after the commit.
 */
export class Dispatcher {
  private readonly planner = new Planner();

  constructor(
    private readonly orm: MikroORM,
    private readonly provisionability: ProvisionabilityEngine,
    private readonly signals: Signals,
    private readonly logger: Logger,
  ) {}

  /**
   * How far dispatch is behind the change log and what waits in each target's lane (the metrics),
   * in two statements on index ranges: the entries after the cursor, and the work rows by target.
   */
  async status(): Promise<PipelineStatus> {
    const em = this.orm.em.fork();
    const [[lag], pending] = await Promise.all([
      sqlRows<{ entries: number; seconds: number }>(em,
        `with cursor as (select coalesce((select seq from engine_cursor where name = ?), 0) as seq)
         select (select count(*) from change_log_entry e where e.seq > cursor.seq)::int as entries,
                coalesce(extract(epoch from now() - (select e.occurred_at from change_log_entry e where e.seq > cursor.seq order by e.seq limit 1)), 0)::float8 as seconds
           from cursor`,
        [CURSOR],
      ),
      sqlRows<{ target_id: string; target_name: string; items: number; oldest_seconds: number }>(em,
        `select w.target_id, t.name as target_name, count(*)::int as items,
                greatest(0, extract(epoch from now() - min(w.created_at)))::float8 as oldest_seconds
           from provisioning_work w join provisioning_target t on t.id = w.target_id
          group by w.target_id, t.name`,
      ),
    ]);
    return {
      lagEntries: lag.entries,
      lagSeconds: Math.max(0, lag.seconds),
      pending: pending.map((row) => ({ targetId: row.target_id, targetName: row.target_name, items: row.items, oldestSeconds: row.oldest_seconds })),
    };
  }

  async cursor(): Promise<string> {
    const [row] = await sqlRows<{ seq: string }>(this.orm.em.fork(), 'select seq::text as seq from engine_cursor where name = ?', [CURSOR]);
    return row?.seq ?? '0';
  }

  /**
   * One pass; returns how many change-log entries it consumed and whether more may be waiting (the
   * read was cut by its limit). A pass that read less than its limit consumed everything committed
   * before it began: what commits later is dispatched by its own writer's call (or the next tick).
   */
  async dispatchNext(): Promise<{ consumed: number; more: boolean }> {
    return inChildSpan('ferry.dispatch', {}, async (span) => {
      const pass = await this.dispatchPass();
      span?.setAttribute('ferry.change_log.consumed', pass.consumed);
      return pass;
    });
  }

  private async dispatchPass(): Promise<{ consumed: number; more: boolean }> {
    let more = false;
    const after: (() => void)[] = [];
    const consumed = await this.orm.em.fork().transactional(async (tx) => {
      const cursor = await lockCursor(tx, CURSOR);
      const entries = await entriesAfter(tx, cursor.seq, BATCH_ENTRIES);
      if (entries.length === 0) return 0;
      more = entries.length === BATCH_ENTRIES;
      const changes = wholeTransactions(entries, more);
      const planned: [changeKey: string, items: WorkItem[]][] = [];
      // The targets of the pass's organisations, read once: an organisation without any has nothing
      // to plan for (a target created later starts from Reprovision All), and routing uses them.
      const targets = await targetsOf(tx, entries.map((entry) => entry.organizationId));
      const withTargets = new Set(targets.map((target) => target.organizationId));
      for (const change of changes) {
        if (!withTargets.has(change[0].organizationId)) continue;
        // Folder rules first: a group that became provisionable (or stopped) is provisioned to
        // (or removed from) that target, along with whatever else the change asks for.
        const provisionability = await this.provisionability.onChange(tx, change);
        const items = await this.planner.plan(tx, change);
        items.push(...provisionabilityItems(items, provisionability.changes));
        planned.push([`c${change.at(-1)!.seq}`, items]);
        for (const target of provisionability.rulesChangedOn) after.push(() => this.signals.emit('rulesChanged', target, this.onListenerError));
      }
      // Every transaction of the pass routed with the same targets and one statuses query.
      const rows = await this.routeItems(tx, planned, targets);
      await insertWork(tx, rows);
      const last = changes.at(-1)!.at(-1)!;
      await saveCursor(tx, CURSOR, last.seq, new Date());
      if (rows.length > 0) after.push(() => this.signals.emit('workRouted', { targetIds: [...new Set(rows.map((r) => r.targetId))] }, this.onListenerError));
      return changes.reduce((n, change) => n + change.length, 0);
    });
    for (const signal of after) signal();
    return { consumed, more };
  }

  /**
   * Roles, memberships and identity links start and stop counting when their validity window
   * opens or closes, without any registry write. This finds the windows that opened or closed
   * since the last sweep and routes the people and groups concerned like a change (COmanage's
   * reprovisionByValidity job). Returns how many subjects it routed.
   */
  async sweepValidity(now = new Date()): Promise<number> {
    let routedTo: string[] = [];
    const swept = await this.orm.em.fork().transactional(async (tx) => {
      const cursor = await lockCursor(tx, VALIDITY_CURSOR);
      const since = cursor.updatedAt;
      const crossed: { organization_id: string; person_id: string; group_id: string | null }[] = await sqlRows(tx,
        `select organization_id, person_id, group_id from group_membership
          where (valid_from > ? and valid_from <= ?) or (valid_through >= ? and valid_through < ?)
         union all
         select organization_id, person_id, null from person_role
          where (valid_from > ? and valid_from <= ?) or (valid_through >= ? and valid_through < ?)
         union all
         select organization_id, person_id, null from org_identity_link
          where (valid_from > ? and valid_from <= ?) or (valid_through >= ? and valid_through < ?)`,
        Array.from({ length: 3 }, () => [since, now, since, now]).flat(),
      );
      const people = new Map<string, WorkItem>();
      const groups = new Map<string, WorkItem>();
      const item = (subjectType: SweptSubject, subjectId: string, organizationId: string): WorkItem => ({
        subjectType,
        subjectId,
        organizationId,
        // COmanage's reprovisionByValidity: a reprovision request, PR for the person and GR for its
        // groups (spec 1.3), and LR for the email lists those groups make up.
        action: SUBJECTS[subjectType].reprovision,
        changeSeq: null,
      });
      for (const row of crossed) {
        people.set(row.person_id, item(SubjectType.PERSON, row.person_id, row.organization_id));
        if (row.group_id) groups.set(row.group_id, item(SubjectType.GROUP, row.group_id, row.organization_id));
      }
      const lists = new Map<string, WorkItem>();
      for (const row of await emailListsUsing(tx, [...groups.keys()])) lists.set(row.id, item(SubjectType.EMAIL_LIST, row.id, row.organization_id));
      // People first, so groups find their members' entries.
      const targets = crossed.length === 0 ? [] : await targetsOf(tx, crossed.map((row) => row.organization_id));
      const rows = await this.routeItems(tx, [[`v${uuidv7()}`, [...people.values(), ...groups.values(), ...lists.values()]]], targets);
      await insertWork(tx, rows);
      routedTo = [...new Set(rows.map((r) => r.targetId))];
      await saveCursor(tx, VALIDITY_CURSOR, cursor.seq, now);
      return people.size + groups.size + lists.size;
    });
    if (routedTo.length > 0) this.signals.emit('workRouted', { targetIds: routedTo }, this.onListenerError);
    return swept;
  }

  /**
   * The subjects' statuses, one query for all the changes given, then `route` for each change over
   * `targets` (those of the items' organisations, in any mode: `route` picks the modes that take part).
   */
  private async routeItems(em: EntityManager, planned: [changeKey: string, items: WorkItem[]][], targets: RoutingTarget[]): Promise<WorkRow[]> {
    const items = planned.flatMap(([, list]) => list);
    if (items.length === 0 || targets.length === 0) return [];
    const ids = (type: SubjectType) => [...new Set(items.filter((item) => item.subjectType === type && !item.snapshot).map((item) => item.subjectId))];
    const statuses: { id: string; status: string }[] = await sqlRows(
      em,
      `select id, status::text from person where id = any(?::uuid[]) union all select id, status::text from "group" where id = any(?::uuid[])`,
      [ids(SubjectType.PERSON), ids(SubjectType.GROUP)],
    );
    const status = new Map(statuses.map((s) => [s.id, s.status]));
    return planned.flatMap(([changeKey, list]) => route(changeKey, list, targets, status));
  }

  private readonly onListenerError = (error: unknown) => this.logger.warn({ err: error }, 'a pipeline listener failed');
}

/** The provisioning targets (in any mode) of these organisations, in one query. */
async function targetsOf(em: EntityManager, organizationIds: string[]): Promise<RoutingTarget[]> {
  const rows: { id: string; organization_id: string; mode: ProvisioningMode; order: number }[] = await sqlRows(em,
    'select id, organization_id, mode, "order" from provisioning_target where organization_id = any(?::uuid[])',
    [[...new Set(organizationIds)]],
  );
  return rows.map((row) => ({ id: row.id, organizationId: row.organization_id, mode: row.mode, order: row.order }));
}

/** A cursor row (engine_cursor), read and written as plain rows: a dispatch pass runs per mutation. */
interface Cursor {
  seq: string;
  updatedAt: Date;
}

async function lockCursor(tx: EntityManager, name: string): Promise<Cursor> {
  const read = async () => {
    const [row] = await sqlRows<{ seq: string; updated_ms: number }>(tx,
      'select seq::text as seq, extract(epoch from updated_at)::float8 * 1000 as updated_ms from engine_cursor where name = ? for update',
      [name],
    );
    return row ? { seq: row.seq, updatedAt: new Date(row.updated_ms) } : null;
  };
  // The row exists after the first pass: one statement then; the insert only the first time.
  const found = await read();
  if (found) return found;
  await sqlRows(tx, `insert into engine_cursor (name, seq, updated_at) values (?, 0, now()) on conflict do nothing`, [name]);
  return (await read())!;
}

async function saveCursor(tx: EntityManager, name: string, seq: string, updatedAt: Date): Promise<void> {
  await sqlRows(tx, 'update engine_cursor set seq = ?::bigint, updated_at = ? where name = ?', [seq, updatedAt, name]);
}

/**
 * The entries grouped by transaction (a transaction's entries are contiguous: writers serialise
 * on the registry lock). When the read was cut by its limit, the last transaction may be partial:
 * it is left for the next pass, unless it is the only one.
 */
function wholeTransactions(entries: ChangeLogRow[], cut: boolean): ChangeLogRow[][] {
  const changes: ChangeLogRow[][] = [];
  for (const entry of entries) {
    const current = changes.at(-1);
    if (current && current[0].transactionId === entry.transactionId) current.push(entry);
    else changes.push([entry]);
  }
  if (cut && changes.length > 1) changes.pop();
  return changes;
}

/** Groups whose provisionability flipped on a target, unless the change provisions them anyway. */
function provisionabilityItems(items: WorkItem[], changes: ProvisionabilityChange[]): WorkItem[] {
  const planned = new Map(items.filter((item) => item.subjectType === SubjectType.GROUP).map((item) => [item.subjectId, item]));
  const extra = new Map<string, WorkItem>();
  for (const change of changes) {
    const item = planned.get(change.groupId);
    // A group that became provisionable reaches the target as an add (Grouper inserts it); one
    // that stopped gets an update, which the folder rules turn into its removal there.
    const action = change.provisionable ? A.GROUP_ADDED : A.GROUP_UPDATED;
    if (item) {
      // The change already provisions the group everywhere (a rename, a move): that does, except
      // where it just became provisionable and was not added by the change itself.
      if (!change.provisionable || item.action === A.GROUP_ADDED || isDelete(item.action)) continue;
      (item.exceptTargetIds ??= []).push(change.targetId);
    }
    const key = `${change.groupId}:${action}`;
    const existing = extra.get(key);
    if (existing) existing.targetIds!.push(change.targetId);
    else {
      extra.set(key, {
        subjectType: SubjectType.GROUP,
        subjectId: change.groupId,
        organizationId: change.organizationId,
        action,
        changeSeq: change.changeSeq,
        targetIds: [change.targetId],
      });
    }
  }
  return [...extra.values()];
}
