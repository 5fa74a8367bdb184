import { ref, type EntityClass } from '@mikro-orm/core';
import { insertNewRecords, newRecord } from '../changelog/record-writer';
import type { EntityManager } from '@mikro-orm/postgresql';
import { v7 as uuidv7 } from 'uuid';
import { sqlRows } from '../db/sql';
import { inWriteTransaction } from '../db/transaction';
import { GroupMembership } from '../registry/groups/group-membership.entity';
import { GroupNesting } from '../registry/groups/group-nesting.entity';
import { Group } from '../registry/groups/group.entity';
import type { Memberships } from '../registry/groups/memberships';
import { EmailType, GroupType, NameType, PersonStatus, RecordStatus, UrlType } from '../registry/enums';
import { Folder } from '../registry/groups/folder.entity';
import { EmailAddress } from '../registry/people/email-address.entity';
import { Identifier } from '../registry/people/identifier.entity';
import { Name } from '../registry/people/name.entity';
import { Person } from '../registry/people/person.entity';
import { PersonRole } from '../registry/people/person-role.entity';
import { Url } from '../registry/people/url.entity';
import { belongsInAutomaticGroup, type AutomaticGroups } from '../registry/groups/automatic-groups';
import { Cou } from '../registry/organizations/cou.entity';
import { Organization } from '../registry/organizations/organization.entity';
import { AdHocAttribute } from '../registry/people/ad-hoc-attribute.entity';
import { Address } from '../registry/people/address.entity';
import type { RoleAttribute } from '../registry/people/role-attribute';
import { TelephoneNumber } from '../registry/people/telephone-number.entity';
import type { ImportedName, ImportedPerson, ImportedRole } from './document';
import { nameKey, roleRecordKeys, type ImportPlan, type MembershipStep, type NestingStep, type PersonStep, type UnitStep } from './planner';
import { existingUnits, identifierKey, personIdsByKey, type ExistingPerson, type ExistingUnit } from './queries';

/** One thing an import writes. */
type Step =
  | { kind: 'unit'; step: UnitStep }
  | { kind: 'create'; person: ImportedPerson }
  | { kind: 'update'; step: PersonStep }
  | { kind: 'remove'; personId: string }
  | { kind: 'group'; fullName: string; description: string | null | undefined }
  | { kind: 'membership'; step: MembershipStep }
  | { kind: 'nesting'; step: NestingStep };

/** Steps written per transaction: each chunk commits with its change-log entries, then the next. */
export const IMPORT_CHUNK_SIZE = 200;

/** Where an import stands after a chunk (for its progress). */
export interface ApplyProgress {
  /** Steps done, counted over people (create, update, remove), then groups, then memberships. */
  done: number;
  total: number;
}

/**
 * Writes an import plan in chunks of IMPORT_CHUNK_SIZE steps, each chunk one registry write
 * transaction (so each change is in the change log, and provisioning follows as for any write):
 * people first (a person with all their records in one chunk: never half a person), then groups
 * (their folders created as needed), then memberships. `onChunk` is told after each commit and
 * stops the run by answering false. A run taken over after a crash plans again: what the chunks
 * before the crash wrote now matches, so it is not written twice.
 */
export class ImportApplier {
  constructor(
    private readonly automaticGroups: AutomaticGroups,
    private readonly memberships: Memberships,
  ) {}

  async apply(
    em: EntityManager,
    organizationId: string,
    matchBy: string,
    plan: ImportPlan,
    actorTokenId: string | null,
    onChunk: (progress: ApplyProgress) => Promise<boolean>,
  ): Promise<void> {
    // Every step in the order it is written; a chunk writes its steps kind by kind, in this order.
    const steps: Step[] = [
      ...[...plan.units.create, ...plan.units.update].map((step): Step => ({ kind: 'unit', step })),
      ...plan.people.create.map((step): Step => ({ kind: 'create', person: step.person })),
      ...plan.people.update.map((step): Step => ({ kind: 'update', step })),
      ...plan.people.remove.map((person): Step => ({ kind: 'remove', personId: person.id })),
      ...[...plan.groups.create, ...plan.groups.update].map((step): Step => ({ kind: 'group', fullName: step.group.fullName, description: step.group.description })),
      ...plan.memberships.steps.map((step): Step => ({ kind: 'membership', step })),
      ...plan.nestings.steps.map((step): Step => ({ kind: 'nesting', step })),
    ];
    for (let done = 0; done < steps.length; ) {
      const chunk = steps.slice(done, done + IMPORT_CHUNK_SIZE);
      await inWriteTransaction(em.fork(), actorTokenId, async (tx) => {
        const of = <K extends Step['kind']>(kind: K) => chunk.filter((step): step is Extract<Step, { kind: K }> => step.kind === kind);
        await this.writeUnits(tx, organizationId, of('unit').map(({ step }) => step));
        await this.createPeople(tx, organizationId, of('create').map((step) => step.person));
        for (const { step } of of('update')) await this.updatePerson(tx, step, matchBy);
        for (const { personId } of of('remove')) await this.setStatus(tx, personId, PersonStatus.DELETED);
        await this.writeGroups(tx, organizationId, of('group'));
        await tx.flush();
        const memberships = of('membership').map(({ step }) => step);
        if (memberships.length > 0) await this.writeMemberships(tx, organizationId, matchBy, memberships);
        await this.writeNestings(tx, organizationId, of('nesting').map(({ step }) => step));
      });
      done += chunk.length;
      if (!(await onChunk({ done, total: steps.length }))) return;
    }
  }

