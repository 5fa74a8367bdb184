import type { MikroORM } from '@mikro-orm/postgresql';

export interface HealthReport {
  status: 'ok' | 'unavailable';
  database: 'reachable' | 'unreachable';
  [part: string]: string;
}

/**
 * `/healthz` of the server and of a worker: PostgreSQL answers a query; `extra` adds what the
 * process itself knows (a worker: whether its job workers run). Unhealthy when any part is not ok.
 */
export async function checkHealth(orm: MikroORM, extra: () => Record<string, string> = () => ({})): Promise<{ healthy: boolean; report: HealthReport; error?: unknown }> {
  try {
    await orm.em.fork().execute('select 1');
  } catch (error) {
    return { healthy: false, report: { status: 'unavailable', database: 'unreachable', ...extra() }, error };
  }
  const parts = extra();
  const healthy = !Object.values(parts).includes('stopped');
  return { healthy, report: { status: healthy ? 'ok' : 'unavailable', database: 'reachable', ...parts } };
}
