import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, getOperationAST, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';
import type { Config } from '../config/config';
import { unsafeTextError } from './input-text';

/** What a request may ask for, from the configuration (graphql-armor does the counting). */
export function queryLimits(config: Config) {
  const armor = new ApolloArmor({
    maxDepth: { n: config.FERRY_MAX_QUERY_DEPTH, flattenFragments: true },
    costLimit: { maxCost: config.FERRY_MAX_QUERY_COST },
    maxAliases: { n: config.FERRY_MAX_ALIASES },
    maxDirectives: { n: 50 },
    maxTokens: { n: config.FERRY_MAX_QUERY_TOKENS },
    // Suggestions ("did you mean ...") map the schema for someone who may not introspect it.
    blockFieldSuggestion: { enabled: !config.introspection },
  });
  return armor.protect();
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
  payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null },
): readonly GraphQLError[] | { schema: GraphQLSchema; document: DocumentNode; operationName?: string | null; variableValues?: Record<string, unknown> | null } {
  let document: DocumentNode;
  try {
    document = parse(payload.query);
  } catch (error) {
    const parseError = error as GraphQLError;
    return [new GraphQLError(parseError.message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
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