  /**
   * New people with all their records (names, e-mail addresses, identifiers, URLs, roles with
   * their addresses, telephone numbers and ad hoc attributes) and their automatic memberships (the
   * organisation's and their units' members groups, as AutomaticGroups decides them), each
   * record with its change-log entry, in one statement for the whole chunk (insertNewRecords; no
   * unit of work).
   */
  private async createPeople(em: EntityManager, organizationId: string, people: ImportedPerson[]): Promise<void> {
    if (people.length === 0) return;
    const organization = organizationId;
    const units = people.some((person) => person.roles?.some((role) => role.unit !== null)) ? await existingUnits(em, organizationId) : new Map<string, ExistingUnit>();
    const created = people.map((imported) => {
      const status = imported.status ?? PersonStatus.ACTIVE;
      const roles = (imported.roles ?? (imported.affiliation ? [firstRole(imported, status)] : [])).map((role, order) => ({
        id: uuidv7(), role, order, couId: role.unit === null ? null : units.get(role.unit)!.id,
      }));
      return { id: uuidv7(), imported, status, roles };
    });
    type Created = (typeof created)[number];
    const of = <T extends object>(entity: EntityClass<T>, records: (person: Created) => Record<string, unknown>[]) =>
      created.flatMap((person) => records(person).map((record) => newRecord(em, entity, { organization, person: person.id, ...record })));
    const ofRoles = <T extends object>(entity: EntityClass<T>, records: (role: ImportedRole) => object[]) =>
      of(entity, ({ roles }) => roles.flatMap(({ id, role }) => records(role).map((record) => ({ ...record, role: id }))));
    const groups = await em.find(Group, { organization: organizationId, type: { $in: [GroupType.MEMBERS_ALL, GroupType.MEMBERS_ACTIVE] } });
    await insertNewRecords(em, [
      ...created.map(({ id, status, imported }) => newRecord(em, Person, { id, organization, status, dateOfBirth: imported.dateOfBirth, timezone: imported.timezone })),
      ...of(Name, ({ imported }) => [
        ...imported.names.slice(0, 1).map((name) => ({ ...name, type: name.type ?? NameType.OFFICIAL, primary: true })),
        ...(imported.otherNames ?? []).map((name) => ({ ...name, type: name.type ?? NameType.OFFICIAL, primary: false })),
      ]),
      ...of(EmailAddress, ({ imported }) => imported.emailAddresses.map((email) => ({ ...email, type: email.type ?? EmailType.OFFICIAL, verified: email.verified ?? false }))),
      ...of(Identifier, ({ imported }) => imported.identifiers.map((identifier) => ({ ...identifier, status: RecordStatus.ACTIVE, login: identifier.login ?? false }))),
      ...of(PersonRole, ({ roles }) => roles.map(({ id, role, order, couId }) => ({ id, ...roleFields(role), order, cou: couId }))),
      ...ofRoles(Address, (role) => role.addresses),
      ...ofRoles(TelephoneNumber, (role) => role.telephoneNumbers),
      ...ofRoles(AdHocAttribute, (role) => role.attributes),
      ...of(Url, ({ imported }) => (imported.urls ?? []).map((url) => ({ ...url, type: url.type ?? UrlType.OFFICIAL }))),
      ...groups.flatMap((group) =>
        created
          .filter(({ status, roles }) => belongsInAutomaticGroup({ type: group.type, couId: group.cou?.id ?? null }, status, roles.map(({ role, couId }) => ({ couId, status: role.status }))))
          .map((person) => newRecord(em, GroupMembership, { organization, group: group.id, person: person.id, member: true, owner: false })),
      ),
    ], { track: false });
    await this.propagate(em, groups.map((group) => group.id));
  }

