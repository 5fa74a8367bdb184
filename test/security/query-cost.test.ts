import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  getNullableType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  parse,
  print,
  astFromValue,
  typeFromAST,
  type DocumentNode,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
  type IntrospectionQuery,
  type OperationDefinitionNode,
} from 'graphql';
import * as generated from '../../src/client/generated/graphql';
import { operationCost } from '../../src/api/limits';
import { MAX_PAGE_SIZE } from '../../src/common/pagination';
import { configSchema } from '../../src/config/config';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization } from '../support/fixtures';
import { LiveTestClient } from '../support/live-client';

interface Answer {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

const DEFAULT_MAX_COST = configSchema.shape.FERRY_MAX_QUERY_COST.parse(undefined) as number;

type AnyField = GraphQLField<unknown, unknown>;
const requiredArgs = (field: AnyField) => field.args.filter((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined);
const leaves = (type: GraphQLNamedType) =>
  isObjectType(type) || isInterfaceType(type)
    ? Object.values(type.getFields()).filter((f) => isLeafType(getNamedType(f.type)) && requiredArgs(f).length === 0).map((f) => f.name)
    : [];

/** A value of the type that passes GraphQL's validation (not necessarily the resolver's). */
function sample(type: GraphQLInputType, name: string, organizationId: string): unknown {
  if (isNonNullType(type)) return sample(type.ofType, name, organizationId);
  if (isListType(type)) return [sample(type.ofType, name, organizationId)];
  if (isEnumType(type)) return type.getValues()[0].value;
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields()).filter((f) => isNonNullType(f.type) && f.defaultValue === undefined);
    return Object.fromEntries(fields.map((f) => [f.name, sample(f.type, f.name, organizationId)]));
  }
  if (isScalarType(type)) {
    if (name === 'first') return MAX_PAGE_SIZE;
    if (type.name === 'Int' || type.name === 'Float') return 1;
    if (type.name === 'Boolean') return true;
    if (type.name === 'DateTime') return new Date().toISOString();
    if (name === 'organizationId') return organizationId;
    return type.name === 'ID' ? randomUUID() : 'x';
  }
  return null;
}

/**
 * What a client would ask of each record: its scalar fields, and the scalar fields of the single
 * records it points to (`group { id name ... }`); no nested lists.
 */
function normalSelection(type: GraphQLNamedType): string {
  const parts = leaves(type);
  if (isObjectType(type) || isInterfaceType(type)) {
    for (const field of Object.values(type.getFields())) {
      const named = getNamedType(field.type);
      if (isLeafType(named) || isListType(getNullableType(field.type)) || requiredArgs(field).length > 0) continue;
      const inner = leaves(named);
      parts.push(`${field.name} { ${inner.length > 0 ? inner.join(' ') : '__typename'} }`);
    }
  }
  return parts.length > 0 ? parts.join(' ') : '__typename';
}

/** A root list field at its largest page: `nodes`/`edges`/... of a connection each with a normal selection. */
function largestPageQuery(field: AnyField, organizationId: string): string {
  const args = field.args
    .filter((arg) => arg.name === 'first' || requiredArgs(field).includes(arg))
    .map((arg) => `${arg.name}: ${print(astFromValue(sample(arg.type, arg.name, organizationId), arg.type)!)}`);
  const type = getNamedType(field.type);
  let selection: string;
  if (isListType(getNullableType(field.type)) || !(isObjectType(type) || isInterfaceType(type))) selection = normalSelection(type);
  else {
    // A connection or page: every part of it, lists with the normal selection of their records.
    selection = Object.values(type.getFields())
      .filter((f) => requiredArgs(f).length === 0)
      .map((f) => {
        const named = getNamedType(f.type);
        if (isLeafType(named)) return f.name;
        if (isListType(getNullableType(f.type))) {
          const item = getNamedType(f.type);
          // Relay edges: { cursor node { ... } }
          if (isObjectType(item) && item.getFields().node) return `${f.name} { ${leaves(item).join(' ')} node { ${normalSelection(getNamedType(item.getFields().node.type))} } }`;
          return `${f.name} { ${normalSelection(named)} }`;
        }
        return `${f.name} { ${normalSelection(named)} }`;
      })
      .join(' ');
  }
  return `query { ${field.name}${args.length > 0 ? `(${args.join(', ')})` : ''} { ${selection} } }`;
}

