import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import type { ValidationError } from 'class-validator';
import { translateDatabaseError } from '../common/db-errors';
import { ErrorCode } from '../common/errors';
import type { Logger } from '../observability/logger';

interface FieldProblem {
  field: string;
  problems: string[];
}

function flatten(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

const KNOWN_CODES = new Set<string>([...Object.values(ErrorCode).filter((code) => code !== ErrorCode.Internal), ...['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE']]);

/**
 * Every error leaves with a stable `extensions.code` and a sentence a person can act on. Errors
 * Ferry did not anticipate are logged with their stack and reported without internals.
 */
export function formatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof ArgumentValidationError) {
      const fields = flatten(original.extensions.validationErrors as ValidationError[]);
      return {
        ...formatted,
        message: `Invalid input: ${fields.map((f) => f.problems.join('; ')).join('; ')}.`,
        extensions: { code: ErrorCode.BadUserInput, fields },
      };
    }
    const database = translateDatabaseError(original);
    if (database) return { ...formatted, message: database.message, extensions: database.extensions };
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && KNOWN_CODES.has(code)) {
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected error while executing GraphQL');
    return {
      message: 'Internal error. It was logged; please report it with the time of the request.',
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: ErrorCode.Internal },
    };
  };
}
