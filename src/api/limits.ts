import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, getOperationAST, parse, specifiedRules, validate, type DocumentNode, type GraphQLFormattedError, type GraphQLSchema, type ParseOptions, type ValidationRule } from 'graphql';
import type { Config } from '../config/config';
import { unsafeTextError, variablesDepthError } from './input-text';

/** What a request may ask for, from the configuration (graphql-armor does the counting). */
export function queryLimits(config: Config) {
  const armor = new ApolloArmor({
    maxDepth: { n: config.FERRY_MAX_QUERY_DEPTH, flattenFragments: true },
    costLimit: { maxCost: config.FERRY_MAX_QUERY_COST },
    maxAliases: { n: config.FERRY_MAX_ALIASES },
    maxDirectives: { n: 50 },
    // Counted by GraphQL's own parser instead (parseOptions below): graphql-armor's token plugin
    // throws from an Apollo hook, which Apollo answers with HTTP 500.
    maxTokens: { enabled: false },
    // Suggestions ("did you mean ...") map the schema for someone who may not introspect it.
    blockFieldSuggestion: { enabled: !config.introspection },
  });
  const parseOptions: ParseOptions = { maxTokens: config.FERRY_MAX_QUERY_TOKENS };
  return { ...armor.protect(), parseOptions };
}

const TOKEN_LIMIT = /Document contains more th(?:an|at) (\d+) tokens/;
const tokenLimitMessage = (limit: string) => `Token limit of ${limit} exceeded: a GraphQL document may have at most ${limit} tokens.`;

/**
 * The parser's refusal of a document with too many tokens leaves as the limit it is, with the
 * code the other limits have (GRAPHQL_VALIDATION_FAILED); its HTTP status stays 400.
 */
export function formatLimitError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const limit = formatted.extensions?.code === 'GRAPHQL_PARSE_FAILED' ? TOKEN_LIMIT.exec(formatted.message)?.[1] : undefined;
  if (!limit) return formatted;
  return { ...formatted, message: tokenLimitMessage(limit), extensions: { ...formatted.extensions, code: 'GRAPHQL_VALIDATION_FAILED' } };
}

const validationFailed = (error: GraphQLError) =>
  new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { ...error.extensions, code: 'GRAPHQL_VALIDATION_FAILED' } });

/**
 * graphql-ws validates with the default rules only: subscriptions (and queries sent over the
 * socket) get the same limits as HTTP here, with the same error codes.
 */
export function validateOverWebSocket(
  schema: GraphQLSchema,
  rules: readonly ValidationRule[],
  parseOptions: ParseOptions,
  payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null },
): readonly GraphQLError[] | { schema: GraphQLSchema; document: DocumentNode; operationName?: string | null; variableValues?: Record<string, unknown> | null } {
  const tooDeep = variablesDepthError(payload.variables);
  if (tooDeep) return [tooDeep];
  let document: DocumentNode;
  try {
    document = parse(payload.query, parseOptions);
  } catch (error) {
    const parseError = error as GraphQLError;
    const formatted = formatLimitError({ message: parseError.message, extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
    return [new GraphQLError(formatted.message, { extensions: formatted.extensions })];
  }
  const errors = validate(schema, document, [...specifiedRules, ...rules]);
  if (errors.length > 0) return errors.map(validationFailed);
  const textError = unsafeTextError(document, payload.variables);
  if (textError) return [textError];
  // Changes go over HTTP only, where every mutation is audited and settles provisioning.
  if (getOperationAST(document, payload.operationName)?.operation === 'mutation') {
    return [new GraphQLError('Send mutations over HTTP (POST /graphql); the WebSocket carries queries and subscriptions.', { extensions: { code: 'BAD_REQUEST' } })];
  }
  return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
}
