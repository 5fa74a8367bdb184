import { ACTIVE_MEMBER_STATUSES, RecordStatus, type GroupType } from '../../registry/enums';
import type { GroupMemberPayload, GroupPayload, IdentifierPayload } from '../payload';

/** The rows a group payload is built from, as PostgreSQL returns them (nothing managed, nothing written). */
export interface GroupRow {
  id: string;
  organization_id: string;
  name: string;
  full_name: string;
  description: string | null;
  status: RecordStatus;
  type: GroupType;
}

export interface IdentifierRow {
  /** The person (member identifiers) or null (group identifiers). */
  person_id: string | null;
  type: string;
  value: string;
  login: boolean;
}

/** A membership row valid now, of a person whose status makes them a member (Active, Grace Period). */
export interface MemberRow {
  person_id: string;
  member: boolean;
  owner: boolean;
}

export interface GroupRows {
  group: GroupRow;
  identifiers: IdentifierRow[];
  members: MemberRow[];
  memberIdentifiers: IdentifierRow[];
}

/** Something that runs SQL with `?` placeholders and returns plain rows (MikroORM's `em.execute`). */
export interface SqlExecutor {
  execute<T>(sql: string, params: unknown[]): Promise<T[]>;
}

const identifierPayload = (row: IdentifierRow): IdentifierPayload => ({ type: row.type, value: row.value, login: row.login });

/**
 * The group payload from its rows (pure): members deduplicated per person in membership order,
 * member/owner OR-ed over a person's rows (nested rows repeat a person), each with their active
 * identifiers found through a map by person, so the work is linear in rows, not members x
 * identifiers.
 */
export function groupPayloadFromRows(rows: GroupRows): GroupPayload {
  const identifiersByPerson = new Map<string, IdentifierPayload[]>();
  for (const row of rows.memberIdentifiers) {
    if (!row.person_id) continue;
    const list = identifiersByPerson.get(row.person_id);
    if (list) list.push(identifierPayload(row));
    else identifiersByPerson.set(row.person_id, [identifierPayload(row)]);
  }
  const members = new Map<string, GroupMemberPayload>();
  for (const row of rows.members) {
    const existing = members.get(row.person_id);
    if (existing) {
      existing.member ||= row.member;
      existing.owner ||= row.owner;
      continue;
    }
    members.set(row.person_id, {
      personId: row.person_id,
      member: row.member,
      owner: row.owner,
      identifiers: identifiersByPerson.get(row.person_id) ?? [],
    });
  }
  const { group } = rows;
  return {
    subjectType: 'GROUP',
    id: group.id,
    organizationId: group.organization_id,
    name: group.full_name,
    extension: group.name,
    description: group.description,
    status: group.status,
    groupType: group.type,
    identifiers: rows.identifiers.map(identifierPayload),
    members: [...members.values()],
  };
}

/** A PostgreSQL array literal (of enum labels or uuids, which need no quoting), bound as one parameter. */
const textArray = (values: Iterable<string>): string => `{${[...values].join(',')}}`;

/**
 * The rows of one group in at most four statements, whatever its size: the group, its
 * identifiers, the memberships that count now (valid at `now`, person Active or Grace Period) and
 * the active identifiers of those members (`= any($1)` over one array parameter).
 */
export async function loadGroupRows(sql: SqlExecutor, groupId: string, now: Date): Promise<GroupRows | null> {
  const [group] = await sql.execute<GroupRow>(
    'select id, organization_id, name, full_name, description, status, type from "group" where id = ?',
    [groupId],
  );
  if (!group) return null;
  const counting = `from group_membership m join person p on p.id = m.person_id
     where m.group_id = ? and (m.valid_from is null or m.valid_from <= ?) and (m.valid_through is null or m.valid_through >= ?)
       and p.status::text = any(?::text[])`;
  const countingParams = [groupId, now, now, textArray(ACTIVE_MEMBER_STATUSES)];
  const [identifiers, members] = await Promise.all([
    sql.execute<IdentifierRow>(
      'select null as person_id, type, value, login from identifier where group_id = ? and status = ? order by id',
      [groupId, RecordStatus.ACTIVE],
    ),
    sql.execute<MemberRow>(`select m.person_id, m.member, m.owner ${counting} order by m.id`, countingParams),
  ]);
  // The members' ids go as ONE array parameter: an index scan whatever the table statistics say
  // (a sub-select here was planned as a nested loop after a bulk import, quadratic in members).
  const memberIds = [...new Set(members.map((row) => row.person_id))];
  const memberIdentifiers = memberIds.length
    ? await sql.execute<IdentifierRow>(
        'select person_id, type, value, login from identifier where person_id = any(?::uuid[]) and status = ? order by id',
        [textArray(memberIds), RecordStatus.ACTIVE],
      )
    : [];
  return { group, identifiers, members, memberIdentifiers };
}
