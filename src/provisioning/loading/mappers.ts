import { eachChunked, runNow, type Chunked } from '../../common/chunks';
import { ACTIVE_MEMBER_STATUSES, GroupType, PersonStatus, RecordStatus } from '../../registry/enums';
import type {
  EmailListPayload,
  EmailListPersonPayload,
  GroupMemberPayload,
  GroupPayload,
  IdentifierPayload,
  MembershipPayload,
  NamePayload,
  PersonPayload,
  RolePayload,
  ServicePayload,
} from '../payload';
import type {
  EmailListRow,
  EmailRow,
  GroupRow,
  IdentifierRow,
  MembershipRow,
  NameRow,
  PersonRow,
  PersonRowSet,
  RoleRow,
  ServiceRow,
} from './rows';

/**
 * Pure functions from the loader's plain rows (and the moment `now`) to the payloads every plugin
 * receives: the one place that knows the status and validity rules. No database, no entities.
 */

/**
 * Statuses whose people are provisioned with a full payload (COmanage personStatuses: A, XP, GP,
 * LK, S). Everyone else is provisioned as a delete with a skeleton payload.
 */
export const PROVISIONABLE_PERSON_STATUSES: ReadonlySet<PersonStatus> = new Set([
  PersonStatus.ACTIVE,
  PersonStatus.EXPIRED,
  PersonStatus.GRACE_PERIOD,
  PersonStatus.LOCKED,
  PersonStatus.SUSPENDED,
]);

const ACTIVE_ROLE_STATUSES = ACTIVE_MEMBER_STATUSES;

export const isValidAt = (row: { validFrom: Date | null; validThrough: Date | null }, now: Date) =>
  (row.validFrom === null || row.validFrom <= now) && (row.validThrough === null || row.validThrough >= now);

/** The payload of a person whose status is not provisioned: enough for a plugin to delete. */
export function skeletonPerson(id: string, organizationId: string, status: PersonStatus): PersonPayload {
  return {
    subjectType: 'PERSON',
    id,
    organizationId,
    status,
    skeleton: true,
    primaryName: null,
    names: [],
    emailAddresses: [],
    identifiers: [],
    urls: [],
    roles: [],
    memberships: [],
    orgIdentityLinks: [],
    termsAgreements: [],
    entitlements: [],
  };
}

/** Rows grouped by a key, each list keeping the order of `rows`. One pass, no filtering per key. */
export function groupBy<T>(rows: readonly T[], key: (row: T) => string | null): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    if (k === null) continue;
    const list = groups.get(k);
    if (list) list.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}

const NONE: readonly never[] = [];
const get = <T>(map: Map<string, T[]>, key: string): readonly T[] => map.get(key) ?? NONE;

export const identifierPayload = (identifier: IdentifierRow): IdentifierPayload => ({
  type: identifier.type,
  value: identifier.value,
  login: identifier.login,
});

const namePayload = (name: NameRow): NamePayload => ({
  type: name.type,
  honorific: name.honorific,
  given: name.given,
  middle: name.middle,
  family: name.family,
  suffix: name.suffix,
  language: name.language,
  primary: name.primary,
});

/** Roles that count now: Active or Grace Period, and valid at `now`. */
export const isRoleValid = (role: Pick<RoleRow, 'status' | 'validFrom' | 'validThrough'>, now: Date) =>
  ACTIVE_ROLE_STATUSES.has(role.status) && isValidAt(role, now);

/**
 * The payloads of a batch of people, by id, from the rows of every kind read for them. People
 * missing from `rows.people` have no entry (deleted since their id was read).
 */