  private async updatePerson(em: EntityManager, step: PersonStep, matchBy: string): Promise<void> {
    const { person: imported } = step;
    const existing = step.existing!;
    const person = await em.findOneOrFail(Person, existing.id);
    const changes = new Set(step.changes);
    if (changes.has('name')) {
      const name = existing.primaryNameId ? await em.findOneOrFail(Name, existing.primaryNameId) : new Name();
      em.persist(this.name(name, person, imported.names[0], true));
    }
    if (changes.has('otherNames')) {
      const wanted = new Map(imported.otherNames!.map((name) => [nameKey(name), name]));
      for (const name of await em.find(Name, { person: person.id, id: { $ne: existing.primaryNameId } })) {
        if (!wanted.delete(nameKey(name))) em.remove(name);
      }
      for (const fields of wanted.values()) em.persist(this.name(new Name(), person, fields, false));
    }
    if (changes.has('emailAddresses')) {
      const wanted = new Set(imported.emailAddresses.map((email) => email.mail));
      // Loaded before they are removed: the change log records what a deleted record belonged to.
      const gone = [...existing.emailIds].filter(([mail]) => !wanted.has(mail)).map(([, id]) => id);
      if (gone.length > 0) em.remove(await em.find(EmailAddress, { id: { $in: gone } }));
      for (const fields of imported.emailAddresses) if (!existing.emailIds.has(fields.mail)) em.persist(this.attribute(new EmailAddress(), person, fields));
    }
    if (changes.has('identifiers')) {
      // For the types the file gives: its values, no others (the matchBy value is the match itself).
      const types = new Set(imported.identifiers.map((identifier) => identifier.type));
      const wanted = new Set(imported.identifiers.map((identifier) => identifierKey(identifier.type, identifier.value)));
      const gone = [...existing.identifierIds].filter(([key]) => {
        const [type] = key.split('\u0000');
        return types.has(type) && type !== matchBy && !wanted.has(key);
      });
      if (gone.length > 0) em.remove(await em.find(Identifier, { id: { $in: gone.map(([, id]) => id) } }));
      for (const fields of imported.identifiers) {
        if (existing.identifierIds.has(identifierKey(fields.type, fields.value))) continue;
        const identifier = Object.assign(new Identifier(), { type: fields.type, value: fields.value, login: fields.login ?? false, status: RecordStatus.ACTIVE });
        identifier.organization = person.organization;
        identifier.person = ref(person);
        em.persist(identifier);
      }
    }
    if (changes.has('affiliation') || changes.has('title')) {
      const role = existing.firstRoleId ? await em.findOneOrFail(PersonRole, existing.firstRoleId) : this.attribute(new PersonRole(), person, {});
      if (imported.affiliation) role.affiliation = imported.affiliation;
      if (imported.title !== undefined) role.title = imported.title ?? null;
      em.persist(role);
    }
    if (changes.has('roles')) await this.writeRoles(em, person, imported.roles!, existing);
    if (changes.has('urls')) {
      const wanted = new Set((imported.urls ?? []).map((url) => url.url));
      const current = await em.find(Url, { person: person.id });
      for (const url of current) if (!wanted.has(url.url)) em.remove(url);
      const have = new Set(current.map((url) => url.url));
      for (const fields of imported.urls ?? []) if (!have.has(fields.url)) em.persist(this.attribute(new Url(), person, clean(fields)));
    }
    if (changes.has('dateOfBirth')) person.dateOfBirth = imported.dateOfBirth ?? null;
    if (changes.has('timezone')) person.timezone = imported.timezone ?? null;
    await em.flush();
    if (changes.has('status')) await this.setStatus(em, person.id, imported.status!);
    else if (changes.has('roles')) await this.automaticGroups.syncPerson(em, person);
  }

