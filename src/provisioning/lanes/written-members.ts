import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows } from '../../db/sql';
import type { WrittenMembers } from '../../plugins/plugin';

/**
 * What a result says about group members: a group's whole member list (`members`; null when the
 * group's object is gone and its record goes too), or one member added to a group (`added`).
 */
export type MembersRecord = { groupId: string; members: readonly string[] | null } | { groupId: string; added: string };

/** Ferry's record of the members it wrote to the target's groups, for the plugin context. */
export function writtenMembers(em: EntityManager, targetId: string): WrittenMembers {
  return {
    async of(groupId) {
      const rows = await sqlRows<{ member_remote_id: string }>(em,
        'select member_remote_id from provisioned_member where target_id = ? and group_id = ? order by member_remote_id',
        [targetId, groupId],
      );
      return rows.map((row) => row.member_remote_id);
    },
  };
}

/**
 * Brings the record of a batch's groups to what their results reported, in two statements for
 * the batch: the rows of a replaced member list that no result keeps are deleted, the new ones
 * inserted (rows that stay are not written again).
 */
export async function recordMembers(em: EntityManager, targetId: string, records: readonly MembersRecord[]): Promise<void> {
  if (records.length === 0) return;
  const replaced: string[] = [];
  const groupIds: string[] = [];
  const members: string[] = [];
  for (const record of records) {
    if ('added' in record) {
      groupIds.push(record.groupId);
      members.push(record.added);
      continue;
    }
    replaced.push(record.groupId);
    for (const member of new Set(record.members ?? [])) {
      groupIds.push(record.groupId);
      members.push(member);
    }
  }
  if (replaced.length > 0) await sqlRows(em,
    `delete from provisioned_member m
      where m.target_id = ? and m.group_id = any(?::uuid[])
        and not exists (select 1 from unnest(?::uuid[], ?::text[]) as v(group_id, member)
                         where v.group_id = m.group_id and v.member = m.member_remote_id)`,
    [targetId, replaced, groupIds, members],
  );
  if (members.length === 0) return;
  await sqlRows(em,
    `insert into provisioned_member (target_id, group_id, member_remote_id)
     select ?, v.group_id, v.member from unnest(?::uuid[], ?::text[]) as v(group_id, member)
     on conflict do nothing`,
    [targetId, groupIds, members],
  );
}
