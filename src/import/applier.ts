import { ref } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { inWriteTransaction } from '../db/transaction';
import type { AutomaticGroupService } from '../registry/groups/automatic-group.service';
import { Folder } from '../registry/groups/folder.entity';
import { joinName, newFolder } from '../registry/groups/folder-tree';
import { GroupMembership } from '../registry/groups/group-membership.entity';
import { GroupNesting } from '../registry/groups/group-nesting.entity';
import { Group } from '../registry/groups/group.entity';
import type { MembershipService } from '../registry/groups/membership.service';
import { ACTIVE_MEMBER_STATUSES, GroupType, PersonStatus, RecordStatus } from '../registry/enums';
import { EmailAddress } from '../registry/people/email-address.entity';
import { Identifier } from '../registry/people/identifier.entity';
import { Name } from '../registry/people/name.entity';
import { Person } from '../registry/people/person.entity';
import { PersonRole } from '../registry/people/person-role.entity';
import { Url } from '../registry/people/url.entity';
import { Organization } from '../registry/organizations/organization.entity';
import type { ImportedPerson } from './document';
import type { ImportPlan, MembershipStep, PersonStep } from './planner';

/** One thing an import writes. */
type Step =
  | { kind: 'create'; person: ImportedPerson }
  | { kind: 'update'; step: PersonStep }
  | { kind: 'remove'; personId: string }
  | { kind: 'group'; fullName: string; description: string | null | undefined }
  | { kind: 'membership'; step: MembershipStep };
