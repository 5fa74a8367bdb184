import type { EntityManager } from '@mikro-orm/postgresql';
import { ACTIVE_MEMBER_STATUSES, GroupType, PersonStatus, RecordStatus } from '../../src/registry/enums';
import { Group } from '../../src/registry/groups/group.entity';
import { GroupMembership } from '../../src/registry/groups/group-membership.entity';
import { Cou } from '../../src/registry/organizations/cou.entity';
import { AdHocAttribute } from '../../src/registry/people/ad-hoc-attribute.entity';
import { Address } from '../../src/registry/people/address.entity';
import { EmailAddress } from '../../src/registry/people/email-address.entity';
import { Identifier } from '../../src/registry/people/identifier.entity';
import { Name } from '../../src/registry/people/name.entity';
import { Person } from '../../src/registry/people/person.entity';
import { PersonRole } from '../../src/registry/people/person-role.entity';
import { TelephoneNumber } from '../../src/registry/people/telephone-number.entity';
import { Url } from '../../src/registry/people/url.entity';
import { Service } from '../../src/registry/services/service.entity';
import { OrgIdentityLink } from '../../src/registry/sources/org-identity-link.entity';
import { TermsAgreement } from '../../src/registry/terms/terms-agreement.entity';
import { TermsAndConditions } from '../../src/registry/terms/terms-and-conditions.entity';
import type {
  GroupMemberPayload,
  GroupPayload,
  IdentifierPayload,
  MembershipPayload,
  NamePayload,
  PersonPayload,
  ServicePayload,
} from '../../src/provisioning/payload';

/*
 * The per-subject marshaller as it was before the set-based loader (src/provisioning/loading/),
 * kept verbatim (imports and class name aside) as the reference the loader's payloads are compared
 * with in test/provisioning/payload-loader.test.ts. Not used by Ferry itself.
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

const identifierPayload = (identifier: Identifier): IdentifierPayload => ({
  type: identifier.type,
  value: identifier.value,
  login: identifier.login,
});

const namePayload = (name: Name): NamePayload => ({
  type: name.type,
  honorific: name.honorific,
  given: name.given,
  middle: name.middle,
  family: name.family,
  suffix: name.suffix,
  language: name.language,
  primary: name.primary,
});

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

/**
 * Builds the payloads every plugin receives, from the registry as it is now (so queued work that
 * runs later pushes the latest data). The one place that knows the status and validity rules.
 */
export class ReferenceMarshaller {
  constructor(private readonly clock: () => Date = () => new Date()) {}

