import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows } from '../db/sql';
import { ChangeKind } from '../changelog/change-log-entry.entity';
import type { ChangeLogRow } from '../changelog/change-log.reader';
import { PersonStatus, RecordStatus } from '../registry/enums';
import { EmailList } from '../registry/email-lists/email-list.entity';
import { GroupMembership } from '../registry/groups/group-membership.entity';
import { GroupNesting } from '../registry/groups/group-nesting.entity';
import { Group } from '../registry/groups/group.entity';
import { AdHocAttribute } from '../registry/people/ad-hoc-attribute.entity';
import { Address } from '../registry/people/address.entity';
import { EmailAddress } from '../registry/people/email-address.entity';
import { Identifier } from '../registry/people/identifier.entity';
import { Name } from '../registry/people/name.entity';
import { PersonRole } from '../registry/people/person-role.entity';
import { Person } from '../registry/people/person.entity';
import { TelephoneNumber } from '../registry/people/telephone-number.entity';
import { Url } from '../registry/people/url.entity';
import { Service } from '../registry/services/service.entity';
import { OrgIdentityLink } from '../registry/sources/org-identity-link.entity';
import { TermsAgreement } from '../registry/terms/terms-agreement.entity';
import { skeletonPerson } from './marshaller';
import { ProvisioningAction as A, SubjectType } from './actions';
import type { EmailListPayload, GroupPayload, PersonPayload, ServicePayload, SubjectPayload } from './payload';

/** One subject to provision with one action, and why. */
export interface WorkItem {
  subjectType: SubjectType;
  subjectId: string;
  organizationId: string;
  action: A;
  /** The change-log entry that caused it. */
  changeSeq: string | null;
  /** For deletes: the subject as it was, since it can no longer be read from the registry. */
  snapshot?: SubjectPayload;
  /** Whether Enrollment-mode targets take part (only when an enrollment finished). */
  enrollment?: boolean;
  /** Only these targets (e.g. the one on which a group became provisionable); all when left out. */
  targetIds?: string[];
  /** Not these targets (they get an item of their own for this subject, e.g. an add where the group became provisionable). */
  exceptTargetIds?: string[];
}

/** When one subject gets several actions in one change, the stronger one is kept. */
const PRIORITY: Partial<Record<A, number>> = {
  [A.PERSON_DELETED]: 100,
  [A.GROUP_DELETED]: 100,
  [A.SERVICE_DELETED]: 100,
  [A.LIST_DELETED]: 100,
  [A.PERSON_ADDED]: 50,
  [A.GROUP_ADDED]: 50,
  [A.SERVICE_ADDED]: 50,
  [A.LIST_ADDED]: 50,
  [A.PERSON_ENROLLMENT_FINISHED]: 40,
  [A.PERSON_EXPIRED]: 30,
  [A.PERSON_UNEXPIRED]: 30,
  [A.PERSON_ENTERED_GRACE_PERIOD]: 30,
};

/** What a planning rule is given: the entry, and how to add work for it. */
interface RuleContext {
  em: EntityManager;
  entry: ChangeLogRow;
  data: Record<string, unknown>;
  organizationId: string;
  seq: string;
  add(item: WorkItem): void;
  person(id: string | null, action: A, extra?: Partial<WorkItem>): void;
  group(id: string | null, action: A, extra?: Partial<WorkItem>): void;
  /** The groups the person has a membership row of (read for the whole change at once). */
  groupsOf(personId: string): string[];
}

/** The work one change-log entry of one kind of record causes. */
type PlanRule = (c: RuleContext) => void | Promise<void>;

/** A person was created, deleted, or changed: their status, their enrollment, their fields. */
const personRule: PlanRule = ({ entry, data, person, group, groupsOf }) => {
  if (entry.kind === ChangeKind.DELETED) return person(entry.entityId, A.PERSON_DELETED, { snapshot: personSnapshot(entry) });
  if (entry.kind === ChangeKind.CREATED) return person(entry.entityId, A.PERSON_ADDED);
  const [before, after] = (data.status as [PersonStatus, PersonStatus] | undefined) ?? [];
  let action = A.PERSON_UPDATED;
  if (after === PersonStatus.GRACE_PERIOD) action = A.PERSON_ENTERED_GRACE_PERIOD;
  else if (after === PersonStatus.EXPIRED) action = A.PERSON_EXPIRED;
  else if (before === PersonStatus.EXPIRED) action = A.PERSON_UNEXPIRED;
  const enrollment = entry.changedFields.includes('enrollmentFinishedAt') && Boolean((data.enrollmentFinishedAt as unknown[])?.[1]);
  person(entry.entityId, enrollment ? A.PERSON_ENROLLMENT_FINISHED : action, { enrollment });
  // Group member lists only hold active people, and a finished enrollment provisions the
  // person's groups too.
  if (before !== undefined || enrollment) {
    for (const groupId of groupsOf(entry.entityId)) {
      // A finished enrollment re-provisions the person's groups with the same action (COmanage
      // PP, spec 1.3), a status change with an update.
      group(groupId, enrollment ? A.PERSON_ENROLLMENT_FINISHED : A.GROUP_UPDATED, { enrollment });
    }
  }
};

