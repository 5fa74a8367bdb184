import { Entity, Enum, Index, Property } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { OrgScopedEntity, type ChangeScope } from '../../common/base-entity';
import { PersonStatus } from '../enums';
import { Node } from '../../common/node';
import { ChangeLogged } from '../../changelog/change-logged';

/** A COmanage CO Person. */
@ObjectType({ implements: Node })
@ChangeLogged()
@Entity()
@Index({ properties: ['organization', 'status'] })
export class Person extends OrgScopedEntity {
  @Field(() => PersonStatus)
  @Enum({ items: () => PersonStatus, nativeEnumName: 'person_status' })
  status: PersonStatus = PersonStatus.PENDING;

  @Field(() => String, { nullable: true, description: 'ISO date (YYYY-MM-DD).' })
  @Property({ type: 'date', nullable: true })
  dateOfBirth: string | null = null;

  @Field(() => String, { nullable: true, description: 'IANA time zone, e.g. Europe/Paris.' })
  @Property({ type: 'string', length: 64, nullable: true })
  timezone: string | null = null;

  @Field(() => Date, { nullable: true, description: 'When the enrollment of this person was finished.' })
  @Property({ type: 'datetime', nullable: true })
  enrollmentFinishedAt: Date | null = null;

  changeScope(): ChangeScope {
    return { organizationId: this.organization.id, personId: this.id };
  }
}
