import { Metrics } from '../observability/metrics';
import { syncReadmeBlock } from './readme-block';

/**
 * Keeps the README's metrics table equal to the catalogue in src/observability/metrics.ts (Ferry's
 * own metrics; Node's default process metrics are listed by prom-client's documentation).
 */
interface Described {
  name: string;
  help: string;
  type: string;
  labelNames?: readonly string[];
}

export async function metricsTable(): Promise<string> {
  const metrics = new Metrics();
  const own = (metrics.registry.getMetricsAsArray() as unknown as Described[]).filter((metric) => metric.name.startsWith('ferry_'));
  const rows = own.map((metric) => {
    const labels = (metric.labelNames ?? []).map((label) => `\`${label}\``).join(', ') || '';
    return `| \`${metric.name}\` | ${metric.type} | ${labels} | ${metric.help.replace(/\|/g, '\\|')} |`;
  });
  return ['| metric | type | labels | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

metricsTable()
  .then((table) => syncReadmeBlock('metrics', table, 'metrics table', 'metrics:doc'))
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
