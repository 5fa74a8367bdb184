import { inSpan } from '../observability/spans';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ChangeLogEntry } from '../changelog/change-log-entry.entity';
import { ChangeKind } from '../changelog/change-log-entry.entity';
import { beginWriteScope } from '../changelog/change-log.subscriber';
import { SubjectType } from '../provisioning/actions';
import { closeFailuresOfDeletedSubjects } from '../provisioning/failure-closing';

/**
 * Registry writers take this transaction-scoped advisory lock before writing. Change-log
 * sequences are therefore handed out in commit order, which is what lets the provisioning engine
 * read the log with a plain "after this sequence" cursor and never skip an entry.
 */
export const REGISTRY_WRITE_LOCK = 0x4665727279; // "Ferry"

export interface WriteResult<T> {
  value: T;
  /** The change-log entries the transaction committed, in sequence order. */
  changes: ChangeLogEntry[];
}

const committed = new WeakMap<EntityManager, ChangeLogEntry[]>();

/** The highest change-log sequence committed through this (request) EntityManager, if any. */
export const lastCommittedSeq = (em: EntityManager): string | undefined => committed.get(em)?.at(-1)?.seq;

/** Every change-log entry committed through this (request) EntityManager, in order. */
export const committedChanges = (em: EntityManager): ChangeLogEntry[] => committed.get(em) ?? [];

const DELETED_SUBJECTS: Record<string, SubjectType> = { Person: SubjectType.PERSON, Group: SubjectType.GROUP, Service: SubjectType.SERVICE };

const idempotencyKeys = new WeakMap<EntityManager, string>();

/** The request's Idempotency-Key row: marked committed in the transaction that commits its changes. */
export const markIdempotentRequest = (em: EntityManager, idempotencyKeyId: string): void => void idempotencyKeys.set(em, idempotencyKeyId);

export async function inWriteTransaction<T>(
  em: EntityManager,
  actorTokenId: string | null,
  work: (em: EntityManager) => Promise<T>,
): Promise<WriteResult<T>> {
  const result = await inSpan('ferry.registry.write', {}, async (span) => {
    const written = await writeInTransaction(em, actorTokenId, work);
    const seqs = written.changes.map((entry) => entry.seq);
    span.setAttributes({ 'ferry.change_log.entries': seqs.length, 'ferry.change_log.seqs': seqs });
    return written;
  });
  if (result.changes.length > 0) committed.set(em, [...committedChanges(em), ...result.changes]);
  return result;
}

/** The transaction of inWriteTransaction: the registry lock, the work, its change-log entries. */
async function writeInTransaction<T>(em: EntityManager, actorTokenId: string | null, work: (em: EntityManager) => Promise<T>): Promise<WriteResult<T>> {
  return em.transactional(async (tx) => {
    await tx.execute('select pg_advisory_xact_lock(?)', [REGISTRY_WRITE_LOCK]);
    const scope = beginWriteScope(tx, actorTokenId);
    const value = await work(tx);
    await tx.flush();
    // A deleted subject's failure notifications close with it, in the same transaction.
    const deleted = scope.entries.flatMap((entry) => {
      const subjectType = entry.kind === ChangeKind.DELETED ? DELETED_SUBJECTS[entry.entityType] : undefined;
      return subjectType ? [{ subjectType, subjectId: entry.entityId }] : [];
    });
    if (deleted.length > 0) await closeFailuresOfDeletedSubjects(tx, deleted);
    const idempotencyKeyId = idempotencyKeys.get(em);
    if (idempotencyKeyId && scope.entries.length > 0) {
      await tx.execute('update "idempotency_key" set "committed_at" = now() where "id" = ? and "committed_at" is null', [idempotencyKeyId]);
    }
    return { value, changes: scope.entries };
  });
}
