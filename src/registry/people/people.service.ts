import { FlushMode, ref, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../../auth/actor';
import { badInput, conflict } from '../../common/errors';
import { likePattern, paginate, type Page, type PageArgs } from '../../common/pagination';
import { applyDefined } from '../../common/validation';
import { insertNewRecords } from '../../changelog/record-writer';
import { inWriteTransaction, type WriteResult } from '../../db/transaction';
import { GroupMembership } from '../groups/group-membership.entity';
import type { AutomaticGroupService } from '../groups/automatic-group.service';
import type { MembershipService } from '../groups/membership.service';
import { findReadable, findReadableOrganization, findWritable, findWritableOrganization } from '../records';
import type { OrgScopedEntity } from '../../common/base-entity';
import { Group } from '../groups/group.entity';
import { Cou } from '../organizations/cou.entity';
import { Affiliation, EmailType, NameType, PersonStatus, RecordStatus, UrlType } from '../enums';
import { AdHocAttribute } from './ad-hoc-attribute.entity';
import { Address } from './address.entity';
import type { RoleAttribute } from './role-attribute';
import { TelephoneNumber } from './telephone-number.entity';
import { Url } from './url.entity';
import { EmailAddress } from './email-address.entity';
import { Identifier } from './identifier.entity';
import { Name } from './name.entity';
import { Person } from './person.entity';
import { PersonRole } from './person-role.entity';

export interface PersonFields {
  status?: PersonStatus;
  dateOfBirth?: string | null;
  timezone?: string | null;
}

export interface NameFields {
  type?: NameType;
  honorific?: string | null;
  given?: string;
  middle?: string | null;
  family?: string | null;
  suffix?: string | null;
  language?: string | null;
  primary?: boolean;
}

export interface EmailAddressFields {
  mail?: string;
  type?: EmailType;
  verified?: boolean;
}

export interface IdentifierFields {
  type?: string;
  value?: string;
  status?: RecordStatus;
  login?: boolean;
}

export interface UrlFields {
  url?: string;
  type?: UrlType;
  description?: string | null;
}

export interface RoleFields {
  couId?: string | null;
  status?: PersonStatus;
  affiliation?: Affiliation;
  title?: string | null;
  o?: string | null;
  ou?: string | null;
  validFrom?: Date | null;
  validThrough?: Date | null;
  order?: number;
}

export interface NewPerson extends PersonFields {
  names?: (NameFields & { given: string })[] | null;
  emailAddresses?: (EmailAddressFields & { mail: string })[] | null;
  identifiers?: (IdentifierFields & { type: string; value: string })[] | null;
}

export interface PersonFilterArgs {
  status?: PersonStatus[] | null;
  search?: string | null;
  groupId?: string | null;
  couId?: string | null;
}

/** People and everything hanging off them: names, emails, identifiers, URLs, roles, ... */
export class PeopleService {
  constructor(
    private readonly automaticGroups: AutomaticGroupService,
    private readonly memberships: MembershipService,
  ) {}

  // ---- People ----------------------------------------------------------------------------------

  async list(ctx: Actor, organizationId: string, filter: PersonFilterArgs | null | undefined, page: PageArgs): Promise<Page<Person>> {
    const organization = await findReadableOrganization(ctx.em, ctx.principal, organizationId);
    return paginate(ctx.em, Person, this.personWhere(ctx.em, organization.id, filter ?? {}), page);
  }

  get(ctx: Actor, id: string): Promise<Person> {
    return findReadable(ctx.em, ctx.principal, Person, id);
  }

  /**
   * Creates the person with their first names, email addresses and identifiers and the automatic
   * groups' memberships, all or nothing. The records are written set-based with their change-log
   * entries (insertNewRecords: one statement), not through the unit of work: creating people one
   * mutation at a time is what integrators do.
   */
  create(ctx: Actor, organizationId: string, input: NewPerson): Promise<WriteResult<Person>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const organization = await findWritableOrganization(em, ctx.principal, organizationId);
      const { names, emailAddresses, identifiers, ...fields } = input;
      const person = applyDefined(new Person(), { ...fields, status: fields.status ?? PersonStatus.ACTIVE });
      person.organization = ref(organization);

      const primaryCount = (names ?? []).filter((name) => name.primary).length;
      if (primaryCount > 1) throw badInput('At most one of the names may be primary.', 'names');
      const newNames = (names ?? []).map((fieldsOfName, index) => {
        const name = applyDefined(this.newPersonAttribute(new Name(), person), fieldsOfName);
        name.primary = primaryCount === 0 ? index === 0 : fieldsOfName.primary === true;
        return name;
      });
      const newEmails = (emailAddresses ?? []).map((fieldsOfEmail) => applyDefined(this.newPersonAttribute(new EmailAddress(), person), fieldsOfEmail));
      const newIdentifiers = (identifiers ?? []).map((fieldsOfIdentifier) => {
        const identifier = applyDefined(new Identifier(), fieldsOfIdentifier);
        identifier.organization = ref(organization);
        identifier.person = ref(person);
        return identifier;
      });
      await this.assertIdentifiersFree(em, organization.id, newIdentifiers);
      const memberships = await this.automaticGroups.membershipsOfNew(em, person);
      await insertNewRecords(em, [person, ...newNames, ...newEmails, ...newIdentifiers, ...memberships]);
      // Groups nesting the automatic groups take the new member too (rare: one query finds none).
      await this.memberships.propagateFromAll(em, memberships.map((membership) => membership.group.id), person.id);
      return person;
    });
  }

  update(ctx: Actor, id: string, input: PersonFields): Promise<WriteResult<Person>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const person = await findWritable(em, ctx.principal, Person, id);
      const statusChanged = input.status !== undefined && input.status !== person.status;
      applyDefined(person, input);
      await em.flush();
      if (statusChanged) await this.automaticGroups.syncPerson(em, person);
      return person;
    });
  }

  /** Memberships go first, one by one, so every group the person leaves is in the change log. */
  delete(ctx: Actor, id: string): Promise<WriteResult<string>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const person = await findWritable(em, ctx.principal, Person, id);
      await this.memberships.removePerson(em, person);
      em.remove(person);
      return person.id;
    });
  }

  /**
   * Every condition is a sub-select on the person id, so a person matching through several names
   * or emails is still listed once and the keyset pagination stays on the person table.
   */
  private personWhere(em: EntityManager, organizationId: string, filter: PersonFilterArgs): FilterQuery<Person> {
    const conditions: FilterQuery<Person>[] = [{ organization: organizationId }];
    if (filter.status?.length) conditions.push({ status: { $in: filter.status } });
    if (filter.search) {
      const pattern = likePattern(filter.search);
      const personIdsOf = <T extends object>(entity: new () => T, where: FilterQuery<T>) =>
        em
          .createQueryBuilder(entity)
          .select('person')
          .where({ $and: [{ organization: organizationId }, { person: { $ne: null } }, where] } as FilterQuery<T>)
          .getKnexQuery();
      conditions.push({
        $or: [
          { id: { $in: personIdsOf(Name, { $or: [{ given: { $ilike: pattern } }, { family: { $ilike: pattern } }] }) } },
          { id: { $in: personIdsOf(EmailAddress, { mail: { $ilike: pattern } }) } },
          { id: { $in: personIdsOf(Identifier, { value: { $ilike: pattern } }) } },
        ],
      } as unknown as FilterQuery<Person>);
    }
    if (filter.groupId) {
      const members = em.createQueryBuilder(GroupMembership).select('person').where({ group: filter.groupId }).getKnexQuery();
      conditions.push({ id: { $in: members } } as unknown as FilterQuery<Person>);
    }
    if (filter.couId) {
      const holders = em.createQueryBuilder(PersonRole).select('person').where({ cou: filter.couId }).getKnexQuery();
      conditions.push({ id: { $in: holders } } as unknown as FilterQuery<Person>);
    }
    return { $and: conditions } as FilterQuery<Person>;
  }

  // ---- Names ---------------------------------------------------------------------------------

  /** The person's first name becomes primary; `primary: true` moves the flag from the old one. */
  addName(ctx: Actor, personId: string, fields: NameFields & { given: string }): Promise<WriteResult<Name>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const person = await findWritable(em, ctx.principal, Person, personId);
      const { primary, ...rest } = fields;
      const current = await em.findOne(Name, { person: person.id, primary: true });
      if (current && primary) await this.clearPrimary(em, current);
      const name = applyDefined(this.newPersonAttribute(new Name(), person), rest);
      name.primary = !current || primary === true;
      em.persist(name);
      return name;
    });
  }

  updateName(ctx: Actor, id: string, fields: NameFields): Promise<WriteResult<Name>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const name = await findWritable(em, ctx.principal, Name, id);
      const { primary, ...rest } = fields;
      if (primary === false && name.primary) {
        throw badInput('A person always has a primary name: make another name primary instead.', 'primary');
      }
      if (primary === true && !name.primary) {
        const current = await em.findOne(Name, { person: name.person.id, primary: true });
        if (current) await this.clearPrimary(em, current);
        name.primary = true;
      }
      return applyDefined(name, rest);
    });
  }

  /** Deleting the primary name hands the flag to the oldest remaining name. */
  deleteName(ctx: Actor, id: string): Promise<WriteResult<string>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const name = await findWritable(em, ctx.principal, Name, id);
      em.remove(name);
      await em.flush();
      if (name.primary) {
        const successor = await em.findOne(Name, { person: name.person.id }, { orderBy: { id: 'asc' } });
        if (successor) successor.primary = true;
      }
      return name.id;
    });
  }

  /** Flushed on its own: the partial unique index allows one primary name at every moment. */
  private async clearPrimary(em: EntityManager, name: Name): Promise<void> {
    name.primary = false;
    await em.flush();
  }

  // ---- Email addresses -------------------------------------------------------------------------

  addEmailAddress(ctx: Actor, personId: string, fields: EmailAddressFields & { mail: string }): Promise<WriteResult<EmailAddress>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const person = await findWritable(em, ctx.principal, Person, personId);
      const email = applyDefined(this.newPersonAttribute(new EmailAddress(), person), fields);
      em.persist(email);
      return email;
    });
  }

  updateEmailAddress(ctx: Actor, id: string, fields: EmailAddressFields): Promise<WriteResult<EmailAddress>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const email = await findWritable(em, ctx.principal, EmailAddress, id);
      // A verification proved control of the old address, not of the new one.
      const readdressed = fields.mail !== undefined && fields.mail !== email.mail;
      applyDefined(email, { ...(readdressed ? { verified: false } : {}), ...stripUndefined(fields) });
      return email;
    });
  }

  deleteEmailAddress(ctx: Actor, id: string): Promise<WriteResult<string>> {
    return this.deleteRecord(ctx, EmailAddress, id);
  }

  // ---- URLs ------------------------------------------------------------------------------------

  addUrl(ctx: Actor, personId: string, fields: UrlFields & { url: string }): Promise<WriteResult<Url>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const person = await findWritable(em, ctx.principal, Person, personId);
      const url = applyDefined(this.newPersonAttribute(new Url(), person), fields);
      em.persist(url);
      return url;
    });
  }

  updateUrl(ctx: Actor, id: string, fields: UrlFields): Promise<WriteResult<Url>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) =>
      applyDefined(await findWritable(em, ctx.principal, Url, id), fields),
    );
  }

  deleteUrl(ctx: Actor, id: string): Promise<WriteResult<string>> {
    return this.deleteRecord(ctx, Url, id);
  }

  // ---- Identifiers -----------------------------------------------------------------------------

  /** An identifier belongs to exactly one person or one group of the organisation. */
  addIdentifier(
    ctx: Actor,
    owner: { personId?: string | null; groupId?: string | null },
    fields: IdentifierFields & { type: string; value: string },
  ): Promise<WriteResult<Identifier>> {
    if (Boolean(owner.personId) === Boolean(owner.groupId)) {
      throw badInput('Give exactly one of personId and groupId: an identifier belongs to one person or one group.', 'personId');
    }
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const identifier = applyDefined(new Identifier(), fields);
      if (owner.personId) {
        const person = await findWritable(em, ctx.principal, Person, owner.personId);
        identifier.organization = person.organization;
        identifier.person = ref(person);
      } else {
        const group = await findWritable(em, ctx.principal, Group, owner.groupId!);
        identifier.organization = group.organization;
        identifier.group = ref(group);
      }
      await this.assertIdentifiersFree(em, identifier.organization.id, [identifier]);
      em.persist(identifier);
      return identifier;
    });
  }

  /** Reactivating an identifier whose type and value another active identifier took is a conflict too. */
  updateIdentifier(ctx: Actor, id: string, fields: IdentifierFields): Promise<WriteResult<Identifier>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const identifier = await findWritable(em, ctx.principal, Identifier, id);
      applyDefined(identifier, fields);
      await this.assertIdentifiersFree(em, identifier.organization.id, [identifier]);
      return identifier;
    });
  }

  deleteIdentifier(ctx: Actor, id: string): Promise<WriteResult<string>> {
    return this.deleteRecord(ctx, Identifier, id);
  }

  // ---- Roles -----------------------------------------------------------------------------------

  /** Unit automatic groups follow the person's roles, so every role change re-syncs them. */
  addRole(ctx: Actor, personId: string, fields: RoleFields): Promise<WriteResult<PersonRole>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const person = await findWritable(em, ctx.principal, Person, personId);
      const role = this.newPersonAttribute(new PersonRole(), person);
      await this.assignRole(ctx, em, role, fields);
      em.persist(role);
      await em.flush();
      await this.automaticGroups.syncPerson(em, person);
      return role;
    });
  }

  updateRole(ctx: Actor, id: string, fields: RoleFields): Promise<WriteResult<PersonRole>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const role = await findWritable(em, ctx.principal, PersonRole, id);
      await this.assignRole(ctx, em, role, fields);
      await em.flush();
      await this.automaticGroups.syncPerson(em, await em.findOneOrFail(Person, role.person.id));
      return role;
    });
  }

  /** The role's addresses, telephone numbers and ad hoc attributes go with it, each logged. */
  deleteRole(ctx: Actor, id: string): Promise<WriteResult<string>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const role = await findWritable(em, ctx.principal, PersonRole, id);
      for (const entity of [Address, TelephoneNumber, AdHocAttribute] as const) {
        em.remove(await em.find(entity as new () => RoleAttribute, { role: role.id }));
      }
      em.remove(role);
      await em.flush();
      await this.automaticGroups.syncPerson(em, await em.findOneOrFail(Person, role.person.id));
      return role.id;
    });
  }

  private async assignRole(ctx: Actor, em: EntityManager, role: PersonRole, fields: RoleFields): Promise<void> {
    const { couId, ...rest } = fields;
    applyDefined(role, rest);
    if (couId === null) role.cou = null;
    if (couId) {
      const cou = await findReadable(em, ctx.principal, Cou, couId, 'Cou');
      if (cou.organization.id !== role.organization.id) {
        throw badInput("The unit belongs to another organisation than the person.", 'couId');
      }
      role.cou = ref(cou);
    }
    if (role.validFrom && role.validThrough && role.validFrom > role.validThrough) {
      throw badInput('validFrom must not be after validThrough.', 'validThrough');
    }
  }

  // ---- Role attributes: addresses, telephone numbers, ad hoc attributes -------------------------

  /** The person and organisation of a role attribute are those of its role. */
  addRoleAttribute<T extends RoleAttribute>(
    ctx: Actor,
    entity: new () => T,
    roleId: string,
    fields: object,
  ): Promise<WriteResult<T>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const role = await findWritable(em, ctx.principal, PersonRole, roleId);
      const attribute = applyDefined(new entity(), fields);
      attribute.organization = role.organization;
      attribute.person = role.person;
      attribute.role = ref(role);
      em.persist(attribute);
      return attribute;
    });
  }

  updateRoleAttribute<T extends RoleAttribute>(ctx: Actor, entity: new () => T, id: string, fields: object): Promise<WriteResult<T>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) =>
      applyDefined(await findWritable(em, ctx.principal, entity, id), fields),
    );
  }

  deleteRoleAttribute(ctx: Actor, entity: new () => RoleAttribute, id: string): Promise<WriteResult<string>> {
    return this.deleteRecord(ctx, entity, id);
  }

  // ---- Shared helpers --------------------------------------------------------------------------

  private deleteRecord<T extends OrgScopedEntity>(ctx: Actor, entity: new () => T, id: string): Promise<WriteResult<string>> {
    return inWriteTransaction(ctx.em, ctx.principal.tokenId, async (em) => {
      const record = await findWritable(em, ctx.principal, entity, id);
      em.remove(record);
      return record.id;
    });
  }

  private newPersonAttribute<T extends { organization: Person['organization']; person: Name['person'] }>(attribute: T, person: Person): T {
    attribute.organization = person.organization;
    attribute.person = ref(person);
    return attribute;
  }

  /**
   * Names the clashing identifier in the error. The partial unique index
   * identifier_active_type_value_unique still guards against concurrent writers.
   */
  private async assertIdentifiersFree(em: EntityManager, organizationId: string, identifiers: Identifier[]): Promise<void> {
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
}

const stripUndefined = <T extends object>(fields: T): Partial<T> =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
