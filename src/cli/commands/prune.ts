import { openJobQueue } from '../../backends';
import { prunesFinishedJobs } from '../../jobs/job-store';
import { Pruner } from '../../retention/pruner';
import { retentionSettings } from '../../retention/retention.settings';
import { localConfig, say, withDatabase } from './local';

export const help = `usage: ferry prune
Runs the retention job once, now: deletes provisioning events, finished jobs, audit entries,
consumed change-log entries and finished reconciliation runs older than their FERRY_RETENTION_*
age, in batches of FERRY_RETENTION_BATCH_SIZE, and prints how many of each went. It waits for
no schedule and leaves the scheduled run as it is. Only the age protects subscriptions here (this
process holds none). Exit code 1 when another run is in progress (nothing was done).`;

export async function run(): Promise<number> {
  const local = localConfig();
  if (typeof local === 'number') return local;
  return withDatabase(local, async (orm, url) => {
    const queue = await openJobQueue(local.config, url, local.logger);
    try {
      const pruner = new Pruner(orm, prunesFinishedJobs(queue) ? queue : null, retentionSettings(local.config), local.logger);
      const result = await pruner.run();
      if (!result.ran) {
        say('another retention run is in progress; nothing was done');
        return 1;
      }
      const { events, jobs, audit, changeLog, reconciliation, reconciliationDifferences } = result.deleted;
      say(
        `pruned: ${events} provisioning events, ${jobs} finished jobs, ${audit} audit entries, ${changeLog} change-log entries, ` +
          `${reconciliation} reconciliation runs (${reconciliationDifferences} differences); ${result.batches} batches in ${result.durationMs} ms`,
      );
      return 0;
    } finally {
      await queue.stop();
    }
  });
}
