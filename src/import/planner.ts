import type { EntityManager } from '@mikro-orm/postgresql';
import { SYSTEM_ROOT } from '../registry/groups/automatic-groups';
import { NameType } from '../registry/enums';
import type { ImportedGroup, ImportedName, ImportedPerson, ImportedRole, ImportedUnit, PopulationDocument, RefusedRecord } from './document';
import {
  existingGroups,
  existingPeople,
  existingUnits,
  groupNamesOf,
  identifierHolders,
  identifierKey,
  nestingsOf,
  personIdsByKey,
  personIdsOf,
  type ExistingGroup,
  type ExistingPerson,
  type ExistingUnit,
} from './queries';

export interface ImportOptions {
  matchBy: string;
  removeMissing: boolean;
}

/** A person the import creates (`existing` null) or changes, with what changes. */
export interface PersonStep {
  person: ImportedPerson;
  existing: ExistingPerson | null;
  changes: string[];
}

export interface UnitStep {
  unit: ImportedUnit;
  existing: ExistingUnit | null;
  changes: string[];
}

/** A nesting the import adds or (removeMissing) removes: `nested`'s members become `fullName`'s. */
export interface NestingStep {
  fullName: string;
  nested: string;
  action: 'add' | 'remove';
  /** The nesting, when it exists. */
  nestingId: string | null;
}

export interface GroupStep {
  group: ImportedGroup;
  existing: ExistingGroup | null;
  changes: string[];
}

/** A direct membership row the import adds, changes or (removeMissing) removes. */
export interface MembershipStep {
  fullName: string;
  key: string;
  personId: string | null;
  member: boolean;
  owner: boolean;
  /** The row's validity window (ISO 8601 instants). */
  validFrom: string | null;
  validThrough: string | null;
  /** The row, when it exists. */
  rowId: string | null;
  action: 'add' | 'update' | 'remove';
}

/** What an import will do, decided before anything is written (a dry run stops here). */
export interface ImportPlan {
  /** Units to create (parents before children) or change. */
  units: { create: UnitStep[]; update: UnitStep[]; unchanged: number };
  people: {
    create: PersonStep[];
    update: PersonStep[];
    unchanged: number;
    remove: ExistingPerson[];
    /** removeMissing was asked for, but the file has refused records: nobody is removed. */
    removalsSkipped: boolean;
  };
  groups: { create: GroupStep[]; update: GroupStep[]; unchanged: number };
  memberships: { steps: MembershipStep[]; unchanged: number };
  nestings: { steps: NestingStep[]; unchanged: number };
  refused: RefusedRecord[];
}

/**
 * Compares the document with the organisation: people by their `matchBy` identifier, groups by
 * full name, memberships of the groups that list them. The file is authoritative for what it
 * carries: the primary name, the e-mail addresses, the values of the identifier types it gives,
 * status, affiliation and title of the first role, a group's description and, when it lists them,
 * its members and owners. What it does not carry is left alone, and what Ferry has beyond it too,
 * unless `removeMissing`: then people of the organisation missing from the file become DELETED and
 * direct memberships of the listed groups missing from the file are removed.
 */
