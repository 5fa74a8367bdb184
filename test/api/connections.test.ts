import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { buildSchema, getNamedType, isListType, isNonNullType, isObjectType, parse, type GraphQLOutputType } from 'graphql';
import {
  CreateApiTokenDocument,
  CreatePersonDocument,
  CreateProvisioningTargetDocument,
  type ProvisioningMode,
} from '../../src/client/generated/graphql';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization, uniqueName } from '../support/fixtures';
import { recordingPlugin } from '../support/recording-plugin';

interface PageInfo {
  startCursor: string | null;
  endCursor: string | null;
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}
interface Page<T> {
  edges: { cursor: string; node: T }[];
  nodes: T[];
  pageInfo: PageInfo;
  totalCount: number;
}

const PAGE = 'edges { cursor node { id } } nodes { id } pageInfo { startCursor endCursor hasNextPage hasPreviousPage } totalCount';
/** A document the generated client does not carry: the connection arguments every list takes. */
const document = <T>(source: string) => parse(source) as unknown as TypedDocumentNode<T, Record<string, unknown>>;

const people = document<{ people: Page<{ id: string }> }>(
  `query($o: ID!, $first: Int, $after: String, $last: Int, $before: String) { people(organizationId: $o, first: $first, after: $after, last: $last, before: $before) { ${PAGE} } }`,
);
const events = document<{ provisioningEvents: { nodes: { seq: string; subjectId: string }[]; pageInfo: PageInfo; totalCount: number } }>(
  `query($o: ID!, $first: Int, $after: String, $last: Int, $before: String) { provisioningEvents(organizationId: $o, first: $first, after: $after, last: $last, before: $before) {
     nodes { seq subjectId } pageInfo { startCursor endCursor hasNextPage hasPreviousPage } totalCount } }`,
);
const jobs = document<{ provisioningJobs: { nodes: { id: string; subjectId: string | null }[]; pageInfo: PageInfo; totalCount: number } }>(
  `query($o: ID!, $first: Int, $after: String, $last: Int, $before: String) { provisioningJobs(organizationId: $o, first: $first, after: $after, last: $last, before: $before) {
     nodes { id subjectId } pageInfo { startCursor endCursor hasNextPage hasPreviousPage } totalCount } }`,
);
const tokens = document<{ apiTokens: Page<{ id: string }> }>(
  `query($o: ID, $first: Int, $after: String, $last: Int) { apiTokens(organizationId: $o, first: $first, after: $after, last: $last) { ${PAGE} } }`,
);
const targets = document<{ provisioningTargets: Page<{ id: string }> }>(
  `query($o: ID!, $first: Int, $after: String, $last: Int, $before: String) { provisioningTargets(organizationId: $o, first: $first, after: $after, last: $last, before: $before) { ${PAGE} } }`,
);
const changes = document<{ changeLog: { nodes: { seq: string }[]; pageInfo: PageInfo } }>(
  `query($o: ID, $first: Int, $after: String, $last: Int, $before: String) { changeLog(organizationId: $o, first: $first, after: $after, last: $last, before: $before) {
     nodes { seq } pageInfo { startCursor endCursor hasNextPage hasPreviousPage } } }`,
);
const runs = document<{ reconciliationRuns: Page<{ id: string }> }>(`query($t: ID!) { reconciliationRuns(targetId: $t, last: 5) { ${PAGE} } }`);

const ids = (page: { nodes: { id: string }[] }) => page.nodes.map((node) => node.id);