  /**
   * The person's roles become the file's, position by position: a role in the same place is
   * changed in place (its addresses, telephone numbers or ad hoc attributes replaced when they
   * differ), more roles are added, fewer removed with their records, each write logged.
   */
  private async writeRoles(em: EntityManager, person: Person, wanted: ImportedRole[], existing: ExistingPerson): Promise<void> {
    const units = wanted.some((role) => role.unit !== null) ? await existingUnits(em, person.organization.id) : new Map<string, ExistingUnit>();
    const current = new Map((existing.roleIds.length === 0 ? [] : await em.find(PersonRole, { id: { $in: existing.roleIds } })).map((role) => [role.id, role]));
    const records = [['addresses', Address], ['telephoneNumbers', TelephoneNumber], ['attributes', AdHocAttribute]] as const;
    for (const [order, fields] of wanted.entries()) {
      const id = existing.roleIds[order];
      const before = existing.roles![order];
      const role = id ? current.get(id)! : this.attribute(new PersonRole(), person, {});
      Object.assign(role, { ...roleFields(fields), order });
      role.cou = fields.unit === null ? null : em.getReference(Cou, units.get(fields.unit)!.id, { wrapped: true });
      em.persist(role);
      for (const [list, entity] of records) {
        if (before && roleRecordKeys[list](before) === roleRecordKeys[list](fields)) continue;
        if (id) em.remove(await em.find(entity as EntityClass<RoleAttribute>, { role: id }));
        for (const record of fields[list]) em.persist(Object.assign(this.attribute(new entity(), person, record), { role: ref(role) }));
      }
    }
    for (const id of existing.roleIds.slice(wanted.length)) {
      for (const [, entity] of records) em.remove(await em.find(entity as EntityClass<RoleAttribute>, { role: id }));
      em.remove(current.get(id)!);
    }
  }

  private async setStatus(em: EntityManager, personId: string, status: PersonStatus): Promise<void> {
    const person = await em.findOneOrFail(Person, personId);
    if (person.status === status) return;
    person.status = status;
    await em.flush();
    await this.automaticGroups.syncPerson(em, person);
  }

  /**
   * New units (parents first: the plan orders them) with their automatic groups, as createCou
   * makes them, and the new descriptions and parents of existing ones.
   */
  private async writeUnits(em: EntityManager, organizationId: string, steps: UnitStep[]): Promise<void> {
    if (steps.length === 0) return;
    const units = new Map((await em.find(Cou, { organization: organizationId })).map((cou) => [cou.name, cou]));
    const organization = em.getReference(Organization, organizationId, { wrapped: true });
    for (const { unit, existing } of steps) {
      const cou = existing ? units.get(unit.name)! : Object.assign(new Cou(), { organization, name: unit.name });
      cou.description = unit.description;
      cou.parent = unit.parent === null ? null : ref(units.get(unit.parent)!);
      if (existing) continue;
      em.persist(cou);
      units.set(cou.name, cou);
      await this.automaticGroups.ensureForCou(em, cou);
    }
    await em.flush();
  }

  /** Nestings added (each propagating the nested group's members) and removed (with the memberships they brought). */
  private async writeNestings(em: EntityManager, organizationId: string, steps: NestingStep[]): Promise<void> {
    if (steps.length === 0) return;
    const names = [...new Set(steps.flatMap((step) => [step.fullName, step.nested]))];
    const groups = new Map((await em.find(Group, { organization: organizationId, fullName: { $in: names } })).map((group) => [group.fullName, group]));
    for (const step of steps) {
      if (step.action === 'add') await this.memberships.nest(em, groups.get(step.fullName)!, groups.get(step.nested)!);
      else await this.memberships.unnest(em, await em.findOneOrFail(GroupNesting, step.nestingId!));
    }
  }

  /**
   * New groups with their missing folders (one statement each for the chunk, with their change-log
   * entries), and the new descriptions of existing ones.
   */
  private async writeGroups(em: EntityManager, organizationId: string, steps: { fullName: string; description: string | null | undefined }[]): Promise<void> {
    if (steps.length === 0) return;
    const existing = new Map((await em.find(Group, { organization: organizationId, fullName: { $in: steps.map((step) => step.fullName) } })).map((group) => [group.fullName, group]));
    for (const step of steps) {
      const group = existing.get(step.fullName);
      if (group && step.description !== undefined) group.description = step.description ?? null;
    }
    await em.flush();
    const created = steps.filter((step) => !existing.has(step.fullName));
    const folderNames = [...new Set(created.flatMap((step) => prefixes(step.fullName)))].sort((a, b) => a.split(':').length - b.split(':').length);
    const rows: { id: string; full_name: string }[] = folderNames.length === 0 ? [] : await sqlRows(em,
      'select id, full_name from folder where organization_id = ? and full_name = any(?::text[])', [organizationId, folderNames]);
    const folders = new Map(rows.map((row) => [row.full_name, row.id]));
    const newFolders = folderNames.filter((name) => !folders.has(name)).map((fullName) => {
      const id = uuidv7();
      folders.set(fullName, id);
      const parentName = fullName.includes(':') ? fullName.slice(0, fullName.lastIndexOf(':')) : null;
      return { id, organization: organizationId, parent: parentName ? folders.get(parentName)! : null, name: fullName.split(':').at(-1)!, fullName, description: null, system: false };
    });
    await insertNewRecords(em, [
      ...newFolders.map((folder) => newRecord(em, Folder, folder)),
      ...created.map((step) =>
        newRecord(em, Group, {
          organization: organizationId,
          // A full name without ":" is a group at the root (no folder), as COmanage's flat groups.
          folder: step.fullName.includes(':') ? folders.get(step.fullName.slice(0, step.fullName.lastIndexOf(':')))! : null,
          name: step.fullName.split(':').at(-1)!,
          fullName: step.fullName,
          description: step.description ?? null,
          status: RecordStatus.ACTIVE,
          type: GroupType.STANDARD,
          policy: false,
        }),
      ),
    ], { track: false });
  }