export async function planImport(em: EntityManager, organizationId: string, document: PopulationDocument, options: ImportOptions): Promise<ImportPlan> {
  const refused = [...document.refused];
  const keys = document.people.map((person) => person.key);
  const matched = await personIdsByKey(em, organizationId, options.matchBy, keys);
  // What only Ferry's JSON format carries is read only when the file carries it.
  const full = document.people.some((person) => person.roles || person.otherNames || person.dateOfBirth !== undefined || person.timezone !== undefined);
  const current = await existingPeople(em, [...matched.values()], options.matchBy, { full });
  // An identifier the file gives a person may be another person's already: that person is refused.
  const holders = await identifierHolders(em, organizationId, document.people.flatMap((person) => person.identifiers));
  const plan: ImportPlan = {
    units: { create: [], update: [], unchanged: 0 },
    people: { create: [], update: [], unchanged: 0, remove: [], removalsSkipped: false },
    groups: { create: [], update: [], unchanged: 0 },
    memberships: { steps: [], unchanged: 0 },
    nestings: { steps: [], unchanged: 0 },
    refused,
  };
  const units = await planUnits(em, organizationId, document.units, plan);
  const accepted = new Set<string>();
  // Identifiers are unique in the organisation: two people of the file may not share one either.
  const inFile = new Map<string, string>();
  for (const person of document.people) {
    const existing = current.get(matched.get(person.key) ?? '') ?? null;
    const taken = person.identifiers.find((identifier) => {
      const holder = holders.get(identifierKey(identifier.type, identifier.value));
      return holder !== undefined && holder !== existing?.id;
    });
    if (taken) {
      refused.push({ source: person.source, code: 'DUPLICATE_KEY', reason: `identifier ${taken.type} ${taken.value} belongs to another person of the organisation` });
      continue;
    }
    const unknownUnit = person.roles?.find((role) => role.unit !== null && !units.has(role.unit));
    if (unknownUnit) {
      refused.push({ source: person.source, code: 'INVALID_VALUE', reason: `unit ${unknownUnit.unit} is no unit of the file or of the organisation` });
      continue;
    }
    const shared = person.identifiers.find((identifier) => inFile.has(identifierKey(identifier.type, identifier.value)));
    if (shared) {
      const first = inFile.get(identifierKey(shared.type, shared.value));
      refused.push({ source: person.source, code: 'DUPLICATE_KEY', reason: `identifier ${shared.type} ${shared.value} is already ${first}'s in this file` });
      continue;
    }
    for (const identifier of person.identifiers) inFile.set(identifierKey(identifier.type, identifier.value), person.source);
    accepted.add(person.key);
    if (!existing) {
      plan.people.create.push({ person, existing: null, changes: ['created'] });
      continue;
    }
    const changes = personChanges(person, existing);
    if (changes.length > 0) plan.people.update.push({ person, existing, changes });
    else plan.people.unchanged += 1;
  }
  // A refused record may be a person of the organisation whose row has a typo: removing "the
  // people missing from the file" would then delete them. Nobody is removed from such a file.
  plan.people.removalsSkipped = options.removeMissing && refused.some((record) => record.code !== 'UNKNOWN_MEMBER');
  if (options.removeMissing && !plan.people.removalsSkipped) {
    const kept = new Set([...matched.entries()].filter(([key]) => accepted.has(key)).map(([, id]) => id));
    const missing = (await personIdsOf(em, organizationId)).filter((id) => !kept.has(id));
    for (const person of (await existingPeople(em, missing, options.matchBy)).values()) {
      if (person.status !== 'DELETED') plan.people.remove.push(person);
    }
  }
  await planGroups(em, organizationId, document, accepted, options, plan, units);
  return plan;
}

/**
 * Units of the file (matched by name) to create, parents first, or to change (description,
 * parent); a unit whose parent is neither in the file nor in the organisation, or whose parent
 * would make a cycle, is refused. Units of the organisation missing from the file are left alone.
 * Returns the names of every unit there will be.
 */
