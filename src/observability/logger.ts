import pino, { type Logger } from 'pino';

export type { Logger };

/** Where logs go: stdout unless a destination is given (tests capture them). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'ferry' },
      // Bearer tokens and secrets must never reach the logs, whatever object is logged.
      redact: {
        paths: [
          'req.headers.authorization',
          '*.authorization',
          '*.token',
          '*.password',
          '*.secret',
          '*.secrets',
          '*.bindPassword',
          '*.bearerToken',
          'config.bindPassword',
          'config.bearerToken',
          'config.secret',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
