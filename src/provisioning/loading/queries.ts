import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows, sqlRowsOfEach, uuidArrayLiteral } from '../../db/sql';
import type {
  AddressRow,
  AdHocAttributeRow,
  CouRow,
  EmailListRow,
  EmailRow,
  GroupRow,
  IdentifierRow,
  MembershipRow,
  NameRow,
  OrgIdentityLinkRow,
  PersonRow,
  RoleRow,
  ServiceRow,
  TelephoneRow,
  TermsAgreementRow,
  TermsRow,
  UrlRow,
} from './rows';

/**
 * Where the loader's SQL goes. `rows` sends one statement with positional `?` parameters; a JS
 * array parameter must reach PostgreSQL as ONE array value (`= any(?::uuid[])`), never as a list.
 */
export interface SqlExecutor {
  rows<T = Record<string, unknown>>(sql: string, params: readonly unknown[]): Promise<T[]>;
  /** Parses a timestamp as the driver returns it (MikroORM's pg setup leaves them as text). */
  date(value: unknown): Date;
}

/**
 * The executor of an EntityManager: its transaction when it has one (so the loader sees what the
 * transaction wrote), else the pool. It goes through knex, not `em.execute`: MikroORM formats the
 * parameters into the SQL text and turns an array into a list (`any('a', 'b')`), whereas knex
 * hands the array to pg as one bind parameter, which pg sends as an array literal. Statements are
 * still counted by the knex 'query' listener (ferry_sql_queries_total).
 *
 * Statements asked for in the same turn of the event loop (the loader's `Promise.all` of one kind
 * of record each) go out together in ONE round trip when each takes only uuid[] parameters: the
 * ids are written into the text as checked array literals (`uuidArrayLiteral`) and the statements
 * sent as one multi-statement query. On these machines a round trip costs more than a small
 * statement, so a batch's payloads take two round trips for people, not seventeen.
 */
export function executorFor(em: EntityManager): SqlExecutor {
  const platform = em.getPlatform();
  let waiting: { sql: string; params: readonly unknown[]; literals: string[]; resolve: (rows: any[]) => void; reject: (error: unknown) => void }[] | null = null;
  const sendWaiting = () => {
    const statements = waiting!;
    waiting = null;
    // One statement alone keeps its bind parameters; several go as one text.
    const sent =
      statements.length === 1
        ? sqlRows(em, statements[0].sql, statements[0].params).then((rows) => [rows])
        : sqlRowsOfEach(em, statements.map(({ sql, literals }) => {
            let n = 0;
            return sql.replace(/\?/g, () => literals[n++]);
          }));
    sent.then(
      (results) => statements.forEach((s, i) => s.resolve(results[i])),
      (error) => statements.forEach((s) => s.reject(error)),
    );
  };
  return {
    rows<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
      const literals = params.map(uuidArrayLiteral);
      const placeholders = sql.match(/\?/g)?.length ?? 0;
      if (placeholders !== params.length || literals.some((literal) => literal === null)) return sqlRows<T>(em, sql, params);
      return new Promise<T[]>((resolve, reject) => {
        if (!waiting) {
          waiting = [];
          queueMicrotask(sendWaiting);
        }
        waiting.push({ sql, params, literals: literals as string[], resolve, reject });
      });
    },
    date(value: unknown): Date {
      if (value instanceof Date) return value;
      const parsed = platform.parseDate(value as string);
      if (!(parsed instanceof Date)) throw new Error(`Unreadable timestamp ${String(value)}`);
      return parsed;
    },
  };
}

const optionalDate = (sql: SqlExecutor, value: unknown): Date | null => (value === null || value === undefined ? null : sql.date(value));

/** Raw rows, snake_case as PostgreSQL returns them. */
type Raw = Record<string, any>;