async function planUnits(em: EntityManager, organizationId: string, units: ImportedUnit[] | undefined, plan: ImportPlan): Promise<Set<string>> {
  const existing = await existingUnits(em, organizationId);
  const known = new Set(existing.keys());
  if (!units) return known;
  const inFile = new Map(units.map((unit) => [unit.name, unit]));
  const parentOf = (name: string) => (inFile.has(name) ? inFile.get(name)!.parent : existing.get(name)?.parent ?? null);
  const accepted = new Map<string, ImportedUnit>();
  for (const unit of units) {
    const seen = new Set([unit.name]);
    let refusal: string | null = null;
    for (let parent = unit.parent; parent !== null && !refusal; parent = parentOf(parent)) {
      if (!inFile.has(parent) && !existing.has(parent)) refusal = `parent unit ${parent} is no unit of the file or of the organisation`;
      else if (seen.has(parent)) refusal = `unit ${unit.name} would be its own ancestor (through ${parent})`;
      else seen.add(parent);
    }
    if (refusal) plan.refused.push({ source: unit.source, code: 'INVALID_VALUE', reason: refusal });
    else accepted.set(unit.name, unit);
  }
  // Parents first; a unit whose parent was refused is refused too.
  const ordered: ImportedUnit[] = [];
  const visit = (unit: ImportedUnit): boolean => {
    if (ordered.includes(unit)) return true;
    if (unit.parent !== null && inFile.has(unit.parent)) {
      const parent = accepted.get(unit.parent);
      if (!parent || !visit(parent)) {
        accepted.delete(unit.name);
        plan.refused.push({ source: unit.source, code: 'INVALID_VALUE', reason: `its parent unit ${unit.parent} was refused` });
        return false;
      }
    }
    ordered.push(unit);
    return true;
  };
  for (const unit of [...accepted.values()]) if (accepted.has(unit.name)) visit(unit);
  for (const unit of ordered) {
    known.add(unit.name);
    const current = existing.get(unit.name) ?? null;
    if (!current) {
      plan.units.create.push({ unit, existing: null, changes: ['created'] });
      continue;
    }
    const changes = [...(unit.description !== current.description ? ['description'] : []), ...(unit.parent !== current.parent ? ['parent'] : [])];
    if (changes.length > 0) plan.units.update.push({ unit, existing: current, changes });
    else plan.units.unchanged += 1;
  }
  return known;
}

const NO_WINDOW = { validFrom: null, validThrough: null } as const;

async function planGroups(em: EntityManager, organizationId: string, document: PopulationDocument, people: Set<string>, options: ImportOptions, plan: ImportPlan, units: Set<string>): Promise<void> {
  const groups = document.groups.filter((group) => {
    if (group.fullName === SYSTEM_ROOT || group.fullName.startsWith(`${SYSTEM_ROOT}:`) || group.fullName.split(':').some((part) => part.trim() === '')) {
      plan.refused.push({
        source: group.source,
        code: 'UNSUPPORTED',
        reason: group.fullName.startsWith(SYSTEM_ROOT)
          ? `${group.fullName} is an automatic group Ferry maintains itself`
          : `${group.fullName} is not a valid full name (folders and name separated by ":", none empty; a name without ":" is a group at the root)`,
      });
      return false;
    }
    return true;
  });
  const existing = await existingGroups(em, organizationId, groups.map((group) => group.fullName));
  // Keys of people neither in the file nor yet in the organisation refuse their membership only.
  const listed = [...new Set(groups.flatMap((group) => [...(group.members ?? []), ...(group.owners ?? [])]))];
  const registered = await personIdsByKey(em, organizationId, options.matchBy, listed);
  for (const group of groups) {
    const current = existing.get(group.fullName) ?? null;
    if (!current) plan.groups.create.push({ group, existing: null, changes: ['created'] });
    else if (group.description !== undefined && (group.description ?? null) !== current.description) {
      plan.groups.update.push({ group, existing: current, changes: ['description'] });
    } else plan.groups.unchanged += 1;
    if (!group.members && !group.owners) continue;
    const wanted = new Map<string, { member: boolean; owner: boolean }>();
    for (const [role, keys] of [['member', group.members ?? []], ['owner', group.owners ?? []]] as const) {
      for (const key of keys) {
        if (!people.has(key) && !registered.has(key)) {
          plan.refused.push({ source: group.source, code: 'UNKNOWN_MEMBER', reason: `${group.fullName}: ${options.matchBy} ${key} is no person of the file or of the organisation` });
          continue;
        }
        const entry = wanted.get(key) ?? { member: false, owner: false };
        entry[role] = true;
        wanted.set(key, entry);
      }
    }
    const windows = new Map(group.validity?.map((window) => [window.key, window]));
    for (const key of windows.keys()) {
      if (wanted.has(key)) continue;
      plan.refused.push({ source: group.source, code: 'INVALID_VALUE', reason: `${group.fullName}: a validity window for ${options.matchBy} ${key}, who is neither listed as member nor as owner` });
    }
    const seen = new Set<string>();
    for (const [key, roles] of wanted) {
      const personId = registered.get(key) ?? null;
      const row = personId ? current?.direct.get(personId) : undefined;
      if (personId) seen.add(personId);
      // A file listing members (or owners) says all of them: a role it does not list goes only with removeMissing.
      const member = roles.member || (row?.member === true && (!group.members || !options.removeMissing));
      const owner = roles.owner || (row?.owner === true && (!group.owners || !options.removeMissing));
      // A file giving validity windows gives all of them; one that does not leaves them alone.
      const window = group.validity ? (windows.get(key) ?? NO_WINDOW) : (row ?? NO_WINDOW);
      const step = { fullName: group.fullName, key, personId, member, owner, validFrom: window.validFrom, validThrough: window.validThrough };
      if (!row) plan.memberships.steps.push({ ...step, rowId: null, action: 'add' });
      else if (row.member !== member || row.owner !== owner || row.validFrom !== step.validFrom || row.validThrough !== step.validThrough) {
        plan.memberships.steps.push({ ...step, rowId: row.id, action: 'update' });
      } else plan.memberships.unchanged += 1;
    }
    if (!options.removeMissing || !current) continue;
    for (const [personId, row] of current.direct) {
      if (seen.has(personId)) continue;
      const member = row.member && !group.members;
      const owner = row.owner && !group.owners;
      if (member || owner) {
        const step = { fullName: group.fullName, key: personId, personId, member, owner, validFrom: row.validFrom, validThrough: row.validThrough, rowId: row.id };
        if (member !== row.member || owner !== row.owner) plan.memberships.steps.push({ ...step, action: 'update' });
        else plan.memberships.unchanged += 1;
      } else plan.memberships.steps.push({ fullName: group.fullName, key: personId, personId, member: false, owner: false, validFrom: null, validThrough: null, rowId: row.id, action: 'remove' });
    }
  }
  await planNestings(em, organizationId, groups, existing, options, plan, units);
}

