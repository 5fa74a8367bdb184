import type { EntityManager } from '@mikro-orm/postgresql';
import { SYSTEM_ROOT } from '../registry/groups/automatic-group.service';
import type { ImportedGroup, ImportedPerson, PopulationDocument, RefusedRecord } from './document';
import { existingGroups, existingPeople, identifierHolders, identifierKey, personIdsByKey, personIdsOf, type ExistingGroup, type ExistingPerson } from './queries';

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
  /** The row, when it exists. */
  rowId: string | null;
  action: 'add' | 'update' | 'remove';
}

/** What an import will do, decided before anything is written (a dry run stops here). */
export interface ImportPlan {
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
  const current = await existingPeople(em, [...matched.values()], options.matchBy);
  // An identifier the file gives a person may be another person's already: that person is refused.
  const holders = await identifierHolders(em, organizationId, document.people.flatMap((person) => person.identifiers));
  const plan: ImportPlan = {
    people: { create: [], update: [], unchanged: 0, remove: [], removalsSkipped: false },
    groups: { create: [], update: [], unchanged: 0 },
    memberships: { steps: [], unchanged: 0 },
    refused,
  };
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
  await planGroups(em, organizationId, document, accepted, options, plan);
  return plan;
}

async function planGroups(em: EntityManager, organizationId: string, document: PopulationDocument, people: Set<string>, options: ImportOptions, plan: ImportPlan): Promise<void> {
  const groups = document.groups.filter((group) => {
    if (group.fullName === SYSTEM_ROOT || group.fullName.startsWith(`${SYSTEM_ROOT}:`) || group.fullName.split(':').some((part) => part.trim() === '')) {
      plan.refused.push({
        source: group.source,
        code: 'UNSUPPORTED',
        reason: group.fullName.startsWith(SYSTEM_ROOT)
          ? `${group.fullName} is an automatic group Ferry maintains itself`
          : `${group.fullName} is not a valid full name (folders and name separated by ":", none empty)`,
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
    const seen = new Set<string>();
    for (const [key, roles] of wanted) {
      const personId = registered.get(key) ?? null;
      const row = personId ? current?.direct.get(personId) : undefined;
      if (personId) seen.add(personId);
      // A file listing members (or owners) says all of them: a role it does not list goes only with removeMissing.
      const member = roles.member || (row?.member === true && (!group.members || !options.removeMissing));
      const owner = roles.owner || (row?.owner === true && (!group.owners || !options.removeMissing));
      if (!row) plan.memberships.steps.push({ fullName: group.fullName, key, personId, member, owner, rowId: null, action: 'add' });
      else if (row.member !== member || row.owner !== owner) plan.memberships.steps.push({ fullName: group.fullName, key, personId, member, owner, rowId: row.id, action: 'update' });
      else plan.memberships.unchanged += 1;
    }
    if (!options.removeMissing || !current) continue;
    for (const [personId, row] of current.direct) {
      if (seen.has(personId)) continue;
      const member = row.member && !group.members;
      const owner = row.owner && !group.owners;
      if (member || owner) {
        if (member !== row.member || owner !== row.owner) plan.memberships.steps.push({ fullName: group.fullName, key: personId, personId, member, owner, rowId: row.id, action: 'update' });
        else plan.memberships.unchanged += 1;
      } else plan.memberships.steps.push({ fullName: group.fullName, key: personId, personId, member: false, owner: false, rowId: row.id, action: 'remove' });
    }
  }
}

/** What the file changes on an existing person (field names, for the report). */
export function personChanges(person: ImportedPerson, existing: ExistingPerson): string[] {
  const changes: string[] = [];
  if (person.status && person.status !== existing.status) changes.push('status');
  const name = person.names[0];
  const current = existing.names[0];
  if (name && (!current || NAME_FIELDS.some((field) => (name[field] ?? null) !== (current[field] ?? null)) || (name.type && name.type !== current.type))) {
    changes.push('name');
  }
  if (person.emailAddresses.length > 0 && !sameList(person.emailAddresses.map((e) => e.mail), existing.emailAddresses.map((e) => e.mail))) changes.push('emailAddresses');
  const types = new Set(person.identifiers.map((identifier) => identifier.type));
  const valuesOf = (list: { type: string; value: string }[]) => list.filter((i) => types.has(i.type)).map((i) => identifierKey(i.type, i.value));
  if (!sameList(valuesOf(person.identifiers), valuesOf(existing.identifiers))) changes.push('identifiers');
  if (person.affiliation && person.affiliation !== existing.affiliation) changes.push('affiliation');
  if (person.title !== undefined && (person.title ?? null) !== (existing.title ?? null) && (person.affiliation || existing.firstRoleId)) changes.push('title');
  if (person.urls && !sameList(person.urls.map((u) => u.url), (existing.urls ?? []).map((u) => u.url))) changes.push('urls');
  return changes;
}

const NAME_FIELDS = ['given', 'family', 'middle', 'honorific', 'suffix'] as const;

const sameList = (a: string[], b: string[]) => a.length === b.length && [...a].sort().every((value, i) => value === [...b].sort()[i]);
