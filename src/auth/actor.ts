import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../observability/logger';
import type { Principal } from './principal';

/**
 * Who acts, and with what: the caller (an API token's principal), the EntityManager of this unit
 * of work, and a logger. Every domain service takes an Actor, so jobs, the command line and tests
 * call them as the GraphQL resolvers do, without an HTTP request; the request context
 * (api/context.ts) extends it with what only resolvers use (loaders, the services).
 */
export interface Actor {
  principal: Principal;
  em: EntityManager;
  logger: Logger;
}

/** An Actor for work that is not an HTTP request (a job, a command): its own EntityManager fork. */
export const actorOf = (principal: Principal, em: EntityManager, logger: Logger): Actor => ({ principal, em: em.fork(), logger });
