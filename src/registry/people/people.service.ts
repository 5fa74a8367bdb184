import { ref, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { validate as isUuid } from 'uuid';
import type { Actor } from '../../auth/actor';
import { badInput, notFound } from '../../common/errors';
import { likePattern, paginate, type Page, type PageArgs } from '../../common/pagination';
import { applyDefined } from '../../common/validation';
import { insertNewRecords } from '../../changelog/record-writer';
import { inWriteTransaction, type WriteResult } from '../../db/transaction';
import { GroupMembership } from '../groups/group-membership.entity';
import type { AutomaticGroups } from '../groups/automatic-groups';
import type { Memberships } from '../groups/memberships';
import { findReadable, findReadableOrganization, findWritable } from '../records';
import { Affiliation, EmailType, NameType, PersonStatus, RecordStatus, UrlType } from '../enums';
import { EmailAddress } from './email-address.entity';
import { Identifier } from './identifier.entity';
import { Name } from './name.entity';
import { Person } from './person.entity';
import { PersonRole } from './person-role.entity';
import { Organization } from '../organizations/organization.entity';
import { assertIdentifiersDistinct, identifierInUse, newPersonAttribute, newPersonFacts } from './person-records';

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

/** People: list, read, create (with their first names, emails, identifiers and automatic groups), update, delete. */
export class PeopleService {
  constructor(
    private readonly automaticGroups: AutomaticGroups,
    private readonly memberships: Memberships,
  ) {}

  // ---- People ----------------------------------------------------------------------------------

  async list(actor: Actor, organizationId: string, filter: PersonFilterArgs | null | undefined, page: PageArgs): Promise<Page<Person>> {
    const organization = await findReadableOrganization(actor.em, actor.principal, organizationId);
    return paginate(actor.em, Person, this.personWhere(actor.em, organization.id, filter ?? {}), page);
  }

  get(actor: Actor, id: string): Promise<Person> {
    return findReadable(actor.em, actor.principal, Person, id);
  }

  /**
   * Creates the person with their first names, email addresses and identifiers and the automatic
   * groups' memberships, all or nothing. The records are written set-based with their change-log
   * entries (insertNewRecords: one statement), not through the unit of work: creating people one
   * mutation at a time is what integrators do.
   */
  create(actor: Actor, organizationId: string, input: NewPerson): Promise<WriteResult<Person>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const { names, emailAddresses, identifiers, ...fields } = input;
      const person = applyDefined(new Person(), { ...fields, status: fields.status ?? PersonStatus.ACTIVE });
      person.organization = em.getReference(Organization, organizationId, { wrapped: true });
      const newIdentifiers = (identifiers ?? []).map((fieldsOfIdentifier) => {
        const identifier = applyDefined(new Identifier(), fieldsOfIdentifier);
        identifier.organization = person.organization;
        identifier.person = ref(person);
        return identifier;
      });
      // What is checked and needed, in one statement; the checks and their errors are those of
      // findWritableOrganization and assertIdentifiersFree, in the same order.
      const facts = isUuid(organizationId) ? await newPersonFacts(em, organizationId, newIdentifiers, this.automaticGroups.typesOfNew(person.status)) : null;
      if (!facts) throw notFound('Organization', organizationId);
      actor.principal.assertCanRead(organizationId, 'Organization', organizationId);
      actor.principal.assertCanWrite(organizationId, 'Organization', organizationId);

      const primaryCount = (names ?? []).filter((name) => name.primary).length;
      if (primaryCount > 1) throw badInput('At most one of the names may be primary.', 'names');
      const newNames = (names ?? []).map((fieldsOfName, index) => {
        const name = applyDefined(newPersonAttribute(new Name(), person), fieldsOfName);
        name.primary = primaryCount === 0 ? index === 0 : fieldsOfName.primary === true;
        return name;
      });
      const newEmails = (emailAddresses ?? []).map((fieldsOfEmail) => applyDefined(newPersonAttribute(new EmailAddress(), person), fieldsOfEmail));
      assertIdentifiersDistinct(newIdentifiers);
      if (facts.taken) throw identifierInUse(facts.taken);
      const memberships = this.automaticGroups.membershipsOfNew(em, person, facts.automaticGroupIds);
      await insertNewRecords(em, [person, ...newNames, ...newEmails, ...newIdentifiers, ...memberships]);
      // Groups nesting the automatic groups take the new member too (rare).
      if (facts.nested) await this.memberships.propagateFromAll(em, facts.automaticGroupIds, person.id);
      return person;
    });
  }

  update(actor: Actor, id: string, input: PersonFields): Promise<WriteResult<Person>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const person = await findWritable(em, actor.principal, Person, id);
      const statusChanged = input.status !== undefined && input.status !== person.status;
      applyDefined(person, input);
      await em.flush();
      if (statusChanged) await this.automaticGroups.syncPerson(em, person);
      return person;
    });
  }

  /** Memberships go first, one by one, so every group the person leaves is in the change log. */
  delete(actor: Actor, id: string): Promise<WriteResult<string>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const person = await findWritable(em, actor.principal, Person, id);
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
}
