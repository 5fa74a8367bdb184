import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Logger } from '../observability/logger';
import type { ChannelName } from './channels';

export interface ListenerEvents {
  notification: [channel: ChannelName, payload: string];
  /** The connection came back after a loss: notifications sent meanwhile are lost, catch up. */
  reconnected: [];
}

/**
 * One dedicated PostgreSQL connection per process that LISTENs on Ferry's channels (a pooled
 * connection cannot: LISTEN belongs to a session). It reconnects with a growing delay when the
 * connection drops, and says so, so that readers re-read what they may have missed.
 */
export class PgListener extends EventEmitter<ListenerEvents> {
  private client: pg.Client | null = null;
  private stopped = false;
  private retryDelayMs = 100;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly databaseUrl: string,
    private readonly channels: ChannelName[],
    private readonly logger: Logger,
  ) {
    super();
    this.setMaxListeners(0);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: 'ferry-listener' });
    client.on('notification', (message) => {
      this.emit('notification', message.channel as ChannelName, message.payload ?? '');
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, null));
    await client.connect();
    for (const channel of this.channels) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    this.client = client;
    this.retryDelayMs = 100;
  }

  private lost(client: pg.Client, error: Error | null): void {
    if (this.client !== client) return;
    this.client = null;
    client.removeAllListeners('end');
    void client.end().catch(() => undefined);
    if (this.stopped) return;
    this.logger.warn({ err: error ?? undefined }, 'live notifications connection lost; reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.retryTimer = setTimeout(async () => {
      if (this.stopped) return;
      try {
        await this.connect();
        this.logger.info('live notifications connection restored');
        this.emit('reconnected');
      } catch (error) {
        this.logger.warn({ err: error }, 'live notifications connection still down');
        this.retryDelayMs = Math.min(this.retryDelayMs * 2, 5000);
        this.scheduleReconnect();
      }
    }, this.retryDelayMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}
