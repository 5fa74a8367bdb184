import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows } from '../db/sql';
import { GroupType, type UrlType } from '../registry/enums';
import type { ImportedGroup, ImportedPerson } from './document';

/**
 * What an import compares the file with, and what an export writes: plain rows read with one
 * statement per kind of record (ids as one uuid[] value), never managed entities.
 */

/** A person of the organisation as an import sees them. */
export interface ExistingPerson extends ImportedPerson {
  id: string;
  /** The ids of the person's active identifiers by `type\u0000value`. */
  identifierIds: Map<string, string>;
  /** The person's e-mail address rows. */
  emailIds: Map<string, string>;
  primaryNameId: string | null;
  firstRoleId: string | null;
}

export interface ExistingGroup {
  id: string;
  fullName: string;
  description: string | null;
  automatic: boolean;
  /** Direct membership rows by person id. */
  direct: Map<string, { id: string; member: boolean; owner: boolean }>;
}

export const identifierKey = (type: string, value: string) => `${type}\u0000${value}`;

/** The people holding these values of the `matchBy` identifier, by value. */
export async function personIdsByKey(em: EntityManager, organizationId: string, matchBy: string, keys: string[]): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const rows: { value: string; person_id: string }[] = await sqlRows(em,
    `select value, person_id from identifier
      where organization_id = ? and type = ? and status = 'ACTIVE' and person_id is not null and value = any(?::text[])`,
    [organizationId, matchBy, keys],
  );
  return new Map(rows.map((row) => [row.value, row.person_id]));
}

/** Who holds each of these identifiers (type and value) in the organisation: person id by identifierKey. */
export async function identifierHolders(em: EntityManager, organizationId: string, identifiers: { type: string; value: string }[]): Promise<Map<string, string | null>> {
  if (identifiers.length === 0) return new Map();
  const rows: { type: string; value: string; person_id: string | null }[] = await sqlRows(em,
    `select i.type, i.value, i.person_id from identifier i join unnest(?::text[], ?::text[]) as v(type, value) on i.type = v.type and i.value = v.value
      where i.organization_id = ? and i.status = 'ACTIVE'`,
    [identifiers.map((i) => i.type), identifiers.map((i) => i.value), organizationId],
  );
  return new Map(rows.map((row) => [identifierKey(row.type, row.value), row.person_id]));
}

/** People with what an import can change on them, by id; `matchBy` gives each its key. */
export async function existingPeople(em: EntityManager, ids: string[], matchBy: string): Promise<Map<string, ExistingPerson>> {
  if (ids.length === 0) return new Map();
  const [people, names, emails, identifiers, roles, urls] = await Promise.all([
    sqlRows<{ id: string; status: ImportedPerson['status'] }>(em, 'select id, status from person where id = any(?::uuid[]) order by id', [ids]),
    sqlRows<{ id: string; person_id: string; given: string; family: string | null; middle: string | null; honorific: string | null; suffix: string | null; type: string; primary: boolean }>(em,
      'select id, person_id, given, family, middle, honorific, suffix, type, "primary" from name where person_id = any(?::uuid[]) order by "primary" desc, id', [ids]),
    sqlRows<{ id: string; person_id: string; mail: string; type: string; verified: boolean }>(em,
      'select id, person_id, mail, type, verified from email_address where person_id = any(?::uuid[]) order by id', [ids]),
    sqlRows<{ id: string; person_id: string; type: string; value: string; login: boolean }>(em,
      `select id, person_id, type, value, login from identifier where person_id = any(?::uuid[]) and status = 'ACTIVE' order by type, value`, [ids]),
    sqlRows<{ id: string; person_id: string; affiliation: string; title: string | null }>(em,
      'select id, person_id, affiliation, title from person_role where person_id = any(?::uuid[]) order by "order", id', [ids]),
    sqlRows<{ person_id: string; url: string; type: string; description: string | null }>(em,
      'select person_id, url, type, description from url where person_id = any(?::uuid[]) order by id', [ids]),
  ]);
  const byId = new Map<string, ExistingPerson>();
  for (const row of people) {
    byId.set(row.id, {
      id: row.id, source: row.id, key: '', status: row.status, names: [], emailAddresses: [], identifiers: [], urls: [],
      identifierIds: new Map(), emailIds: new Map(), primaryNameId: null, firstRoleId: null,
    });
  }
  for (const name of names) {
    const person = byId.get(name.person_id)!;
    if (person.names.length > 0) continue; // the primary one
    person.primaryNameId = name.id;
    person.names.push({ given: name.given, family: name.family, middle: name.middle, honorific: name.honorific, suffix: name.suffix, type: name.type as never });
  }
  for (const email of emails) {
    const person = byId.get(email.person_id)!;
    person.emailIds.set(email.mail, email.id);
    person.emailAddresses.push({ mail: email.mail, type: email.type as never, verified: email.verified });
  }
  for (const identifier of identifiers) {
    const person = byId.get(identifier.person_id)!;
    person.identifierIds.set(identifierKey(identifier.type, identifier.value), identifier.id);
    person.identifiers.push({ type: identifier.type, value: identifier.value, login: identifier.login });
    if (identifier.type === matchBy && !person.key) person.key = identifier.value;
  }
  for (const role of roles) {
    const person = byId.get(role.person_id)!;
    if (person.firstRoleId) continue;
    person.firstRoleId = role.id;
    person.affiliation = role.affiliation as never;
    person.title = role.title;
  }
  for (const url of urls) byId.get(url.person_id)!.urls!.push({ url: url.url, type: url.type as UrlType, description: url.description });
  return byId;
}