/** An identifier of a person (or of a group). */
const identifierRule: PlanRule = ({ entry, person, group, groupsOf }) => {
  if (entry.personId) {
    person(entry.personId, A.PERSON_UPDATED);
    // Group entries carry members' identifiers (hasMember, memberUid) and DNs.
    for (const groupId of groupsOf(entry.personId)) group(groupId, A.GROUP_UPDATED);
  }
  group(entry.groupId, A.GROUP_UPDATED);
};

const membershipRule: PlanRule = ({ entry, person, group }) => {
  person(entry.personId, A.PERSON_UPDATED);
  group(entry.groupId, A.GROUP_UPDATED);
};

const nestingRule: PlanRule = ({ entry, group }) => group(entry.groupId, A.GROUP_UPDATED);

const groupRule: PlanRule = async ({ em, entry, person, group }) => {
  if (entry.kind === ChangeKind.DELETED) return group(entry.entityId, A.GROUP_DELETED, { snapshot: groupSnapshot(entry) });
  group(entry.entityId, entry.kind === ChangeKind.CREATED ? A.GROUP_ADDED : A.GROUP_UPDATED);
  // Members carry the group's name (isMemberOf) and lose it while it is suspended.
  if (entry.changedFields.includes('fullName') || entry.changedFields.includes('status')) {
    for (const personId of await membersOfAll(em, [entry.entityId])) person(personId, A.PERSON_UPDATED);
  }
};

const emailListRule: PlanRule = ({ entry, organizationId, seq, add }) => {
  const action = entry.kind === ChangeKind.DELETED ? A.LIST_DELETED : entry.kind === ChangeKind.CREATED ? A.LIST_ADDED : A.LIST_UPDATED;
  add({
    subjectType: SubjectType.EMAIL_LIST,
    subjectId: entry.entityId,
    organizationId,
    action,
    changeSeq: seq,
    snapshot: entry.kind === ChangeKind.DELETED ? emailListSnapshot(entry) : undefined,
  });
};

const serviceRule: PlanRule = async ({ em, entry, organizationId, seq, add, person }) => {
  const action = entry.kind === ChangeKind.DELETED ? A.SERVICE_DELETED : entry.kind === ChangeKind.CREATED ? A.SERVICE_ADDED : A.SERVICE_UPDATED;
  add({
    subjectType: SubjectType.SERVICE,
    subjectId: entry.entityId,
    organizationId,
    action,
    changeSeq: seq,
    snapshot: entry.kind === ChangeKind.DELETED ? serviceSnapshot(entry) : undefined,
  });
  // Entitlements (eduPersonEntitlement) follow the service's group, before and after.
  const groupIds = await serviceGroups(em, entry);
  const people = groupIds.includes(null) ? await everyone(em, organizationId) : await membersOfAll(em, groupIds as string[]);
  for (const personId of people) person(personId, A.PERSON_UPDATED);
};

/** A record of a person's (a name, an address, a role, a link, an agreement): the person changed. */
const personAttributeRule: PlanRule = ({ entry, person }) => person(entry.personId, A.PERSON_UPDATED);

/**
 * Which rule plans the change-log entries of each kind of record. Keyed by the entity classes
 * themselves (an entry's entityType is its entity's class name), so a renamed or removed entity
 * fails to compile here instead of silently planning nothing. Entities not listed cause no work.
 */
const RULES: ReadonlyMap<string, PlanRule> = new Map(
  (
    [
      [Person, personRule],
      [Identifier, identifierRule],
      [GroupMembership, membershipRule],
      [GroupNesting, nestingRule],
      [Group, groupRule],
      [EmailList, emailListRule],
      [Service, serviceRule],
      [Name, personAttributeRule],
      [EmailAddress, personAttributeRule],
      [Url, personAttributeRule],
      [PersonRole, personAttributeRule],
      [Address, personAttributeRule],
      [TelephoneNumber, personAttributeRule],
      [AdHocAttribute, personAttributeRule],
      [OrgIdentityLink, personAttributeRule],
      [TermsAgreement, personAttributeRule],
    ] as [{ name: string }, PlanRule][]
  ).map(([entity, rule]) => [entity.name, rule]),
);