/** The statements, exported so tests can check their text (one array parameter each, no IN lists). */
export const SQL = {
  people: `select "id", "organization_id", "status" from "person" where "id" = any(?::uuid[])`,
  names: `select "id", "person_id", "type", "honorific", "given", "middle", "family", "suffix", "language", "primary"
    from "name" where "person_id" = any(?::uuid[]) order by "id"`,
  emails: `select "id", "person_id", "mail", "type", "verified" from "email_address" where "person_id" = any(?::uuid[]) order by "id"`,
  personIdentifiers: `select "id", "person_id", "group_id", "type", "value", "login"
    from "identifier" where "person_id" = any(?::uuid[]) and "status" = 'ACTIVE' order by "id"`,
  urls: `select "id", "person_id", "url", "type", "description" from "url" where "person_id" = any(?::uuid[]) order by "id"`,
  roles: `select "id", "person_id", "cou_id", "status", "affiliation", "title", "o", "ou", "order", "valid_from", "valid_through"
    from "person_role" where "person_id" = any(?::uuid[]) order by "order", "id"`,
  addresses: `select "id", "person_id", "role_id", "type", "street", "room", "locality", "state", "postal_code", "country", "language"
    from "address" where "person_id" = any(?::uuid[]) order by "id"`,
  telephoneNumbers: `select "id", "person_id", "role_id", "type", "country_code", "area_code", "number", "extension"
    from "telephone_number" where "person_id" = any(?::uuid[]) order by "id"`,
  adHocAttributes: `select "id", "person_id", "role_id", "tag", "value" from "ad_hoc_attribute" where "person_id" = any(?::uuid[]) order by "id"`,
  cous: `select "id", "name" from "cou" where "id" = any(?::uuid[])`,
  personMemberships: `select "id", "group_id", "person_id", "member", "owner", "valid_from", "valid_through"
    from "group_membership" where "person_id" = any(?::uuid[]) order by "id"`,
  groups: `select "id", "organization_id", "name", "full_name", "description", "status", "type" from "group" where "id" = any(?::uuid[])`,
  groupIdentifiers: `select "id", "person_id", "group_id", "type", "value", "login"
    from "identifier" where "group_id" = any(?::uuid[]) and "status" = 'ACTIVE' order by "id"`,
  orgIdentityLinks: `select "id", "person_id", "source_id", "source_key", "valid_from", "valid_through"
    from "org_identity_link" where "person_id" = any(?::uuid[]) order by "id"`,
  termsAgreements: `select "id", "person_id", "terms_id", "agreed_at" from "terms_agreement" where "person_id" = any(?::uuid[]) order by "id"`,
  terms: `select "id", "name", "url", "status" from "terms_and_conditions" where "id" = any(?::uuid[])`,
  entitlementServices: `select "id", "organization_id", "name", "description", "short_label", "entitlement_uri", "service_url", "group_id", "status"
    from "service" where "organization_id" = any(?::uuid[]) and "status" = 'ACTIVE' and "entitlement_uri" is not null order by "id"`,
  services: `select "id", "organization_id", "name", "description", "short_label", "entitlement_uri", "service_url", "group_id", "status"
    from "service" where "id" = any(?::uuid[])`,
  emailLists: `select "id", "organization_id", "name", "description", "status", "address", "members_group_id", "admins_group_id", "moderators_group_id"
    from "email_list" where "id" = any(?::uuid[])`,
  /**
   * One page of the memberships of some groups valid at a moment, by membership id after a cursor
   * (keyset pagination: each page is an index range scan, however deep).
   */
  groupMembershipPage: `select "id", "group_id", "person_id", "member", "owner", "valid_from", "valid_through"
    from "group_membership"
    where "group_id" = any(?::uuid[]) and "id" > ?::uuid
      and ("valid_from" is null or "valid_from" <= ?) and ("valid_through" is null or "valid_through" >= ?)
    order by "id" limit ?`,
} as const;

/** The smallest UUID: the keyset cursor before the first membership. */
export const FIRST_ID = '00000000-0000-0000-0000-000000000000';

const unique = (ids: Iterable<string>): string[] => [...new Set(ids)];

/** Runs `statement` with one uuid[] parameter, or returns no rows without a round trip when `ids` is empty. */
async function byIds(sql: SqlExecutor, statement: string, ids: Iterable<string>): Promise<Raw[]> {
  const list = unique(ids);
  if (list.length === 0) return [];
  return sql.rows<Raw>(statement, [list]);
}

