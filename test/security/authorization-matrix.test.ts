import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  buildSchema,
  getNamedType,
  isLeafType,
  parse,
  validate,
  type GraphQLFormattedError,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import pg from 'pg';
import { buildFerrySchema } from '../../src/api/schema';
import { installedPlugins } from '../../src/plugins/registry';
import { GraphQLTestClient } from '../support/client';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { LiveTestClient } from '../support/live-client';
import { recordingPlugin } from '../support/recording-plugin';
import { buildWorld, CALLERS, CASES, RULES, type MatrixCase, type Outcome, type RootType, type Variables, type World } from './matrix-cases';

/**
 * Every query, mutation and subscription of the schema, called as six callers, against what the
 * rules in matrix-cases.ts say each may do. The fields come from the schema itself, so a field
 * added without a decided rule fails the first test below.
 */

const ROOTS: RootType[] = ['Query', 'Mutation', 'Subscription'];
const SCHEMA_FILE = path.resolve(__dirname, '../../../schema/schema.graphql');

const caseName = (c: MatrixCase) => `${c.root}.${c.field}${c.variant ? ` (${c.variant})` : ''}`;

function rootFields(schema: GraphQLSchema): Set<string> {
  const names = new Set<string>();
  for (const root of ROOTS) {
    const type = schema.getType(root) as GraphQLObjectType | undefined;
    for (const field of Object.keys(type?.getFields() ?? {})) names.add(`${root}.${field}`);
  }
  return names;
}

/** The smallest operation for the case: its arguments as variables, typed as the schema types them. */
function operationText(schema: GraphQLSchema, c: MatrixCase, variables: Variables, selection: string | undefined): string {
  const field = (schema.getType(c.root) as GraphQLObjectType | undefined)?.getFields()[c.field];
  if (!field) throw new Error(`${c.root}.${c.field} is not in the schema any more: remove or rename its case.`);
  const names = Object.keys(variables);
  const definitions = names.map((name) => {
    const argument = field.args.find((a) => a.name === name);
    if (!argument) throw new Error(`${c.root}.${c.field} has no argument "${name}" (it has: ${field.args.map((a) => a.name).join(', ')}).`);
    return `$${name}: ${String(argument.type)}`;
  });
  const call = names.length > 0 ? `${c.field}(${names.map((name) => `${name}: $${name}`).join(', ')})` : c.field;
  const leaf = isLeafType(getNamedType(field.type));
  const body = leaf ? call : `${call} { ${selection ?? '__typename'} }`;
  return `${c.root.toLowerCase()} Matrix${definitions.length > 0 ? `(${definitions.join(', ')})` : ''} { ${body} }`;
}

interface Observed {
  code: string | null;
  message: string;
  httpStatus?: number;
  closeCode?: number;
  data: Record<string, unknown> | null;
}

async function overHttp(t: TestFerry, token: string | null, text: string, variables: Variables): Promise<Observed> {
  const client = new GraphQLTestClient(t.ferry.url, token);
  const result = await client.request(parse(text) as TypedDocumentNode<Record<string, unknown>, Variables>, variables);
  return fromErrors(result.errors, result.data ?? null, { httpStatus: result.status });
}

/** A subscription is allowed when its first delivery arrives; refusals come as errors or a closed socket. */
async function overWebSocket(t: TestFerry, token: string | null, text: string, variables: Variables): Promise<Observed> {
  const live = new LiveTestClient(t.ferry.url, token);
  try {
    const received = live.subscribe(parse(text) as TypedDocumentNode<Record<string, unknown>, Variables>, variables);
    try {
      await received.until(() => received.items.length > 0 || received.errors !== null || received.completed, 'a first delivery or an error', 15000);
    } catch {
      return { code: 'TIMEOUT', message: 'neither a delivery nor an error within 15 s', data: null };
    }
    if (received.errors) {
      const closeCode = received.errors[0]?.extensions?.closeCode;
      return fromErrors(received.errors, null, { closeCode: typeof closeCode === 'number' ? closeCode : undefined });
    }
    return { code: null, message: received.completed && received.items.length === 0 ? 'completed without a delivery' : '', data: received.items[0] ?? null };
  } finally {
    await live.close();
  }
}

function fromErrors(errors: readonly GraphQLFormattedError[] | undefined, data: Record<string, unknown> | null, transport: Partial<Observed>): Observed {
  if (!errors?.length) return { code: null, message: '', data, ...transport };
  const code = errors[0].extensions?.code;
  return { code: typeof code === 'string' ? code : 'NO_CODE', message: errors[0].message, data, ...transport };
}

function describeObserved(o: Observed): string {
  if (o.code === null) return o.message ? `no error, but ${o.message}` : 'allowed';
  const transport = o.httpStatus !== undefined ? `, HTTP ${o.httpStatus}` : o.closeCode !== undefined ? `, close code ${o.closeCode}` : '';
  return `${o.code}${transport} ("${o.message}")`;
}