export function personPayloads(rows: PersonRowSet, now: Date): Map<string, PersonPayload> {
  const byPerson = <T extends { personId: string | null }>(list: readonly T[]) => groupBy(list, (row) => row.personId);
  const names = byPerson(rows.names);
  const emails = byPerson(rows.emails);
  const identifiers = byPerson(rows.identifiers);
  const urls = byPerson(rows.urls);
  const roles = byPerson(rows.roles);
  const memberships = byPerson(rows.memberships);
  const links = byPerson(rows.orgIdentityLinks);
  const agreements = byPerson(rows.termsAgreements);
  const addresses = groupBy(rows.addresses, (row) => row.roleId);
  const phones = groupBy(rows.telephoneNumbers, (row) => row.roleId);
  const adHoc = groupBy(rows.adHocAttributes, (row) => row.roleId);
  const couName = new Map(rows.cous.map((cou) => [cou.id, cou.name]));
  const groupById = new Map(rows.groups.map((group) => [group.id, group]));
  const groupIdentifiers = groupBy(rows.groupIdentifiers, (row) => row.groupId);
  const termsById = new Map(rows.terms.map((terms) => [terms.id, terms]));
  const servicesByOrganization = groupBy(rows.services, (row) => row.organizationId);

  const payloads = new Map<string, PersonPayload>();
  for (const person of rows.people) {
    const base = skeletonPerson(person.id, person.organizationId, person.status);
    if (!PROVISIONABLE_PERSON_STATUSES.has(person.status)) {
      payloads.set(person.id, base);
      continue;
    }
    const personIsActive = ACTIVE_MEMBER_STATUSES.has(person.status);
    const membershipPayloads = personMemberships(get(memberships, person.id), groupById, groupIdentifiers, personIsActive, now);
    const namePayloads = get(names, person.id).map(namePayload);
    const validRoles = get(roles, person.id).filter((role) => isRoleValid(role, now));
    payloads.set(person.id, {
      ...base,
      skeleton: false,
      primaryName: namePayloads.find((n) => n.primary) ?? namePayloads[0] ?? null,
      names: namePayloads,
      emailAddresses: get(emails, person.id).map((e) => ({ mail: e.mail, type: e.type, verified: e.verified })),
      identifiers: get(identifiers, person.id).map(identifierPayload),
      urls: get(urls, person.id).map((u) => ({ url: u.url, type: u.type, description: u.description })),
      roles: validRoles.map(
        (role): RolePayload => ({
          id: role.id,
          status: role.status,
          affiliation: role.affiliation,
          title: role.title,
          o: role.o,
          ou: role.ou,
          cou: role.couId ? { id: role.couId, name: couName.get(role.couId) ?? '' } : null,
          order: role.order,
          validFrom: role.validFrom,
          validThrough: role.validThrough,
          addresses: get(addresses, role.id).map((a) => ({
            type: a.type,
            street: a.street,
            room: a.room,
            locality: a.locality,
            state: a.state,
            postalCode: a.postalCode,
            country: a.country,
            language: a.language,
          })),
          telephoneNumbers: get(phones, role.id).map((p) => ({
            type: p.type,
            countryCode: p.countryCode,
            areaCode: p.areaCode,
            number: p.number,
            extension: p.extension,
          })),
          adHocAttributes: get(adHoc, role.id).map((a) => ({ tag: a.tag, value: a.value })),
        }),
      ),
      memberships: membershipPayloads,
      orgIdentityLinks: get(links, person.id)
        .filter((link) => isValidAt(link, now))
        .map((link) => ({ sourceId: link.sourceId, sourceKey: link.sourceKey })),
      termsAgreements: get(agreements, person.id).flatMap((a) => {
        const t = termsById.get(a.termsId);
        return t && t.status === RecordStatus.ACTIVE ? [{ termsId: t.id, name: t.name, url: t.url, agreedAt: a.agreedAt }] : [];
      }),
      entitlements: personIsActive ? entitlements(get(servicesByOrganization, person.organizationId), membershipPayloads) : [],
    });
  }
  return payloads;
}

/**
 * Spec 2.3 step 8: "all members" memberships always stay; others need an active person, an active
 * group and a row valid now. One entry per group (nested rows may repeat a group), member and
 * owner OR-ed over the rows kept, in the order of each group's first kept row.
 */
