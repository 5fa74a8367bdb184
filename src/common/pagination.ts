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

@ObjectType()
export class PageInfo {
  @Field(() => String, { nullable: true })
  endCursor: string | null;

  @Field()
  hasNextPage: boolean;
}

export interface Page<T> {
  nodes: T[];
  pageInfo: PageInfo;
  totalCount: number;
}

/** `XConnection` types: one page of records in creation order, with a cursor to the next. */
export function Connection<T extends object>(itemClass: ClassType<T>) {
  @ObjectType()
  abstract class ConnectionClass implements Page<T> {
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
  return {
    nodes,
    totalCount,
    pageInfo: {
      hasNextPage: rows.length > args.first,
      endCursor: nodes.length > 0 ? encodeCursor(nodes[nodes.length - 1].id) : (args.after ?? null),
    },
  };
}

/** Escapes LIKE wildcards so a search for "100%_sure" matches those characters literally. */
export const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