const identifierRow = (r: Raw): IdentifierRow => ({
  id: r.id,
  personId: r.person_id ?? null,
  groupId: r.group_id ?? null,
  type: r.type,
  value: r.value,
  login: r.login,
});

const membershipRow = (sql: SqlExecutor, r: Raw): MembershipRow => ({
  id: r.id,
  groupId: r.group_id,
  personId: r.person_id,
  member: r.member,
  owner: r.owner,
  validFrom: optionalDate(sql, r.valid_from),
  validThrough: optionalDate(sql, r.valid_through),
});

const groupRow = (r: Raw): GroupRow => ({
  id: r.id,
  organizationId: r.organization_id,
  name: r.name,
  fullName: r.full_name,
  description: r.description,
  status: r.status,
  type: r.type,
});

const serviceRow = (r: Raw): ServiceRow => ({
  id: r.id,
  organizationId: r.organization_id,
  name: r.name,
  description: r.description,
  shortLabel: r.short_label,
  entitlementUri: r.entitlement_uri,
  serviceUrl: r.service_url,
  groupId: r.group_id,
  status: r.status,
});

export const selectPeople = async (sql: SqlExecutor, ids: Iterable<string>): Promise<PersonRow[]> =>
  (await byIds(sql, SQL.people, ids)).map((r) => ({ id: r.id, organizationId: r.organization_id, status: r.status }));

export const selectNames = async (sql: SqlExecutor, personIds: Iterable<string>): Promise<NameRow[]> =>
  (await byIds(sql, SQL.names, personIds)).map((r) => ({
    id: r.id,
    personId: r.person_id,
    type: r.type,
    honorific: r.honorific,
    given: r.given,
    middle: r.middle,
    family: r.family,
    suffix: r.suffix,
    language: r.language,
    primary: r.primary,
  }));

export const selectEmails = async (sql: SqlExecutor, personIds: Iterable<string>): Promise<EmailRow[]> =>
  (await byIds(sql, SQL.emails, personIds)).map((r) => ({ id: r.id, personId: r.person_id, mail: r.mail, type: r.type, verified: r.verified }));

/** Active identifiers of people, by id. */
export const selectPersonIdentifiers = async (sql: SqlExecutor, personIds: Iterable<string>): Promise<IdentifierRow[]> =>
  (await byIds(sql, SQL.personIdentifiers, personIds)).map(identifierRow);

export const selectUrls = async (sql: SqlExecutor, personIds: Iterable<string>): Promise<UrlRow[]> =>
  (await byIds(sql, SQL.urls, personIds)).map((r) => ({ id: r.id, personId: r.person_id, url: r.url, type: r.type, description: r.description }));

export const selectRoles = async (sql: SqlExecutor, personIds: Iterable<string>): Promise<RoleRow[]> =>
  (await byIds(sql, SQL.roles, personIds)).map((r) => ({
    id: r.id,
    personId: r.person_id,
    couId: r.cou_id,
    status: r.status,
    affiliation: r.affiliation,
    title: r.title,
    o: r.o,
    ou: r.ou,
    order: r.order,
    validFrom: optionalDate(sql, r.valid_from),
    validThrough: optionalDate(sql, r.valid_through),
  }));

export const selectAddresses = async (sql: SqlExecutor, personIds: Iterable<string>): Promise<AddressRow[]> =>
  (await byIds(sql, SQL.addresses, personIds)).map((r) => ({
    id: r.id,
    personId: r.person_id,
    roleId: r.role_id,
    type: r.type,
    street: r.street,
    room: r.room,
    locality: r.locality,
    state: r.state,
    postalCode: r.postal_code,
    country: r.country,
    language: r.language,
  }));

export const selectTelephoneNumbers = async (sql: SqlExecutor, personIds: Iterable<string>): Promise<TelephoneRow[]> =>
  (await byIds(sql, SQL.telephoneNumbers, personIds)).map((r) => ({
    id: r.id,
    personId: r.person_id,
    roleId: r.role_id,
    type: r.type,
    countryCode: r.country_code,
    areaCode: r.area_code,
    number: r.number,
    extension: r.extension,
  }));