/** Every list is one connection shape: forwards and backwards, with cursors any edge can resume from. */
describe('connections: every list pages the same way', () => {
  let t: TestFerry;
  const recorder = recordingPlugin();
  before(async () => {
    // No workers: queued provisioning jobs stay QUEUED, so the jobs list holds still.
    t = await startTestFerry({ FERRY_RUN_WORKERS: 'false' }, { plugins: [recorder.plugin] });
  });
  after(() => t?.stop());

  const target = async (organizationId: string, name: string, mode: ProvisioningMode, order: number) =>
    (await t.admin.ok(CreateProvisioningTargetDocument, { input: { organizationId, name, plugin: 'recorder', mode, config: {}, order } })).createProvisioningTarget.target;
  const person = async (organizationId: string, family: string) =>
    (await t.admin.ok(CreatePersonDocument, { input: { organizationId, names: [{ given: 'P', family }] } })).createPerson.person.id;

  it('reads backwards with last and before, in the list order, with pageInfo the other way round', async () => {
    const { id: o } = await createOrganization(t.admin);
    const all: string[] = [];
    for (const family of ['A', 'B', 'C', 'D', 'E']) all.push(await person(o, family));

    const newest = (await t.admin.ok(people, { o, last: 2 })).people;
    assert.deepEqual(ids(newest), all.slice(3), 'the last two, oldest first');
    assert.deepEqual(newest.edges.map((edge) => edge.node.id), all.slice(3));
    assert.deepEqual(newest.pageInfo, { startCursor: newest.edges[0].cursor, endCursor: newest.edges[1].cursor, hasNextPage: false, hasPreviousPage: true });
    assert.equal(newest.totalCount, 5);

    const earlier = (await t.admin.ok(people, { o, last: 2, before: newest.pageInfo.startCursor })).people;
    assert.deepEqual(ids(earlier), all.slice(1, 3));
    assert.deepEqual([earlier.pageInfo.hasPreviousPage, earlier.pageInfo.hasNextPage], [true, true]);
    const first = (await t.admin.ok(people, { o, last: 2, before: earlier.pageInfo.startCursor })).people;
    assert.deepEqual(ids(first), all.slice(0, 1));
    assert.equal(first.pageInfo.hasPreviousPage, false, 'nothing before the first record');

    // A window between two cursors, and a forward page from a backward page's cursor.
    assert.deepEqual(ids((await t.admin.ok(people, { o, first: 10, after: first.pageInfo.endCursor, before: newest.pageInfo.endCursor })).people), all.slice(1, 4));
    assert.deepEqual(ids((await t.admin.ok(people, { o, first: 1, after: earlier.pageInfo.endCursor })).people), [all[3]]);
    assert.deepEqual(ids((await t.admin.ok(people, { o })).people), all, 'neither first nor last: the first page');

    await t.admin.fails('BAD_USER_INPUT', people, { o, first: 1, last: 1 });
    await t.admin.fails('BAD_USER_INPUT', people, { o, last: 1, before: 'bm90LWEtY3Vyc29y' });
    await t.admin.fails('BAD_USER_INPUT', people, { o, last: 501 });
  });

  it('pages provisioning events by seq: last is the newest, endCursor is where a subscriber resumes, after a seq works', async () => {
    const { id: o } = await createOrganization(t.admin);
    await target(o, 'inline', 'AUTOMATIC', 1);
    const subjects: string[] = [];
    for (const family of ['A', 'B', 'C']) subjects.push(await person(o, family));

    const everything = (await t.admin.ok(events, { o, first: 500 })).provisioningEvents;
    const seqs = everything.nodes.map((event) => event.seq);
    assert.ok(seqs.length >= 3, JSON.stringify(everything));
    assert.ok(subjects.every((id) => everything.nodes.some((event) => event.subjectId === id)), 'each person was provisioned');
    assert.deepEqual(seqs, [...seqs].sort((a, b) => Number(BigInt(a) - BigInt(b))), 'in sequence order');
    assert.equal(everything.totalCount, seqs.length);

    const newest = (await t.admin.ok(events, { o, last: 2 })).provisioningEvents;
    assert.deepEqual(newest.nodes.map((event) => event.seq), seqs.slice(-2), 'the newest two, in the order they happened');
    assert.equal(newest.pageInfo.endCursor, seqs.at(-1), "the newest event's seq");
    assert.equal(newest.pageInfo.hasPreviousPage, seqs.length > 2);
    const older = (await t.admin.ok(events, { o, last: 500, before: newest.pageInfo.startCursor })).provisioningEvents;
    assert.deepEqual(older.nodes.map((event) => event.seq), seqs.slice(0, -2));

    // A seq is a cursor: `after: <seq>` reads on from that event, as before.
    const fromSeq = (await t.admin.ok(events, { o, after: seqs[0], first: 1 })).provisioningEvents;
    assert.deepEqual(fromSeq.nodes.map((event) => event.seq), [seqs[1]]);
    const caughtUp = (await t.admin.ok(events, { o, after: seqs.at(-1) })).provisioningEvents;
    assert.deepEqual([caughtUp.nodes.length, caughtUp.pageInfo.endCursor, caughtUp.pageInfo.hasNextPage], [0, seqs.at(-1), false], 'a poller keeps its cursor');
    await t.admin.fails('BAD_USER_INPUT', events, { o, after: 'yesterday' });
  });

  it('pages jobs newest first with cursors instead of skip', async () => {
    const { id: o } = await createOrganization(t.admin);
    await target(o, 'queued', 'QUEUE', 1);
    const subjects: string[] = [];
    for (const family of ['A', 'B', 'C']) subjects.push(await person(o, family));

    // Each person's add, and the automatic groups' updates: the whole list first, then its pages.
    const all = (await t.admin.ok(jobs, { o, first: 500 })).provisioningJobs;
    const order = all.nodes.map((job) => job.id);
    assert.equal(all.totalCount, order.length);
    const people = all.nodes.filter((job) => subjects.includes(job.subjectId ?? '')).map((job) => job.subjectId);
    assert.deepEqual(people, [...subjects].reverse(), 'newest first');
    assert.ok(order.length >= 3);

    const firstPage = (await t.admin.ok(jobs, { o, first: 2 })).provisioningJobs;
    assert.deepEqual(firstPage.nodes.map((job) => job.id), order.slice(0, 2));
    assert.deepEqual([firstPage.pageInfo.hasNextPage, firstPage.pageInfo.hasPreviousPage, firstPage.totalCount], [true, false, order.length]);
    const rest = (await t.admin.ok(jobs, { o, first: 500, after: firstPage.pageInfo.endCursor })).provisioningJobs;
    assert.deepEqual(rest.nodes.map((job) => job.id), order.slice(2));
    assert.deepEqual([rest.pageInfo.hasNextPage, rest.pageInfo.hasPreviousPage], [false, true]);
    const oldest = (await t.admin.ok(jobs, { o, last: 2 })).provisioningJobs;
    assert.deepEqual(oldest.nodes.map((job) => job.id), order.slice(-2), 'backwards: the oldest two, still newest first');
    assert.equal(oldest.pageInfo.hasPreviousPage, true);
    const newer = (await t.admin.ok(jobs, { o, last: 500, before: oldest.pageInfo.startCursor })).provisioningJobs;
    assert.deepEqual(newer.nodes.map((job) => job.id), order.slice(0, -2));
    await t.admin.fails('BAD_USER_INPUT', jobs, { o, after: 'not-a-cursor' });
  });

  it('pages targets in the order they run, tokens in creation order, and the change log by seq', async () => {
    const { id: o } = await createOrganization(t.admin);
    const third = await target(o, 'third', 'AUTOMATIC', 30);
    const first = await target(o, 'first', 'AUTOMATIC', 10);
    const second = await target(o, 'second', 'AUTOMATIC', 20);
    const page = (await t.admin.ok(targets, { o, first: 2 })).provisioningTargets;
    assert.deepEqual(ids(page), [first.id, second.id], 'by order, not by creation');
    assert.equal(page.totalCount, 3);
    assert.deepEqual(ids((await t.admin.ok(targets, { o, after: page.pageInfo.endCursor })).provisioningTargets), [third.id]);
    assert.deepEqual(ids((await t.admin.ok(targets, { o, last: 1, before: page.edges[1].cursor })).provisioningTargets), [first.id]);
    await t.admin.fails('BAD_USER_INPUT', targets, { o, after: Buffer.from('[1]').toString('base64url') });
    assert.deepEqual(ids((await t.admin.ok(runs, { t: first.id })).reconciliationRuns), [], 'no reconciliation yet: an empty page');

    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      made.push((await t.admin.ok(CreateApiTokenDocument, { input: { name: uniqueName('token'), role: 'ORG_READER', organizationId: o } })).createApiToken.token.id);
    }
    const tokenPage = (await t.admin.ok(tokens, { o, first: 2 })).apiTokens;
    assert.deepEqual(ids(tokenPage), made.slice(0, 2));
    assert.deepEqual(ids((await t.admin.ok(tokens, { o, after: tokenPage.pageInfo.endCursor })).apiTokens), made.slice(2));
    assert.deepEqual(ids((await t.admin.ok(tokens, { o, last: 1 })).apiTokens), made.slice(2));

    const log = (await t.admin.ok(changes, { o, first: 500 })).changeLog.nodes.map((entry) => entry.seq);
    assert.ok(log.length >= 3);
    const lastTwo = (await t.admin.ok(changes, { o, last: 2 })).changeLog;
    assert.deepEqual(lastTwo.nodes.map((entry) => entry.seq), log.slice(-2));
    assert.equal(lastTwo.pageInfo.endCursor, log.at(-1));
    assert.deepEqual((await t.admin.ok(changes, { o, first: 1, after: log[0] })).changeLog.nodes.map((entry) => entry.seq), [log[1]]);
  });

  it('has no root field that returns a plain list of records in the checked-in schema', async () => {
    const schema = buildSchema(await readFile(path.resolve(__dirname, '../../../schema/schema.graphql'), 'utf8'));
    // One row per target or plugin: bounded by the configuration, not lists of records to page.
    const bounded = new Set(['provisioningPlugins', 'provisioningStatus', 'targetActivity']);
    const isList = (type: GraphQLOutputType): boolean => isListType(isNonNullType(type) ? type.ofType : type);
    const plain = Object.values(schema.getQueryType()!.getFields())
      .filter((field) => isList(field.type) && isObjectType(getNamedType(field.type)) && !bounded.has(field.name))
      .map((field) => field.name);
    assert.deepEqual(plain, []);
    for (const name of ['provisioningEvents', 'provisioningJobs', 'apiTokens', 'provisioningTargets', 'reconciliationRuns', 'changeLog']) {
      const field = schema.getQueryType()!.getFields()[name];
      assert.match(getNamedType(field.type).name, /Connection$/, `${name} is a connection`);
      for (const arg of ['first', 'after', 'last', 'before']) assert.ok(field.args.some((a) => a.name === arg), `${name}(${arg})`);
    }
  });
});
