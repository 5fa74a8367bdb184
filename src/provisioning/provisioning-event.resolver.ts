import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../api/context';
import { ChangeLogEntry } from '../changelog/change-log-entry.entity';
import { ProvisioningEvent } from './provisioning-event.entity';
import { ProvisioningTarget } from './provisioning-target.entity';

@Resolver(() => ProvisioningEvent)
export class ProvisioningEventResolver {
  @FieldResolver(() => ProvisioningTarget, { nullable: true, description: 'The target as it is now; null if it was deleted since.' })
  target(@Root() event: ProvisioningEvent, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(ProvisioningTarget).load(event.targetId);
  }

  @FieldResolver(() => ChangeLogEntry, { nullable: true, description: 'The change-log entry that caused this, if a change did.' })
  change(@Root() event: ProvisioningEvent, @Ctx() ctx: RequestContext) {
    return event.changeSeq ? ctx.loaders.byKey(ChangeLogEntry, 'seq').load(event.changeSeq) : null;
  }
}