export const selectAdHocAttributes = async (sql: SqlExecutor, personIds: Iterable<string>): Promise<AdHocAttributeRow[]> =>
  (await byIds(sql, SQL.adHocAttributes, personIds)).map((r) => ({ id: r.id, personId: r.person_id, roleId: r.role_id, tag: r.tag, value: r.value }));

export const selectCous = async (sql: SqlExecutor, ids: Iterable<string>): Promise<CouRow[]> =>
  (await byIds(sql, SQL.cous, ids)).map((r) => ({ id: r.id, name: r.name }));

/** Every membership row of the people (direct and nested, whatever their validity), by id. */
export const selectPersonMemberships = async (sql: SqlExecutor, personIds: Iterable<string>): Promise<MembershipRow[]> =>
  (await byIds(sql, SQL.personMemberships, personIds)).map((r) => membershipRow(sql, r));

export const selectGroups = async (sql: SqlExecutor, ids: Iterable<string>): Promise<GroupRow[]> => (await byIds(sql, SQL.groups, ids)).map(groupRow);

/** Active identifiers of groups, by id. */
export const selectGroupIdentifiers = async (sql: SqlExecutor, groupIds: Iterable<string>): Promise<IdentifierRow[]> =>
  (await byIds(sql, SQL.groupIdentifiers, groupIds)).map(identifierRow);

export const selectOrgIdentityLinks = async (sql: SqlExecutor, personIds: Iterable<string>): Promise<OrgIdentityLinkRow[]> =>
  (await byIds(sql, SQL.orgIdentityLinks, personIds)).map((r) => ({
    id: r.id,
    personId: r.person_id,
    sourceId: r.source_id,
    sourceKey: r.source_key,
    validFrom: optionalDate(sql, r.valid_from),
    validThrough: optionalDate(sql, r.valid_through),
  }));

export const selectTermsAgreements = async (sql: SqlExecutor, personIds: Iterable<string>): Promise<TermsAgreementRow[]> =>
  (await byIds(sql, SQL.termsAgreements, personIds)).map((r) => ({ id: r.id, personId: r.person_id, termsId: r.terms_id, agreedAt: sql.date(r.agreed_at) }));

export const selectTerms = async (sql: SqlExecutor, ids: Iterable<string>): Promise<TermsRow[]> =>
  (await byIds(sql, SQL.terms, ids)).map((r) => ({ id: r.id, name: r.name, url: r.url, status: r.status }));

/** Active services with an entitlement URI of the organisations, by id. */
export const selectEntitlementServices = async (sql: SqlExecutor, organizationIds: Iterable<string>): Promise<ServiceRow[]> =>
  (await byIds(sql, SQL.entitlementServices, organizationIds)).map(serviceRow);

export const selectServices = async (sql: SqlExecutor, ids: Iterable<string>): Promise<ServiceRow[]> => (await byIds(sql, SQL.services, ids)).map(serviceRow);

export const selectEmailLists = async (sql: SqlExecutor, ids: Iterable<string>): Promise<EmailListRow[]> =>
  (await byIds(sql, SQL.emailLists, ids)).map((r) => ({
    id: r.id,
    organizationId: r.organization_id,
    name: r.name,
    description: r.description,
    status: r.status,
    address: r.address ?? null,
    membersGroupId: r.members_group_id ?? null,
    adminsGroupId: r.admins_group_id ?? null,
    moderatorsGroupId: r.moderators_group_id ?? null,
  }));

/** One keyset page (at most `limit` rows after `afterId`) of the memberships of the groups valid at `now`. */
export async function selectGroupMembershipPage(
  sql: SqlExecutor,
  groupIds: readonly string[],
  now: Date,
  afterId: string,
  limit: number,
): Promise<MembershipRow[]> {
  if (groupIds.length === 0) return [];
  const rows = await sql.rows<Raw>(SQL.groupMembershipPage, [unique(groupIds), afterId, now, now, limit]);
  return rows.map((r) => membershipRow(sql, r));
}
