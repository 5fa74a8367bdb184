import type { EntityManager } from '@mikro-orm/postgresql';
import { runInChunks, yieldToEventLoop } from '../../common/chunks';
import { ACTIVE_MEMBER_STATUSES } from '../../registry/enums';
import type { EmailListPayload, GroupPayload, PersonPayload, ServicePayload } from '../payload';
import {
  addListMemberRows,
  addMemberRowsChunked,
  emailListPayload,
  groupBy,
  groupPayload,
  isRoleValid,
  personPayloads,
  PROVISIONABLE_PERSON_STATUSES,
  servicePayload,
  type GroupMembers,
  type ListGroupMembers,
} from './mappers';
import {
  executorFor,
  FIRST_ID,
  selectAddresses,
  selectAdHocAttributes,
  selectCous,
  selectEmailLists,
  selectEmails,
  selectEntitlementServices,
  selectGroupIdentifiers,
  selectGroupMembershipPage,
  selectGroups,
  selectNames,
  selectOrgIdentityLinks,
  selectPeople,
  selectPersonIdentifiers,
  selectPersonMemberships,
  selectRoles,
  selectServices,
  selectTelephoneNumbers,
  selectTerms,
  selectTermsAgreements,
  selectUrls,
} from './queries';

export interface PayloadLoaderOptions {
  /** Membership rows read per statement when loading groups (keyset pages). */
  memberPageSize?: number;
}

export const DEFAULT_MEMBER_PAGE_SIZE = 2000;

/**
 * Loads the payloads of a set of subjects with a fixed number of statements per kind of record,
 * whatever the size of the set: each statement takes the ids as ONE uuid[] parameter
 * (`= any(?::uuid[])`), rows come back plain (no entities in the unit of work), and the pure
 * mappers of mappers.ts turn them into payloads. Group members are read in keyset pages so that a
 * huge group never has more than one page of rows in memory besides the payload being built.
 */
export class PayloadLoader {
  private readonly memberPageSize: number;

  constructor(
    private readonly clock: () => Date = () => new Date(),
    options: PayloadLoaderOptions = {},
  ) {
    this.memberPageSize = options.memberPageSize ?? DEFAULT_MEMBER_PAGE_SIZE;
  }

  /**
   * People by id (missing ids have no entry). Two round trips for any number of people: the people
   * with 11 kinds of records (kept for the provisionable ones), then cous, groups, group
   * identifiers, terms and entitlement services; each round trip is one statement per kind of
   * record (see executorFor).
   */
  async people(em: EntityManager, ids: Iterable<string>): Promise<Map<string, PersonPayload>> {
    const sql = executorFor(em);
    const now = this.clock();
    const all = [...new Set(ids)];
    const [people, allNames, allEmails, allIdentifiers, allUrls, allRoles, allAddresses, allTelephoneNumbers, allAdHocAttributes, allMemberships, allLinks, allAgreements] =
      await Promise.all([
        selectPeople(sql, all),
        selectNames(sql, all),
        selectEmails(sql, all),
        selectPersonIdentifiers(sql, all),
        selectUrls(sql, all),
        selectRoles(sql, all),
        selectAddresses(sql, all),
        selectTelephoneNumbers(sql, all),
        selectAdHocAttributes(sql, all),
        selectPersonMemberships(sql, all),
        selectOrgIdentityLinks(sql, all),
        selectTermsAgreements(sql, all),
      ]);
    // The records of people who are not provisionable are no part of their (skeleton) payloads.
    const full = new Set(people.filter((p) => PROVISIONABLE_PERSON_STATUSES.has(p.status)).map((p) => p.id));
    const ofFull = <T extends { personId: string | null }>(rows: T[]): T[] => rows.filter((row) => row.personId !== null && full.has(row.personId));
    const roles = ofFull(allRoles);
    const memberships = ofFull(allMemberships);
    const termsAgreements = ofFull(allAgreements);
    const groupIds = memberships.map((m) => m.groupId);
    const activeOrganizations = people
      .filter((p) => PROVISIONABLE_PERSON_STATUSES.has(p.status) && ACTIVE_MEMBER_STATUSES.has(p.status))
      .map((p) => p.organizationId);
    const [cous, groups, groupIdentifiers, terms, services] = await Promise.all([
      selectCous(
        sql,
        roles.flatMap((role) => (role.couId && isRoleValid(role, now) ? [role.couId] : [])),
      ),
      selectGroups(sql, groupIds),
      selectGroupIdentifiers(sql, groupIds),
      selectTerms(
        sql,
        termsAgreements.map((a) => a.termsId),
      ),
      selectEntitlementServices(sql, activeOrganizations),
    ]);
    return personPayloads(
      {
        people,
        names: ofFull(allNames),
        emails: ofFull(allEmails),
        identifiers: ofFull(allIdentifiers),
        urls: ofFull(allUrls),
        roles,
        addresses: ofFull(allAddresses),
        telephoneNumbers: ofFull(allTelephoneNumbers),
        adHocAttributes: ofFull(allAdHocAttributes),
        cous,
        memberships,
        groups,
        groupIdentifiers,
        orgIdentityLinks: ofFull(allLinks),
        termsAgreements,
        terms,
        services,
      },
      now,
    );
  }

