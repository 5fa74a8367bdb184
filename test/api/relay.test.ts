import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { buildSchema, isInterfaceType, isObjectType } from 'graphql';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CreateFolderDocument, CreateGroupDocument, CreatePersonDocument, NodeDocument, PeopleEdgesDocument } from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { clientWithRole, createOrganization } from '../support/fixtures';

/** What Relay, Apollo and urql caches rely on: connections with edges and cursors, and node(id:). */
describe('Relay: connections and object identification', () => {
  let t: TestFerry;
  before(async () => {
    t = await startTestFerry();
  });
  after(() => t?.stop());

  it('pages people as edges with their own cursors, pageInfo both ways, beside nodes', async () => {
    const organization = await createOrganization(t.admin);
    const ids: string[] = [];
    for (const family of ['One', 'Two', 'Three']) {
      ids.push((await t.admin.ok(CreatePersonDocument, { input: { organizationId: organization.id, names: [{ given: 'P', family }] } })).createPerson.person.id);
    }
    const first = (await t.admin.ok(PeopleEdgesDocument, { organizationId: organization.id, first: 2 })).people;
    assert.deepEqual(first.edges.map((edge) => edge.node.id), ids.slice(0, 2));
    assert.deepEqual(first.nodes.map((node) => node.id), ids.slice(0, 2), 'nodes and edges hold the same records');
    assert.deepEqual(first.pageInfo, { startCursor: first.edges[0].cursor, endCursor: first.edges[1].cursor, hasNextPage: true, hasPreviousPage: false });
    assert.equal(first.totalCount, 3);

    const second = (await t.admin.ok(PeopleEdgesDocument, { organizationId: organization.id, first: 2, after: first.pageInfo.endCursor })).people;
    assert.deepEqual(second.edges.map((edge) => edge.node.id), [ids[2]]);
    assert.deepEqual([second.pageInfo.hasNextPage, second.pageInfo.hasPreviousPage], [false, true]);
    assert.equal(second.pageInfo.startCursor, second.edges[0].cursor);

    // Any edge's cursor resumes right after its record.
    const fromMiddle = (await t.admin.ok(PeopleEdgesDocument, { organizationId: organization.id, first: 5, after: first.edges[0].cursor })).people;
    assert.deepEqual(fromMiddle.edges.map((edge) => edge.node.id), ids.slice(1));

    const empty = (await t.admin.ok(PeopleEdgesDocument, { organizationId: (await createOrganization(t.admin)).id, first: 5 })).people;
    assert.deepEqual(empty.pageInfo, { startCursor: null, endCursor: null, hasNextPage: false, hasPreviousPage: false });
  });

  it('fetches any record by its id alone, with its type, and only where the caller may read it', async () => {
    const organization = await createOrganization(t.admin);
    const person = (await t.admin.ok(CreatePersonDocument, { input: { organizationId: organization.id, names: [{ given: 'Ada', family: 'Lovelace' }] } })).createPerson.person;
    const folder = (await t.admin.ok(CreateFolderDocument, { input: { organizationId: organization.id, name: 'app' } })).createFolder.folder;
    const group = (await t.admin.ok(CreateGroupDocument, { input: { folderId: folder.id, name: 'wiki' } })).createGroup.group;

    const asPerson = (await t.admin.ok(NodeDocument, { id: person.id })).node;
    assert.ok(asPerson?.__typename === 'Person');
    assert.deepEqual([asPerson.id, asPerson.status, asPerson.names[0].family], [person.id, 'ACTIVE', 'Lovelace']);
    const asName = (await t.admin.ok(NodeDocument, { id: person.names[0].id })).node;
    assert.ok(asName?.__typename === 'Name' && asName.given === 'Ada', 'a record hanging off a person too');
    const asGroup = (await t.admin.ok(NodeDocument, { id: group.id })).node;
    assert.ok(asGroup?.__typename === 'Group' && asGroup.fullName === 'app:wiki');
    const asOrganization = (await t.admin.ok(NodeDocument, { id: organization.id })).node;
    assert.ok(asOrganization?.__typename === 'Organization' && asOrganization.name === organization.name);

    const { client: reader } = await clientWithRole(t, 'ORG_READER', organization.id);
    assert.equal((await reader.ok(NodeDocument, { id: group.id })).node?.id, group.id, "a reader of the organisation reads its records");
    const { client: outsider } = await clientWithRole(t, 'ORG_ADMIN', (await createOrganization(t.admin)).id);
    for (const id of [person.id, organization.id]) {
      const refused = await outsider.request(NodeDocument, { id });
      assert.equal(refused.errors?.[0]?.extensions?.code, 'NOT_FOUND', 'another organisation sees nothing');
      assert.equal(refused.data?.node ?? null, null);
    }
    for (const id of [randomUUID(), 'not-an-id']) {
      assert.equal((await t.admin.request(NodeDocument, { id })).errors?.[0]?.extensions?.code, 'NOT_FOUND', `unknown id ${id}`);
    }
  });

  it('makes every organisation-scoped record a Node in the checked-in schema, and every connection Relay-shaped', async () => {
    const schema = buildSchema(await readFile(path.resolve(__dirname, '../../../schema/schema.graphql'), 'utf8'));
    const node = schema.getType('Node');
    assert.ok(node && isInterfaceType(node));
    const implementations = schema.getPossibleTypes(node).map((type) => type.name);
    for (const name of ['Organization', 'Person', 'Name', 'Group', 'Folder', 'GroupMembership', 'ProvisioningTarget', 'EmailList', 'Service']) {
      assert.ok(implementations.includes(name), `${name} implements Node`);
    }
    const connections = Object.values(schema.getTypeMap()).filter((type) => isObjectType(type) && type.name.endsWith('Connection'));
    assert.ok(connections.length >= 15);
    for (const connection of connections) {
      const fields = (connection as import('graphql').GraphQLObjectType).getFields();
      assert.ok(fields.edges && fields.pageInfo && fields.nodes, `${connection.name} has edges, nodes and pageInfo`);
    }
    const pageInfo = schema.getType('PageInfo') as import('graphql').GraphQLObjectType;
    assert.deepEqual(Object.keys(pageInfo.getFields()).sort(), ['endCursor', 'hasNextPage', 'hasPreviousPage', 'startCursor']);
  });
});