export function personMemberships(
  rows: readonly MembershipRow[],
  groupById: ReadonlyMap<string, GroupRow>,
  groupIdentifiers: ReadonlyMap<string, readonly IdentifierRow[]>,
  personIsActive: boolean,
  now: Date,
): MembershipPayload[] {
  const membershipByGroup = new Map<string, MembershipPayload>();
  for (const row of rows) {
    const group = groupById.get(row.groupId);
    if (!group) continue;
    const keep =
      group.type === GroupType.MEMBERS_ALL || (personIsActive && group.status === RecordStatus.ACTIVE && isValidAt(row, now));
    if (!keep) continue;
    const existing = membershipByGroup.get(group.id);
    if (existing) {
      existing.member ||= row.member;
      existing.owner ||= row.owner;
      continue;
    }
    membershipByGroup.set(group.id, {
      groupId: group.id,
      groupName: group.fullName,
      groupType: group.type,
      member: row.member,
      owner: row.owner,
      groupIdentifiers: (groupIdentifiers.get(group.id) ?? NONE).map(identifierPayload),
    });
  }
  return [...membershipByGroup.values()];
}

/**
 * Active services (with an entitlement URI) of the person's organisation whose group the person is
 * a member of, or that have no group; `services` are those of the organisation, by id.
 */
export function entitlements(services: readonly ServiceRow[], memberships: readonly MembershipPayload[]): PersonPayload['entitlements'] {
  const memberOf = new Set(memberships.filter((m) => m.member).map((m) => m.groupId));
  return services
    .filter((service) => service.status === RecordStatus.ACTIVE && service.entitlementUri !== null)
    .filter((service) => !service.groupId || memberOf.has(service.groupId))
    .map((service) => ({
      serviceId: service.id,
      name: service.name,
      shortLabel: service.shortLabel,
      entitlementUri: service.entitlementUri!,
    }));
}

/** The members of the groups being loaded, per group then per person, in order of first kept row. */
export type GroupMembers = Map<string, Map<string, GroupMemberPayload>>;

/**
 * Folds one page of membership rows into `members`. A row counts when it is valid now and its
 * person is Active or in Grace Period (COmanage CO-2897); a person's rows in one group merge into
 * one member, member and owner OR-ed. `people` are (at least) the page's people not yet members
 * of their row's group; `identifiers` their active identifiers by id, matched through a map per person. Work and memory are linear
 * in the page; members are added to, never copied.
 */
export function addMemberRows(
  members: GroupMembers,
  rows: readonly MembershipRow[],
  people: readonly PersonRow[],
  identifiers: readonly IdentifierRow[],
  now: Date,
): GroupMembers {
  return runNow(addMemberRowsChunked(members, rows, people, identifiers, now));
}

/** addMemberRows, pausing after every chunk of rows (the loader gives the event loop a turn there). */
export function* addMemberRowsChunked(
  members: GroupMembers,
  rows: readonly MembershipRow[],
  people: readonly PersonRow[],
  identifiers: readonly IdentifierRow[],
  now: Date,
): Chunked<GroupMembers> {
  const active = new Set(people.filter((p) => ACTIVE_MEMBER_STATUSES.has(p.status)).map((p) => p.id));
  const identifiersByPerson = groupBy(identifiers, (row) => row.personId);
  yield* eachChunked(rows, (row) => {
    if (!isValidAt(row, now)) return;
    // A member already folded in was active then: the status is the person's, the same for every row.
    const existing = members.get(row.groupId)?.get(row.personId);
    if (existing) {
      existing.member ||= row.member;
      existing.owner ||= row.owner;
      return;
    }
    if (!active.has(row.personId)) return;
    let groupMembers = members.get(row.groupId);
    if (!groupMembers) members.set(row.groupId, (groupMembers = new Map()));
    groupMembers.set(row.personId, {
      personId: row.personId,
      member: row.member,
      owner: row.owner,
      identifiers: get(identifiersByPerson, row.personId).map(identifierPayload),
    });
  });
  return members;
}

/** A group's payload from its row, its active identifiers (by id) and its members. */
export function groupPayload(group: GroupRow, identifiers: readonly IdentifierRow[], members: Iterable<GroupMemberPayload>): GroupPayload {
  return {
    subjectType: 'GROUP',
    id: group.id,
    organizationId: group.organizationId,
    name: group.fullName,
    extension: group.name,
    description: group.description,
    status: group.status,
    groupType: group.type,
    identifiers: identifiers.map(identifierPayload),
    members: [...members],
  };
}

/**
 * The payloads of a batch of groups, by id, when all their rows are at hand (the loader pages the
 * membership rows through addMemberRows instead, and ends with groupPayload).
 */