  async person(em: EntityManager, personId: string): Promise<PersonPayload | null> {
    const person = await em.findOne(Person, { id: personId });
    if (!person) return null;
    const base = skeletonPerson(person.id, person.organization.id, person.status);
    if (!PROVISIONABLE_PERSON_STATUSES.has(person.status)) return base;

    const now = this.clock();
    const [names, emails, identifiers, urls, roles, memberships, links, agreements] = await Promise.all([
      em.find(Name, { person: personId }, { orderBy: { id: 'asc' } }),
      em.find(EmailAddress, { person: personId }, { orderBy: { id: 'asc' } }),
      em.find(Identifier, { person: personId, status: RecordStatus.ACTIVE }, { orderBy: { id: 'asc' } }),
      em.find(Url, { person: personId }, { orderBy: { id: 'asc' } }),
      em.find(PersonRole, { person: personId }, { orderBy: { order: 'asc', id: 'asc' } }),
      em.find(GroupMembership, { person: personId }, { orderBy: { id: 'asc' } }),
      em.find(OrgIdentityLink, { person: personId }, { orderBy: { id: 'asc' } }),
      em.find(TermsAgreement, { person: personId }, { orderBy: { id: 'asc' } }),
    ]);
    const validRoles = roles.filter((role) => ACTIVE_ROLE_STATUSES.has(role.status) && isValidAt(role, now));
    const roleIds = validRoles.map((role) => role.id);
    const couIds = [...new Set(validRoles.flatMap((role) => (role.cou ? [role.cou.id] : [])))];
    const groupIds = [...new Set(memberships.map((m) => m.group.id))];
    const [addresses, phones, adHoc, cous, groups, groupIdentifiers, terms] = await Promise.all([
      roleIds.length ? em.find(Address, { role: { $in: roleIds } }, { orderBy: { id: 'asc' } }) : [],
      roleIds.length ? em.find(TelephoneNumber, { role: { $in: roleIds } }, { orderBy: { id: 'asc' } }) : [],
      roleIds.length ? em.find(AdHocAttribute, { role: { $in: roleIds } }, { orderBy: { id: 'asc' } }) : [],
      couIds.length ? em.find(Cou, { id: { $in: couIds } }) : [],
      groupIds.length ? em.find(Group, { id: { $in: groupIds } }) : [],
      groupIds.length
        ? em.find(Identifier, { group: { $in: groupIds }, status: RecordStatus.ACTIVE }, { orderBy: { id: 'asc' } })
        : [],
      agreements.length ? em.find(TermsAndConditions, { id: { $in: agreements.map((a) => a.terms.id) } }) : [],
    ]);
    const couName = new Map(cous.map((cou) => [cou.id, cou.name]));
    const groupById = new Map(groups.map((group) => [group.id, group]));
    const personIsActive = ACTIVE_MEMBER_STATUSES.has(person.status);

    // Spec 2.3 step 8: "all members" memberships always stay; others need an active person, an
    // active group and a row valid now. One entry per group (nested rows may repeat a group).
    const membershipByGroup = new Map<string, MembershipPayload>();
    for (const row of memberships) {
      const group = groupById.get(row.group.id);
      if (!group) continue;
      const keep =
        group.type === GroupType.MEMBERS_ALL ||
        (personIsActive && group.status === RecordStatus.ACTIVE && isValidAt(row, now));
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
        groupIdentifiers: groupIdentifiers.filter((i) => i.group?.id === group.id).map(identifierPayload),
      });
    }
    const membershipPayloads = [...membershipByGroup.values()];

    const entitlements = personIsActive ? await this.entitlements(em, person.organization.id, membershipPayloads) : [];
    const termsById = new Map(terms.map((t) => [t.id, t]));
    const namePayloads = names.map(namePayload);

    return {
      ...base,
      skeleton: false,
      primaryName: namePayloads.find((n) => n.primary) ?? namePayloads[0] ?? null,
      names: namePayloads,
      emailAddresses: emails.map((e) => ({ mail: e.mail, type: e.type, verified: e.verified })),
      identifiers: identifiers.map(identifierPayload),
      urls: urls.map((u) => ({ url: u.url, type: u.type, description: u.description })),
      roles: validRoles.map((role) => ({
        id: role.id,
        status: role.status,
        affiliation: role.affiliation,
        title: role.title,
        o: role.o,
        ou: role.ou,
        cou: role.cou ? { id: role.cou.id, name: couName.get(role.cou.id) ?? '' } : null,
        order: role.order,
        validFrom: role.validFrom,
        validThrough: role.validThrough,
        addresses: addresses
          .filter((a) => a.role.id === role.id)
          .map((a) => ({
            type: a.type,
            street: a.street,
            room: a.room,
            locality: a.locality,
            state: a.state,
            postalCode: a.postalCode,
            country: a.country,
            language: a.language,
          })),
        telephoneNumbers: phones
          .filter((p) => p.role.id === role.id)
          .map((p) => ({ type: p.type, countryCode: p.countryCode, areaCode: p.areaCode, number: p.number, extension: p.extension })),
        adHocAttributes: adHoc.filter((a) => a.role.id === role.id).map((a) => ({ tag: a.tag, value: a.value })),
      })),
      memberships: membershipPayloads,
      orgIdentityLinks: links.filter((link) => isValidAt(link, now)).map((link) => ({ sourceId: link.source.id, sourceKey: link.sourceKey })),
      termsAgreements: agreements.flatMap((a) => {
        const t = termsById.get(a.terms.id);
        return t && t.status === RecordStatus.ACTIVE ? [{ termsId: t.id, name: t.name, url: t.url, agreedAt: a.agreedAt }] : [];
      }),
      entitlements,
    };
  }

  /** Active services whose group the person is a member of, or that have no group. */
  private async entitlements(em: EntityManager, organizationId: string, memberships: MembershipPayload[]) {
    const memberOf = new Set(memberships.filter((m) => m.member).map((m) => m.groupId));
    const services = await em.find(
      Service,
      { organization: organizationId, status: RecordStatus.ACTIVE, entitlementUri: { $ne: null } },
      { orderBy: { id: 'asc' } },
    );
    return services
      .filter((service) => !service.group || memberOf.has(service.group.id))
      .map((service) => ({
        serviceId: service.id,
        name: service.name,
        shortLabel: service.shortLabel,
        entitlementUri: service.entitlementUri!,
      }));
  }

  async group(em: EntityManager, groupId: string): Promise<GroupPayload | null> {
    const group = await em.findOne(Group, { id: groupId });
    if (!group) return null;
    const now = this.clock();
    const [identifiers, rows] = await Promise.all([
      em.find(Identifier, { group: groupId, status: RecordStatus.ACTIVE }, { orderBy: { id: 'asc' } }),
      em.find(GroupMembership, { group: groupId }, { orderBy: { id: 'asc' } }),
    ]);
    const validRows = rows.filter((row) => isValidAt(row, now));
    const personIds = [...new Set(validRows.map((row) => row.person.id))];
    // Members are people Active or in Grace Period (COmanage CO-2897), with their identifiers.
    const [people, personIdentifiers] = personIds.length
      ? await Promise.all([
          em.find(Person, { id: { $in: personIds }, status: { $in: [...ACTIVE_MEMBER_STATUSES] } }),
          em.find(Identifier, { person: { $in: personIds }, status: RecordStatus.ACTIVE }, { orderBy: { id: 'asc' } }),
        ])
      : [[], []];
    const active = new Set(people.map((p) => p.id));
    const members = new Map<string, GroupMemberPayload>();
    for (const row of validRows) {
      const personId = row.person.id;
      if (!active.has(personId)) continue;
      const existing = members.get(personId);
      if (existing) {
        existing.member ||= row.member;
        existing.owner ||= row.owner;
        continue;
      }
      members.set(personId, {
        personId,
        member: row.member,
        owner: row.owner,
        identifiers: personIdentifiers.filter((i) => i.person?.id === personId).map(identifierPayload),
      });
    }
    return {
      subjectType: 'GROUP',
      id: group.id,
      organizationId: group.organization.id,
      name: group.fullName,
      extension: group.name,
      description: group.description,
      status: group.status,
      groupType: group.type,
      identifiers: identifiers.map(identifierPayload),
      members: [...members.values()],
    };
  }

  async service(em: EntityManager, serviceId: string): Promise<ServicePayload | null> {
    const service = await em.findOne(Service, { id: serviceId });
    if (!service) return null;
    return {
      subjectType: 'SERVICE',
      id: service.id,
      organizationId: service.organization.id,
      name: service.name,
      description: service.description,
      shortLabel: service.shortLabel,
      entitlementUri: service.entitlementUri,
      serviceUrl: service.serviceUrl,
      groupId: service.group?.id ?? null,
      status: service.status,
    };
  }
}
