import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { Client } from 'ldapts';
import { OutboundPolicy } from '../../security/outbound-addresses';
import type { LdapConfig } from './config';
import { provisioningError } from './errors';

interface Connection {
  /** Changes when anything the connection depends on changes (URL, credentials, TLS, timeout). */
  fingerprint: string;
  client: Client;
  binding: Promise<void> | null;
}

function fingerprintOf(config: LdapConfig, policy: OutboundPolicy): string {
  return createHash('sha256')
    .update(JSON.stringify([config.url, config.bindDn, config.bindPassword, config.tlsCaCertificate, config.tlsRejectUnauthorized, config.timeoutMs, policy.allowedNetworks]))
    .digest('hex');
}

const DEFAULT_POLICY = new OutboundPolicy(undefined);

/** A socket that fails at once (ldapts listens for its error right after creating it). */
function refusedSocket(error: Error): net.Socket {
  const socket = new net.Socket();
  process.nextTick(() => socket.destroy(error));
  return socket;
}

/**
 * ldapts' socket factories with the address check: an IP literal is checked before connecting,
 * a host name after DNS resolution on every (re)connection, through `lookup`.
 */
function guardedSockets(policy: OutboundPolicy) {
  const check = (host: string): Error | null => {
    const bare = host.replace(/^\[|\]$/g, '');
    if (!net.isIP(bare)) return null;
    try {
      policy.assertAddress(bare, host);
      return null;
    } catch (error) {
      return error as Error;
    }
  };
  return {
    createConnection: ((port: number, host: string) => {
      const refused = check(host);
      return refused ? refusedSocket(refused) : net.connect({ port, host, lookup: policy.lookup });
    }) as unknown as typeof net.connect,
    createSecureConnection: ((first: number | tls.ConnectionOptions, host?: string, options?: tls.ConnectionOptions) => {
      // StartTLS wraps the socket already connected (and checked): options only.
      if (typeof first !== 'number') return tls.connect(first);
      const refused = check(host ?? '');
      if (refused) return refusedSocket(refused) as tls.TLSSocket;
      const servername = host && !net.isIP(host) ? host : undefined;
      return tls.connect({ ...options, port: first, host, lookup: policy.lookup, ...(servername ? { servername } : {}) });
    }) as unknown as typeof tls.connect,
  };
}

/**
 * One ldapts client per target, bound once and shared by concurrent calls (ldapts multiplexes
 * operations by message id). ldapts reconnects a dropped connection by itself and, with
 * autoRebind, replays the bind; a connection that could not bind is bound again on the next call.
 */
export class LdapConnections {
  private readonly connections = new Map<string, Connection>();

  /** `policy`: where connections may go (FERRY_TARGET_ALLOWED_NETWORKS); absent, no internal network. */
  async client(targetId: string, config: LdapConfig, policy: OutboundPolicy = DEFAULT_POLICY): Promise<Client> {
    const connection = await this.connection(targetId, config, policy);
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

  private async connection(targetId: string, config: LdapConfig, policy: OutboundPolicy): Promise<Connection> {
    const fingerprint = fingerprintOf(config, policy);
    const existing = this.connections.get(targetId);
    if (existing?.fingerprint === fingerprint) return existing;
    if (existing) await this.close(targetId);
    const client = new Client({
      url: config.url,
      timeout: config.timeoutMs,
      connectTimeout: config.timeoutMs,
      autoRebind: true,
      ...guardedSockets(policy),
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
