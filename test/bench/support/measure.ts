import { readFileSync } from 'node:fs';

/** BENCH_SCALE shrinks (or grows) every dataset; 1 is the size the goals are stated for. */
export function benchScale(): number {
  const raw = process.env.BENCH_SCALE;
  if (raw === undefined || raw === '') return 1;
  const scale = Number(raw);
  if (!Number.isFinite(scale) || scale <= 0) throw new Error(`BENCH_SCALE must be a positive number, not "${raw}"`);
  return scale;
}

/**
 * BENCH_BUDGET_S: the longest a single timed Ferry run (a Reprovision All, a queue drain) may take
 * before the benchmark stops it and reports the rate over the part that was done.
 */
export function benchBudgetSeconds(): number {
  const raw = process.env.BENCH_BUDGET_S;
  if (raw === undefined || raw === '') return 180;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`BENCH_BUDGET_S must be a positive number of seconds, not "${raw}"`);
  return seconds;
}

/** `count` scaled, never below `minimum`. */
export const scaled = (count: number, scale: number, minimum = 1): number => Math.max(minimum, Math.round(count * scale));

export const now = (): number => performance.now();

export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = now();
  const value = await work();
  return { ms: now() - started, value };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export const median = (values: number[]): number => percentile(values, 50);

export interface Distribution {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  count: number;
}

export function distribution(values: number[]): Distribution {
  return {
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: percentile(values, 100),
    count: values.length,
  };
}

/** A field of /proc/<pid>/status in MB (VmHWM is the peak resident set since the process started). */
export function procMemoryMb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

export async function waitUntil<T>(what: string, probe: () => Promise<T | null | undefined | false>, options: { timeoutMs: number; intervalMs?: number | (() => number) }): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}`);
    const interval = typeof options.intervalMs === 'function' ? options.intervalMs() : options.intervalMs;
    await new Promise((resolve) => setTimeout(resolve, interval ?? 50));
  }
}

/** Runs `work` on `items` with `concurrency` workers, each taking the next item when free. */
export async function inParallel<T>(items: readonly T[], concurrency: number, work: (item: T, worker: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, Math.max(1, items.length)) }, async (_, worker) => {
      while (next < items.length) {
        const item = items[next++];
        await work(item, worker);
      }
    }),
  );
}
