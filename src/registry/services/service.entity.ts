import { Entity, Enum, ManyToOne, Property, Unique, type Ref } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { OrgScopedEntity, type ChangeScope } from '../../common/base-entity';
import type { Group } from '../groups/group.entity';
import { RecordStatus } from '../enums';
import { Node } from '../../common/node';
import { ChangeLogged } from '../../changelog/change-logged';

/** A COmanage CO Service: its entitlement goes to the members of its group (or everyone). */
@ObjectType({ implements: Node })
@Entity()
@Unique({ properties: ['organization', 'name'] })
@ChangeLogged()
export class Service extends OrgScopedEntity {
  @Field()
  @Property({ type: 'string', length: 128 })
  name: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  @Field(() => String, { nullable: true, description: 'Short label, used for attribute options.' })
  @Property({ type: 'string', length: 64, nullable: true })
  shortLabel: string | null = null;

  @Field(() => String, { nullable: true, description: 'eduPersonEntitlement value granted by this service.' })
  @Property({ type: 'string', length: 1024, nullable: true })
  entitlementUri: string | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 2048, nullable: true })
  serviceUrl: string | null = null;

  @ManyToOne({ entity: 'Group', ref: true, nullable: true, deleteRule: 'set null', index: true })
  group: Ref<Group> | null = null;

  @Field(() => ID, { nullable: true, description: 'Only members of this group get the entitlement.' })
  get groupId(): string | null {
    return this.group?.id ?? null;
  }

  @Field(() => RecordStatus)
  @Enum({ items: () => RecordStatus, nativeEnumName: 'record_status' })
  status: RecordStatus = RecordStatus.ACTIVE;

  /** A service's entitlement goes to its group's members, so its changes concern that group. */
  changeScope(): ChangeScope {
    return { organizationId: this.organization.id, groupId: this.group?.id ?? null };
  }
}
