import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * PostgreSQL NOTIFY channels that carry live news between Ferry processes sharing one database.
 * A notification sent inside a transaction is delivered when (and only if) it commits.
 */
export const Channel = {
  /** Payload: the highest provisioning-event sequence the transaction committed. */
  PROVISIONING_EVENTS: 'ferry_provisioning_events',
  /** Payload: the id of a job whose progress was saved. */
  JOB_PROGRESS: 'ferry_job_progress',
  /** Payload: the id of a revoked API token. */
  TOKEN_REVOKED: 'ferry_token_revoked',
} as const;

export type ChannelName = (typeof Channel)[keyof typeof Channel];

export async function notify(em: EntityManager, channel: ChannelName, payload: string): Promise<void> {
  await em.execute('select pg_notify(?, ?)', [channel, payload]);
}
