import { Entity, ManyToOne, Property, Unique, type Ref } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { PersonAttribute } from '../people/person-attribute';
import type { TermsAndConditions } from './terms-and-conditions.entity';
import { Node } from '../../common/node';
import { ChangeLogged } from '../../changelog/change-logged';

/** A person's agreement to terms and conditions (COmanage CoTAndCAgreement). */
@ObjectType({ implements: Node })
@Entity()
@Unique({ properties: ['person', 'terms'] })
@ChangeLogged()
export class TermsAgreement extends PersonAttribute {
  @ManyToOne({ entity: 'TermsAndConditions', ref: true, deleteRule: 'cascade', index: true })
  terms: Ref<TermsAndConditions>;

  @Field(() => ID)
  get termsId(): string {
    return this.terms.id;
  }

  @Field()
  @Property({ type: 'datetime' })
  agreedAt: Date = new Date();
}
