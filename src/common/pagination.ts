import type { EntityClass, FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Max, Min } from 'class-validator';
import { ArgsType, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import { validate as isUuid } from 'uuid';
import { plainPage } from '../db/plain-read';
import { badInput } from './errors';

export const MAX_PAGE_SIZE = 500;

@ArgsType()
export class PageArgs {
  @Field(() => Int, { defaultValue: 50, description: `Page size, 1 to ${MAX_PAGE_SIZE}.` })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  first: number = 50;

  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page.' })
  after?: string | null;
}

/** Where a page sits in its list (the Relay connection specification's PageInfo). */
@ObjectType()
export class PageInfo {
  @Field(() => String, { nullable: true, description: "The cursor of the page's first record (null on an empty page)." })
  startCursor: string | null;

  @Field(() => String, { nullable: true, description: "The cursor of the page's last record: pass it as `after` for the next page." })
  endCursor: string | null;

  @Field({ description: 'Whether records follow this page.' })
  hasNextPage: boolean;

  @Field({ description: 'Whether records come before this page (it was asked for `after` a cursor). Lists are read forwards.' })
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
  totalCount: number;
}

/**
 * `XConnection` types, in the Relay connection shape: one page of records in creation order as
 * `edges { cursor node }` and, for clients that need no per-record cursor, `nodes`; `pageInfo` in
 * both directions; `totalCount`.
 */
export function Connection<T extends object>(itemClass: ClassType<T>) {
  @ObjectType(`${itemClass.name}Edge`, { description: `A ${itemClass.name} with its cursor.` })
  class EdgeClass implements Edge<T> {
    @Field({ description: 'Pass it as `after` to read the records that follow this one.' })
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

    @Field(() => Int, { description: 'Records matching the filter, on all pages.' })
    totalCount: number;
  }
  return ConnectionClass;
}

const encodeCursor = (id: string) => Buffer.from(id, 'utf8').toString('base64url');

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isUuid(id)) throw badInput('The "after" cursor is not one this API returned.', 'after');
  return id;
}

/**
 * Keyset pagination on the UUIDv7 primary key (creation order): stable under concurrent inserts
 * and as cheap on page 1,000 as on page 1. The records are read as plain rows
 * (db/plain-read.ts): for reading only.
 */
export async function paginate<T extends { id: string }>(
  em: EntityManager,
  entity: EntityClass<T>,
  where: FilterQuery<T>,
  args: PageArgs,
): Promise<Page<T>> {
  const afterId = args.after ? decodeCursor(args.after) : null;
  const pageWhere = (afterId ? { $and: [where, { id: { $gt: afterId } }] } : where) as FilterQuery<T>;
  const [rows, totalCount] = await Promise.all([
    plainPage(em, entity, pageWhere, args.first + 1),
    em.count(entity, where),
  ]);
  const nodes = rows.slice(0, args.first);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(node.id), node }));
  return {
    nodes,
    edges,
    totalCount,
    pageInfo: {
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? args.after ?? null,
      hasNextPage: rows.length > args.first,
      hasPreviousPage: afterId !== null,
    },
  };
}

/** Escapes LIKE wildcards so a search for "100%_sure" matches those characters literally. */
export const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