/** Every person id of the organisation, in id order. */
export async function personIdsOf(em: EntityManager, organizationId: string): Promise<string[]> {
  const rows: { id: string }[] = await sqlRows(em, 'select id from person where organization_id = ? order by id', [organizationId]);
  return rows.map((row) => row.id);
}

/** Groups of the organisation by full name (all of them when `fullNames` is null), with their direct membership rows. */
export async function existingGroups(em: EntityManager, organizationId: string, fullNames: string[] | null): Promise<Map<string, ExistingGroup>> {
  const groups: { id: string; full_name: string; description: string | null; type: GroupType }[] = await sqlRows(em,
    `select id, full_name, description, type from "group" where organization_id = ? ${fullNames ? 'and full_name = any(?::text[])' : ''} order by full_name`,
    fullNames ? [organizationId, fullNames] : [organizationId],
  );
  const rows: { id: string; group_id: string; person_id: string; member: boolean; owner: boolean }[] = groups.length === 0 ? [] : await sqlRows(em,
    'select id, group_id, person_id, member, owner from group_membership where group_id = any(?::uuid[]) and nesting_id is null',
    [groups.map((group) => group.id)],
  );
  const byName = new Map<string, ExistingGroup>();
  const byId = new Map<string, ExistingGroup>();
  for (const group of groups) {
    const existing = { id: group.id, fullName: group.full_name, description: group.description, automatic: group.type !== GroupType.STANDARD, direct: new Map() };
    byName.set(group.full_name, existing);
    byId.set(group.id, existing);
  }
  for (const row of rows) byId.get(row.group_id)!.direct.set(row.person_id, { id: row.id, member: row.member, owner: row.owner });
  return byName;
}

/** The organisation's population as a document (export): every person, and every group Ferry does not maintain itself. */
export async function population(em: EntityManager, organizationId: string, matchBy: string): Promise<{ people: ImportedPerson[]; groups: ImportedGroup[] }> {
  const people = await existingPeople(em, await personIdsOf(em, organizationId), matchBy);
  const keyOf = new Map([...people.values()].map((person) => [person.id, person.key]));
  const groups = [...(await existingGroups(em, organizationId, null)).values()].filter((group) => !group.automatic);
  return {
    people: [...people.values()].map(({ id, identifierIds: _i, emailIds: _e, primaryNameId: _n, firstRoleId: _r, ...person }) => ({ ...person, source: id })),
    groups: groups.map((group) => ({
      source: group.id,
      fullName: group.fullName,
      description: group.description,
      members: [...group.direct].filter(([, row]) => row.member).map(([personId]) => keyOf.get(personId) || `(no ${matchBy}: ${personId})`),
      owners: [...group.direct].filter(([, row]) => row.owner).map(([personId]) => keyOf.get(personId) || `(no ${matchBy}: ${personId})`),
    })),
  };
}
