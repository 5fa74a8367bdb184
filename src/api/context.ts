import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../auth/actor';
import type { Principal } from '../auth/principal';
import type { Logger } from '../observability/logger';
import type { Services } from '../services';
import { Loaders } from './loaders';

/**
 * What every resolver receives: the Actor the services take (the caller, a request-scoped
 * EntityManager, a logger), plus what only resolvers use: per-request loaders and the services.
 */
export interface RequestContext extends Actor {
  loaders: Loaders;
  services: Services;
}

export function createRequestContext(
  principal: Principal,
  rootEm: EntityManager,
  services: Services,
  logger: Logger,
): RequestContext {
  const em = rootEm.fork();
  return { principal, em, loaders: new Loaders(em), services, logger };
}

/** Events resolved with one EntityManager and one set of loaders before they are replaced. */
const EVENTS_PER_SCOPE = 200;
const eventsInScope = new WeakMap<RequestContext, number>();

/**
 * A subscription resolves every event it delivers with the context it was opened with. Events
 * share an EntityManager and loaders for a while (the target of a burst of events is read once),
 * then get fresh ones, so a long subscription holds no growing cache.
 */
export function refreshForNextEvent(ctx: RequestContext): void {
  const count = (eventsInScope.get(ctx) ?? 0) + 1;
  if (count < EVENTS_PER_SCOPE) {
    eventsInScope.set(ctx, count);
    return;
  }
  eventsInScope.set(ctx, 0);
  ctx.em = ctx.em.fork();
  ctx.loaders = new Loaders(ctx.em);
}
