import 'reflect-metadata';
import { ConfigError, loadConfig, type Config } from './config/config';
import { createLogger, type Logger } from './observability/logger';
import { stopTracing } from './observability/tracing';

interface Stoppable {
  stop(): Promise<void>;
}

/**
 * The life of a Ferry process (server or worker): validated configuration (exit 2 with one line
 * per problem), start, and on SIGTERM/SIGINT an orderly stop before exiting.
 */
export function runProcess(label: string, start: (config: Config, logger: Logger) => Promise<Stoppable>): void {
  const main = async () => {
    let config: Config;
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
    const running = await start(config, logger);
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, `${label}: shutting down`);
      try {
        await running.stop();
        await stopTracing().catch((error) => logger.warn({ err: error }, 'could not flush the traces'));
        // Agenda leaves timers behind that would keep the process alive for minutes.
        process.exit(0);
      } catch (error) {
        logger.error({ err: error }, 'error during shutdown');
        process.exit(1);
      }
    };
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    process.on('SIGINT', () => void shutdown('SIGINT'));
  };
  main().catch((error) => {
    console.error(`${label} failed to start:`, error instanceof Error ? error.message : error);
    const cause = error instanceof Error ? error.cause : undefined;
    const causeText = cause instanceof Error ? cause.message : cause;
    if (causeText && !String((error as Error).message).includes(String(causeText))) console.error('  cause:', causeText);
    process.exit(1);
  });
}
