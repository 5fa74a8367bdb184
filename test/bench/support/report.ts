import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * One measured figure with the baseline measured in the same run. The ratio (Ferry / baseline)
 * is the number to compare across machines and runs; the absolute values move with the noise.
 */
export interface Figure {
  metric: string;
  unit: string;
  value: number;
  /** Which direction is good, so a reader knows how to read the ratio. */
  better: 'higher' | 'lower';
  baseline: { label: string; value: number } | null;
  goal?: { text: string; met: boolean };
}

export interface ScenarioResult {
  name: string;
  title: string;
  /** Dataset sizes and anything else needed to interpret the figures. */
  dataset: Record<string, unknown>;
  figures: Figure[];
  notes: string[];
  durationSeconds: number;
  error?: string;
}

export const ratioOf = (figure: Figure): number | null =>
  figure.baseline && figure.baseline.value !== 0 ? figure.value / figure.baseline.value : null;

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 0.01 || magnitude === 0) return value.toFixed(2);
  return value.toPrecision(2);
}

const formatRatio = (ratio: number): string => (Math.abs(ratio) >= 0.01 || ratio === 0 ? ratio.toFixed(2) : ratio.toPrecision(2));

function pad(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join(' | ').trimEnd()).join('\n');
}

/** The table printed at the end of a run (also pasted into the README). */
export function resultTable(results: ScenarioResult[]): string {
  const rows: string[][] = [['scenario', 'metric', 'Ferry', 'baseline', 'Ferry/baseline', 'goal', 'met']];
  for (const result of results) {
    if (result.error) {
      rows.push([result.name, 'FAILED', result.error.slice(0, 80), '', '', '', '']);
      continue;
    }
    for (const figure of result.figures) {
      const ratio = ratioOf(figure);
      rows.push([
        result.name,
        figure.metric,
        `${formatNumber(figure.value)} ${figure.unit}`,
        figure.baseline ? `${formatNumber(figure.baseline.value)} (${figure.baseline.label})` : '',
        ratio === null ? '' : `${formatRatio(ratio)} (${figure.better} is better)`,
        figure.goal?.text ?? '',
        figure.goal ? (figure.goal.met ? 'yes' : 'NO') : '',
      ]);
    }
  }
  return pad(rows);
}

/** BENCH_OUT, or a file in the system's temporary folder (never inside the source tree). */
export function writeResults(results: ScenarioResult[], meta: Record<string, unknown>): string {
  const file = process.env.BENCH_OUT || path.join(os.tmpdir(), 'ferry-bench', `bench-results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  const body = {
    ...meta,
    scenarios: results.map((result) => ({
      ...result,
      figures: result.figures.map((figure) => ({ ...figure, ratio: ratioOf(figure) })),
    })),
  };
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}
