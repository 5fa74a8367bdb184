import type { MikroORM } from '@mikro-orm/postgresql';
import { ApiToken } from '../auth/api-token.entity';
import type { Logger } from '../observability/logger';

/** A WebSocket as far as ending it goes. */
export interface Closable {
  close(code: number, reason: string): void;
}

/** graphql-ws's "Forbidden": the client should not reconnect with the same token. */
export const TOKEN_REVOKED_CLOSE_CODE = 4403;

/** A connection without a usable token: as for a revoked one, reconnecting with it cannot help. */
export const UNAUTHENTICATED_CLOSE_CODE = TOKEN_REVOKED_CLOSE_CODE;

/** An address over FERRY_AUTH_FAILURES_PER_MINUTE (HTTP's 429): retrying before the wait is over cannot help. */
export const TOO_MANY_FAILURES_CLOSE_CODE = 4429;

/**
 * Why a connection was refused, as its close code and reason: the stock graphql-ws client hands
 * both to `shouldRetry`, `on.closed` and the error sink of every subscription (a reason is at most
 * 123 bytes). `retryAfterSeconds` is set when the address is over the failed-attempts limit.
 */
export function connectionRefusal(
  problem: { token: 'missing' | 'refused' } | { retryAfterSeconds: number } | { unavailable: true },
): { code: number; reason: string } {
  // "Try Again Later": the token could not be checked (the database did not answer); clients retry.
  if ('unavailable' in problem) return { code: 1013, reason: 'Try again later: the API token could not be checked' };
  if ('retryAfterSeconds' in problem) {
    return {
      code: TOO_MANY_FAILURES_CLOSE_CODE,
      reason: `Too many failed authentication attempts from this address; try again in ${problem.retryAfterSeconds} s`,
    };
  }
  return problem.token === 'missing'
    ? { code: UNAUTHENTICATED_CLOSE_CODE, reason: 'Forbidden: no API token; send connectionParams { authorization: "Bearer <token>" }' }
    : { code: UNAUTHENTICATED_CLOSE_CODE, reason: 'Forbidden: the API token is invalid, revoked or expired' };
}

/**
 * The open WebSocket connections of this process, by API token. A revoked or expired token's connections
 * (and so all of its subscriptions) are closed: at once when the revocation is announced, and at
 * the latest after one re-check interval if the announcement was lost.
 */
export class LiveConnections {
  private readonly byToken = new Map<string, Set<Closable>>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly orm: MikroORM,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    let count = 0;
    for (const sockets of this.byToken.values()) count += sockets.size;
    return count;
  }

  add(tokenId: string, socket: Closable): void {
    let sockets = this.byToken.get(tokenId);
    if (!sockets) this.byToken.set(tokenId, (sockets = new Set()));
    sockets.add(socket);
  }

  remove(tokenId: string, socket: Closable): void {
    const sockets = this.byToken.get(tokenId);
    sockets?.delete(socket);
    if (sockets?.size === 0) this.byToken.delete(tokenId);
  }

  revoked(tokenId: string): void {
    this.end(tokenId, 'revoked');
  }

  /** Closes the token's connections, saying why: a client should not retry an expired token either. */
  private end(tokenId: string, why: 'revoked' | 'expired'): void {
    const sockets = this.byToken.get(tokenId);
    if (!sockets) return;
    this.byToken.delete(tokenId);
    this.logger.info({ tokenId, connections: sockets.size }, `closing the subscriptions of a token that ${why === 'revoked' ? 'was revoked' : 'expired'}`);
    for (const socket of sockets) socket.close(TOKEN_REVOKED_CLOSE_CODE, `Forbidden: the API token ${why === 'revoked' ? 'was revoked' : 'expired'}`);
  }

  startRecheck(intervalMs: number): void {
    this.timer = setInterval(() => void this.recheck(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Closes connections whose token is no longer active (one query for all of them). */
  async recheck(): Promise<void> {
    const tokenIds = [...this.byToken.keys()];
    if (tokenIds.length === 0) return;
    try {
      const tokens = await this.orm.em.fork().find(ApiToken, { id: { $in: tokenIds } }, { fields: ['id', 'revokedAt', 'expiresAt'] });
      const byId = new Map(tokens.map((token) => [token.id, token]));
      const now = new Date();
      for (const tokenId of tokenIds) {
        const token = byId.get(tokenId);
        if (!token || token.revokedAt) this.end(tokenId, 'revoked');
        else if (token.expiresAt && token.expiresAt <= now) this.end(tokenId, 'expired');
      }
    } catch (error) {
      this.logger.warn({ err: error }, 're-checking the tokens of open subscriptions failed; will try again');
    }
  }
}