  /** A chunk of membership steps: rows added (in one statement), changed and removed, then each touched group's nestings brought along once. */
  private async writeMemberships(em: EntityManager, organizationId: string, matchBy: string, steps: MembershipStep[]): Promise<void> {
    const ids = await personIdsByKey(em, organizationId, matchBy, steps.filter((step) => !step.personId).map((step) => step.key));
    const groups = new Map((await em.find(Group, { organization: organizationId, fullName: { $in: [...new Set(steps.map((step) => step.fullName))] } })).map((group) => [group.fullName, group]));
    const rows = new Map((await em.find(GroupMembership, { id: { $in: steps.flatMap((step) => (step.rowId ? [step.rowId] : [])) } })).map((row) => [row.id, row]));
    for (const step of steps) {
      if (step.action === 'remove') em.remove(rows.get(step.rowId!)!);
      else if (step.action === 'update') Object.assign(rows.get(step.rowId!)!, { member: step.member, owner: step.owner, ...windowOf(step) });
    }
    await em.flush();
    const added = steps
      .filter((step) => step.action === 'add')
      .map((step) => newRecord(em, GroupMembership, { organization: organizationId, group: groups.get(step.fullName)!.id, person: step.personId ?? ids.get(step.key)!, member: step.member, owner: step.owner, ...windowOf(step) }));
    await insertNewRecords(em, added, { track: false });
    await this.propagate(em, [...groups.values()].map((group) => group.id));
  }

  /** Brings the nestings of the groups whose direct members changed along (one query finds the nested ones). */
  private async propagate(em: EntityManager, groupIds: string[]): Promise<void> {
    if (groupIds.length === 0) return;
    const nested = await em.find(GroupNesting, { nestedGroup: { $in: groupIds } });
    for (const groupId of new Set(nested.map((nesting) => nesting.nestedGroup.id))) await this.memberships.propagateFrom(em, groupId);
  }

  private attribute<T extends Name | EmailAddress | PersonRole | Url | RoleAttribute>(record: T, person: Person, fields: object): T {
    record.organization = person.organization;
    record.person = ref(person);
    return Object.assign(record, clean(fields));
  }

  private name(name: Name, person: Person, fields: ImportedName, primary: boolean): Name {
    const { given, family, middle, honorific, suffix, type, language } = fields;
    this.attribute(name, person, { given, family: family ?? null, middle: middle ?? null, honorific: honorific ?? null, suffix: suffix ?? null, type, language });
    name.primary = primary;
    return name;
  }
}

/** The role other formats give: the first one, with the file's affiliation and title. */
const firstRole = (person: ImportedPerson, status: PersonStatus): ImportedRole => ({
  unit: null, status, affiliation: person.affiliation!, title: person.title ?? null, o: null, ou: null, validFrom: null, validThrough: null,
  addresses: [], telephoneNumbers: [], attributes: [],
});

/** A validity window (ISO 8601 instants) as the columns take it. */
const windowOf = ({ validFrom, validThrough }: { validFrom: string | null; validThrough: string | null }) => ({
  validFrom: validFrom ? new Date(validFrom) : null,
  validThrough: validThrough ? new Date(validThrough) : null,
});

/** A role's own columns (its unit and records aside). */
const roleFields = ({ status, affiliation, title, o, ou, ...window }: ImportedRole) => ({ status, affiliation, title, o, ou, ...windowOf(window) });

/** The fields that are set (undefined ones keep the record's defaults). */
const clean = (fields: object) => Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));

/** The folders of a group's full name: `a:b:c` is in `a:b`, which is in `a`. */
function prefixes(fullName: string): string[] {
  const parts = fullName.split(':');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join(':'));
}
