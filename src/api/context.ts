import type { EntityManager } from '@mikro-orm/postgresql';
import type { Principal } from '../auth/principal';
import type { Logger } from '../observability/logger';
import type { Services } from '../services';
import { Loaders } from './loaders';

/** What every resolver receives: the caller, a request-scoped EntityManager and the services. */
export interface RequestContext {
  principal: Principal;
  em: EntityManager;
  loaders: Loaders;
  services: Services;
  logger: Logger;
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

/**
 * A subscription resolves every event it delivers with the context it was opened with. Each
 * event gets a fresh EntityManager and loaders, so a long subscription holds no growing cache.
 */
export function refreshForNextEvent(ctx: RequestContext): void {
  ctx.em = ctx.em.fork();
  ctx.loaders = new Loaders(ctx.em);
}
