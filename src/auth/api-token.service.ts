import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ref } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { validate as isUuid } from 'uuid';
import type { Actor } from './actor';
import { badInput, forbidden, notFound } from '../common/errors';
import { paginate, type Page, type PageArgs } from '../common/pagination';
import { plainRecordsBy } from '../db/plain-read';
import type { Logger } from '../observability/logger';
import { Organization } from '../registry/organizations/organization.entity';
import { findReadableOrganization } from '../registry/records';
import { Channel, notify } from '../live/channels';
import { ApiToken, Role } from './api-token.entity';
import { Principal } from './principal';

const TOKEN_PREFIX = 'ferry_';
/** Transaction-scoped advisory lock around installing the first platform-admin token ("FerB"). */
const BOOTSTRAP_LOCK = 0x46657242;

const hashSecret = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

export interface CreateTokenInput {
  name: string;
  role: Role;
  organizationId?: string | null;
  expiresAt?: Date | null;
}

const PREFIX_LENGTH = 12;

/** Not revoked and not expired. */
export const activeTokens = () => ({ revokedAt: null, $or: [{ expiresAt: null }, { expiresAt: { $gt: new Date() } }] });

export class ApiTokenService {
  /**
   * Tokens are 256-bit random secrets, so a plain SHA-256 is a sound verifier and lets the lookup
   * be an indexed equality on the hash rather than a comparison against every stored token.
   */
  async authenticate(em: EntityManager, secret: string | undefined): Promise<Principal | null> {
    if (!secret || !secret.startsWith(TOKEN_PREFIX) || secret.length > 256) return null;
    // Found by its (non-secret) prefix, then compared in constant time.
    const hash = Buffer.from(hashSecret(secret), 'hex');
    // As plain rows (db/plain-read.ts): this runs on every request, and nothing here is written through the ORM.
    const candidates = await plainRecordsBy(em, ApiToken, 'prefix', [secret.slice(0, PREFIX_LENGTH)]);
    const token = candidates.find((candidate) => timingSafeEqual(Buffer.from(candidate.secretHash, 'hex'), hash));
    if (!token || token.revokedAt || (token.expiresAt && token.expiresAt <= new Date())) return null;
    // At most once a minute per token, decided from the row just read: no statement at all on
    // most requests (this runs on every request).
    if (!token.lastUsedAt || Date.now() - token.lastUsedAt.getTime() > 60_000) {
      void em
        .getConnection()
        .execute(`update api_token set last_used_at = now() where id = ? and (last_used_at is null or last_used_at < now() - interval '1 minute')`, [token.id])
        .catch(() => undefined);
    }
    return new Principal(token.id, token.role, token.organization?.id ?? null);
  }

  async isActive(em: EntityManager, tokenId: string): Promise<boolean> {
    return (await em.count(ApiToken, { id: tokenId, ...activeTokens() })) > 0;
  }

  /**
   * First start: install FERRY_ADMIN_TOKEN, or generate a platform-admin token and print it once.
   * Later starts change nothing.
   */
  async bootstrap(em: EntityManager, configuredSecret: string | undefined, logger: Logger): Promise<void> {
    if (configuredSecret && !configuredSecret.startsWith(TOKEN_PREFIX)) {
      throw new Error(`FERRY_ADMIN_TOKEN must start with "${TOKEN_PREFIX}"`);
    }
    // Processes starting together on one database take turns: else each would find no token and
    // install one (twice the same FERRY_ADMIN_TOKEN fails on its unique hash).
    const shown = await em.transactional(async (tx): Promise<string | null> => {
      await tx.execute('select pg_advisory_xact_lock(?)', [BOOTSTRAP_LOCK]);
      if (configuredSecret) {
        const hash = hashSecret(configuredSecret);
        if (!(await tx.findOne(ApiToken, { secretHash: hash }))) {
          tx.persist(this.build('bootstrap (FERRY_ADMIN_TOKEN)', Role.PLATFORM_ADMIN, null, null, configuredSecret));
          await tx.flush();
          logger.info('installed the platform-admin token from FERRY_ADMIN_TOKEN');
        }
        return null;
      }
      if ((await tx.count(ApiToken, {})) > 0) return null;
      const secret = this.newSecret();
      tx.persist(this.build('bootstrap', Role.PLATFORM_ADMIN, null, null, secret));
      await tx.flush();
      return secret;
    });
    if (shown === null) return;
    // Printed once, on stdout, outside the structured log: it is the only time it can be seen.
    process.stdout.write(
      `\n  Ferry platform-admin API token (shown once, store it now):\n\n    ${shown}\n\n` +
        `  Use it as:  Authorization: Bearer ${shown}\n` +
        `  or sign in with it to the console at Ferry's address (e.g. http://localhost:4000/).\n\n`,
    );
  }

