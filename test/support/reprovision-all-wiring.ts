import 'reflect-metadata';
import { startFerry, type Ferry } from '../../src/app';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/observability/logger';
import { ReprovisionAll, ReprovisionAllService } from '../../src/provisioning/reprovision-all';

/** TEMPORARY until services.ts constructs ReprovisionAll: wires it into a started Ferry. */
export function ensureReprovisionAll(ferry: Ferry): void {
  if ('reprovisionAll' in ferry.services) return;
  const runner = new ReprovisionAll(ferry.orm, ferry.services.engine, ferry.jobs, createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'));
  Object.assign(ferry.services, { reprovisionAll: new ReprovisionAllService(() => runner) });
}

if (require.main === module) {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  void startFerry(config, logger).then(ensureReprovisionAll, (error) => {
    console.error(error);
    process.exit(1);
  });
}
