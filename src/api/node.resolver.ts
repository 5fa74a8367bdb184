import type { EntityClass } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { validate as isUuid } from 'uuid';
import { OrgScopedEntity } from '../common/base-entity';
import { notFound } from '../common/errors';
import { Node } from '../common/node';
import { sqlRows } from '../db/sql';
import { Organization } from '../registry/organizations/organization.entity';
import { findReadable, findReadableOrganization } from '../registry/records';
import type { RequestContext } from './context';

/** The tables of the records that are Nodes: organisations and every organisation-scoped record. */
function nodeTables(em: EntityManager): { entity: EntityClass<object>; table: string }[] {
  return Object.values(em.getMetadata().getAll())
    .filter((meta) => !meta.abstract && meta.class && (meta.class === Organization || meta.class.prototype instanceof OrgScopedEntity))
    .map((meta) => ({ entity: meta.class as EntityClass<object>, table: meta.tableName }))
    .sort((a, b) => a.table.localeCompare(b.table));
}

/**
 * `node(id:)`: any record by its id alone (Relay object identification), for client caches that
 * refetch by id. One statement finds the table holding the id (a primary-key probe per table),
 * then the record is read with the same rule as its own query: a record of an organisation the
 * caller cannot read is NOT_FOUND, exactly like an id that exists nowhere.
 */
@Resolver()
export class NodeResolver {
  @Query(() => Node, { nullable: true, description: 'Any organisation or record by its id (Relay object identification). NOT_FOUND when it does not exist or the caller cannot read it.' })
  async node(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<Node> {
    if (!isUuid(id)) throw notFound('Node', id);
    const tables = nodeTables(ctx.em);
    const [found] = await sqlRows<{ table_name: string }>(
      ctx.em,
      tables.map(({ table }) => `select '${table}' as table_name from "${table}" where id = ?::uuid`).join(' union all ') + ' limit 1',
      tables.map(() => id),
    );
    const entity = tables.find(({ table }) => table === found?.table_name)?.entity;
    if (!entity) throw notFound('Node', id);
    if (entity === Organization) return findReadableOrganization(ctx.em, ctx.principal, id);
    return findReadable(ctx.em, ctx.principal, entity as EntityClass<OrgScopedEntity>, id, 'Node');
  }
}
