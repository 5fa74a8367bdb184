import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';

/**
 * Bulk SQL seeding of Ferry's registry tables. Creating 20,000 people through the API would take
 * longer than the benchmarks themselves, so rows go in with multi-row INSERT ... SELECT unnest(...)
 * in one transaction. The organisation itself (with its system folders and automatic groups) is
 * created through the API beforehand, as in normal operation; the automatic memberships a person
 * gets in normal operation (CO:members:all, CO:members:active) are inserted here too. No change-log
 * rows are written: the scenarios that use this read the registry, not the change log.
 */

const CHUNK = 5000;

interface Column {
  name: string;
  /** PostgreSQL element type of the unnest array, enum types included (e.g. person_status). */
  type: string;
}

/** Inserts rows (values in `columns` order); created_at and updated_at are now(). */
export async function insertRows(client: pg.ClientBase, table: string, columns: Column[], rows: unknown[][]): Promise<void> {
  const names = columns.map((column) => `"${column.name}"`).join(', ');
  const arrays = columns.map((column, index) => `$${index + 1}::${column.type}[]`).join(', ');
  const sql = `insert into "${table}" (created_at, updated_at, ${names}) select now(), now(), * from unnest(${arrays})`;
  for (let start = 0; start < rows.length; start += CHUNK) {
    const chunk = rows.slice(start, start + CHUNK);
    await client.query(sql, columns.map((_, index) => chunk.map((row) => row[index])));
  }
}

