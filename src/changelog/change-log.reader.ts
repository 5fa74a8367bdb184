import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows } from '../db/sql';
import type { ChangeKind, ChangeLogEntry } from './change-log-entry.entity';

/** A change-log entry as a plain row, with the fields of the entity (nothing is tracked by the unit of work). */
export type ChangeLogRow = Pick<
  ChangeLogEntry,
  'seq' | 'organizationId' | 'entityType' | 'entityId' | 'kind' | 'changedFields' | 'personId' | 'groupId' | 'data' | 'actorTokenId' | 'transactionId'
>;

/**
 * The entries after `seq`, in sequence order, at most `limit`, as plain rows: the dispatcher reads
 * every entry the registry writes (an import writes thousands per transaction), and hydrating
 * them as entities was most of its cost.
 */
export async function entriesAfter(em: EntityManager, seq: string, limit: number): Promise<ChangeLogRow[]> {
  const rows: {
    seq: string;
    organization_id: string;
    entity_type: string;
    entity_id: string;
    kind: ChangeKind;
    changed_fields: string[];
    person_id: string | null;
    group_id: string | null;
    data: Record<string, unknown> | null;
    actor_token_id: string | null;
    transaction_id: string | null;
  }[] = await sqlRows(em,
    // Ordered by the bigint column (c.seq), not by the text it is read as.
    `select c.seq::text as seq, c.organization_id, c.entity_type, c.entity_id, c.kind, c.changed_fields, c.person_id, c.group_id, c.data,
            c.actor_token_id, c.transaction_id::text as transaction_id
       from change_log_entry c where c.seq > ?::bigint order by c.seq limit ?`,
    [seq, limit],
  );
  return rows.map((row) => ({
    seq: row.seq,
    organizationId: row.organization_id,
    entityType: row.entity_type,
    entityId: row.entity_id,
    kind: row.kind,
    changedFields: row.changed_fields,
    personId: row.person_id,
    groupId: row.group_id,
    data: row.data,
    actorTokenId: row.actor_token_id,
    transactionId: row.transaction_id ?? undefined,
  }));
}
