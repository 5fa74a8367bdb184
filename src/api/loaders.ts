import type { EntityClass, FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';

type WithId = { id: string };

/**
 * Per-request batching for nested fields: every `person.names` of a page becomes one
 * `where person_id in (...)` query instead of one query per person.
 */
export class Loaders {
  private readonly loaders = new Map<string, DataLoader<string, unknown>>();

  constructor(private readonly em: EntityManager) {}

  /** Records of `entity` whose relation `foreignKey` points at each given id, in creation order. */
  childrenOf<T extends WithId>(
    entity: EntityClass<T>,
    foreignKey: string,
    extra: FilterQuery<T> = {} as FilterQuery<T>,
  ): DataLoader<string, T[]> {
    const key = `children:${entity.name}:${foreignKey}:${JSON.stringify(extra)}`;
    return this.memo(key, () =>
      new DataLoader<string, T[]>(async (ids) => {
        const rows = await this.em.find(
          entity,
          { ...(extra as object), [foreignKey]: { $in: [...ids] } } as FilterQuery<T>,
          { orderBy: { id: 'asc' } as never },
        );
        const byParent = new Map<string, T[]>(ids.map((id) => [id, []]));
        for (const row of rows) {
          const parentId = (row as Record<string, { id: string } | null>)[foreignKey]?.id;
          if (parentId) byParent.get(parentId)?.push(row);
        }
        return ids.map((id) => byParent.get(id) ?? []);
      }),
    );
  }

  byId<T extends WithId>(entity: EntityClass<T>): DataLoader<string, T | null> {
    return this.byKey(entity, 'id' as keyof T & string);
  }

  /** Records by a unique key (the primary key, or e.g. a change-log entry's `seq`). */
  byKey<T extends object>(entity: EntityClass<T>, key: keyof T & string): DataLoader<string, T | null> {
    return this.memo(`byKey:${entity.name}:${key}`, () =>
      new DataLoader<string, T | null>(async (values) => {
        const rows = await this.em.find(entity, { [key]: { $in: [...values] } } as unknown as FilterQuery<T>);
        const byValue = new Map(rows.map((row) => [String(row[key]), row]));
        return values.map((value) => byValue.get(value) ?? null);
      }),
    );
  }

  private memo<L>(key: string, create: () => L): L {
    let loader = this.loaders.get(key);
    if (!loader) {
      loader = create() as unknown as DataLoader<string, unknown>;
      this.loaders.set(key, loader);
    }
    return loader as unknown as L;
  }
}
