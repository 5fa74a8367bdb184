import type { EntityClass } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { v7 as uuidv7 } from 'uuid';
import type { ChangeScope } from '../common/base-entity';
import { columnsOf, plainFromRow, plainWith } from '../db/plain-read';
import { sqlRows } from '../db/sql';
import { ChangeLogEntry } from './change-log-entry.entity';
import { recordWrittenEntries, writeScopeOf } from './change-log.subscriber';
import { isChangeLoggedEntity } from './change-logged';

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

const writable = new WeakMap<object, { table: string; columns: Column[] }>();

/** The entity's columns with how a record's value goes into each (a relation by its id). */
function columns(em: EntityManager, entity: EntityClass<object>): { table: string; columns: Column[] } {
  let known = writable.get(entity);
  if (!known) {
    const platform = em.getPlatform();
    const { table, columns: all } = columnsOf(em, entity);
    known = {
      table,
      columns: all.map(({ prop, property, column, type, reference }) => {
        const custom = prop.customType;
        // A json column goes in as text (then cast): pg would write a JS array as a PostgreSQL array.
        const json = Boolean(custom && type.startsWith('json'));
        return {
          property,
          column,
          type: json ? 'text' : type,
          json,
          value: reference
            ? (record: Record<string, unknown>) => (record[property] as { id: string } | null | undefined)?.id ?? null
            : custom
              ? (record: Record<string, unknown>) => (record[property] === null || record[property] === undefined ? null : custom.convertToDatabaseValue(record[property], platform))
              : (record: Record<string, unknown>) => record[property] ?? null,
        };
      }),
    };
    writable.set(entity, known);
  }
  return known;
}

/** Per entity: its columns' defaults (as `new` gives them) and whether each is a relation. */
const templates = new WeakMap<object, { property: string; value: unknown; reference: boolean }[]>();

/**
 * A new record of `entity` from property values (a relation by its id), for insertNewRecords
 * without building an entity: what is not given takes the entity's own default (as `new` would
 * give it), and it gets a new id and creation time unless given.
 */
export function newRecord<T extends object>(em: EntityManager, entity: EntityClass<T>, values: Record<string, unknown>): T {
  let template = templates.get(entity);
  if (!template) {
    const built = new (entity as unknown as new () => Record<string, unknown>)();
    template = columnsOf(em, entity).columns.map((col) => ({ property: col.property, value: BOOKKEEPING.has(col.property) ? undefined : built[col.property], reference: col.reference }));
    templates.set(entity, template);
  }
  const now = new Date();
  const record = plainWith<Record<string, unknown>>(em, entity as EntityClass<Record<string, unknown>>, {});
  for (const { property, value, reference } of template) {
    const given = values[property] === undefined ? value : values[property];
    record[property] = reference && typeof given === 'string' ? { id: given } : given;
  }
  record.id ??= uuidv7();
  record.createdAt ??= now;
  record.updatedAt ??= now;
  return record as T;
}

/**
 * Writes new registry records with their CREATED change-log entries in ONE statement whatever
 * their number and kinds: entities built in memory (never persisted), or records from
 * `newRecord`. The rows and entries are those the unit of work and ChangeLogSubscriber would
 * write (every property given a value is a changed field; entries in the order of `records`),
 * without the unit of work's change sets, snapshots and one statement per table: for mutations
 * that create several records at once (a person with names, emails, identifiers and group
 * memberships) and for imports. Inside inWriteTransaction only, whose actor the entries name;
 * they are added to its scope (the mutation's `changes`) unless `track` is false (an import
 * writes thousands, and nothing reads them back). The records stay unmanaged.
 */
export async function insertNewRecords(em: EntityManager, records: readonly (ChangeLogged & object)[], options: { track?: boolean } = {}): Promise<ChangeLogEntry[]> {
  if (records.length === 0) return [];
  const track = options.track ?? true;
  const scope = writeScopeOf(em);
  if (!scope) throw new Error('Registry changes must be written inside inWriteTransaction()');
  const byClass = new Map<EntityClass<object>, (ChangeLogged & object)[]>();
  for (const record of records) {
    const entity = entityOf(record);
    if (!isChangeLoggedEntity(entity.name)) throw new Error(`${entity.name} is not declared @ChangeLogged(): the record writer writes change-logged records only`);
    const list = byClass.get(entity);
    if (list) list.push(record);
    else byClass.set(entity, [record]);
  }
  const params: unknown[] = [];
  const inserts = [...byClass].map(([entity, list], index) => {
    const { table, columns: cols } = columns(em, entity);
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
     ${track ? 'returning seq::text as seq, organization_id, entity_type, entity_id, kind, changed_fields, person_id, group_id, data, actor_token_id, occurred_at' : ''}`,
    [
      ...params,
      scope.actorTokenId,
      scopes.map((s) => s.organizationId),
      records.map((record) => entityOf(record).name),
      records.map((record) => record.id),
      records.map((record) => changedFields(em, record)),
      scopes.map((s) => s.personId ?? null),
      scopes.map((s) => s.groupId ?? null),
    ],
  );
  if (!track) return [];
  const entries = rows.map((row) => plainFromRow(em, ChangeLogEntry, row));
  recordWrittenEntries(em, entries);
  return entries;
}

/** The entity class of a record: its constructor, also for a record of newRecord (whose prototype is under the class's). */
const entityOf = (record: object): EntityClass<object> => record.constructor as EntityClass<object>;

/**
 * What the unit of work names as the fields of a created record, every property given a value,
 * as a text[] literal (property names are identifiers: no quoting needed beyond the braces).
 */
function changedFields(em: EntityManager, record: object): string {
  let literal = '';
  for (const col of columns(em, entityOf(record)).columns) {
    if (BOOKKEEPING.has(col.property) || (record as Record<string, unknown>)[col.property] === undefined) continue;
    literal += literal ? `,${col.property}` : col.property;
  }
  return `{${literal}}`;
}
