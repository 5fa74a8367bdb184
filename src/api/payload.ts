import { Ctx, Field, ID, ObjectType, Root, type ClassType } from 'type-graphql';
import type { RequestContext } from './context';
import { ProvisioningEvent } from '../provisioning/provisioning-event.entity';
import { ChangeLogEntry } from '../changelog/change-log-entry.entity';
import type { WriteResult } from '../db/transaction';

const PROVISIONING = {
  description:
    'What the change did downstream: the outcome on each Automatic (and Queue On Error) target, and for Queue targets the QUEUED event with its job id. Asking for it waits until the engine has applied the change.',
};

/** Resolves `provisioning` of a payload: the events caused by its change-log entries. */
const provisioningOf = (payload: { changes: ChangeLogEntry[] }, ctx: RequestContext) =>
  ctx.services.provisioning.outcomesOf(ctx, payload.changes);

/**
 * What every mutation returns: the record, the change-log entries the mutation committed, and
 * what provisioning made of them, so a front-end can show the result of a save at once.
 */
export function Payload<T extends object>(recordClass: ClassType<T>, fieldName: string) {
  @ObjectType()
  abstract class PayloadClass {
    @Field(() => recordClass, { name: fieldName })
    record: T;

    @Field(() => [ChangeLogEntry], { description: 'Change-log entries written by this mutation, in order.' })
    changes: ChangeLogEntry[];

    @Field(() => [ProvisioningEvent], PROVISIONING)
    provisioning(@Root() payload: { changes: ChangeLogEntry[] }, @Ctx() ctx: RequestContext) {
      return provisioningOf(payload, ctx);
    }
  }
  return PayloadClass;
}

@ObjectType({ description: 'The result of a delete.' })
export class DeletePayload {
  @Field(() => ID, { description: 'The id of the deleted record.' })
  id: string;

  @Field(() => [ChangeLogEntry], { description: 'Change-log entries written by this mutation, in order.' })
  changes: ChangeLogEntry[];

  @Field(() => [ProvisioningEvent], PROVISIONING)
  provisioning(@Root() payload: { changes: ChangeLogEntry[] }, @Ctx() ctx: RequestContext) {
    return provisioningOf(payload, ctx);
  }
}

export const toPayload = <T>({ value, changes }: WriteResult<T>) => ({ record: value, changes });

export const toDeletePayload = (id: string, { changes }: WriteResult<unknown>) => ({ id, changes }) as DeletePayload;
