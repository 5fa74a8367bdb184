import 'reflect-metadata';
import type { MikroORM } from '@mikro-orm/postgresql';
import { resolveDatabase } from '../../backends';
import { ConfigError, loadConfig, type Config } from '../../config/config';
import { openDatabase } from '../../db/orm';
import { createLogger, type Logger } from '../../observability/logger';

/** A command that works on the database directly (migrate, token, doctor), not over the API. */
export interface Local {
  config: Config;
  logger: Logger;
}

/** The configuration, or the problems in words (exit code 2, like the server). */
export function localConfig(): Local | number {
  try {
    const config = loadConfig();
    // Commands print their own words; the log says only what went wrong unless asked for more.
    return { config, logger: createLogger(process.env.LOG_LEVEL ? config.LOG_LEVEL : 'warn') };
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/**
 * Opens Ferry's database as the server would (DATABASE_URL, else the embedded cluster: joined when
 * a server runs it, started for the command otherwise), with the migrations applied.
 */
export async function withDatabase<T>(local: Local, work: (orm: MikroORM, url: string) => Promise<T>): Promise<T> {
  const { url, embedded } = await resolveDatabase(local.config, local.logger, { join: true });
  try {
    const orm = await openDatabase(url, local.logger);
    try {
      return await work(orm, url);
    } finally {
      await orm.close();
    }
  } finally {
    await embedded?.stop();
  }
}

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}
