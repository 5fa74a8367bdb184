import { configSchema, type Config } from '../config/config';

/** What is pruned, one name per kind of row (the keys of a run's counts). */
export const RETENTION_KINDS = ['events', 'jobs', 'audit', 'changeLog', 'reconciliation'] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];

/** The FERRY_RETENTION_* settings: an age in days per kind (0 keeps forever), how often, how much per batch. */
export interface RetentionSettings {
  days: Record<RetentionKind, number>;
  intervalMinutes: number;
  batchSize: number;
}

const KEYS = {
  FERRY_RETENTION_EVENTS_DAYS: true,
  FERRY_RETENTION_JOBS_DAYS: true,
  FERRY_RETENTION_AUDIT_DAYS: true,
  FERRY_RETENTION_CHANGE_LOG_DAYS: true,
  FERRY_RETENTION_RECONCILIATION_DAYS: true,
  FERRY_RETENTION_INTERVAL_MINUTES: true,
  FERRY_RETENTION_BATCH_SIZE: true,
} as const;

type RetentionConfig = Pick<Config, keyof typeof KEYS>;

/** The retention settings of a loaded configuration. */
export function retentionSettings(config: RetentionConfig): RetentionSettings {
  return {
    days: {
      events: config.FERRY_RETENTION_EVENTS_DAYS,
      jobs: config.FERRY_RETENTION_JOBS_DAYS,
      audit: config.FERRY_RETENTION_AUDIT_DAYS,
      changeLog: config.FERRY_RETENTION_CHANGE_LOG_DAYS,
      reconciliation: config.FERRY_RETENTION_RECONCILIATION_DAYS,
    },
    intervalMinutes: config.FERRY_RETENTION_INTERVAL_MINUTES,
    batchSize: config.FERRY_RETENTION_BATCH_SIZE,
  };
}

/** The settings when none are given: the defaults of src/config/config.ts. */
export const DEFAULT_RETENTION_SETTINGS: RetentionSettings = retentionSettings(configSchema.pick(KEYS).parse({}));

/** The moment before which rows of this kind are old enough to prune, or null when the kind is kept forever. */
export function cutoffOf(settings: RetentionSettings, kind: RetentionKind, now: Date): Date | null {
  const days = settings.days[kind];
  return days > 0 ? new Date(now.getTime() - days * 86_400_000) : null;
}
