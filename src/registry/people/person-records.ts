import { FlushMode, ref } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../../auth/actor';
import type { OrgScopedEntity } from '../../common/base-entity';
import { conflict } from '../../common/errors';
import { inWriteTransaction, type WriteResult } from '../../db/transaction';
import { sqlRows } from '../../db/sql';
import { RecordStatus, type GroupType } from '../enums';
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
  const active = assertIdentifiersDistinct(identifiers);
  if (active.length === 0) return;
  const taken = await em.find(Identifier, {
    organization: organizationId,
    status: RecordStatus.ACTIVE,
    id: { $nin: active.map((identifier) => identifier.id) },
    $or: active.map((identifier) => ({ type: identifier.type, value: identifier.value })),
  }, { flushMode: FlushMode.COMMIT });
  if (taken.length > 0) throw identifierInUse(taken[0]);
}

/** The active ones of these identifiers: only they must be unique. */
const activeOf = (identifiers: Identifier[]): Identifier[] => identifiers.filter((identifier) => identifier.status === RecordStatus.ACTIVE);

/** The active ones of these identifiers, after checking none is given twice. */
export function assertIdentifiersDistinct(identifiers: Identifier[]): Identifier[] {
  const active = activeOf(identifiers);
  const seen = new Set<string>();
  for (const identifier of active) {
    const key = `${identifier.type}\u0000${identifier.value}`;
    if (seen.has(key)) throw conflict(`The identifier ${identifier.type} "${identifier.value}" is given twice.`);
    seen.add(key);
  }
  return active;
}

export const identifierInUse = (clash: { type: string; value: string }) =>
  conflict(`The identifier ${clash.type} "${clash.value}" is already in use by an active identifier of this organisation.`);

/** What creating a person checks and needs from the database (newPersonFacts). */
export interface NewPersonFacts {
  /** An active identifier of the organisation with the type and value of one of the new ones, if any. */
  taken: { type: string; value: string } | null;
  /** The organisation's own automatic groups of the types asked for. */
  automaticGroupIds: string[];
  /** Whether any group nests one of them (then the new memberships propagate). */
  nested: boolean;
}

/**
 * Everything creating a person reads, in one statement: whether the organisation exists, an
 * active identifier already holding the type and value of one of the new active ones, the
 * automatic groups the person joins and whether any group nests them. Null when there is no such
 * organisation.
 */
export async function newPersonFacts(em: EntityManager, organizationId: string, identifiers: Identifier[], automaticTypes: readonly GroupType[]): Promise<NewPersonFacts | null> {
  const active = activeOf(identifiers);
  const [row] = await sqlRows<{ taken: string[] | null; automatic: string[]; nested: boolean }>(em,
    `select (select array[i.type, i.value] from identifier i
              where i.organization_id = o.id and i.status = 'ACTIVE' and (i.type, i.value) in (select * from unnest(?::text[], ?::text[])) limit 1) as taken,
            array(select g.id from "group" g where g.organization_id = o.id and g.type = any(?::group_type[]) and g.cou_id is null) as automatic,
            exists (select 1 from group_nesting n join "group" g on g.id = n.nested_group_id
                     where g.organization_id = o.id and g.type = any(?::group_type[]) and g.cou_id is null) as nested
       from organization o where o.id = ?`,
    [active.map((identifier) => identifier.type), active.map((identifier) => identifier.value), automaticTypes, automaticTypes, organizationId],
  );
  if (!row) return null;
  return { taken: row.taken ? { type: row.taken[0], value: row.taken[1] } : null, automaticGroupIds: row.automatic, nested: row.nested };
}

export const stripUndefined = <T extends object>(fields: T): Partial<T> =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