export async function withClient<T>(databaseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function inTransaction<T>(client: pg.Client, work: () => Promise<T>): Promise<T> {
  await client.query('begin');
  try {
    const result = await work();
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback');
    throw error;
  }
}

export interface RegistryShape {
  people: number;
  groups: number;
  /** Distinct (non-automatic) groups each person is a direct member of. */
  groupsPerPerson: number;
  /** Folders the groups are spread over. */
  folders: number;
  /** Prefix of uids, so that several organisations in one database stay apart. */
  uidPrefix?: string;
}

export interface SeededPerson {
  id: string;
  uid: string;
  primaryNameId: string;
  given: string;
  family: string;
}

export interface SeededRegistry {
  people: SeededPerson[];
  groupIds: string[];
  /** Direct memberships in the seeded groups. */
  memberships: number;
  /** Memberships in CO:members:all and CO:members:active (one of each per person). */
  automaticMemberships: number;
}

const GIVEN = ['Ada', 'Grace', 'Alan', 'Barbara', 'Edsger', 'Frances', 'Donald', 'Margaret', 'Ken', 'Radia', 'Tim', 'Hedy', 'John', 'Sophie', 'Niklaus'];
const FAMILY = ['Lovelace', 'Hopper', 'Turing', 'Liskov', 'Dijkstra', 'Allen', 'Knuth', 'Hamilton', 'Thompson', 'Perlman', 'Berners-Lee', 'Lamarr', 'Backus', 'Wilson', 'Wirth'];
const AFFILIATIONS = ['STAFF', 'STUDENT', 'FACULTY', 'MEMBER'];

/**
 * People (each with a primary name, an official and a personal email, a uid and an eppn, one
 * active role), groups in a few folders, and memberships spread evenly: person i is in groups
 * i, i + stride, i + 2 stride, ... (mod groups), so every group gets about the same number.
 */
export async function seedRegistry(databaseUrl: string, organizationId: string, shape: RegistryShape): Promise<SeededRegistry> {
  if (shape.groupsPerPerson > shape.groups) throw new Error('groupsPerPerson cannot exceed groups');
  const prefix = shape.uidPrefix ?? 'u';
  return withClient(databaseUrl, async (client) => {
    const seeded = await inTransaction(client, async () => {
      const people: SeededPerson[] = [];
      const personRows: unknown[][] = [];
      const nameRows: unknown[][] = [];
      const emailRows: unknown[][] = [];
      const identifierRows: unknown[][] = [];
      const roleRows: unknown[][] = [];
      for (let index = 0; index < shape.people; index++) {
        const id = uuidv7();
        const uid = `${prefix}${String(index).padStart(6, '0')}`;
        const given = GIVEN[index % GIVEN.length];
        const family = FAMILY[Math.floor(index / GIVEN.length) % FAMILY.length];
        const primaryNameId = uuidv7();
        people.push({ id, uid, primaryNameId, given, family });
        personRows.push([id, organizationId, 'ACTIVE']);
        nameRows.push([primaryNameId, organizationId, id, 'OFFICIAL', given, family, true]);
        emailRows.push([uuidv7(), organizationId, id, `${uid}@bench.example.org`, 'OFFICIAL', true]);
        emailRows.push([uuidv7(), organizationId, id, `${given}.${family}.${index}@mail.example.net`.toLowerCase(), 'PERSONAL', false]);
        identifierRows.push([uuidv7(), organizationId, id, 'uid', uid, 'ACTIVE', true]);
        identifierRows.push([uuidv7(), organizationId, id, 'eppn', `${uid}@bench.example.org`, 'ACTIVE', false]);
        roleRows.push([uuidv7(), organizationId, id, 'ACTIVE', AFFILIATIONS[index % AFFILIATIONS.length], 'Researcher', 'Bench University', `Department ${index % 40}`, 0]);
      }
      await insertRows(client, 'person', [
        { name: 'id', type: 'uuid' },
        { name: 'organization_id', type: 'uuid' },
        { name: 'status', type: 'person_status' },
      ], personRows);
      await insertRows(client, 'name', [
        { name: 'id', type: 'uuid' },
        { name: 'organization_id', type: 'uuid' },
        { name: 'person_id', type: 'uuid' },
        { name: 'type', type: 'name_type' },
        { name: 'given', type: 'text' },
        { name: 'family', type: 'text' },
        { name: 'primary', type: 'boolean' },
      ], nameRows);
      await insertRows(client, 'email_address', [
        { name: 'id', type: 'uuid' },
        { name: 'organization_id', type: 'uuid' },
        { name: 'person_id', type: 'uuid' },
        { name: 'mail', type: 'text' },
        { name: 'type', type: 'email_type' },
        { name: 'verified', type: 'boolean' },
      ], emailRows);
      await insertRows(client, 'identifier', [
        { name: 'id', type: 'uuid' },
        { name: 'organization_id', type: 'uuid' },
        { name: 'person_id', type: 'uuid' },
        { name: 'type', type: 'text' },
        { name: 'value', type: 'text' },
        { name: 'status', type: 'record_status' },
        { name: 'login', type: 'boolean' },
      ], identifierRows);
      await insertRows(client, 'person_role', [
        { name: 'id', type: 'uuid' },
        { name: 'organization_id', type: 'uuid' },
        { name: 'person_id', type: 'uuid' },
        { name: 'status', type: 'person_status' },
        { name: 'affiliation', type: 'affiliation' },
        { name: 'title', type: 'text' },
        { name: 'o', type: 'text' },
        { name: 'ou', type: 'text' },
        { name: 'order', type: 'integer' },
      ], roleRows);

      const folderIds: string[] = [];
      const folderRows: unknown[][] = [];
      for (let index = 0; index < shape.folders; index++) {
        const id = uuidv7();
        const name = `unit-${String(index).padStart(3, '0')}`;
        folderIds.push(id);
        folderRows.push([id, organizationId, name, name, null, false]);
      }
      await insertRows(client, 'folder', FOLDER_COLUMNS, folderRows);

      const groupIds: string[] = [];
      const groupRows: unknown[][] = [];
      for (let index = 0; index < shape.groups; index++) {
        const id = uuidv7();
        const folderIndex = index % shape.folders;
        const name = `team-${String(index).padStart(5, '0')}`;
        groupIds.push(id);
        groupRows.push([id, organizationId, folderIds[folderIndex], name, `${folderRows[folderIndex][3]}:${name}`, 'ACTIVE', 'STANDARD', false]);
      }
      await insertRows(client, 'group', GROUP_COLUMNS, groupRows);

      const membershipRows: unknown[][] = [];
      const stride = Math.max(1, Math.floor(shape.groups / shape.groupsPerPerson));
      for (let index = 0; index < shape.people; index++) {
        for (let k = 0; k < shape.groupsPerPerson; k++) {
          membershipRows.push([uuidv7(), organizationId, groupIds[(index + k * stride) % shape.groups], people[index].id, true, false]);
        }
      }
      const automatic = await client.query<{ id: string }>(
        `select id from "group" where organization_id = $1 and cou_id is null and type in ('MEMBERS_ALL', 'MEMBERS_ACTIVE')`,
        [organizationId],
      );
      for (const { id: groupId } of automatic.rows) {
        for (const person of people) membershipRows.push([uuidv7(), organizationId, groupId, person.id, true, false]);
      }
      await insertRows(client, 'group_membership', [
        { name: 'id', type: 'uuid' },
        { name: 'organization_id', type: 'uuid' },
        { name: 'group_id', type: 'uuid' },
        { name: 'person_id', type: 'uuid' },
        { name: 'member', type: 'boolean' },
        { name: 'owner', type: 'boolean' },
      ], membershipRows);
      return {
        people,
        groupIds,
        memberships: shape.people * shape.groupsPerPerson,
        automaticMemberships: automatic.rows.length * shape.people,
      };
    });
    // Fresh statistics, as a database that grew to this size in normal operation would have.
    await client.query('analyze');
    return seeded;
  });
}

export const FOLDER_COLUMNS: Column[] = [
  { name: 'id', type: 'uuid' },
  { name: 'organization_id', type: 'uuid' },
  { name: 'name', type: 'text' },
  { name: 'full_name', type: 'text' },
  { name: 'parent_id', type: 'uuid' },
  { name: 'system', type: 'boolean' },
];

export const GROUP_COLUMNS: Column[] = [
  { name: 'id', type: 'uuid' },
  { name: 'organization_id', type: 'uuid' },
  { name: 'folder_id', type: 'uuid' },
  { name: 'name', type: 'text' },
  { name: 'full_name', type: 'text' },
  { name: 'status', type: 'record_status' },
  { name: 'type', type: 'group_type' },
  { name: 'policy', type: 'boolean' },
];
