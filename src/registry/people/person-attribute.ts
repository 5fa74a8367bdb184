import { ManyToOne, type Ref } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { OrgScopedEntity, type ChangeScope } from '../../common/base-entity';
import type { Person } from './person.entity';

/** A record that hangs off one person (name, email address, URL, ...). */
@ObjectType()
export abstract class PersonAttribute extends OrgScopedEntity {
  @ManyToOne({ entity: 'Person', ref: true, deleteRule: 'cascade', index: true })
  person: Ref<Person>;

  @Field(() => ID)
  get personId(): string {
    return this.person.id;
  }

  changeScope(): ChangeScope {
    return { organizationId: this.organization.id, personId: this.person.id };
  }
}