export function groupPayloads(
  groups: readonly GroupRow[],
  groupIdentifiers: readonly IdentifierRow[],
  memberships: readonly MembershipRow[],
  people: readonly PersonRow[],
  memberIdentifiers: readonly IdentifierRow[],
  now: Date,
): Map<string, GroupPayload> {
  const members = addMemberRows(new Map(), memberships, people, memberIdentifiers, now);
  const identifiers = groupBy(groupIdentifiers, (row) => row.groupId);
  return new Map(groups.map((group) => [group.id, groupPayload(group, get(identifiers, group.id), members.get(group.id)?.values() ?? [])]));
}

export const servicePayload = (service: ServiceRow): ServicePayload => ({
  subjectType: 'SERVICE',
  id: service.id,
  organizationId: service.organizationId,
  name: service.name,
  description: service.description,
  shortLabel: service.shortLabel,
  entitlementUri: service.entitlementUri,
  serviceUrl: service.serviceUrl,
  groupId: service.groupId,
  status: service.status,
});

/** The email types a list reaches a person at, most preferred first (RECOVERY is never used). */
export const LIST_EMAIL_TYPES: readonly string[] = ['PREFERRED', 'OFFICIAL', 'DELIVERY', 'PERSONAL', 'FORWARDING'];

/**
 * A person's address for email lists, from their addresses (by id): the first of the most
 * preferred type (LIST_EMAIL_TYPES), verified before unverified; null when there is none.
 */
export function preferredEmail(emails: readonly Pick<EmailRow, 'mail' | 'type' | 'verified'>[]): string | null {
  let best: { rank: number; mail: string } | null = null;
  for (const email of emails) {
    const typeRank = LIST_EMAIL_TYPES.indexOf(email.type);
    if (typeRank < 0 || email.mail.trim() === '') continue;
    const rank = typeRank * 2 + (email.verified ? 0 : 1);
    if (!best || rank < best.rank) best = { rank, mail: email.mail };
  }
  return best?.mail ?? null;
}

/** The people of each group on email lists, per group then per person, in order of first kept row. */
export type ListGroupMembers = Map<string, Map<string, EmailListPersonPayload>>;

/**
 * Folds one page of membership rows of list groups into `members`: a row counts when it is a
 * `member` row (owner-only rows do not put a person on a list, spec 2.3 step 10), valid now, and
 * its person is Active or in Grace Period. `people` and `emails` cover the page's newcomers.
 */
export function addListMemberRows(
  members: ListGroupMembers,
  rows: readonly MembershipRow[],
  people: readonly PersonRow[],
  emails: readonly EmailRow[],
  now: Date,
): ListGroupMembers {
  const active = new Set(people.filter((p) => ACTIVE_MEMBER_STATUSES.has(p.status)).map((p) => p.id));
  const emailsByPerson = groupBy(emails, (row) => row.personId);
  for (const row of rows) {
    if (!row.member || !isValidAt(row, now) || !active.has(row.personId)) continue;
    let groupMembers = members.get(row.groupId);
    if (!groupMembers) members.set(row.groupId, (groupMembers = new Map()));
    if (groupMembers.has(row.personId)) continue;
    groupMembers.set(row.personId, { personId: row.personId, mail: preferredEmail(emailsByPerson.get(row.personId) ?? []) });
  }
  return members;
}

/** A list's payload from its row and the people of its groups. */
export function emailListPayload(list: EmailListRow, members: ListGroupMembers): EmailListPayload {
  const of = (groupId: string | null): EmailListPersonPayload[] => (groupId ? [...(members.get(groupId)?.values() ?? [])].map((p) => ({ ...p })) : []);
  return {
    subjectType: 'EMAIL_LIST',
    id: list.id,
    organizationId: list.organizationId,
    name: list.name,
    description: list.description,
    status: list.status,
    address: list.address,
    membersGroupId: list.membersGroupId,
    adminsGroupId: list.adminsGroupId,
    moderatorsGroupId: list.moderatorsGroupId,
    members: of(list.membersGroupId),
    admins: of(list.adminsGroupId),
    moderators: of(list.moderatorsGroupId),
  };
}
