import type { EntityClass, FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { IsOptional, Max, Min } from 'class-validator';
import { ArgsType, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import { validate as isUuid } from 'uuid';
import { plainPage } from '../db/plain-read';
import { badInput, isSequence } from './errors';

export const MAX_PAGE_SIZE = 500;
/** Records on a page when neither `first` nor `last` is given. */
export const DEFAULT_PAGE_SIZE = 50;

/**
 * The Relay connection arguments: `first` records after `after` (forwards, the default), or the
 * `last` records before `before` (backwards: the page still lists its records in the list's order).
 */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: `Forwards: this many records (after \`after\`), 1 to ${MAX_PAGE_SIZE}; ${DEFAULT_PAGE_SIZE} when neither first nor last is given.` })
  @IsOptional()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page: the records that follow it.' })
  after?: string | null;

  @Field(() => Int, { nullable: true, description: `Backwards: the last this many records (before \`before\`), 1 to ${MAX_PAGE_SIZE}.` })
  @IsOptional()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  last?: number | null;

  @Field(() => String, { nullable: true, description: 'The startCursor of the next page: the records that come before it.' })
  before?: string | null;
}

/** Where a page sits in its list (the Relay connection specification's PageInfo). */
@ObjectType()
export class PageInfo {
  @Field(() => String, { nullable: true, description: "The cursor of the page's first record: pass it as `before` for the page before (an empty page read backwards: its `before`)." })
  startCursor: string | null;

  @Field(() => String, { nullable: true, description: "The cursor of the page's last record: pass it as `after` for the next page (an empty page read forwards: its `after`, so a poller keeps passing it)." })
  endCursor: string | null;

  @Field({ description: 'Whether records follow this page: read forwards, more records; read backwards, it was asked for `before` a cursor.' })
  hasNextPage: boolean;

  @Field({ description: 'Whether records come before this page: read backwards, more records; read forwards, it was asked for `after` a cursor.' })
  hasPreviousPage: boolean;
}

/** One record of a page with its own cursor (Relay's edge). */
export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Page<T> {
  nodes: T[];
  edges: Edge<T>[];
  pageInfo: PageInfo;
  /** Counted only when a client selects it (see lazily). */
  totalCount: number | PromiseLike<number>;
}

/**
 * `XConnection` types, in the Relay connection shape: one page of records as
 * `edges { cursor node }` and, for clients that need no per-record cursor, `nodes`; `pageInfo` in
 * both directions; `totalCount`.
 */
export function Connection<T extends object>(itemClass: ClassType<T>) {
  @ObjectType(`${itemClass.name}Edge`, { description: `A ${itemClass.name} with its cursor.` })
  class EdgeClass implements Edge<T> {
    @Field({ description: 'Pass it as `after` (or `before`) to read the records that follow (or precede) this one.' })
    cursor: string;

    @Field(() => itemClass)
    node: T;
  }

  @ObjectType()
  abstract class ConnectionClass implements Page<T> {
    @Field(() => [EdgeClass])
    edges: Edge<T>[];

    @Field(() => [itemClass])
    nodes: T[];

    @Field(() => PageInfo)
    pageInfo: PageInfo;

    @Field(() => Int, { description: 'Records matching the filter, on all pages (counted only when selected).' })
    totalCount: number | PromiseLike<number>;
  }
  return ConnectionClass;
}

/**
 * A value computed on first use: GraphQL awaits a field's value only when the field is selected,
 * so a page's count is never run for a client that does not ask for it.
 */
export function lazily<T>(compute: () => Promise<T>): PromiseLike<T> {
  let started: Promise<T> | null = null;
  return {
    then: (onFulfilled, onRejected) => (started ??= compute()).then(onFulfilled, onRejected),
  };
}

/** What a page asks for, checked: its size, its direction, and the cursors bounding it. */
export interface PageWindow {
  size: number;
  /** `last`: the records nearest the end (or `before`), still returned in the list's order. */
  backward: boolean;
  after: string | null;
  before: string | null;
}

export function pageWindow(args: PageArgs): PageWindow {
  if (args.first != null && args.last != null) throw badInput('Give first or last, not both.', 'last');
  const backward = args.last != null;
  return { size: (backward ? args.last : args.first) ?? DEFAULT_PAGE_SIZE, backward, after: args.after ?? null, before: args.before ?? null };
}

/**
 * A page from the rows a keyset read returned: up to `size + 1` rows in reading order (the list's
 * order forwards, reversed backwards); the extra row says more records lie beyond the page.
 */
export function pageOf<T>(rows: T[], window: PageWindow, cursorOf: (node: T) => string, totalCount: Page<T>['totalCount']): Page<T> {
  const more = rows.length > window.size;
  const taken = rows.slice(0, window.size);
  const nodes = window.backward ? taken.reverse() : taken;
  const edges = nodes.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    nodes,
    edges,
    totalCount,
    pageInfo: {
      // An empty page keeps the cursor it was asked from: a poller passes it again.
      startCursor: edges[0]?.cursor ?? (window.backward ? window.before : null),
      endCursor: edges.at(-1)?.cursor ?? (window.backward ? null : window.after),
      hasNextPage: window.backward ? window.before !== null : more,
      hasPreviousPage: window.backward ? more : window.after !== null,
    },
  };
}

