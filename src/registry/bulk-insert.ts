import type { EntityManager } from '@mikro-orm/postgresql';
import { v7 as uuidv7 } from 'uuid';
import { sqlRows } from '../db/sql';

/** A column of a bulk insert: its name, its PostgreSQL type, and the entity property it holds. */
export interface BulkColumn {
  column: string;
  type: string;
  property: string;
}

/** One kind of registry record written in bulk, and what its change-log entries say about it. */
export interface BulkRecordKind {
  table: string;
  /** The entity name the change log uses (as the ORM writes it): Person, Name, GroupMembership, ... */
  entityType: string;
  columns: readonly BulkColumn[];
  /** How the person and the group a record concerns are read from its row (as its changeScope says). */
  personId: 'id' | 'person_id' | null;
  groupId: 'id' | 'group_id' | null;
}

/**
 * Inserts records of one kind, each with its CREATED change-log entry, in ONE statement whatever
 * their number (one array per column), inside the caller's registry write transaction (which holds
 * the registry lock, so the entries' sequences are in commit order). Bulk paths use it where the
 * unit of work would track every record (an import writes thousands per transaction); the rows
 * and entries are those the ORM and the change-log subscriber would write. Returns the new ids,
 * in the order of `rows` (each row may carry its own `id`).
 */
export async function insertRecords(
  em: EntityManager,
  kind: BulkRecordKind,
  rows: readonly Record<string, unknown>[],
  actorTokenId: string | null,
): Promise<string[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => (typeof row.id === 'string' ? row.id : uuidv7()));
  const names = kind.columns.map((c) => `"${c.column}"`).join(', ');
  const arrays = kind.columns.map((c) => `?::${c.type}[]`).join(', ');
  const values = kind.columns.map((c) => `v."${c.column}"`).join(', ');
  const aliases = kind.columns.map((c) => `"${c.column}"`).join(', ');
  await sqlRows(em,
    `with inserted as (
       insert into "${kind.table}" ("id", "created_at", "updated_at", ${names})
       select v.id, now(), now(), ${values}
         from unnest(?::uuid[], ${arrays}) with ordinality as v("id", ${aliases}, ord)
        order by v.ord
       returning "id", "organization_id", ${kind.personId ? `"${kind.personId}"` : 'null::uuid'} as person_id, ${kind.groupId ? `"${kind.groupId}"` : 'null::uuid'} as group_id)
     insert into "change_log_entry" ("organization_id", "entity_type", "entity_id", "kind", "changed_fields", "person_id", "group_id", "actor_token_id", "occurred_at")
     select i.organization_id, ?, i.id, 'CREATED'::change_kind, ?::text[], i.person_id, i.group_id, ?::uuid, now()
       from inserted i
      order by i.id`,
    [
      ids,
      ...kind.columns.map((c) => rows.map((row) => row[c.property] ?? null)),
      kind.entityType,
      kind.columns.map((c) => c.property),
      actorTokenId,
    ],
  );
  return ids;
}

const col = (column: string, type: string, property: string): BulkColumn => ({ column, type, property });
const ORGANIZATION = col('organization_id', 'uuid', 'organization');
const PERSON = col('person_id', 'uuid', 'person');

/** The kinds of record a new person is made of, folders, groups and memberships. */
export const RECORD_KINDS = {
  person: { table: 'person', entityType: 'Person', personId: 'id', groupId: null, columns: [ORGANIZATION, col('status', 'person_status', 'status')] },
  name: {
    table: 'name',
    entityType: 'Name',
    personId: 'person_id',
    groupId: null,
    columns: [
      ORGANIZATION,
      PERSON,
      col('type', 'name_type', 'type'),
      col('honorific', 'text', 'honorific'),
      col('given', 'text', 'given'),
      col('middle', 'text', 'middle'),
      col('family', 'text', 'family'),
      col('suffix', 'text', 'suffix'),
      col('primary', 'boolean', 'primary'),
    ],
  },
  emailAddress: {
    table: 'email_address',
    entityType: 'EmailAddress',
    personId: 'person_id',
    groupId: null,
    columns: [ORGANIZATION, PERSON, col('mail', 'text', 'mail'), col('type', 'email_type', 'type'), col('verified', 'boolean', 'verified')],
  },
  identifier: {
    table: 'identifier',
    entityType: 'Identifier',
    personId: 'person_id',
    groupId: 'group_id',
    columns: [ORGANIZATION, PERSON, col('type', 'text', 'type'), col('value', 'text', 'value'), col('status', 'record_status', 'status'), col('login', 'boolean', 'login')],
  },
  personRole: {
    table: 'person_role',
    entityType: 'PersonRole',
    personId: 'person_id',
    groupId: null,
    columns: [ORGANIZATION, PERSON, col('status', 'person_status', 'status'), col('affiliation', 'affiliation', 'affiliation'), col('title', 'text', 'title'), col('order', 'int', 'order')],
  },
  url: {
    table: 'url',
    entityType: 'Url',
    personId: 'person_id',
    groupId: null,
    columns: [ORGANIZATION, PERSON, col('url', 'text', 'url'), col('type', 'url_type', 'type'), col('description', 'text', 'description')],
  },
  folder: {
    table: 'folder',
    entityType: 'Folder',
    personId: null,
    groupId: null,
    columns: [ORGANIZATION, col('parent_id', 'uuid', 'parent'), col('name', 'text', 'name'), col('full_name', 'text', 'fullName'), col('description', 'text', 'description'), col('system', 'boolean', 'system')],
  },
  group: {
    table: 'group',
    entityType: 'Group',
    personId: null,
    groupId: 'id',
    columns: [
      ORGANIZATION,
      col('folder_id', 'uuid', 'folder'),
      col('name', 'text', 'name'),
      col('full_name', 'text', 'fullName'),
      col('description', 'text', 'description'),
      col('status', 'record_status', 'status'),
      col('type', 'group_type', 'type'),
      col('policy', 'boolean', 'policy'),
    ],
  },
  groupMembership: {
    table: 'group_membership',
    entityType: 'GroupMembership',
    personId: 'person_id',
    groupId: 'group_id',
    columns: [ORGANIZATION, col('group_id', 'uuid', 'group'), PERSON, col('member', 'boolean', 'member'), col('owner', 'boolean', 'owner')],
  },
} satisfies Record<string, BulkRecordKind>;