/**
 * Turns the change-log entries of one transaction into provisioning work, in the order COmanage
 * applies it (spec 2.2): people first, then groups, unless the change started with a group.
 * Several changes to one subject collapse into one action.
 */
export class Planner {
  async plan(em: EntityManager, entries: readonly ChangeLogRow[]): Promise<WorkItem[]> {
    const items = new Map<string, WorkItem>();
    const add = (item: WorkItem) => {
      const key = `${item.subjectType}:${item.subjectId}`;
      const existing = items.get(key);
      if (!existing) {
        items.set(key, item);
        return;
      }
      if ((PRIORITY[item.action] ?? 0) > (PRIORITY[existing.action] ?? 0)) {
        items.set(key, { ...item, enrollment: existing.enrollment || item.enrollment });
      } else if (item.enrollment) {
        existing.enrollment = true;
      }
    };

    // The groups of the people whose identifiers or status changed, for the whole change in one
    // query (an import's chunk changes hundreds of people).
    const groupsOfPeople = await groupsOfAll(em, entries.flatMap((entry) => {
      if (entry.entityType === Identifier.name && entry.personId) return [entry.personId];
      if (entry.entityType === Person.name && entry.kind === ChangeKind.UPDATED) return [entry.entityId];
      // Email lists carry their people's addresses.
      if (entry.entityType === EmailAddress.name && entry.personId) return [entry.personId];
      return [];
    }));
    const groupsOf = (personId: string) => groupsOfPeople.get(personId) ?? [];

    for (const entry of entries) {
      const rule = RULES.get(entry.entityType);
      if (!rule) continue;
      const { organizationId, seq } = entry;
      await rule({
        em,
        entry,
        data: (entry.data ?? {}) as Record<string, unknown>,
        organizationId,
        seq,
        add,
        person: (id, action, extra = {}) => {
          if (id) add({ subjectType: SubjectType.PERSON, subjectId: id, organizationId, action, changeSeq: seq, ...extra });
        },
        group: (id, action, extra = {}) => {
          if (id) add({ subjectType: SubjectType.GROUP, subjectId: id, organizationId, action, changeSeq: seq, ...extra });
        },
        groupsOf,
      });
    }

    // The email lists whose people changed: those using a group whose members changed, or a group
    // of a person whose status, identifiers (their DNs) or email addresses changed; one query.
    for (const list of await listsUsing(em, entries.flatMap((entry) => listGroupsTouchedBy(entry, groupsOf)))) {
      add({ subjectType: SubjectType.EMAIL_LIST, subjectId: list.id, organizationId: list.organization_id, action: A.LIST_UPDATED, changeSeq: list.seq });
    }

    const startsWithGroup = [Group.name, GroupNesting.name].includes(entries[0]?.entityType ?? '');
    const rank = (item: WorkItem) => {
      const peopleRank = startsWithGroup ? 1 : 0;
      if (item.subjectType === SubjectType.PERSON) return peopleRank;
      if (item.subjectType === SubjectType.GROUP) return 1 - peopleRank;
      return 2;
    };
    return [...items.values()].sort((a, b) => rank(a) - rank(b));
  }
}

/** The email lists using any of these groups (members, admins or moderators), each with the change that touched it, in one query. */
async function listsUsing(em: EntityManager, touched: { groupId: string; seq: string }[]): Promise<{ id: string; organization_id: string; seq: string }[]> {
  if (touched.length === 0) return [];
  const seqOf = new Map<string, string>();
  for (const { groupId, seq } of touched) if (!seqOf.has(groupId)) seqOf.set(groupId, seq);
  const rows = await emailListsUsing(em, [...seqOf.keys()]);
  return rows.map((row) => ({
    id: row.id,
    organization_id: row.organization_id,
    seq: row.group_ids.map((id) => (id ? seqOf.get(id) : undefined)).find((seq) => seq !== undefined)!,
  }));
}

/** The groups whose members gain or lose the service's entitlement (null: everyone). */
async function serviceGroups(em: EntityManager, entry: ChangeLogRow): Promise<(string | null)[]> {
  const data = (entry.data ?? {}) as Record<string, unknown>;
  if (entry.kind === ChangeKind.DELETED) return [(data.group as string | null) ?? null];
  if (Array.isArray(data.group)) return data.group.map((id) => (id as string | null) ?? null);
  const service = await em.findOne(Service, { id: entry.entityId }, { fields: ['group'] });
  return service ? [service.group?.id ?? null] : [];
}

/** The groups each person has a membership row of (direct or nested), by person id, in one query. */
async function groupsOfAll(em: EntityManager, personIds: string[]): Promise<Map<string, string[]>> {
  const groups = new Map<string, string[]>();
  if (personIds.length === 0) return groups;
  const rows: { person_id: string; group_id: string }[] = await sqlRows(em,
    'select distinct person_id, group_id from group_membership where person_id = any(?::uuid[])',
    [[...new Set(personIds)]],
  );
  for (const row of rows) groups.set(row.person_id, [...(groups.get(row.person_id) ?? []), row.group_id]);
  return groups;
}