/**
 * The nestings of the groups that list them: a nested group must be a group of the file, of the
 * organisation, or an automatic group of a unit the import creates; one that would make a cycle
 * is refused. Nestings the file does not list are removed only with removeMissing.
 */
async function planNestings(
  em: EntityManager,
  organizationId: string,
  groups: ImportedGroup[],
  existing: Map<string, ExistingGroup>,
  options: ImportOptions,
  plan: ImportPlan,
  units: Set<string>,
): Promise<void> {
  const listing = groups.filter((group) => group.nestedGroups);
  if (listing.length === 0) return;
  const named = [...new Set(listing.flatMap((group) => group.nestedGroups!))];
  const inOrganization = await groupNamesOf(em, organizationId, named);
  const automatic = (name: string) => [...units].some((unit) => [`admins`, `members:all`, `members:active`].some((group) => name === `${SYSTEM_ROOT}:COU:${unit}:${group}`));
  const known = (name: string) => inOrganization.has(name) || groups.some((group) => group.fullName === name) || automatic(name);
  // The nesting graph (group -> nested groups), to refuse a cycle before anything is written.
  const graph = new Map<string, Set<string>>();
  const edge = (from: string, to: string) => graph.set(from, (graph.get(from) ?? new Set()).add(to));
  for (const [from, to] of await nestingsOf(em, organizationId)) edge(from, to);
  const reaches = (from: string, to: string): boolean => {
    const stack = [from];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const name = stack.pop()!;
      if (name === to) return true;
      if (seen.has(name)) continue;
      seen.add(name);
      stack.push(...(graph.get(name) ?? []));
    }
    return false;
  };
  for (const group of listing) {
    const current = existing.get(group.fullName)?.nested ?? new Map<string, string>();
    for (const nested of new Set(group.nestedGroups)) {
      if (current.has(nested)) {
        plan.nestings.unchanged += 1;
        continue;
      }
      let refusal: string | null = null;
      if (!known(nested)) refusal = `${group.fullName}: nested group ${nested} is no group of the file or of the organisation`;
      else if (reaches(nested, group.fullName)) refusal = `${group.fullName}: nesting ${nested} in it would make a cycle`;
      if (refusal) {
        plan.refused.push({ source: group.source, code: refusal.includes('cycle') ? 'INVALID_VALUE' : 'UNKNOWN_MEMBER', reason: refusal });
        continue;
      }
      edge(group.fullName, nested);
      plan.nestings.steps.push({ fullName: group.fullName, nested, action: 'add', nestingId: null });
    }
    if (!options.removeMissing) continue;
    for (const [nested, nestingId] of current) {
      if (!group.nestedGroups!.includes(nested)) plan.nestings.steps.push({ fullName: group.fullName, nested, action: 'remove', nestingId });
    }
  }
}

