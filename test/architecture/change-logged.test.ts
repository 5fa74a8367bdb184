import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changeLoggedEntities } from '../../src/changelog/change-logged';
import { entities } from '../../src/db/entities';

/** Entities that can say what a change concerns (changeScope) but are deliberately not change-logged. */
const NOT_LOGGED: string[] = [];

describe('architecture: what is change-logged is declared', () => {
  it('declares each change-logged entity, each able to say what its changes concern, and no other', () => {
    const concrete = (entities as Function[]).filter((entity) => !['BaseEntity', 'OrgScopedEntity', 'PersonAttribute', 'RoleAttribute'].includes(entity.name));
    const scoped = concrete.filter((entity) => typeof (entity.prototype as { changeScope?: unknown }).changeScope === 'function').map((entity) => entity.name);
    const declared = changeLoggedEntities();
    assert.ok(declared.length >= 20, declared.join(', '));
    for (const name of declared) assert.ok(scoped.includes(name), `${name} is declared @ChangeLogged() and says what its changes concern`);
    // A new organisation-scoped entity is a decision: declare it, or list it here as not logged.
    assert.deepEqual(scoped.filter((name) => !declared.includes(name) && !NOT_LOGGED.includes(name)), []);
  });
});
