import { createHash } from 'node:crypto';
import { Client } from 'ldapts';
import type { LdapConfig } from './config';
import { provisioningError } from './errors';

interface Connection {
  /** Changes when anything the connection depends on changes (URL, credentials, TLS, timeout). */
  fingerprint: string;
  client: Client;
  binding: Promise<void> | null;
}

function fingerprintOf(config: LdapConfig): string {
  return createHash('sha256')
    .update(JSON.stringify([config.url, config.bindDn, config.bindPassword, config.tlsCaCertificate, config.tlsRejectUnauthorized, config.timeoutMs]))
    .digest('hex');
}

/**
 * One ldapts client per target, bound once and shared by concurrent calls (ldapts multiplexes
 * operations by message id). ldapts reconnects a dropped connection by itself and, with
 * autoRebind, replays the bind; a connection that could not bind is bound again on the next call.
 */
export class LdapConnections {
  private readonly connections = new Map<string, Connection>();

  async client(targetId: string, config: LdapConfig): Promise<Client> {
    const connection = await this.connection(targetId, config);
    if (!connection.client.isBound) {
      connection.binding ??= this.bind(connection, config).finally(() => {
        connection.binding = null;
      });
      await connection.binding;
    }
    return connection.client;
  }

  async close(targetId: string): Promise<void> {
    const connection = this.connections.get(targetId);
    if (!connection) return;
    this.connections.delete(targetId);
    await connection.client.unbind().catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.connections.keys()].map((targetId) => this.close(targetId)));
  }

  private async connection(targetId: string, config: LdapConfig): Promise<Connection> {
    const fingerprint = fingerprintOf(config);
    const existing = this.connections.get(targetId);
    if (existing?.fingerprint === fingerprint) return existing;
    if (existing) await this.close(targetId);
    const client = new Client({
      url: config.url,
      timeout: config.timeoutMs,
      connectTimeout: config.timeoutMs,
      autoRebind: true,
      tlsOptions: /^ldaps:/i.test(config.url)
        ? { rejectUnauthorized: config.tlsRejectUnauthorized, ...(config.tlsCaCertificate ? { ca: config.tlsCaCertificate } : {}) }
        : undefined,
    });
    const connection: Connection = { fingerprint, client, binding: null };
    this.connections.set(targetId, connection);
    return connection;
  }

  private async bind(connection: Connection, config: LdapConfig): Promise<void> {
    try {
      await connection.client.bind(config.bindDn, config.bindPassword);
    } catch (error) {
      throw provisioningError(error, `bind as ${config.bindDn}`, config.url);
    }
  }
}
