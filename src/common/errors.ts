import { GraphQLError } from 'graphql';

/**
 * The stable `extensions.code` values a client can rely on. Validation failures raised by
 * type-graphql's class-validator integration already use BAD_USER_INPUT.
 */
export const ErrorCode = {
  BadUserInput: 'BAD_USER_INPUT',
  NotFound: 'NOT_FOUND',
  Conflict: 'CONFLICT',
  Forbidden: 'FORBIDDEN',
  Unauthenticated: 'UNAUTHENTICATED',
  TooManyRequests: 'TOO_MANY_REQUESTS',
  /** The operation's estimated cost is over FERRY_MAX_QUERY_COST (api/limits.ts; HTTP 400). */
  QueryTooComplex: 'QUERY_TOO_COMPLEX',
  Internal: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class FerryError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extra } });
  }
}

export const badInput = (message: string, field?: string) =>
  new FerryError(ErrorCode.BadUserInput, message, field ? { field } : {});

/**
 * Used both for records that do not exist and for records of another organisation, so a token
 * cannot learn whether another organisation's record exists.
 */
export const notFound = (kind: string, id: string) =>
  new FerryError(ErrorCode.NotFound, `${kind} ${id} was not found.`, { kind, id });

export const conflict = (message: string) => new FerryError(ErrorCode.Conflict, message);

export const forbidden = (message = 'Your token is not allowed to do this.') =>
  new FerryError(ErrorCode.Forbidden, message);

export const unauthenticated = (
  message = 'Send a valid API token as "Authorization: Bearer <token>".',
) => new FerryError(ErrorCode.Unauthenticated, message);

export const tooManyRequests = (retryAfterSeconds: number) =>
  new FerryError(ErrorCode.TooManyRequests, `Too many failed authentication attempts from this address; try again in ${retryAfterSeconds} s.`, {
    retryAfterSeconds,
  });

const MAX_SEQUENCE = 9223372036854775807n;

/** A sequence cursor from a client: digits, within PostgreSQL's bigint. */
export function isSequence(value: string): boolean {
  return /^\d{1,19}$/.test(value) && BigInt(value) <= MAX_SEQUENCE;
}