  async create(actor: Actor, input: CreateTokenInput): Promise<{ token: ApiToken; secret: string }> {
    const { principal, em } = actor;
    let organizationId: string | null = null;
    if (input.role === Role.PLATFORM_ADMIN) {
      principal.assertPlatformAdmin();
      if (input.organizationId) throw badInput('A platform-admin token has no organisation.', 'organizationId');
    } else {
      if (!input.organizationId) throw badInput(`A ${input.role} token needs an organisation.`, 'organizationId');
      const organization = await findReadableOrganization(em, principal, input.organizationId);
      this.assertMayManage(principal, organization.id);
      organizationId = organization.id;
    }
    if (input.expiresAt && input.expiresAt <= new Date()) throw badInput('expiresAt must be in the future.', 'expiresAt');
    const secret = this.newSecret();
    const token = this.build(input.name, input.role, organizationId, principal.tokenId, secret);
    token.expiresAt = input.expiresAt ?? null;
    await em.persistAndFlush(token);
    actor.logger.info({ tokenId: token.id, role: token.role, organizationId }, 'API token created');
    return { token, secret };
  }

  /**
   * `ferry token create`, run by whoever can reach the database (the operator recovering access,
   * or scripting a deployment): no principal, so `createdByTokenId` stays null and the log says
   * where it came from.
   */
  async createFromCommandLine(em: EntityManager, input: { name: string; role: Role; organizationId: string | null }, logger: Logger): Promise<{ token: ApiToken; secret: string }> {
    if (input.role === Role.PLATFORM_ADMIN && input.organizationId) throw badInput('A platform-admin token has no organisation.', 'organizationId');
    if (input.role !== Role.PLATFORM_ADMIN) {
      if (!input.organizationId) throw badInput(`A ${input.role} token needs an organisation (--organization).`, 'organizationId');
      if (!isUuid(input.organizationId) || !(await em.findOne(Organization, { id: input.organizationId }))) throw notFound('Organization', input.organizationId);
    }
    const secret = this.newSecret();
    const token = this.build(input.name, input.role, input.organizationId, null, secret);
    await em.persistAndFlush(token);
    logger.info({ tokenId: token.id, role: token.role, organizationId: input.organizationId }, 'API token created from the command line');
    return { token, secret };
  }

  /** Tokens in creation order, one page: an organisation's, or (platform admins) all. */
  async list(actor: Actor, organizationId: string | null | undefined, page: PageArgs): Promise<Page<ApiToken>> {
    const { principal, em } = actor;
    if (organizationId) {
      const organization = await findReadableOrganization(em, principal, organizationId);
      this.assertMayManage(principal, organization.id);
      return paginate(em, ApiToken, { organization: organization.id }, page);
    }
    principal.assertPlatformAdmin();
    return paginate(em, ApiToken, {}, page);
  }

  async revoke(actor: Actor, id: string): Promise<ApiToken> {
    const { principal, em } = actor;
    const token = isUuid(id) ? await em.findOne(ApiToken, { id }) : null;
    if (!token) throw notFound('ApiToken', id);
    if (token.organization) {
      principal.assertCanRead(token.organization.id, 'ApiToken', id);
      this.assertMayManage(principal, token.organization.id);
    } else if (!principal.isPlatformAdmin) {
      throw notFound('ApiToken', id);
    }
    if (!token.revokedAt) {
      await em.begin();
      try {
        token.revokedAt = new Date();
        await em.flush();
        // Open subscriptions of the token end at once, in every Ferry process.
        await notify(em, Channel.TOKEN_REVOKED, token.id);
        await em.commit();
      } catch (error) {
        await em.rollback();
        throw error;
      }
      actor.logger.info({ tokenId: token.id }, 'API token revoked');
    }
    return token;
  }

  private assertMayManage(principal: Principal, organizationId: string): void {
    if (!principal.isPlatformAdmin && !(principal.organizationId === organizationId && principal.role === Role.ORG_ADMIN)) {
      throw forbidden('Only a platform admin or an admin of this organisation may manage its tokens.');
    }
  }

  private newSecret(): string {
    return TOKEN_PREFIX + randomBytes(32).toString('base64url');
  }

  private build(name: string, role: Role, organizationId: string | null, createdBy: string | null, secret: string): ApiToken {
    const token = new ApiToken();
    token.name = name;
    token.role = role;
    token.secretHash = hashSecret(secret);
    token.prefix = secret.slice(0, PREFIX_LENGTH);
    token.createdByTokenId = createdBy;
    if (organizationId) token.organization = ref(Organization, organizationId);
    return token;
  }
}
