import type { EntityClass } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { plainRecordsBy } from '../db/plain-read';

type WithId = { id: string };

/**
 * Per-request batching for nested fields: every `person.names` of a page becomes one
 * `where person_id = any(...)` query instead of one query per person. The records are read as
 * plain rows (db/plain-read.ts): for reading only.
 */
export class Loaders {
  private readonly loaders = new Map<string, DataLoader<string, unknown>>();

  constructor(private readonly em: EntityManager) {}

  /** Records of `entity` whose relation `foreignKey` points at each given id, in creation order. */
  childrenOf<T extends WithId>(entity: EntityClass<T>, foreignKey: string): DataLoader<string, T[]> {
    return this.memo(`children:${entity.name}:${foreignKey}`, () =>
      new DataLoader<string, T[]>(async (ids) => {
        const rows = await plainRecordsBy(this.em, entity, foreignKey, ids);
        const byParent = new Map<string, T[]>(ids.map((id) => [id, []]));
        for (const row of rows) {
          const parentId = (row as unknown as Record<string, { id: string } | null>)[foreignKey]?.id;
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
        const rows = await plainRecordsBy(this.em, entity, key, values);
        const byValue = new Map(rows.map((row) => [String(row[key]), row]));
        return values.map((value) => byValue.get(value) ?? null);
      }),
    );
  }

  /** A loader of the caller's own, batched by `load` (given every key of a tick at once), one per request and name. */
  batch<V>(name: string, load: (keys: readonly string[]) => Promise<Map<string, V>>, missing: V): DataLoader<string, V> {
    return this.memo(`batch:${name}`, () =>
      new DataLoader<string, V>(async (keys) => {
        const found = await load(keys);
        return keys.map((key) => found.get(key) ?? missing);
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
