import type { ScenarioResult } from './report';

/** What every scenario gets from the runner. */
export interface BenchContext {
  /** BENCH_SCALE: dataset sizes are multiplied by it. */
  scale: number;
  /** The benchmark's own PostgreSQL cluster; each scenario makes a fresh database in it. */
  clusterUrl: string;
  log(message: string): void;
}

export interface Scenario {
  name: string;
  title: string;
  run(context: BenchContext): Promise<Omit<ScenarioResult, 'name' | 'title' | 'durationSeconds'>>;
}
