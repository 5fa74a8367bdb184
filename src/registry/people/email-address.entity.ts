import { Entity, Enum, Index, Property } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { EmailType } from '../enums';
import { PersonAttribute } from './person-attribute';
import { Node } from '../../common/node';
import { ChangeLogged } from '../../changelog/change-logged';

@ObjectType({ implements: Node })
@Entity()
@Index({ properties: ['organization', 'mail'] })
@ChangeLogged()
export class EmailAddress extends PersonAttribute {
  @Field()
  @Property({ type: 'string', length: 320 })
  mail: string;

  @Field(() => EmailType)
  @Enum({ items: () => EmailType, nativeEnumName: 'email_type' })
  type: EmailType = EmailType.OFFICIAL;

  @Field()
  @Property({ type: 'boolean' })
  verified: boolean = false;
}
