import {
  ChangeSetType,
  wrap,
  type ChangeSet,
  type EntityManager,
  type EventSubscriber,
  type FlushEventArgs,
} from '@mikro-orm/core';
import type { ChangeScope } from '../common/base-entity';
import { ChangeKind, ChangeLogEntry } from './change-log-entry.entity';
import { isChangeLoggedEntity } from './change-logged';

interface ChangeLogged {
  changeScope(): ChangeScope;
}

/** A change set of an entity declared @ChangeLogged() (change-logged.ts), which says what it concerns. */
function isChangeLogged(changeSet: ChangeSet<object>): boolean {
  if (!isChangeLoggedEntity(changeSet.name)) return false;
  if (typeof (changeSet.entity as Partial<ChangeLogged>).changeScope !== 'function') {
    throw new Error(`${changeSet.name} is declared @ChangeLogged() but has no changeScope()`);
  }
  return true;
}

/** Bookkeeping columns that change on every update and say nothing about the record. */
const IGNORED_FIELDS = new Set(['updatedAt', 'createdAt']);

interface WriteScope {
  actorTokenId: string | null;
  entries: ChangeLogEntry[];
}
const scopes = new WeakMap<EntityManager, WriteScope>();

/** Starts collecting the entries a write transaction produces, attributed to `actorTokenId`. */
export function beginWriteScope(em: EntityManager, actorTokenId: string | null): WriteScope {
  const scope = { actorTokenId, entries: [] };
  scopes.set(em, scope);
  return scope;
}

/** The write scope of a transaction begun by inWriteTransaction, if any. */
export const writeScopeOf = (em: EntityManager): WriteScope | undefined => scopes.get(em);

/** Entries a write path inserted itself (set-based, see record-writer.ts), counted with the flush's. */
export function recordWrittenEntries(em: EntityManager, entries: readonly ChangeLogEntry[]): void {
  scopes.get(em)?.entries.push(...entries);
}

/**
 * Writes a change-log entry for every record of a @ChangeLogged() entity a flush creates, updates
 * or deletes. Doing it here, rather than in each service, is what makes the log complete: no
 * write path can forget.
 */
export class ChangeLogSubscriber implements EventSubscriber {
  onFlush({ em, uow }: FlushEventArgs): void {
    const entries: ChangeLogEntry[] = [];
    for (const changeSet of uow.getChangeSets()) {
      if (!isChangeLogged(changeSet)) continue;
      const entry = toEntry(changeSet as ChangeSet<ChangeLogged & object>);
      if (entry) entries.push(entry);
    }
    if (entries.length === 0) return;
    if (!em.isInTransaction()) {
      // Sequence order is only commit order under the registry write lock (see inWriteTransaction).
      throw new Error('Registry changes must be written inside inWriteTransaction()');
    }
    const scope = scopes.get(em);
    for (const entry of entries) {
      entry.actorTokenId = scope?.actorTokenId ?? null;
      scope?.entries.push(entry);
      em.persist(entry);
      uow.computeChangeSet(entry);
    }
  }
}

function toEntry(changeSet: ChangeSet<ChangeLogged & object>): ChangeLogEntry | null {
  const entity = changeSet.entity;
  const scope = entity.changeScope();
  const entry = new ChangeLogEntry();
  entry.organizationId = scope.organizationId;
  entry.personId = scope.personId ?? null;
  entry.groupId = scope.groupId ?? null;
  entry.entityType = changeSet.name;
  entry.entityId = (entity as unknown as { id: string }).id;

  const payload = (changeSet.payload ?? {}) as Record<string, unknown>;
  const original = (changeSet.originalEntity ?? {}) as Record<string, unknown>;
  switch (changeSet.type) {
    case ChangeSetType.CREATE:
      entry.kind = ChangeKind.CREATED;
      entry.changedFields = Object.keys(payload).filter((field) => !IGNORED_FIELDS.has(field) && field !== 'id');
      return entry;
    case ChangeSetType.UPDATE:
    case ChangeSetType.UPDATE_EARLY: {
      const fields = Object.keys(payload).filter((field) => !IGNORED_FIELDS.has(field));
      if (fields.length === 0) return null;
      entry.kind = ChangeKind.UPDATED;
      entry.changedFields = fields;
      // Hidden properties (secrets) are named as changed, but their values never reach the log.
      const properties = changeSet.meta.properties as Record<string, { hidden?: boolean } | undefined>;
      const hidden = (field: string) => Boolean(properties[field]?.hidden);
      entry.data = Object.fromEntries(
        fields.map((field) => [field, hidden(field) ? ['[redacted]', '[redacted]'] : [original[field] ?? null, payload[field] ?? null]]),
      );
      return entry;
    }
    case ChangeSetType.DELETE:
    case ChangeSetType.DELETE_EARLY:
      entry.kind = ChangeKind.DELETED;
      entry.changedFields = [];
      // The change set of a delete carries no data; the entity still holds its last values.
      entry.data = wrap(entity as object).toObject() as Record<string, unknown>;
      return entry;
    default:
      return null;
  }
}