async function membersOfAll(em: EntityManager, groupIds: string[]): Promise<string[]> {
  if (groupIds.length === 0) return [];
  const rows = await em.find(GroupMembership, { group: { $in: groupIds } }, { fields: ['person'] });
  return [...new Set(rows.map((row) => row.person.id))];
}

async function everyone(em: EntityManager, organizationId: string): Promise<string[]> {
  const people = await em.find(Person, { organization: organizationId }, { fields: ['id'] });
  return people.map((p) => p.id);
}

export { isDelete } from './lanes/decisions';

function personSnapshot(entry: ChangeLogRow): PersonPayload {
  const data = (entry.data ?? {}) as Record<string, unknown>;
  return skeletonPerson(entry.entityId, entry.organizationId, (data.status as PersonStatus) ?? PersonStatus.DELETED);
}

function groupSnapshot(entry: ChangeLogRow): GroupPayload {
  const data = (entry.data ?? {}) as Record<string, unknown>;
  return {
    subjectType: 'GROUP',
    id: entry.entityId,
    organizationId: entry.organizationId,
    name: String(data.fullName ?? ''),
    extension: String(data.name ?? ''),
    description: (data.description as string | null) ?? null,
    status: (data.status as RecordStatus) ?? RecordStatus.ACTIVE,
    groupType: data.type as GroupPayload['groupType'],
    identifiers: [],
    members: [],
  };
}

/** The email lists using any of these groups (as members, admins or moderators), with their three group ids, in one query. */
export async function emailListsUsing(em: EntityManager, groupIds: readonly string[]): Promise<{ id: string; organization_id: string; group_ids: (string | null)[] }[]> {
  if (groupIds.length === 0) return [];
  return sqlRows(em,
    `select id, organization_id, array[members_group_id, admins_group_id, moderators_group_id]::text[] as group_ids from email_list
      where members_group_id = any(?::uuid[]) or admins_group_id = any(?::uuid[]) or moderators_group_id = any(?::uuid[])`,
    [groupIds, groupIds, groupIds],
  );
}

/** The groups of email lists whose people a change may change (members, or their status, DNs or addresses). */
function listGroupsTouchedBy(entry: ChangeLogRow, groupsOf: (personId: string) => string[]): { groupId: string; seq: string }[] {
  const { seq } = entry;
  const groups = (ids: (string | null)[]) => ids.filter((id): id is string => Boolean(id)).map((groupId) => ({ groupId, seq }));
  switch (entry.entityType) {
    case GroupMembership.name:
    case GroupNesting.name:
      return groups([entry.groupId]);
    case Identifier.name:
    case EmailAddress.name:
      return entry.personId ? groups(groupsOf(entry.personId)) : [];
    case Person.name: {
      const data = (entry.data ?? {}) as Record<string, unknown>;
      return entry.kind === ChangeKind.UPDATED && data.status !== undefined ? groups(groupsOf(entry.entityId)) : [];
    }
    default:
      return [];
  }
}

function emailListSnapshot(entry: ChangeLogRow): EmailListPayload {
  const data = (entry.data ?? {}) as Record<string, unknown>;
  const id = (value: unknown): string | null => (typeof value === 'string' ? value : ((value as { id?: string } | null)?.id ?? null));
  return {
    subjectType: 'EMAIL_LIST',
    id: entry.entityId,
    organizationId: entry.organizationId,
    name: String(data.name ?? ''),
    description: (data.description as string | null) ?? null,
    status: (data.status as RecordStatus) ?? RecordStatus.ACTIVE,
    address: (data.address as string | null) ?? null,
    membersGroupId: id(data.membersGroup),
    adminsGroupId: id(data.adminsGroup),
    moderatorsGroupId: id(data.moderatorsGroup),
    members: [],
    admins: [],
    moderators: [],
  };
}

function serviceSnapshot(entry: ChangeLogRow): ServicePayload {
  const data = (entry.data ?? {}) as Record<string, unknown>;
  return {
    subjectType: 'SERVICE',
    id: entry.entityId,
    organizationId: entry.organizationId,
    name: String(data.name ?? ''),
    description: (data.description as string | null) ?? null,
    shortLabel: (data.shortLabel as string | null) ?? null,
    entitlementUri: (data.entitlementUri as string | null) ?? null,
    serviceUrl: (data.serviceUrl as string | null) ?? null,
    groupId: (data.group as string | null) ?? null,
    status: (data.status as RecordStatus) ?? RecordStatus.ACTIVE,
  };
}
