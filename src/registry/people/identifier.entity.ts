import { Check, Entity, Enum, Index, ManyToOne, Property, type Ref } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { OrgScopedEntity, type ChangeScope } from '../../common/base-entity';
import type { Group } from '../groups/group.entity';
import { RecordStatus } from '../enums';
import type { Person } from './person.entity';
import { Node } from '../../common/node';
import { ChangeLogged } from '../../changelog/change-logged';

/**
 * An identifier of a person or of a group (uid, eppn, orcid, gidNumber, ...). The type is an
 * open vocabulary, as COmanage's extended types are. Type + value is unique among the
 * organisation's active identifiers.
 */
@ObjectType({ implements: Node })
@Entity()
@Index({
  name: 'identifier_active_type_value_unique',
  expression: `create unique index "identifier_active_type_value_unique" on "identifier" ("organization_id", "type", "value") where "status" = 'ACTIVE'`,
})
@Index({ properties: ['organization', 'value'] })
@Check({ name: 'identifier_one_owner', expression: '("person_id" is null) <> ("group_id" is null)' })
@ChangeLogged()
export class Identifier extends OrgScopedEntity {
  @ManyToOne({ entity: 'Person', ref: true, nullable: true, deleteRule: 'cascade', index: true })
  person: Ref<Person> | null = null;

  @ManyToOne({ entity: 'Group', ref: true, nullable: true, deleteRule: 'cascade', index: true })
  group: Ref<Group> | null = null;

  @Field(() => ID, { nullable: true })
  get personId(): string | null {
    return this.person?.id ?? null;
  }

  @Field(() => ID, { nullable: true })
  get groupId(): string | null {
    return this.group?.id ?? null;
  }

  @Field({ description: 'Identifier type, e.g. uid, eppn, orcid, gidnumber.' })
  @Property({ type: 'string', length: 64 })
  type: string;

  @Field()
  @Property({ type: 'string', length: 512 })
  value: string;

  @Field(() => RecordStatus)
  @Enum({ items: () => RecordStatus, nativeEnumName: 'record_status' })
  status: RecordStatus = RecordStatus.ACTIVE;

  @Field({ description: 'Whether this identifier may be used to log in.' })
  @Property({ type: 'boolean' })
  login: boolean = false;

  changeScope(): ChangeScope {
    return {
      organizationId: this.organization.id,
      personId: this.person?.id ?? null,
      groupId: this.group?.id ?? null,
    };
  }
}