  /**
   * Groups by id (missing ids have no entry), with every effective member. One round trip for the
   * groups and their identifiers, then two per page of `memberPageSize` membership rows valid now:
   * the page, then its people not yet members of their row's group with their active identifiers
   * (kept for the active people). Besides the payloads (which must hold every member), memory
   * holds one page.
   */
  async groups(em: EntityManager, ids: Iterable<string>): Promise<Map<string, GroupPayload>> {
    const sql = executorFor(em);
    const now = this.clock();
    const all = [...new Set(ids)];
    const [groups, groupIdentifiers] = await Promise.all([selectGroups(sql, all), selectGroupIdentifiers(sql, all)]);
    if (groups.length === 0) return new Map();
    const groupIds = groups.map((g) => g.id);
    const identifiers = groupBy(groupIdentifiers, (row) => row.groupId);
    const members: GroupMembers = new Map();
    let after = FIRST_ID;
    for (;;) {
      const page = await selectGroupMembershipPage(sql, groupIds, now, after, this.memberPageSize);
      if (page.length === 0) break;
      const newcomers = page.filter((row) => !members.get(row.groupId)?.has(row.personId)).map((row) => row.personId);
      const [people, newcomerIdentifiers] = await Promise.all([selectPeople(sql, newcomers), selectPersonIdentifiers(sql, newcomers)]);
      const active = new Set(people.filter((p) => ACTIVE_MEMBER_STATUSES.has(p.status)).map((p) => p.id));
      const identifiers = newcomerIdentifiers.filter((row) => active.has(row.personId!));
      // The page is folded in chunks, each in its own turn of the event loop (not in the one that
      // parsed the rows): a page is up to DEFAULT_MEMBER_PAGE_SIZE members of a huge group.
      await yieldToEventLoop();
      await runInChunks(addMemberRowsChunked(members, page, people, identifiers, now));
      if (page.length < this.memberPageSize) break;
      after = page[page.length - 1].id;
    }
    return new Map(groups.map((group) => [group.id, groupPayload(group, identifiers.get(group.id) ?? [], members.get(group.id)?.values() ?? [])]));
  }

  /**
   * Email lists by id (missing ids have no entry), with the people of their members, admins and
   * moderators groups and each one's preferred address. One statement for the lists, then two
   * per page of `memberPageSize` membership rows of all their groups (valid now): the page, then
   * its newcomers' people and email addresses. Besides the payloads, memory holds one page.
   */
  async emailLists(em: EntityManager, ids: Iterable<string>): Promise<Map<string, EmailListPayload>> {
    const sql = executorFor(em);
    const now = this.clock();
    const lists = await selectEmailLists(sql, [...new Set(ids)]);
    if (lists.length === 0) return new Map();
    const groupIds = [...new Set(lists.flatMap((list) => [list.membersGroupId, list.adminsGroupId, list.moderatorsGroupId].filter((id): id is string => id !== null)))];
    const members: ListGroupMembers = new Map();
    let after = FIRST_ID;
    while (groupIds.length > 0) {
      const page = await selectGroupMembershipPage(sql, groupIds, now, after, this.memberPageSize);
      if (page.length === 0) break;
      const newcomers = page.filter((row) => row.member && !members.get(row.groupId)?.has(row.personId)).map((row) => row.personId);
      const [people, emails] = await Promise.all([selectPeople(sql, newcomers), selectEmails(sql, newcomers)]);
      await yieldToEventLoop();
      addListMemberRows(members, page, people, emails, now);
      if (page.length < this.memberPageSize) break;
      after = page[page.length - 1].id;
    }
    return new Map(lists.map((list) => [list.id, emailListPayload(list, members)]));
  }

  /** Services by id (missing ids have no entry), in one statement. */
  async services(em: EntityManager, ids: Iterable<string>): Promise<Map<string, ServicePayload>> {
    const rows = await selectServices(executorFor(em), ids);
    return new Map(rows.map((row) => [row.id, servicePayload(row)]));
  }
}
