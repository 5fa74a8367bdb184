import { CreateOrganizationDocument, CreateProvisioningTargetDocument } from '../../../src/client/generated/graphql';
import { createJobQueue } from '../../../src/jobs/agenda-job-queue';
import { createLogger } from '../../../src/observability/logger';
import { ProvisioningAction, SubjectType } from '../../../src/provisioning/actions';
import { insertWork } from '../../../src/provisioning/dispatch/work-queue';
import { PROVISION_JOB, type ProvisionJobData } from '../../../src/provisioning/queued-provisioning';
import { startSlapd } from '../../support/slapd';
import type { BenchContext, Scenario } from '../support/context';
import { CpuMeter, ownPostgresPids, slapdPids } from '../support/cpu';
import { createDatabase, dropDatabase, startInProcessFerry } from '../support/ferry';
import { countEntries, ldapTargetConfig } from '../support/ldap';
import { benchBudgetSeconds, now, scaled, waitUntil } from '../support/measure';
import type { Figure } from '../support/report';
import { seedRegistry, withClient } from '../support/seed';

const NOOP_JOB = 'bench-noop';
/** Jobs queued through the whole engine path (the rest go straight into the job queue). */
const ENGINE_SAMPLE = 500;

/** Jobs of this name that ran to an end (completed or failed), from Agenda's own table. */
async function finishedJobs(databaseUrl: string, name: string): Promise<{ finished: number; failed: number }> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ finished: string; failed: string }>(
      `select count(*) filter (where last_finished_at is not null and next_run_at is null and locked_at is null) as finished,
              count(*) filter (where failed_at is not null) as failed
         from agenda_jobs where name = $1`,
      [name],
    );
    return { finished: Number(rows[0].finished), failed: Number(rows[0].failed) };
  });
}

/** Waits until `count` jobs finished, or the budget is spent; returns how many finished by then. */
async function waitForJobs(databaseUrl: string, name: string, count: number, budgetMs: number): Promise<{ finished: number; failed: number; seconds: number }> {
  const started = now();
  return waitUntil(
    `${count} ${name} jobs to finish`,
    async () => {
      const state = await finishedJobs(databaseUrl, name);
      const elapsed = now() - started;
      return state.finished >= count || elapsed > budgetMs ? { ...state, seconds: elapsed / 1000 } : null;
    },
    { timeoutMs: budgetMs + 60000, intervalMs: 100 },
  );
}

/**
 * Queued provisioning into LDAP: the jobs are queued first, then the workers start and run them
 * (a job runs with the due jobs of its target queued behind it, up to 100: their payloads, entries
 * and events; each job still ends COMPLETED or FAILED on its own, and the figure counts jobs). The
 * baseline is Agenda itself, through the same job-queue code and the same PostgreSQL backend,
 * running no-op jobs at the same concurrency (provisioning jobs run one at a time per process).
 */
