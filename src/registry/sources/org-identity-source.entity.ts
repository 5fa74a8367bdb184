import { Entity, Enum, Property, Unique } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { OrgScopedEntity } from '../../common/base-entity';
import { RecordStatus } from '../enums';
import { Node } from '../../common/node';
import { ChangeLogged } from '../../changelog/change-logged';

/** An external system people are imported from (COmanage Organizational Identity Source). */
@ObjectType({ implements: Node })
@Entity()
@Unique({ properties: ['organization', 'name'] })
@ChangeLogged()
export class OrgIdentitySource extends OrgScopedEntity {
  @Field()
  @Property({ type: 'string', length: 128 })
  name: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  @Field({ description: 'Kind of source, e.g. ldap, sql, orcid, env.' })
  @Property({ type: 'string', length: 64 })
  kind: string;

  @Field(() => RecordStatus)
  @Enum({ items: () => RecordStatus, nativeEnumName: 'record_status' })
  status: RecordStatus = RecordStatus.ACTIVE;
}