import { identifierKey, personIdsByKey } from './queries';

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
    private readonly automaticGroups: AutomaticGroupService,
    private readonly memberships: MembershipService,
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
      ...plan.people.create.map((step): Step => ({ kind: 'create', person: step.person })),
      ...plan.people.update.map((step): Step => ({ kind: 'update', step })),
      ...plan.people.remove.map((person): Step => ({ kind: 'remove', personId: person.id })),
      ...[...plan.groups.create, ...plan.groups.update].map((step): Step => ({ kind: 'group', fullName: step.group.fullName, description: step.group.description })),
      ...plan.memberships.steps.map((step): Step => ({ kind: 'membership', step })),
    ];
    for (let done = 0; done < steps.length; ) {
      const chunk = steps.slice(done, done + IMPORT_CHUNK_SIZE);
      await inWriteTransaction(em.fork(), actorTokenId, async (tx) => {
        const of = <K extends Step['kind']>(kind: K) => chunk.filter((step): step is Extract<Step, { kind: K }> => step.kind === kind);
        await this.createPeople(tx, organizationId, of('create').map((step) => step.person));
        for (const { step } of of('update')) await this.updatePerson(tx, step, matchBy);
        for (const { personId } of of('remove')) await this.setStatus(tx, personId, PersonStatus.DELETED);
        for (const { fullName, description } of of('group')) await this.writeGroup(tx, organizationId, fullName, description);
        await tx.flush();
        const memberships = of('membership').map(({ step }) => step);
        if (memberships.length > 0) await this.writeMemberships(tx, organizationId, matchBy, memberships);
      });
      done += chunk.length;
      if (!(await onChunk({ done, total: steps.length }))) return;
    }
  }

  /**
   * New people with all their records, written with one flush (the unit of work batches each
   * kind of record into multi-row inserts, change-log entries included), then their automatic
   * memberships (members:all, and members:active for active people; an import gives no unit
   * roles) with one more, as AutomaticGroupService.syncPerson would give them one by one.
   */
  private async createPeople(em: EntityManager, organizationId: string, people: ImportedPerson[]): Promise<void> {
    if (people.length === 0) return;
    const organization = ref(em.getReference(Organization, organizationId));
    const created = people.map((imported) => {
      const person = Object.assign(new Person(), { organization, status: imported.status ?? PersonStatus.ACTIVE });
      em.persist(person);
      imported.names.slice(0, 1).forEach((fields) => em.persist(this.name(new Name(), person, fields)));
      for (const fields of imported.emailAddresses) em.persist(this.attribute(new EmailAddress(), person, fields));
      for (const fields of imported.identifiers) {
        em.persist(Object.assign(new Identifier(), { organization, person: ref(person), type: fields.type, value: fields.value, login: fields.login ?? false }));
      }
      if (imported.affiliation) em.persist(this.attribute(new PersonRole(), person, { affiliation: imported.affiliation, title: imported.title ?? null }));
      for (const fields of imported.urls ?? []) em.persist(this.attribute(new Url(), person, clean(fields)));
      return person;
    });
    await em.flush();
    const groups = await em.find(Group, { organization: organizationId, cou: null, type: { $in: [GroupType.MEMBERS_ALL, GroupType.MEMBERS_ACTIVE] } });
    for (const group of groups) {
      const wanted = created.filter((person) => (group.type === GroupType.MEMBERS_ALL ? person.status !== PersonStatus.DELETED : ACTIVE_MEMBER_STATUSES.has(person.status)));
      for (const person of wanted) em.persist(Object.assign(new GroupMembership(), { organization, group: ref(group), person: ref(person), member: true }));
    }
    await em.flush();
    await this.propagate(em, groups.map((group) => group.id));
  }

  private async updatePerson(em: EntityManager, step: PersonStep, matchBy: string): Promise<void> {
    const { person: imported, existing } = step;
    const person = await em.findOneOrFail(Person, existing!.id);
    const changes = new Set(step.changes);
    if (changes.has('name')) {
      const name = existing!.primaryNameId ? await em.findOneOrFail(Name, existing!.primaryNameId) : this.attribute(new Name(), person, { primary: true });
      this.name(name, person, imported.names[0]);
      em.persist(name);
    }
    if (changes.has('emailAddresses')) {
      const wanted = new Set(imported.emailAddresses.map((email) => email.mail));
      // Loaded before they are removed: the change log records what a deleted record belonged to.
      const gone = [...existing!.emailIds].filter(([mail]) => !wanted.has(mail)).map(([, id]) => id);
      if (gone.length > 0) em.remove(await em.find(EmailAddress, { id: { $in: gone } }));
      for (const fields of imported.emailAddresses) if (!existing!.emailIds.has(fields.mail)) em.persist(this.attribute(new EmailAddress(), person, fields));
    }
    if (changes.has('identifiers')) {
      // For the types the file gives: its values, no others (the matchBy value is the match itself).
      const types = new Set(imported.identifiers.map((identifier) => identifier.type));
      const wanted = new Set(imported.identifiers.map((identifier) => identifierKey(identifier.type, identifier.value)));
      const gone = [...existing!.identifierIds].filter(([key]) => {
        const [type] = key.split('\u0000');
        return types.has(type) && type !== matchBy && !wanted.has(key);
      });
      if (gone.length > 0) em.remove(await em.find(Identifier, { id: { $in: gone.map(([, id]) => id) } }));
      for (const fields of imported.identifiers) {
        if (existing!.identifierIds.has(identifierKey(fields.type, fields.value))) continue;
        const identifier = Object.assign(new Identifier(), { type: fields.type, value: fields.value, login: fields.login ?? false, status: RecordStatus.ACTIVE });
        identifier.organization = person.organization;
        identifier.person = ref(person);
        em.persist(identifier);
      }
    }
    if (changes.has('affiliation') || changes.has('title')) {
      const role = existing!.firstRoleId ? await em.findOneOrFail(PersonRole, existing!.firstRoleId) : this.attribute(new PersonRole(), person, {});
      if (imported.affiliation) role.affiliation = imported.affiliation;
      if (imported.title !== undefined) role.title = imported.title ?? null;
      em.persist(role);
    }
    if (changes.has('urls')) {
      const wanted = new Set((imported.urls ?? []).map((url) => url.url));
      const current = await em.find(Url, { person: person.id });
      for (const url of current) if (!wanted.has(url.url)) em.remove(url);
      const have = new Set(current.map((url) => url.url));
      for (const fields of imported.urls ?? []) if (!have.has(fields.url)) em.persist(this.attribute(new Url(), person, clean(fields)));
    }
    await em.flush();
    if (changes.has('status')) await this.setStatus(em, person.id, imported.status!);
  }

  private async setStatus(em: EntityManager, personId: string, status: PersonStatus): Promise<void> {
    const person = await em.findOneOrFail(Person, personId);
    if (person.status === status) return;
    person.status = status;
    await em.flush();
    await this.automaticGroups.syncPerson(em, person);
  }

  /** Creates the group (and its missing folders) or sets its description. */
  private async writeGroup(em: EntityManager, organizationId: string, fullName: string, description: string | null | undefined): Promise<void> {
    const existing = await em.findOne(Group, { organization: organizationId, fullName });
    if (existing) {
      if (description !== undefined) existing.description = description ?? null;
      return;
    }
    const parts = fullName.split(':');
    let parent: Folder | null = null;
    for (const name of parts.slice(0, -1)) {
      const path = joinName(parent?.fullName ?? null, name);
      const found: Folder | null = await em.findOne(Folder, { organization: organizationId, fullName: path });
      parent = found ?? newFolder(em.getReference(Organization, organizationId), parent, name);
      em.persist(parent);
    }
    if (!parent) throw new Error(`${fullName}: a group needs a folder (write it as folder:name)`);
    const group = new Group();
    group.organization = ref(em.getReference(Organization, organizationId));
    group.folder = ref(parent);
    group.name = parts.at(-1)!;
    group.fullName = fullName;
    group.description = description ?? null;
    em.persist(group);
    await em.flush();
  }

  /** A chunk of membership steps: rows added, changed and removed, then each touched group's nestings brought along once. */
  private async writeMemberships(em: EntityManager, organizationId: string, matchBy: string, steps: MembershipStep[]): Promise<void> {
    const ids = await personIdsByKey(em, organizationId, matchBy, steps.filter((step) => !step.personId).map((step) => step.key));
    const groups = new Map((await em.find(Group, { organization: organizationId, fullName: { $in: [...new Set(steps.map((step) => step.fullName))] } })).map((group) => [group.fullName, group]));
    const rows = new Map((await em.find(GroupMembership, { id: { $in: steps.flatMap((step) => (step.rowId ? [step.rowId] : [])) } })).map((row) => [row.id, row]));
    for (const step of steps) {
      const group = groups.get(step.fullName)!;
      if (step.action === 'remove') em.remove(rows.get(step.rowId!)!);
      else if (step.action === 'update') Object.assign(rows.get(step.rowId!)!, { member: step.member, owner: step.owner });
      else {
        const membership = new GroupMembership();
        membership.organization = group.organization;
        membership.group = ref(group);
        membership.person = ref(em.getReference(Person, step.personId ?? ids.get(step.key)!));
        membership.member = step.member;
        membership.owner = step.owner;
        em.persist(membership);
      }
    }
    await em.flush();
    await this.propagate(em, [...groups.values()].map((group) => group.id));
  }

  /** Brings the nestings of the groups whose direct members changed along (one query finds the nested ones). */
  private async propagate(em: EntityManager, groupIds: string[]): Promise<void> {
    if (groupIds.length === 0) return;
    const nested = await em.find(GroupNesting, { nestedGroup: { $in: groupIds } });
    for (const groupId of new Set(nested.map((nesting) => nesting.nestedGroup.id))) await this.memberships.propagateFrom(em, groupId);
  }

  private attribute<T extends Name | EmailAddress | PersonRole | Url>(record: T, person: Person, fields: object): T {
    record.organization = person.organization;
    record.person = ref(person);
    return Object.assign(record, clean(fields));
  }

  private name(name: Name, person: Person, fields: ImportedPerson['names'][number]): Name {
    const { given, family, middle, honorific, suffix, type } = fields;
    this.attribute(name, person, { given, family: family ?? null, middle: middle ?? null, honorific: honorific ?? null, suffix: suffix ?? null, type });
    name.primary = true;
    return name;
  }
}

/** The fields that are set (undefined ones keep the record's defaults). */
const clean = (fields: object) => Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
