import { Field, ID, ObjectType, type ClassType } from 'type-graphql';
import { ChangeLogEntry } from '../changelog/change-log-entry.entity';
import type { WriteResult } from '../db/transaction';

/**
 * What every mutation returns: the record and the change-log entries the mutation committed, so
 * a front-end can follow what its save caused.
 */
export function Payload<T extends object>(recordClass: ClassType<T>, fieldName: string) {
  @ObjectType()
  abstract class PayloadClass {
    @Field(() => recordClass, { name: fieldName })
    record: T;

    @Field(() => [ChangeLogEntry], { description: 'Change-log entries written by this mutation, in order.' })
    changes: ChangeLogEntry[];
  }
  return PayloadClass;
}

@ObjectType({ description: 'The result of a delete.' })
export class DeletePayload {
  @Field(() => ID, { description: 'The id of the deleted record.' })
  id: string;

  @Field(() => [ChangeLogEntry], { description: 'Change-log entries written by this mutation, in order.' })
  changes: ChangeLogEntry[];
}

export const toPayload = <T>({ value, changes }: WriteResult<T>) => ({ record: value, changes });

export const toDeletePayload = (id: string, { changes }: WriteResult<unknown>): DeletePayload => ({
  id,
  changes,
});
