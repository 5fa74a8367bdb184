import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows } from '../db/sql';
import { GroupType, type UrlType } from '../registry/enums';
import type { ImportedPerson, ImportedRole, ImportedUnit, PopulationDocument } from './document';

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
  /** With `full`: the ids of the person's roles, in their order. */
  roleIds: string[];
}

export interface ExistingGroup {
  id: string;
  fullName: string;
  description: string | null;
  automatic: boolean;
  /** Direct membership rows by person id. */
  direct: Map<string, { id: string; member: boolean; owner: boolean; validFrom: string | null; validThrough: string | null }>;
  /** The groups nested in this one: nesting id by the nested group's full name. */
  nested: Map<string, string>;
}

export interface ExistingUnit extends ImportedUnit {
  id: string;
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

/**
 * People with what an import can change on them, by id; `matchBy` gives each its key. `full` also
 * reads what only Ferry's JSON format carries (names besides the primary one, every role with its
 * unit, addresses, telephone numbers and ad hoc attributes, date of birth, time zone): an export,
 * or an import of a document that gives roles.
 */
export async function existingPeople(em: EntityManager, ids: string[], matchBy: string, options: { full?: boolean } = {}): Promise<Map<string, ExistingPerson>> {
  if (ids.length === 0) return new Map();
  const full = options.full === true;
  const [people, names, emails, identifiers, roles, urls] = await Promise.all([
    sqlRows<{ id: string; status: ImportedPerson['status']; date_of_birth: string | null; timezone: string | null }>(em,
      `select id, status, to_char(date_of_birth, 'YYYY-MM-DD') as date_of_birth, timezone from person where id = any(?::uuid[]) order by id`, [ids]),
    sqlRows<{ id: string; person_id: string; given: string; family: string | null; middle: string | null; honorific: string | null; suffix: string | null; type: string; language: string | null }>(em,
      `select id, person_id, given, family, middle, honorific, suffix, type, language from name where person_id = any(?::uuid[]) order by "primary" desc, id`, [ids]),
    sqlRows<{ id: string; person_id: string; mail: string; type: string; verified: boolean }>(em,
      'select id, person_id, mail, type, verified from email_address where person_id = any(?::uuid[]) order by id', [ids]),
    sqlRows<{ id: string; person_id: string; type: string; value: string; login: boolean }>(em,
      `select id, person_id, type, value, login from identifier where person_id = any(?::uuid[]) and status = 'ACTIVE' order by type, value`, [ids]),
    sqlRows<{ id: string; person_id: string; unit: string | null; status: string; affiliation: string; title: string | null; o: string | null; ou: string | null; valid_from: string | null; valid_through: string | null }>(em,
      `select r.id, r.person_id, c.name as unit, r.status, r.affiliation, r.title, r.o, r.ou, ${isoInstant('r.valid_from')} as valid_from, ${isoInstant('r.valid_through')} as valid_through
         from person_role r left join cou c on c.id = r.cou_id where r.person_id = any(?::uuid[]) order by r."order", r.id`, [ids]),
    sqlRows<{ person_id: string; url: string; type: string; description: string | null }>(em,
      'select person_id, url, type, description from url where person_id = any(?::uuid[]) order by id', [ids]),
  ]);
  const byId = new Map<string, ExistingPerson>();
  for (const row of people) {
    byId.set(row.id, {
      id: row.id, source: row.id, key: '', status: row.status, names: [], emailAddresses: [], identifiers: [], urls: [],
      identifierIds: new Map(), emailIds: new Map(), primaryNameId: null, firstRoleId: null, roleIds: [],
      ...(full ? { otherNames: [], roles: [], dateOfBirth: row.date_of_birth, timezone: row.timezone } : {}),
    });
  }
  for (const name of names) {
    const person = byId.get(name.person_id)!;
    const fields = { given: name.given, family: name.family, middle: name.middle, honorific: name.honorific, suffix: name.suffix, type: name.type as never, ...(full ? { language: name.language } : {}) };
    // The primary name first (the first one, should none be marked primary).
    if (person.names.length === 0) {
      person.primaryNameId = name.id;
      person.names.push(fields);
    } else if (full) person.otherNames!.push(fields);
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
  const roleById = new Map<string, ImportedRole>();
  for (const role of roles) {
    const person = byId.get(role.person_id)!;
    if (!person.firstRoleId) {
      person.firstRoleId = role.id;
      person.affiliation = role.affiliation as never;
      person.title = role.title;
    }
    if (!full) continue;
    const imported: ImportedRole = {
      unit: role.unit, status: role.status as never, affiliation: role.affiliation as never, title: role.title, o: role.o, ou: role.ou,
      validFrom: role.valid_from, validThrough: role.valid_through,
      addresses: [], telephoneNumbers: [], attributes: [],
    };
    person.roleIds.push(role.id);
    person.roles!.push(imported);
    roleById.set(role.id, imported);
  }
  for (const url of urls) byId.get(url.person_id)!.urls!.push({ url: url.url, type: url.type as UrlType, description: url.description });
  if (full && roleById.size > 0) {
    const roleIds = [...roleById.keys()];
    const [addresses, telephones, attributes] = await Promise.all([
      sqlRows(em, 'select role_id, type, street, room, locality, state, postal_code, country, language from address where role_id = any(?::uuid[]) order by id', [roleIds]),
      sqlRows(em, 'select role_id, type, country_code, area_code, number, extension from telephone_number where role_id = any(?::uuid[]) order by id', [roleIds]),
      sqlRows(em, 'select role_id, tag, value from ad_hoc_attribute where role_id = any(?::uuid[]) order by id', [roleIds]),
    ]);
    for (const a of addresses) {
      roleById.get(a.role_id)!.addresses.push({ type: a.type, street: a.street, room: a.room, locality: a.locality, state: a.state, postalCode: a.postal_code, country: a.country, language: a.language });
    }
    for (const t of telephones) {
      roleById.get(t.role_id)!.telephoneNumbers.push({ type: t.type, countryCode: t.country_code, areaCode: t.area_code, number: t.number, extension: t.extension });
    }
    for (const a of attributes) roleById.get(a.role_id)!.attributes.push({ tag: a.tag, value: a.value });
  }
  return byId;
}

/** A timestamp column as the JSON format writes it (ISO 8601 in UTC, with milliseconds), in SQL. */
const isoInstant = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The organisation's units by name, each with its parent's name. */
export async function existingUnits(em: EntityManager, organizationId: string): Promise<Map<string, ExistingUnit>> {
  const rows: { id: string; name: string; description: string | null; parent: string | null }[] = await sqlRows(em,
    'select c.id, c.name, c.description, p.name as parent from cou c left join cou p on p.id = c.parent_id where c.organization_id = ? order by c.name',
    [organizationId],
  );
  return new Map(rows.map((row) => [row.name, { source: row.id, ...row }]));
}

/** Every person id of the organisation, in id order. */
export async function personIdsOf(em: EntityManager, organizationId: string): Promise<string[]> {
  const rows: { id: string }[] = await sqlRows(em, 'select id from person where organization_id = ? order by id', [organizationId]);
  return rows.map((row) => row.id);
}

/** Groups of the organisation by full name (all of them when `fullNames` is null), with their direct membership rows and their nestings. */
export async function existingGroups(em: EntityManager, organizationId: string, fullNames: string[] | null): Promise<Map<string, ExistingGroup>> {
  const groups: { id: string; full_name: string; description: string | null; type: GroupType }[] = await sqlRows(em,
    `select id, full_name, description, type from "group" where organization_id = ? ${fullNames ? 'and full_name = any(?::text[])' : ''} order by full_name`,
    fullNames ? [organizationId, fullNames] : [organizationId],
  );
  const rows: { id: string; group_id: string; person_id: string; member: boolean; owner: boolean; valid_from: string | null; valid_through: string | null }[] = groups.length === 0 ? [] : await sqlRows(em,
    `select id, group_id, person_id, member, owner, ${isoInstant('valid_from')} as valid_from, ${isoInstant('valid_through')} as valid_through
       from group_membership where group_id = any(?::uuid[]) and nesting_id is null`,
    [groups.map((group) => group.id)],
  );
  const nestings: { id: string; group_id: string; nested: string }[] = groups.length === 0 ? [] : await sqlRows(em,
    'select n.id, n.group_id, g.full_name as nested from group_nesting n join "group" g on g.id = n.nested_group_id where n.group_id = any(?::uuid[]) order by g.full_name',
    [groups.map((group) => group.id)],
  );
  const byName = new Map<string, ExistingGroup>();
  const byId = new Map<string, ExistingGroup>();
  for (const group of groups) {
    const existing = { id: group.id, fullName: group.full_name, description: group.description, automatic: group.type !== GroupType.STANDARD, direct: new Map(), nested: new Map() };
    byName.set(group.full_name, existing);
    byId.set(group.id, existing);
  }
  for (const row of rows) {
    byId.get(row.group_id)!.direct.set(row.person_id, { id: row.id, member: row.member, owner: row.owner, validFrom: row.valid_from, validThrough: row.valid_through });
  }
  for (const nesting of nestings) byId.get(nesting.group_id)!.nested.set(nesting.nested, nesting.id);
  return byName;
}

/** Which of these full names are groups of the organisation. */
export async function groupNamesOf(em: EntityManager, organizationId: string, fullNames: string[]): Promise<Set<string>> {
  const rows: { full_name: string }[] = await sqlRows(em, 'select full_name from "group" where organization_id = ? and full_name = any(?::text[])', [organizationId, fullNames]);
  return new Set(rows.map((row) => row.full_name));
}

/** Every nesting of the organisation as full names (group, nested group): what an import checks new nestings against for cycles. */
export async function nestingsOf(em: EntityManager, organizationId: string): Promise<[string, string][]> {
  const rows: { group: string; nested: string }[] = await sqlRows(em,
    `select g.full_name as group, ng.full_name as nested from group_nesting n
       join "group" g on g.id = n.group_id join "group" ng on ng.id = n.nested_group_id where n.organization_id = ?`,
    [organizationId],
  );
  return rows.map((row) => [row.group, row.nested]);
}

/**
 * The organisation's population as a document (export): its units, every person with all Ferry's
 * JSON format carries, and every group Ferry does not maintain itself, with its nestings.
 */
export async function population(em: EntityManager, organizationId: string, matchBy: string): Promise<Required<Pick<PopulationDocument, 'units' | 'people' | 'groups'>>> {
  const people = await existingPeople(em, await personIdsOf(em, organizationId), matchBy, { full: true });
  const keyOf = new Map([...people.values()].map((person) => [person.id, person.key]));
  const groups = [...(await existingGroups(em, organizationId, null)).values()].filter((group) => !group.automatic);
  const units = [...(await existingUnits(em, organizationId)).values()];
  return {
    units: units.map(({ id, name, description, parent }) => ({ source: id, name, description, parent })),
    people: [...people.values()].map((person) => ({
      source: person.id,
      key: person.key,
      status: person.status,
      names: person.names,
      otherNames: person.otherNames,
      emailAddresses: person.emailAddresses,
      identifiers: person.identifiers,
      urls: person.urls,
      roles: person.roles,
      dateOfBirth: person.dateOfBirth,
      timezone: person.timezone,
    })),
    groups: groups.map((group) => ({
      source: group.id,
      fullName: group.fullName,
      description: group.description,
      members: [...group.direct].filter(([, row]) => row.member).map(([personId]) => keyOf.get(personId) || `(no ${matchBy}: ${personId})`),
      owners: [...group.direct].filter(([, row]) => row.owner).map(([personId]) => keyOf.get(personId) || `(no ${matchBy}: ${personId})`),
      nestedGroups: [...group.nested.keys()],
      validity: [...group.direct]
        .filter(([, row]) => row.validFrom !== null || row.validThrough !== null)
        .map(([personId, row]) => ({ key: keyOf.get(personId) || `(no ${matchBy}: ${personId})`, validFrom: row.validFrom, validThrough: row.validThrough })),
    })),
  };
}