/** What the file changes on an existing person (field names, for the report). */
export function personChanges(person: ImportedPerson, existing: ExistingPerson): string[] {
  const changes: string[] = [];
  if (person.status && person.status !== existing.status) changes.push('status');
  const name = person.names[0];
  const current = existing.names[0];
  // A field the file leaves out (undefined: a language in a CSV) is not compared.
  const differs = (field: (typeof NAME_FIELDS)[number]) => name[field] !== undefined || field !== 'language' ? (name[field] ?? null) !== (current![field] ?? null) : false;
  if (name && (!current || NAME_FIELDS.some(differs) || (name.type && name.type !== current.type))) {
    changes.push('name');
  }
  if (person.emailAddresses.length > 0 && !sameList(person.emailAddresses.map((e) => e.mail), existing.emailAddresses.map((e) => e.mail))) changes.push('emailAddresses');
  const types = new Set(person.identifiers.map((identifier) => identifier.type));
  const valuesOf = (list: { type: string; value: string }[]) => list.filter((i) => types.has(i.type)).map((i) => identifierKey(i.type, i.value));
  if (!sameList(valuesOf(person.identifiers), valuesOf(existing.identifiers))) changes.push('identifiers');
  if (person.affiliation && person.affiliation !== existing.affiliation) changes.push('affiliation');
  if (person.title !== undefined && (person.title ?? null) !== (existing.title ?? null) && (person.affiliation || existing.firstRoleId)) changes.push('title');
  if (person.urls && !sameList(person.urls.map((u) => u.url), (existing.urls ?? []).map((u) => u.url))) changes.push('urls');
  if (person.otherNames && !sameList(person.otherNames.map(nameKey), (existing.otherNames ?? []).map(nameKey))) changes.push('otherNames');
  if (person.roles && JSON.stringify(person.roles.map(roleKey)) !== JSON.stringify((existing.roles ?? []).map(roleKey))) changes.push('roles');
  if (person.dateOfBirth !== undefined && (person.dateOfBirth ?? null) !== (existing.dateOfBirth ?? null)) changes.push('dateOfBirth');
  if (person.timezone !== undefined && (person.timezone ?? null) !== (existing.timezone ?? null)) changes.push('timezone');
  return changes;
}

const NAME_FIELDS = ['given', 'family', 'middle', 'honorific', 'suffix', 'language'] as const;

/** A name as one comparable value. */
export const nameKey = (name: ImportedName) =>
  JSON.stringify([name.type ?? NameType.OFFICIAL, ...NAME_FIELDS.map((field) => name[field] ?? null)]);

/** A role's addresses, telephone numbers and ad hoc attributes, each list as one comparable value. */
export const roleRecordKeys = {
  addresses: (role: ImportedRole) => JSON.stringify(role.addresses.map((a) => [a.type, a.street, a.room, a.locality, a.state, a.postalCode, a.country, a.language])),
  telephoneNumbers: (role: ImportedRole) => JSON.stringify(role.telephoneNumbers.map((t) => [t.type, t.countryCode, t.areaCode, t.number, t.extension])),
  attributes: (role: ImportedRole) => JSON.stringify(role.attributes.map((a) => [a.tag, a.value])),
};

/** A role with its records as one comparable value (its fields in a fixed order). */
export const roleKey = (role: ImportedRole) => [
  role.unit, role.status, role.affiliation, role.title, role.o, role.ou, role.validFrom, role.validThrough,
  roleRecordKeys.addresses(role), roleRecordKeys.telephoneNumbers(role), roleRecordKeys.attributes(role),
];

function sameList(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const sorted = [...b].sort();
  return [...a].sort().every((value, i) => value === sorted[i]);
}
