import type { MikroORM } from '@mikro-orm/postgresql';
import { yieldToEventLoop } from '../../common/chunks';
import { sqlRows } from '../../db/sql';

/** One claim: the remote object a call is about to create for a subject on a target. */
export interface Claim {
  targetId: string;
  subjectType: string;
  subjectId: string;
  remoteId: string;
}

interface Waiting extends Claim {
  done: { resolve: () => void; reject: (error: unknown) => void };
}

/**
 * Commits claims (see ProvisionRequest.claim) at once, on a connection of their own, so that they
 * outlive the transaction the plugin is called in (a crash rolls that back). Claims made while a
 * write is in flight, or in the same turn of the event loop, go out together as one statement:
 * a batch of N creates costs a handful of statements, not N. Each caller still returns only once
 * its own claim is committed, and a failed write fails every claim in it.
 */
export class ClaimWriter {
  private queue: Waiting[] = [];
  private writing: Promise<void> | null = null;

  constructor(private readonly orm: MikroORM) {}

  claim(claim: Claim): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ...claim, done: { resolve, reject } });
      if (!this.writing) this.writing = this.drain();
    });
  }

  private async drain(): Promise<void> {
    // Let the claims of calls running side by side gather first.
    await yieldToEventLoop();
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.write(batch);
        for (const waiting of batch) waiting.done.resolve();
      } catch (error) {
        for (const waiting of batch) waiting.done.reject(error);
      }
    }
    this.writing = null;
  }

  private async write(batch: Claim[]): Promise<void> {
    // A subject claimed twice in one batch keeps its last claim (one row per subject and target).
    const rows = [...new Map(batch.map((c) => [`${c.targetId}:${c.subjectType}:${c.subjectId}`, c])).values()];
    await sqlRows(
      this.orm.em.fork(),
      `insert into provisioning_claim (target_id, subject_type, subject_id, remote_id, claimed_at)
       select v.target_id, v.subject_type::subject_type, v.subject_id, v.remote_id, now()
         from unnest(?::uuid[], ?::text[], ?::uuid[], ?::text[]) as v(target_id, subject_type, subject_id, remote_id)
       on conflict (target_id, subject_type, subject_id) do update set remote_id = excluded.remote_id, claimed_at = excluded.claimed_at`,
      [rows.map((c) => c.targetId), rows.map((c) => c.subjectType), rows.map((c) => c.subjectId), rows.map((c) => c.remoteId)],
    );
  }
}
