import { ReferenceKind, type EntityProperty } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { plainFromRow } from '../db/plain-read';
import { sqlRows } from '../db/sql';
import type { ChangeScope } from '../common/base-entity';
import { ChangeLogEntry } from './change-log-entry.entity';
import { recordWrittenEntries, writeScopeOf } from './change-log.subscriber';

/** A registry record as the change log knows it (OrgScopedEntity). */
interface ChangeLogged {
  id: string;
  changeScope(): ChangeScope;
}

/** Columns the ORM leaves out of a created record's changed fields (see ChangeLogSubscriber). */
const BOOKKEEPING = new Set(['id', 'createdAt', 'updatedAt']);

interface Column {
  property: string;
  column: string;
  /** The column's type, for `unnest(?::type[])` (json columns go in as text, then cast). */
  type: string;
  json: boolean;
  value(record: Record<string, unknown>): unknown;
}

const columnsOf = new WeakMap<object, Column[]>();

function columns(em: EntityManager, record: object): { table: string; columns: Column[] } {
  const meta = em.getMetadata().get(record.constructor.name);
  let known = columnsOf.get(record.constructor);
  if (!known) {
    const platform = em.getPlatform();
    known = [];
    for (const prop of meta.props as EntityProperty[]) {
      if (prop.persist === false || prop.formula || !prop.fieldNames?.length) continue;
      const reference = prop.kind === ReferenceKind.MANY_TO_ONE || (prop.kind === ReferenceKind.ONE_TO_ONE && prop.owner);
      if (prop.kind !== ReferenceKind.SCALAR && !reference) continue;
      const custom = prop.customType;
      // A json column goes in as text (then cast): pg would write a JS array as a PostgreSQL array.
      const json = Boolean(custom && prop.columnTypes[0].startsWith('json'));
      known.push({
        property: prop.name,
        column: prop.fieldNames[0],
        type: json ? 'text' : prop.columnTypes[0],
        json,
        value: reference
          ? (record) => (record[prop.name] as { id: string } | null | undefined)?.id ?? null
          : custom
            ? (record) => (record[prop.name] === null || record[prop.name] === undefined ? null : custom.convertToDatabaseValue(record[prop.name], platform))
            : (record) => record[prop.name] ?? null,
      });
    }
    columnsOf.set(record.constructor, known);
  }
  return { table: meta.tableName, columns: known };
}

/**
 * Writes new registry records (entities built in memory, never persisted) with their CREATED
 * change-log entries in ONE statement, and adds the entries to the write transaction's scope:
 * the rows and entries are those the unit of work and ChangeLogSubscriber would write (every
 * property given a value is a changed field; entries in the order of `records`), without the
 * unit of work's change sets, snapshots and one statement per table. For mutations that create
 * several records at once (a person with names, emails, identifiers and group memberships).
 * Inside inWriteTransaction only; the records stay unmanaged (read them again to change them).
 */
export async function insertNewRecords(em: EntityManager, records: readonly (ChangeLogged & object)[]): Promise<ChangeLogEntry[]> {
  if (records.length === 0) return [];
  const scope = writeScopeOf(em);
  if (!scope) throw new Error('Registry changes must be written inside inWriteTransaction()');
  const byClass = new Map<object, (ChangeLogged & object)[]>();
  for (const record of records) {
    const list = byClass.get(record.constructor);
    if (list) list.push(record);
    else byClass.set(record.constructor, [record]);
  }
  const params: unknown[] = [];
  const inserts = [...byClass.values()].map((list, index) => {
    const { table, columns: cols } = columns(em, list[0]);
    for (const col of cols) params.push(list.map((record) => col.value(record as unknown as Record<string, unknown>)));
    const names = cols.map((col) => `"${col.column}"`).join(', ');
    const casts = cols.map((col) => `?::${col.type}[]`).join(', ');
    const values = cols.map((col) => (col.json ? `v."${col.column}"::jsonb` : `v."${col.column}"`));
    return `r${index} as (insert into "${table}" (${names}) select ${values.join(', ')} from unnest(${casts}) as v(${names}))`;
  });
  const scopes = records.map((record) => record.changeScope());
  const rows = await sqlRows(em,
    `with ${inserts.join(',\n')}
     insert into "change_log_entry" ("organization_id", "entity_type", "entity_id", "kind", "changed_fields", "person_id", "group_id", "actor_token_id", "occurred_at")
     select e.organization_id, e.entity_type, e.entity_id, 'CREATED'::change_kind, e.changed_fields::text[], e.person_id, e.group_id, ?::uuid, now()
       from unnest(?::uuid[], ?::text[], ?::uuid[], ?::text[], ?::uuid[], ?::uuid[]) with ordinality
         as e(organization_id, entity_type, entity_id, changed_fields, person_id, group_id, ord)
      order by e.ord
     returning seq::text as seq, organization_id, entity_type, entity_id, kind, changed_fields, person_id, group_id, data, actor_token_id, occurred_at`,
    [
      ...params,
      scope.actorTokenId,
      scopes.map((s) => s.organizationId),
      records.map((record) => record.constructor.name),
      records.map((record) => record.id),
      records.map((record) => arrayLiteral(changedFields(em, record))),
      scopes.map((s) => s.personId ?? null),
      scopes.map((s) => s.groupId ?? null),
    ],
  );
  const entries = rows.map((row) => plainFromRow(em, ChangeLogEntry, row));
  recordWrittenEntries(em, entries);
  return entries;
}

/** What the unit of work names as the fields of a created record: every property given a value. */
function changedFields(em: EntityManager, record: object): string[] {
  const { columns: cols } = columns(em, record);
  return cols.filter((col) => !BOOKKEEPING.has(col.property) && (record as Record<string, unknown>)[col.property] !== undefined).map((col) => col.property);
}

/** Property names as a text[] literal (they are identifiers: no quoting needed beyond the braces). */
const arrayLiteral = (values: string[]) => `{${values.join(',')}}`;