/** What is wrong with the observed outcome, or null when it is the expected one. */
function mismatch(c: MatrixCase, expected: Outcome, o: Observed): string | null {
  const value = o.data?.[c.field];
  if (expected === 'ALLOWED') {
    if (o.code !== null) return describeObserved(o);
    if (value === null || value === undefined) return `no error but no ${c.field} either (${o.message || 'null data'})`;
    return null;
  }
  if (expected === 'UNAUTHENTICATED' && c.root === 'Subscription') {
    // graphql-ws refuses the connection itself: there is no operation to answer.
    return o.closeCode === 4403 ? null : describeObserved(o);
  }
  if (o.code !== expected) return describeObserved(o);
  if (expected === 'UNAUTHENTICATED' && o.httpStatus !== 401) return `${describeObserved(o)}: expected HTTP 401`;
  if (value !== null && value !== undefined) return `${o.code} but data was returned too: ${JSON.stringify(value).slice(0, 200)}`;
  if (o.message.length < 10) return `${o.code} without a message a person could act on`;
  return null;
}

/**
 * What a denied mutation must leave alone: the change log, tokens, organisations, the fixture's
 * provisioning events and its jobs. Compared just before and just after each denied call.
 */
async function footprint(db: pg.Client, world: World): Promise<string> {
  const { rows } = await db.query(
    `select (select coalesce(max(seq), 0) from change_log_entry)::text as change_log,
            (select count(*) from api_token)::int as tokens,
            (select count(revoked_at) from api_token)::int as revoked_tokens,
            (select count(*) from organization)::int as organizations,
            (select count(*) from provisioning_event where target_id = $1)::int as events,
            (select count(*) from agenda_jobs where data->>'organizationId' = $2)::int as jobs`,
    [world.ids.target, world.organizationId],
  );
  return JSON.stringify(rows[0]);
}

describe('authorization matrix', () => {
  let t: TestFerry;
  let world: World;
  let db: pg.Client;
  let servedSchema: GraphQLSchema;
  let checkedInSchema: GraphQLSchema;

  before(async () => {
    checkedInSchema = buildSchema(readFileSync(SCHEMA_FILE, 'utf8'));
    servedSchema = await buildFerrySchema();
    t = await startTestFerry({}, { plugins: [recordingPlugin().plugin, ...installedPlugins()] });
    db = new pg.Client({ connectionString: t.databaseUrl });
    await db.connect();
    world = await buildWorld(t);
  });
  after(async () => {
    await db?.end();
    await t?.stop();
  });

  it('has a case for every query, mutation and subscription, and none for a field that is gone', () => {
    const fields = new Set([...rootFields(checkedInSchema), ...rootFields(servedSchema)]);
    const covered = new Set(CASES.map((c) => `${c.root}.${c.field}`));
    const missing = [...fields].filter((field) => !covered.has(field)).sort();
    const gone = [...covered].filter((field) => !rootFields(servedSchema).has(field)).sort();
    assert.deepEqual(
      missing,
      [],
      `These root fields have no authorization case in test/security/matrix-cases.ts; decide who may call them and add one: ${missing.join(', ')}`,
    );
    assert.deepEqual(gone, [], `These cases name fields the schema no longer has; remove or rename them: ${gone.join(', ')}`);
    const names = CASES.map(caseName);
    assert.deepEqual(names.filter((name, i) => names.indexOf(name) !== i), [], 'two cases with the same name: give one a variant');
  });

  const ordered = [...CASES.filter((c) => !c.runLast), ...CASES.filter((c) => c.runLast)];
  for (const c of ordered) {
    it(caseName(c), async () => {
      const rule = RULES[c.rule];
      const problems: string[] = [];
      for (const caller of CALLERS) {
        const expected = rule[caller];
        const variables = await c.args(world, caller);
        const text = operationText(servedSchema, c, variables, c.selection);
        const invalid = validate(servedSchema, parse(text));
        assert.deepEqual(invalid.map((e) => e.message), [], `the case's operation is not valid: ${text}`);
        const before = expected === 'ALLOWED' || c.root !== 'Mutation' ? null : await footprint(db, world);
        const token = world.tokens[caller];
        const observed = c.root === 'Subscription' ? await overWebSocket(t, token, text, variables) : await overHttp(t, token, text, variables);
        const problem = mismatch(c, expected, observed);
        if (problem) problems.push(`${caller}: expected ${expected}, got ${problem}`);
        if (before !== null) {
          const afterCall = await footprint(db, world);
          if (afterCall !== before) problems.push(`${caller}: was refused, yet something changed: ${before} -> ${afterCall}`);
        }
        if (!problem && expected === 'ALLOWED' && c.check) {
          try {
            c.check(observed.data, caller, world);
          } catch (error) {
            problems.push(`${caller}: allowed, but ${(error as Error).message}`);
          }
        }
      }
      if (problems.length > 0) assert.fail(`${caseName(c)} (rule ${c.rule}):\n  ${problems.join('\n  ')}`);
    });
  }
});
