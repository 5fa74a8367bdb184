import { ref, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../auth/actor';
import type { OrgScopedEntity } from '../common/base-entity';
import { paginate, type Page, type PageArgs } from '../common/pagination';
import { inWriteTransaction, type WriteResult } from '../db/transaction';
import { findReadable, findReadableOrganization, findWritable, findWritableOrganization } from './records';

/**
 * List, read, create, update and delete of a record that belongs to one organisation, with the
 * rules every such record follows: readers list and read, admins write, another organisation's
 * record is NOT_FOUND, every write is one transaction with its change-log entries. A catalog
 * service says only what differs: its entity, its filter, how an input is applied (checked
 * references included) and what goes with a deleted record.
 */
export abstract class OrgScopedCrud<T extends OrgScopedEntity, Input extends object, Filter extends object> {
  protected abstract readonly entity: new () => T;

  /** The filter's conditions besides the organisation. */
  protected abstract where(filter: Filter): FilterQuery<T>;

  /** Sets the input's fields (and the records it references, checked) on the record. */
  protected abstract assign(actor: Actor, em: EntityManager, record: T, input: Input): Promise<T> | T;

  /**
   * Records deleted with this one, removed here rather than by a foreign-key cascade so that each
   * loss (a person's link, a person's agreement) gets a change-log entry provisioning acts on.
   */
  protected dependents(_em: EntityManager, _record: T): Promise<object[]> {
    return Promise.resolve([]);
  }

  async list(actor: Actor, organizationId: string, filter: Filter | null | undefined, page: PageArgs): Promise<Page<T>> {
    const organization = await findReadableOrganization(actor.em, actor.principal, organizationId);
    const where = { ...(this.where(filter ?? ({} as Filter)) as object), organization: organization.id } as FilterQuery<T>;
    return paginate(actor.em, this.entity, where, page);
  }

  get(actor: Actor, id: string): Promise<T> {
    return findReadable(actor.em, actor.principal, this.entity, id);
  }

  create(actor: Actor, organizationId: string, input: Input): Promise<WriteResult<T>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const organization = await findWritableOrganization(em, actor.principal, organizationId);
      const record = new this.entity();
      record.organization = ref(organization);
      await this.assign(actor, em, record, input);
      em.persist(record);
      return record;
    });
  }

  update(actor: Actor, id: string, input: Input): Promise<WriteResult<T>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const record = await findWritable(em, actor.principal, this.entity, id);
      return this.assign(actor, em, record, input);
    });
  }

  delete(actor: Actor, id: string): Promise<WriteResult<string>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const record = await findWritable(em, actor.principal, this.entity, id);
      em.remove(await this.dependents(em, record));
      em.remove(record);
      return record.id;
    });
  }
}