/** Query fields that return lists: plain lists and connections (objects with a list in them, paged by `first`). */
function listRootFields(schema: GraphQLSchema): AnyField[] {
  return Object.values(schema.getQueryType()!.getFields()).filter((field) => {
    if (isListType(getNullableType(field.type))) return isCompositeType(getNamedType(field.type));
    return field.args.some((arg) => arg.name === 'first');
  });
}

/** Variables for a typed-client operation, with `first` at the largest page. */
function sampleVariables(schema: GraphQLSchema, operation: OperationDefinitionNode, organizationId: string): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (name !== 'first' && definition.type.kind !== 'NonNullType') continue;
    const type = typeFromAST(schema, definition.type) as GraphQLInputType;
    variables[name] = sample(type, name, organizationId);
  }
  return variables;
}

describe('query cost: page sizes times what is selected', () => {
  let t: TestFerry;
  let schema: GraphQLSchema;
  let organizationId: string;
  const post = async (query: string, variables: Record<string, unknown> = {}): Promise<Answer> => {
    const response = await fetch(t.ferry.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: (await response.json()) as Answer['body'] };
  };
  const assertRefused = (answer: Answer, what: string) => {
    assert.equal(answer.status, 400, `${what}: HTTP 400 like the other limits (${JSON.stringify(answer.body)})`);
    const [error] = answer.body.errors ?? [];
    assert.equal(error?.extensions?.code, 'QUERY_TOO_COMPLEX', `${what}: ${JSON.stringify(answer.body)}`);
    assert.doesNotMatch(error.message, /syntax error/i, 'a cost refusal is not a syntax error');
    assert.match(error.message, new RegExp(`cost limit of ${DEFAULT_MAX_COST} exceeded: the operation's estimated cost is ${error.extensions?.cost}`));
    assert.ok((error.extensions?.cost as number) > DEFAULT_MAX_COST);
    assert.equal(error.extensions?.maxCost, DEFAULT_MAX_COST);
    assert.equal(answer.body.data, undefined, 'nothing was executed');
  };

  before(async () => {
    t = await startTestFerry();
    organizationId = (await createOrganization(t.admin)).id;
    const introspection = await post(getIntrospectionQuery());
    schema = buildClientSchema(introspection.body.data as unknown as IntrospectionQuery);
  });
  after(async () => {
    await t?.stop();
  });

  it('lets every list field serve its largest page with a normal selection', async () => {
    const fields = listRootFields(schema);
    assert.ok(fields.length >= 20, `the list fields were found (${fields.map((f) => f.name).join(', ')})`);
    assert.ok(fields.some((f) => f.name === 'provisionableGroups'));
    for (const field of fields) {
      const query = largestPageQuery(field, organizationId);
      const cost = operationCost(schema, parse(query));
      assert.ok(cost !== null && cost <= DEFAULT_MAX_COST, `${field.name}: cost ${cost} over ${DEFAULT_MAX_COST}: ${query}`);
      if (field.args.some((arg) => arg.name === 'first')) {
        const onePerPage = operationCost(schema, parse(query.replace(`first: ${MAX_PAGE_SIZE}`, 'first: 1')))!;
        assert.ok(cost >= MAX_PAGE_SIZE && cost >= 100 * onePerPage, `${field.name}: the cost grows with first (${onePerPage} -> ${cost})`);
      }
      const answer = await post(query);
      const codes = (answer.body.errors ?? []).map((e) => e.extensions?.code);
      assert.ok(
        !codes.includes('QUERY_TOO_COMPLEX') && !codes.includes('GRAPHQL_VALIDATION_FAILED') && answer.status !== 400,
        `${field.name} at its largest page was refused: ${JSON.stringify(answer.body.errors)}\n${query}`,
      );
    }
    // The report of the issue: a page of 500 of them is served.
    const served = await post(largestPageQuery(schema.getQueryType()!.getFields().groups as AnyField, organizationId));
    assert.equal(served.body.errors, undefined, JSON.stringify(served.body.errors));
  });

  it("serves every query of the typed client with `first` at the largest page", () => {
    let checked = 0;
    for (const [name, document] of Object.entries(generated)) {
      if (!name.endsWith('Document') || (document as DocumentNode).kind !== 'Document') continue;
      const operation = (document as DocumentNode).definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
      if (!operation || operation.operation === 'mutation') continue;
      const variables = sampleVariables(schema, operation, organizationId);
      const cost = operationCost(schema, document as DocumentNode, undefined, variables);
      assert.ok(cost !== null, `${name}: the sample variables fit (${JSON.stringify(variables)})`);
      assert.ok(cost <= DEFAULT_MAX_COST, `${name}: cost ${cost} over ${DEFAULT_MAX_COST} with ${JSON.stringify(variables)}`);
      checked++;
    }
    assert.ok(checked >= 30, `${checked} operations checked`);
  });

  it('refuses nested lists under a large page, and many large pages, with QUERY_TOO_COMPLEX (HTTP and WebSocket)', async () => {
    const nested = `query { groups(organizationId: "${organizationId}", first: ${MAX_PAGE_SIZE}) { nodes { id members { memberships { group { members { id } } } } } } }`;
    assertRefused(await post(nested), 'lists nested under a page of 500');
    const shallower = await post(nested.replace(`first: ${MAX_PAGE_SIZE}`, 'first: 50'));
    assert.equal(shallower.body.errors, undefined, `the same with a page of 50 passes: ${JSON.stringify(shallower.body.errors)}`);

    const page = (alias: string) => `${alias}: groups(organizationId: "${organizationId}", first: ${MAX_PAGE_SIZE}) { nodes { id members { id } owners { id } memberships { id } } }`;
    const aliased = await post(`query { ${Array.from({ length: 8 }, (_, i) => page(`p${i}`)).join(' ')} }`);
    assertRefused(aliased, 'eight aliased pages of 500 groups with their members');
    const two = await post(`query { ${page('p0')} ${page('p1')} }`);
    assert.equal(two.body.errors, undefined, `two of them pass: ${JSON.stringify(two.body.errors)}`);

    // `first` given as a variable counts as much as a literal (graphql-armor's counted it as 1).
    const byVariable = `query($first: Int!) { groups(organizationId: "${organizationId}", first: $first) { nodes { id members { memberships { group { members { id } } } } } } }`;
    assertRefused(await post(byVariable, { first: MAX_PAGE_SIZE }), 'first: $first = 500');
    assert.equal((await post(byVariable, { first: 20 })).body.errors, undefined, 'first: $first = 20 passes');
    // Skipped parts cost nothing.
    const skipped = await post(`query($skip: Boolean!) { groups(organizationId: "${organizationId}", first: ${MAX_PAGE_SIZE}) { nodes { id members @skip(if: $skip) { memberships { group { members { id } } } } } } }`, { skip: true });
    assert.equal(skipped.body.errors, undefined, JSON.stringify(skipped.body.errors));

    const socket = new LiveTestClient(t.ferry.url, t.adminToken);
    try {
      const [error] = await socket.subscribe(parse(nested) as never).failure();
      assert.equal(error.extensions?.code, 'QUERY_TOO_COMPLEX', JSON.stringify(error));
      assert.match(error.message, new RegExp(`cost limit of ${DEFAULT_MAX_COST} exceeded`));
      assert.equal(error.extensions?.http, undefined, 'no HTTP details over the socket');
    } finally {
      await socket.close();
    }
  });
});
