import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'ferry' },
    // Bearer tokens and secrets must never reach the logs, whatever object is logged.
    redact: {
      paths: ['req.headers.authorization', '*.authorization', '*.token', '*.password', '*.secret'],
      censor: '[redacted]',
    },
  });
}
