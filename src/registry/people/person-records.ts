import { FlushMode, ref } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../../auth/actor';
import type { OrgScopedEntity } from '../../common/base-entity';
import { conflict } from '../../common/errors';
import { inWriteTransaction, type WriteResult } from '../../db/transaction';
import { RecordStatus } from '../enums';
import { findWritable } from '../records';
import { Identifier } from './identifier.entity';
import type { Name } from './name.entity';
import type { Person } from './person.entity';

/* What the people services share: deleting a record of a person, attaching one, identifier clashes. */

/** Deletes one record of a person in its own transaction, change-logged. */
export function deleteRecord<T extends OrgScopedEntity>(actor: Actor, entity: new () => T, id: string): Promise<WriteResult<string>> {
  return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
    const record = await findWritable(em, actor.principal, entity, id);
    em.remove(record);
    return record.id;
  });
}

/** A new record of the person: their organisation, and them. */
export function newPersonAttribute<T extends { organization: Person['organization']; person: Name['person'] }>(attribute: T, person: Person): T {
  attribute.organization = person.organization;
  attribute.person = ref(person);
  return attribute;
}

/**
 * Names the clashing identifier in the error. The partial unique index
 * identifier_active_type_value_unique still guards against concurrent writers.
 */
export async function assertIdentifiersFree(em: EntityManager, organizationId: string, identifiers: Identifier[]): Promise<void> {
  const active = identifiers.filter((identifier) => identifier.status === RecordStatus.ACTIVE);
  const seen = new Set<string>();
  for (const identifier of active) {
    const key = `${identifier.type}\u0000${identifier.value}`;
    if (seen.has(key)) throw conflict(`The identifier ${identifier.type} "${identifier.value}" is given twice.`);
    seen.add(key);
  }
  if (active.length === 0) return;
  const taken = await em.find(Identifier, {
    organization: organizationId,
    status: RecordStatus.ACTIVE,
    id: { $nin: active.map((identifier) => identifier.id) },
    $or: active.map((identifier) => ({ type: identifier.type, value: identifier.value })),
  }, { flushMode: FlushMode.COMMIT });
  if (taken.length > 0) {
    const [clash] = taken;
    throw conflict(
      `The identifier ${clash.type} "${clash.value}" is already in use by an active identifier of this organisation.`,
    );
  }
}

export const stripUndefined = <T extends object>(fields: T): Partial<T> =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
