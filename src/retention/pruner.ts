import type { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';
import type { FinishedJobPruning } from '../jobs/job-store';
import type { Logger } from '../observability/logger';
import {
  FIRST_UUID,
  NO_CEILING,
  changeLogCeiling,
  dropKeptEvents,
  noteKeptEvents,
  oldReconciliationRuns,
  pruneAudit,
  pruneChangeLog,
  pruneDifferences,
  pruneEvents,
  pruneRuns,
  type Db,
  type WalkStep,
} from './retention.queries';
import { RETENTION_KINDS, cutoffOf, type RetentionKind, type RetentionSettings } from './retention.settings';

/** Session advisory lock held for a whole run ("FerP"): one run at a time across processes. */
export const RETENTION_LOCK = 0x46657250;

/** A batch's transaction waits at most this long for a row lock, then the run fails and the next one retries. */
const LOCK_TIMEOUT = '10s';

export interface PruneOptions {
  /** The moment ages are measured from; now when left out. */
  now?: Date;
  /** Told after every batch that deleted rows (a metrics counter can be wired here). */
  onBatch?: (kind: RetentionKind, deleted: number) => void;
}

export interface PruneResult {
  /** False when another run held the lock: this one did nothing. */
  ran: boolean;
  /** Rows deleted per kind; `reconciliation` counts runs, `reconciliationDifferences` their differences. */
  deleted: Record<RetentionKind, number> & { reconciliationDifferences: number };
  /** Transactions committed (each deleted at most the batch size). */
  batches: number;
  durationMs: number;
}

/**
 * Deletes what is older than its retention age, kind by kind, in batches of at most
 * `settings.batchSize` rows, each committed on its own: a run over any table size holds row locks
 * for one batch at a time and keeps one batch of keys in memory.
 *
 * What stays although old:
 * - events after the lowest position of an open subscription of this process (`replayFloor`),
 *   and events an open failure notification refers to;
 * - change-log entries some consumer has not consumed (the provisioning cursor, pending work);
 * - waiting and running jobs; reconciliation runs still running.
 */
export class Pruner {
  constructor(
    private readonly orm: MikroORM,
    private readonly jobs: FinishedJobPruning | null,
    private readonly settings: RetentionSettings,
    private readonly logger: Logger,
    /** The lowest event position an open subscription in this process may still read back; null: none. */
    private readonly replayFloor: () => bigint | null = () => null,
  ) {}

  get batchSize(): number {
    return this.settings.batchSize;
  }

  async run(options: PruneOptions = {}): Promise<PruneResult> {
    const started = Date.now();
    const now = options.now ?? new Date();
    const result: PruneResult = {
      ran: false,
      deleted: { events: 0, jobs: 0, audit: 0, changeLog: 0, reconciliation: 0, reconciliationDifferences: 0 },
      batches: 0,
      durationMs: 0,
    };
    const count = (kind: RetentionKind | 'reconciliationDifferences', deleted: number) => {
      result.batches += 1;
      result.deleted[kind] += deleted;
      if (deleted > 0 && kind !== 'reconciliationDifferences') options.onBatch?.(kind, deleted);
    };
    const knex = this.orm.em.getKnex();
    // One connection of the pool for the whole run: it holds the session lock and runs the batches.
    const client = (await knex.client.acquireConnection()) as pg.ClientBase;
    try {
      const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [RETENTION_LOCK]);
      if (!rows[0].locked) {
        this.logger.info('retention: another run is in progress; skipping this one');
        result.durationMs = Date.now() - started;
        return result;
      }
      result.ran = true;
      try {
        for (const kind of RETENTION_KINDS) {
          const cutoff = cutoffOf(this.settings, kind, now);
          if (!cutoff) continue;
          await this.prune(kind, client, cutoff, count);
        }
      } finally {
        await dropKeptEvents(client).catch(() => undefined);
        const unlocked = await client
          .query<{ unlocked: boolean }>('select pg_advisory_unlock($1) as unlocked', [RETENTION_LOCK])
          .then(({ rows: [row] }) => row.unlocked, () => false);
        // A connection that may still hold the lock must not go back to the pool: closing it releases the lock.
        if (!unlocked) await (client as pg.Client).end().catch(() => undefined);
      }
    } finally {
      await knex.client.releaseConnection(client);
    }
    result.durationMs = Date.now() - started;
    const { deleted } = result;
    const total = Object.values(deleted).reduce((a, b) => a + b, 0);
    this.logger[total > 0 ? 'info' : 'debug']({ deleted, batches: result.batches, durationMs: result.durationMs }, 'retention: pruned old rows');
    return result;
  }

  private async prune(kind: RetentionKind, db: pg.ClientBase, cutoff: Date, count: (kind: RetentionKind | 'reconciliationDifferences', deleted: number) => void): Promise<void> {
    const limit = this.settings.batchSize;
    const walkAll = async (first: string, step: (after: string) => Promise<WalkStep>) => {
      for (let after: string | null = first; after !== null; ) {
        const batch: WalkStep = await inTransaction(db, () => step(after!));
        count(kind, batch.deleted);
        after = batch.next;
      }
    };
    switch (kind) {
      case 'events': {
        await noteKeptEvents(db);
        // The floor is read again before each batch: a subscription opened meanwhile counts at once.
        await walkAll('0', (after) => pruneEvents(db, after, this.replayFloor()?.toString() ?? NO_CEILING, cutoff, limit));
        return;
      }
      case 'changeLog': {
        const ceiling = await changeLogCeiling(db);
        await walkAll('0', (after) => pruneChangeLog(db, after, ceiling, cutoff, limit));
        return;
      }
      case 'audit':
        await walkAll(FIRST_UUID, (after) => pruneAudit(db, after, cutoff, limit));
        return;
      case 'jobs': {
        if (!this.jobs) return;
        for (;;) {
          const deleted = await this.jobs.deleteFinished(cutoff, limit);
          count(kind, deleted);
          if (deleted < limit) return;
        }
      }
      case 'reconciliation': {
        for (let after: string | null = FIRST_UUID; after !== null; ) {
          const { ids, next }: { ids: string[]; next: string | null } = await oldReconciliationRuns(db, after, cutoff, limit);
          if (ids.length > 0) {
            // Children first, in batches: the foreign key's cascade would delete them all in one go.
            for (;;) {
              const differences = await inTransaction(db, () => pruneDifferences(db, ids, limit));
              count('reconciliationDifferences', differences);
              if (differences < limit) break;
            }
            count(kind, await inTransaction(db, () => pruneRuns(db, ids, cutoff)));
          }
          after = next;
        }
        return;
      }
    }
  }
}

/** Runs `work` in a transaction of its own on `db`, with a bounded wait for row locks. */
async function inTransaction<T>(db: Db, work: () => Promise<T>): Promise<T> {
  await db.query('begin');
  try {
    await db.query(`set local lock_timeout = '${LOCK_TIMEOUT}'`);
    const value = await work();
    await db.query('commit');
    return value;
  } catch (error) {
    await db.query('rollback').catch(() => undefined);
    throw error;
  }
}
