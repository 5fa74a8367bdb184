import { ref, type EntityClass, type FilterQuery, type Ref } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { validate as isUuid } from 'uuid';
import type { Principal } from '../auth/principal';
import type { OrgScopedEntity } from '../common/base-entity';
import { notFound } from '../common/errors';
import { Organization } from './organizations/organization.entity';

/**
 * Loads a record the caller may read, or fails with NOT_FOUND, the same way whether the record
 * is missing or belongs to an organisation the caller cannot see.
 */
export async function findReadable<T extends OrgScopedEntity>(
  em: EntityManager,
  principal: Principal,
  entity: EntityClass<T>,
  id: string,
  kind = entity.name,
): Promise<T> {
  const record = isUuid(id) ? await em.findOne(entity, { id } as FilterQuery<T>) : null;
  if (!record) throw notFound(kind, id);
  principal.assertCanRead(record.organization.id, kind, id);
  return record;
}

/** Like findReadable, and the caller must be allowed to change the record's organisation. */
export async function findWritable<T extends OrgScopedEntity>(
  em: EntityManager,
  principal: Principal,
  entity: EntityClass<T>,
  id: string,
  kind = entity.name,
): Promise<T> {
  const record = isUuid(id) ? await em.findOne(entity, { id } as FilterQuery<T>) : null;
  if (!record) throw notFound(kind, id);
  principal.assertCanWrite(record.organization.id, kind, id);
  return record;
}

/** The organisation a list or create is scoped to, after checking the caller may read it. */
export async function findReadableOrganization(
  em: EntityManager,
  principal: Principal,
  organizationId: string,
): Promise<Organization> {
  const organization = isUuid(organizationId) ? await em.findOne(Organization, { id: organizationId }) : null;
  if (!organization) throw notFound('Organization', organizationId);
  principal.assertCanRead(organization.id, 'Organization', organizationId);
  return organization;
}

/** The organisation a record is created in, after checking the caller may change it. */
export async function findWritableOrganization(
  em: EntityManager,
  principal: Principal,
  organizationId: string,
): Promise<Organization> {
  const organization = await findReadableOrganization(em, principal, organizationId);
  principal.assertCanWrite(organization.id, 'Organization', organizationId);
  return organization;
}

/**
 * Loads the records a catalog record points at (person, source, group, unit, terms). A record of
 * another organisation is reported exactly like a missing one, even to a platform admin who could
 * read it: no input may tie two organisations together, and the error must not tell them apart.
 */
export class SameOrganizationReferences {
  async require<T extends OrgScopedEntity>(
    em: EntityManager,
    principal: Principal,
    entity: EntityClass<T>,
    id: string,
    organizationId: string,
  ): Promise<T> {
    const record = await findReadable(em, principal, entity, id);
    if (record.organization.id !== organizationId) throw notFound(entity.name, id);
    return record;
  }

  /** For optional references in inputs: undefined leaves the reference alone, null clears it. */
  async optional<T extends OrgScopedEntity>(
    em: EntityManager,
    principal: Principal,
    entity: EntityClass<T>,
    id: string | null | undefined,
    organizationId: string,
  ): Promise<Ref<T> | null | undefined> {
    if (id === undefined || id === null) return id;
    return ref(await this.require(em, principal, entity, id, organizationId));
  }
}
