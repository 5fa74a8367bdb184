import { BigIntType, Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** How far a consumer of the change log has got. Locked FOR UPDATE while a batch is applied. */
@Entity()
export class EngineCursor {
  @PrimaryKey({ type: 'string', length: 64 })
  name: string;

  @Property({ type: new BigIntType('string') })
  seq: string = '0';

  @Property({ type: 'datetime' })
  updatedAt: Date = new Date();
}
