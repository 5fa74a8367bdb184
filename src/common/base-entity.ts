import { ManyToOne, PrimaryKey, Property, type Ref } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { v7 as uuidv7 } from 'uuid';

/**
 * Ids are UUIDv7: unguessable across organisations, yet ordered by creation, which gives the
 * keyset pagination a stable, meaningful order.
 */
@ObjectType()
export abstract class BaseEntity {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  @Field()
  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Field()
  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

/** Where a change belongs, so the change log can be read per organisation and per subject. */
export interface ChangeScope {
  organizationId: string;
  personId?: string | null;
  groupId?: string | null;
}

/**
 * The organisation a record belongs to, as the scoping needs it: its id. (The Organization entity
 * extends BaseEntity; naming it here would tie this base to one of its subclasses.)
 */
export interface OrganizationReference {
  id: string;
}

/** Every registry record belongs to exactly one organisation; authorization scopes on it. */
@ObjectType()
export abstract class OrgScopedEntity extends BaseEntity {
  @ManyToOne({ entity: 'Organization', ref: true, deleteRule: 'cascade', index: true })
  organization: Ref<OrganizationReference>;

  @Field(() => ID)
  get organizationId(): string {
    return this.organization.id;
  }

  /** Which person and/or group a change to this record concerns (the provisioning subjects). */
  changeScope(): ChangeScope {
    return { organizationId: this.organization.id };
  }
}
