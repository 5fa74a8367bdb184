import { Entity, Enum, Property } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { UrlType } from '../enums';
import { PersonAttribute } from './person-attribute';
import { Node } from '../../common/node';
import { ChangeLogged } from '../../changelog/change-logged';

@ObjectType({ implements: Node })
@Entity()
@ChangeLogged()
export class Url extends PersonAttribute {
  @Field()
  @Property({ type: 'string', length: 2048 })
  url: string;

  @Field(() => UrlType)
  @Enum({ items: () => UrlType, nativeEnumName: 'url_type' })
  type: UrlType = UrlType.OFFICIAL;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 256, nullable: true })
  description: string | null = null;
}
