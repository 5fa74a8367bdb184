import { ReferenceKind, type EntityClass, type EntityProperty, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows } from './sql';

/**
 * Reads for the API's read paths (list pages and the per-request loaders) as plain rows: objects
 * of the entity's class with its columns as properties and each relation as an `{ id }` stub, made
 * without the unit of work. What they save is what a read never needs: the identity map, the
 * snapshot each managed entity gets for change detection, reference wrappers and their
 * propagation (most of the time of a page of people, and most of its garbage).
 *
 * The objects are for reading: field resolvers and getters that use `relation.id` work on them;
 * nothing may persist or flush them (load the record with the EntityManager to change it).
 */
interface Shape {
  table: string;
  /** The primary key's columns, quoted: the order of a read (creation order for UUIDv7 ids). */
  order: string;
  /** The selected columns, quoted, for a statement of its own. */
  columns: string;
  /** The selected properties, for a QueryBuilder. */
  properties: string[];
  columnOf(property: string): { column: string; type: string };
  /** The objects' prototype (see shapeOf). */
  prototype: object;
  build(row: Record<string, unknown>): object;
}

/** A column of an entity's table: a scalar property, or the foreign key of a relation it owns. */
export interface EntityColumn {
  prop: EntityProperty;
  property: string;
  column: string;
  /** The column's type, for `?::type[]` (a serial column holds its integer type). */
  type: string;
  reference: boolean;
}

const entityColumns = new WeakMap<object, { table: string; columns: EntityColumn[] }>();

/** The persisted columns of an entity's table, from its metadata (lazy ones included), in declaration order. */
export function columnsOf(em: EntityManager, entity: EntityClass<object>): { table: string; columns: EntityColumn[] } {
  let known = entityColumns.get(entity);
  if (!known) {
    const meta = em.getMetadata().get(entity.name);
    const columns: EntityColumn[] = [];
    for (const prop of meta.props as EntityProperty[]) {
      if (prop.persist === false || prop.formula || !prop.fieldNames?.length) continue;
      const reference = prop.kind === ReferenceKind.MANY_TO_ONE || (prop.kind === ReferenceKind.ONE_TO_ONE && Boolean(prop.owner));
      if (prop.kind !== ReferenceKind.SCALAR && !reference) continue;
      const type = ({ bigserial: 'bigint', serial: 'int', smallserial: 'smallint' } as Record<string, string>)[prop.columnTypes?.[0] ?? ''] ?? prop.columnTypes?.[0] ?? 'text';
      columns.push({ prop, property: prop.name, column: prop.fieldNames[0], type, reference });
    }
    entityColumns.set(entity, (known = { table: meta.tableName, columns }));
  }
  return known;
}

const shapes = new WeakMap<object, Shape>();

function shapeOf(em: EntityManager, entity: EntityClass<object>): Shape {
  const known = shapes.get(entity);
  if (known) return known;
  const meta = em.getMetadata().get(entity.name);
  const platform = em.getPlatform();
  const converter = (prop: EntityProperty): ((value: unknown) => unknown) => {
    if (prop.runtimeType === 'Date') return (value) => (value === null || value === undefined ? null : platform.parseDate(value as string));
    const custom = prop.customType;
    if (custom) return (value) => (value === null || value === undefined ? value : custom.convertToJSValue(value, platform));
    return (value) => value;
  };
  // Lazy columns (secrets, an import's file) are not read, as em.find does not read them.
  const fields = columnsOf(em, entity)
    .columns.filter((col) => !col.prop.lazy)
    .map((col) => ({
      ...col,
      convert: col.reference ? (value: unknown) => (value === null || value === undefined ? null : { id: value }) : converter(col.prop),
    }));
  const byProperty = new Map(fields.map((field) => [field.property, field]));
  // The objects' prototype: the entity's, under a layer holding each column as a plain data
  // property, so that assigning one on an object makes it its own property instead of going
  // through the unit of work's accessors on the entity prototype (relations have some).
  const layer = Object.create(entity.prototype as object, Object.fromEntries(fields.map((field) => [field.property, { value: undefined, writable: true, configurable: true }])));
  function PlainRecord(this: Record<string, unknown>, row: Record<string, unknown>) {
    for (const field of fields) this[field.property] = field.convert(row[field.column]);
  }
  PlainRecord.prototype = layer;
  const shape: Shape = {
    table: meta.tableName,
    order: meta.primaryKeys.map((key) => `"${meta.properties[key].fieldNames[0]}"`).join(', '),
    columns: fields.map((field) => `"${field.column}"`).join(', '),
    properties: fields.map((field) => field.property),
    columnOf(property) {
      const field = byProperty.get(property);
      if (!field) throw new Error(`${entity.name}.${property} is not a column`);
      return field;
    },
    prototype: layer,
    build: (row) => new (PlainRecord as unknown as new (row: Record<string, unknown>) => object)(row),
  };
  shapes.set(entity, shape);
  return shape;
}

/** One row of the entity's table (all its non-lazy columns) as a read-only object of its class. */
export function plainFromRow<T extends object>(em: EntityManager, entity: EntityClass<T>, row: Record<string, unknown>): T {
  return shapeOf(em, entity).build(row) as T;
}

/**
 * An object of the entity's class holding the given properties (relations as `{ id }` stubs), made
 * without the unit of work, like a row read: e.g. a new record for the record writer.
 */
export function plainWith<T extends object>(em: EntityManager, entity: EntityClass<T>, properties: Record<string, unknown>): T {
  return Object.assign(Object.create(shapeOf(em, entity).prototype), properties) as T;
}

/** Records whose `property` (the primary key, a foreign key or another unique key) is one of `values`, in primary-key order. */
export async function plainRecordsBy<T extends object>(em: EntityManager, entity: EntityClass<T>, property: string, values: readonly string[]): Promise<T[]> {
  if (values.length === 0) return [];
  const shape = shapeOf(em, entity);
  const { column, type } = shape.columnOf(property);
  const rows = await sqlRows(em, `select ${shape.columns} from "${shape.table}" where "${column}" = any(?::${type}[]) order by ${shape.order}`, [values]);
  return rows.map((row) => shape.build(row) as T);
}

/** One page of records matching a filter in the given order (by default the id), with the filter's SQL written by MikroORM. */
export async function plainPage<T extends object>(
  em: EntityManager,
  entity: EntityClass<T>,
  where: FilterQuery<T>,
  limit: number,
  orderBy: Record<string, 'asc' | 'desc'>[] = [{ id: 'asc' }],
): Promise<T[]> {
  const shape = shapeOf(em, entity);
  const rows = (await em
    .createQueryBuilder(entity)
    .select(shape.properties as never)
    .where(where)
    .orderBy(orderBy as never)
    .limit(limit)
    .execute('all', false)) as Record<string, unknown>[];
  return rows.map((row) => shape.build(row) as T);
}
