import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/config';
import { startWorker } from './jobs/worker';
import { createLogger } from './observability/logger';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.LOG_LEVEL);
  const worker = await startWorker(config, logger);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: waiting for running jobs');
    try {
      await worker.stop();
      // Agenda leaves timers behind that would keep the process alive for minutes.
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error) => {
  console.error('Ferry worker failed to start:', error instanceof Error ? error.message : error);
  const cause = error instanceof Error ? error.cause : undefined;
  const causeText = cause instanceof Error ? cause.message : cause;
  if (causeText && !String(error.message).includes(String(causeText))) console.error('  cause:', causeText);
  process.exit(1);
});