/** A column a list is ordered by; the last one of an order must be unique (the primary key). */
export interface SortKey {
  property: string;
  direction: 'asc' | 'desc';
}

/** How a list's cursors are written and read: the sort keys' values of a record. */
export interface CursorCodec<T> {
  encode(node: T): string;
  /** The sort keys' values, or a BAD_USER_INPUT error naming `argument`. */
  decode(cursor: string, argument: 'after' | 'before'): unknown[];
}

const notOurs = (argument: string) => badInput(`The "${argument}" cursor is not one this API returned.`, argument);

/** Records ordered by id alone (creation order, UUIDv7): the cursor is the id, base64url. */
const idCodec: CursorCodec<{ id: string }> = {
  encode: (node) => Buffer.from(node.id, 'utf8').toString('base64url'),
  decode(cursor, argument) {
    const id = Buffer.from(cursor, 'base64url').toString('utf8');
    if (!isUuid(id)) throw notOurs(argument);
    return [id];
  },
};

/** Records ordered by several columns ending with the id: the cursor is their values as JSON, base64url. */
function keysCodec<T extends object>(em: EntityManager, entity: EntityClass<T>, sort: SortKey[]): CursorCodec<T> {
  const meta = em.getMetadata().get(entity.name);
  const types = sort.map((key) => meta.properties[key.property as keyof T & string]?.runtimeType);
  return {
    encode: (node) => Buffer.from(JSON.stringify(sort.map((key) => (node as Record<string, unknown>)[key.property])), 'utf8').toString('base64url'),
    decode(cursor, argument) {
      let values: unknown;
      try {
        values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      } catch {
        throw notOurs(argument);
      }
      if (!Array.isArray(values) || values.length !== sort.length) throw notOurs(argument);
      return values.map((value, i) => {
        if (types[i] === 'Date') {
          const date = typeof value === 'string' ? new Date(value) : null;
          if (!date || Number.isNaN(date.getTime())) throw notOurs(argument);
          return date;
        }
        if (types[i] === 'number') {
          if (typeof value !== 'number' || !Number.isFinite(value)) throw notOurs(argument);
          return value;
        }
        if (typeof value !== 'string' || (sort[i].property === 'id' && !isUuid(value))) throw notOurs(argument);
        return value;
      });
    },
  };
}

/** The records beyond a cursor in the given order (`(k1, k2, ...) > (v1, v2, ...)` spelled for mixed directions). */
function beyond(sort: SortKey[], values: unknown[], flip: boolean): Record<string, unknown> {
  const branches = sort.map((key, i) => {
    const ascending = (key.direction === 'asc') !== flip;
    const branch: Record<string, unknown> = {};
    for (let j = 0; j < i; j++) branch[sort[j].property] = values[j];
    branch[key.property] = { [ascending ? '$gt' : '$lt']: values[i] };
    return branch;
  });
  return branches.length === 1 ? branches[0] : { $or: branches };
}

/**
 * Feeds ordered by a sequence number (provisioning events, the change log): the cursor is the
 * record's sequence itself, so a page's endCursor is also where a subscription resumes.
 */
export function sequenceCodec<T>(property: keyof T & string): CursorCodec<T> {
  return {
    encode: (node) => String(node[property]),
    decode(cursor, argument) {
      if (!isSequence(cursor)) throw badInput(`${argument} must be a sequence number (a cursor this API returned).`, argument);
      return [cursor];
    },
  };
}

export const ID_ORDER: SortKey[] = [{ property: 'id', direction: 'asc' }];
/** Feeds (sequenceCodec): by their `seq` column. */
export const SEQ_ORDER: SortKey[] = [{ property: 'seq', direction: 'asc' }];

/**
 * Keyset pagination in a stable order ending with a unique key (by default the UUIDv7 primary
 * key: creation order): stable under concurrent inserts and as cheap on page 1,000 as on page 1,
 * forwards and backwards. The records are read as plain rows (db/plain-read.ts): for reading only.
 * The total is counted only when a client asks for it.
 */
export async function paginate<T extends object>(
  em: EntityManager,
  entity: EntityClass<T>,
  where: FilterQuery<T>,
  args: PageArgs,
  options: { sort?: SortKey[]; codec?: CursorCodec<T> } = {},
): Promise<Page<T>> {
  const sort = options.sort ?? ID_ORDER;
  const codec = options.codec ?? (sort.length === 1 && sort[0].property === 'id' ? (idCodec as unknown as CursorCodec<T>) : keysCodec(em, entity, sort));
  const window = pageWindow(args);
  const bounds: Record<string, unknown>[] = [];
  if (window.after !== null) bounds.push(beyond(sort, codec.decode(window.after, 'after'), false));
  if (window.before !== null) bounds.push(beyond(sort, codec.decode(window.before, 'before'), true));
  const pageWhere = (bounds.length > 0 ? { $and: [where, ...bounds] } : where) as FilterQuery<T>;
  const reading = sort.map((key): Record<string, 'asc' | 'desc'> => ({ [key.property]: (key.direction === 'asc') !== window.backward ? 'asc' : 'desc' }));
  const rows = await plainPage(em, entity, pageWhere, window.size + 1, reading);
  return pageOf(rows, window, (node) => codec.encode(node), lazily(() => em.count(entity, where)));
}

/** Escapes LIKE wildcards so a search for "100%_sure" matches those characters literally. */
export const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
