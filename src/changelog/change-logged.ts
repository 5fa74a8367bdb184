/**
 * The entities whose writes are change-logged, by class name (what a change-log entry's
 * entityType holds). Declared on each entity with @ChangeLogged(), next to its @Entity(): being an
 * organisation-scoped record does not make an entity change-logged by itself.
 */
const declared = new Set<string>();

/** Every create, update and delete of this entity gets a change-log entry in the same transaction (change-log.subscriber.ts). */
export function ChangeLogged(): ClassDecorator {
  return (target) => {
    declared.add(target.name);
  };
}

export const isChangeLoggedEntity = (entityName: string): boolean => declared.has(entityName);

/** The declared entities' names, sorted (the README lists them; a test checks each can say what it concerns). */
export const changeLoggedEntities = (): string[] => [...declared].sort();