export const queueThroughput: Scenario = {
  name: 'queue',
  title: 'Queue throughput (10,000 queued provisioning jobs into LDAP vs Agenda no-op jobs)',
  async run(context: BenchContext) {
    const jobCount = scaled(10000, context.scale, 100);
    const databaseUrl = await createDatabase(context.clusterUrl, 'bench_queue');
    const slapd = await startSlapd();
    const running = await startInProcessFerry(databaseUrl, { FERRY_RUN_WORKERS: 'false' });
    let ferryStopped = false;
    try {
      const { ferry, client } = running;
      const organization = (await client.request(CreateOrganizationDocument, { input: { name: 'Bench queue' } })).createOrganization.organization;
      const shape = { people: jobCount, groups: scaled(500, context.scale, 10), groupsPerPerson: 5, folders: 10 };
      const people = (await seedRegistry(databaseUrl, organization.id, shape)).people;
      const target = (
        await client.request(CreateProvisioningTargetDocument, {
          input: { organizationId: organization.id, name: 'directory', plugin: 'ldap', mode: 'QUEUE', config: ldapTargetConfig(slapd) },
        })
      ).createProvisioningTarget.target;
      // Nothing for its poll to do; stopped so that only the job workers run below.
      await ferry.services.engine.stop();

      const budgetMs = benchBudgetSeconds() * 1000;
      // A sample goes the whole way a change takes to a Queue target, one transaction per change
      // (the engine builds the payload, looks for a waiting job to coalesce with, marks the state
      // QUEUED); that path is slow enough that the rest is queued with the same job-queue call the
      // engine ends in, so that setting up does not take longer than the run it prepares.
      const sampleSize = Math.min(ENGINE_SAMPLE, jobCount);
      context.log(`queueing ${sampleSize} jobs through the engine, then ${jobCount - sampleSize} straight into the job queue`);
      const sampleStarted = now();
      // What the dispatcher writes for changes touching these people (one routed row each, one
      // statement), then the Queue target's lane turning them into jobs, batch by batch.
      await ferry.orm.em.fork().transactional((em) =>
        insertWork(
          em,
          people.slice(0, sampleSize).map((person) => ({
            targetId: target.id,
            organizationId: organization.id,
            subjectType: SubjectType.PERSON,
            subjectId: person.id,
            action: ProvisioningAction.PERSON_UPDATED,
            changeSeq: null,
            changeKey: `bench-${person.id}`,
            rank: 0,
            phase: 0,
            snapshot: null,
          })),
        ),
      );
      ferry.services.engine.lanes.start();
      ferry.services.engine.lanes.kick([target.id]);
      await ferry.services.engine.lanes.idle();
      await ferry.services.engine.lanes.stop();
      const engineEnqueueSeconds = (now() - sampleStarted) / 1000;
      const directStarted = now();
      for (const person of people.slice(sampleSize)) {
        const data: ProvisionJobData = {
          organizationId: organization.id,
          targetId: target.id,
          subjectType: SubjectType.PERSON,
          subjectId: person.id,
          action: ProvisioningAction.PERSON_UPDATED,
          changeSeq: null,
          attempt: 1,
          snapshot: null,
        };
        await ferry.jobs.enqueue(PROVISION_JOB, data, { dedupeOn: ['targetId', 'subjectType', 'subjectId', 'action'] });
      }
      const directEnqueueSeconds = (now() - directStarted) / 1000;
      const queued = jobCount;

      context.log(`running ${queued} jobs`);
      const cpu = new CpuMeter({ ferry: () => [process.pid], postgres: ownPostgresPids, slapd: () => slapdPids(slapd.url) });
      cpu.start();
      await ferry.jobs.startWorkers();
      const ferryJobs = await waitForJobs(databaseUrl, PROVISION_JOB, queued, budgetMs);
      const runSeconds = ferryJobs.seconds;
      const usage = cpu.stop();
      const entries = await countEntries(slapd, slapd.peopleDn);
      await running.stop();
      ferryStopped = true;

      context.log(`Ferry ran ${ferryJobs.finished} jobs in ${runSeconds.toFixed(1)} s; Agenda no-op baseline`);
      const queue = await createJobQueue({ databaseUrl, logger: createLogger(process.env.BENCH_LOG_LEVEL ?? 'warn') });
      let noopSeconds: number;
      let noopFinished: number;
      let noopEnqueueSeconds: number;
      try {
        queue.define(NOOP_JOB, async () => undefined, { concurrency: 1 });
        const noopEnqueueStarted = now();
        for (let index = 0; index < queued; index++) await queue.enqueue(NOOP_JOB, { index });
        noopEnqueueSeconds = (now() - noopEnqueueStarted) / 1000;
        await queue.startWorkers();
        const noop = await waitForJobs(databaseUrl, NOOP_JOB, queued, budgetMs);
        noopSeconds = noop.seconds;
        noopFinished = noop.finished;
      } finally {
        await queue.stop();
      }

      const ferryRate = ferryJobs.finished / runSeconds;
      const noopRate = noopFinished / noopSeconds;
      const partial = ferryJobs.finished < queued;
      const figures: Figure[] = [
        {
          metric: `queued LDAP provisioning jobs run, jobs/s${partial ? ' (PARTIAL, see notes)' : ''}`,
          unit: 'jobs/s',
          value: ferryRate,
          better: 'higher',
          baseline: { label: 'Agenda no-op jobs, same backend, concurrency 1', value: noopRate },
          goal: { text: '>= 0.5 of baseline', met: ferryRate / noopRate >= 0.5 },
        },
        {
          metric: 'changes queued through the engine, jobs/s',
          unit: 'jobs/s',
          value: sampleSize / engineEnqueueSeconds,
          better: 'higher',
          baseline: { label: 'Agenda enqueue of no-op jobs, one by one', value: queued / noopEnqueueSeconds },
          goal: { text: '>= 0.5 of baseline', met: sampleSize / engineEnqueueSeconds / (queued / noopEnqueueSeconds) >= 0.5 },
        },
      ];
      if (queued > sampleSize) {
        figures.push({
          metric: 'jobs queued with dedupe (job-queue call only), jobs/s',
          unit: 'jobs/s',
          value: (queued - sampleSize) / directEnqueueSeconds,
          better: 'higher',
          baseline: { label: 'Agenda enqueue of no-op jobs, one by one', value: queued / noopEnqueueSeconds },
        });
      }
      const notes: string[] = [];
      if (partial) {
        notes.push(`PARTIAL: ${ferryJobs.finished} of the ${queued} queued jobs ran within the ${budgetMs / 1000} s budget (BENCH_BUDGET_S); the rate is over those.`);
      }
      if (ferryJobs.failed) notes.push(`${ferryJobs.failed} provisioning jobs failed`);
      if (entries < ferryJobs.finished - ferryJobs.failed) notes.push(`slapd holds only ${entries} person entries after ${ferryJobs.finished - ferryJobs.failed} successful jobs`);
      return {
        dataset: {
          jobs: jobCount,
          queued,
          budgetSeconds: budgetMs / 1000,
          ...shape,
          action: 'PERSON_UPDATED on an empty directory (modify, then add)',
          ferry: { engineEnqueue: { jobs: sampleSize, seconds: engineEnqueueSeconds }, directEnqueue: { jobs: queued - sampleSize, seconds: directEnqueueSeconds }, runSeconds, finished: ferryJobs.finished, entries, failed: ferryJobs.failed, cpuDuringRun: usage },
          agenda: { enqueueSeconds: noopEnqueueSeconds, runSeconds: noopSeconds, finished: noopFinished },
        },
        figures,
        notes,
      };
    } finally {
      if (!ferryStopped) await running.stop().catch(() => undefined);
      await slapd.dispose();
      await dropDatabase(context.clusterUrl, databaseUrl).catch(() => undefined);
    }
  },
};
