import 'reflect-metadata';
import os from 'node:os';
import { startScratchPostgres } from '../../src/db/scratch-database';
import { createLogger } from '../../src/observability/logger';
import { apiReads } from './scenarios/api-reads';
import { changeLatency } from './scenarios/change-latency';
import { importScenario } from './scenarios/import';
import { concurrentLoad, isolation } from './scenarios/concurrent-load';
import { provisionability } from './scenarios/provisionability';
import { queueThroughput } from './scenarios/queue-throughput';
import { registryWrites } from './scenarios/registry-writes';
import { reprovisionAll, reprovisionComanageDataset } from './scenarios/reprovision-all';
import type { BenchContext, Scenario } from './support/context';
import { benchScale } from './support/measure';
import { resultTable, writeResults, type ScenarioResult } from './support/report';

/**
 * `npm run bench`: every scenario against one scratch PostgreSQL cluster (a fresh database each)
 * and real slapd processes, then a table and a JSON file of the results. Each figure comes with a
 * baseline measured in the same run, because absolute numbers on a shared 2-core machine move
 * from run to run; the ratio is what to compare. Nothing here asserts on time.
 *
 * BENCH_SCALE=0.1 shrinks the datasets for a quick run; BENCH_ONLY=name[,name] runs only those
 * scenarios; BENCH_OUT=path sets where the JSON goes.
 */
const SCENARIOS: Scenario[] = [reprovisionComanageDataset, reprovisionAll, changeLatency, concurrentLoad, isolation, queueThroughput, provisionability, registryWrites, apiReads, importScenario];

function selectedScenarios(): Scenario[] {
  const only = process.env.BENCH_ONLY?.split(',').map((name) => name.trim()).filter(Boolean);
  if (!only?.length) return SCENARIOS;
  const unknown = only.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  if (unknown.length) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return SCENARIOS.filter((scenario) => only.includes(scenario.name));
}

async function main(): Promise<void> {
  const scale = benchScale();
  const scenarios = selectedScenarios();
  const started = Date.now();
  const log = (message: string) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`);
  log(`scale ${scale}, scenarios: ${scenarios.map((scenario) => scenario.name).join(', ')}`);
  const postgres = await startScratchPostgres(createLogger(process.env.BENCH_LOG_LEVEL ?? 'warn'), 'postgres');
  const results: ScenarioResult[] = [];
  try {
    for (const scenario of scenarios) {
      const context: BenchContext = { scale, clusterUrl: postgres.url, log: (message) => log(`${scenario.name}: ${message}`) };
      log(`${scenario.name}: ${scenario.title}`);
      const scenarioStarted = Date.now();
      try {
        const outcome = await scenario.run(context);
        results.push({ name: scenario.name, title: scenario.title, ...outcome, durationSeconds: (Date.now() - scenarioStarted) / 1000 });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log(`${scenario.name}: FAILED: ${error instanceof Error ? error.stack : message}`);
        results.push({ name: scenario.name, title: scenario.title, dataset: {}, figures: [], notes: [], durationSeconds: (Date.now() - scenarioStarted) / 1000, error: message });
      }
    }
  } finally {
    await postgres.stop();
  }

  console.log('');
  console.log(resultTable(results));
  const notes = results.flatMap((result) => result.notes.map((note) => `- ${result.name}: ${note}`));
  if (notes.length) console.log(`\n${notes.join('\n')}`);
  const file = writeResults(results, {
    startedAt: new Date(started).toISOString(),
    totalSeconds: (Date.now() - started) / 1000,
    scale,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  });
  console.log(`\nresults: ${file} (${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
  // Agenda and pg pools leave timers behind; the results are written, so leave.
  process.exit(results.some((result) => result.error) ? 1 : 0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
