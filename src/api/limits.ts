import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import {
  GraphQLError,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  isCompositeType,
  isInterfaceType,
  isLeafType,
  isListType,
  isObjectType,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type ParseOptions,
  type SelectionNode,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';
import type { Config } from '../config/config';
import { ErrorCode } from '../common/errors';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../common/pagination';
import { unsafeTextError, variablesDepthError } from './input-text';

/**
 * What a request may ask for, from the configuration: graphql-armor counts depth, aliases and
 * directives; the cost is Ferry's own (operationCost below), because it depends on the page sizes.
 */
export function queryLimits(config: Config) {
  const armor = new ApolloArmor({
    maxDepth: { n: config.FERRY_MAX_QUERY_DEPTH, flattenFragments: true },
    // graphql-armor's cost multiplies by `first` only when it is a literal (not a variable), applies
    // no default page size, and grows by 1.5 per level: a page of 500 with a normal selection went
    // over 20,000 while `first: $n` cost nothing. Replaced by costLimitPlugin.
    costLimit: { enabled: false },
    maxAliases: { n: config.FERRY_MAX_ALIASES },
    maxDirectives: { n: 50 },
    // Counted by GraphQL's own parser instead (parseOptions below): graphql-armor's token plugin
    // throws from an Apollo hook, which Apollo answers with HTTP 500.
    maxTokens: { enabled: false },
    // Suggestions ("did you mean ...") map the schema for someone who may not introspect it.
    blockFieldSuggestion: { enabled: !config.introspection },
  });
  const parseOptions: ParseOptions = { maxTokens: config.FERRY_MAX_QUERY_TOKENS };
  const protection = armor.protect();
  const maxCost = config.FERRY_MAX_QUERY_COST;
  return { ...protection, plugins: [...protection.plugins, costLimitPlugin(maxCost)], parseOptions, maxCost };
}

/**
 * Items a list without `first` is counted as: such lists hang off one record (a person's names,
 * emails, roles; a group's members), and their length is not known before they are read.
 */
export const PLAIN_LIST_ESTIMATE = 5;

interface CostWalk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  /** Fragments being walked: validation refuses cycles, this only keeps the walk finite. */
  visiting: Set<string>;
}

const included = (walk: CostWalk, node: SelectionNode): boolean =>
  getDirectiveValues(GraphQLSkipDirective, node, walk.variables)?.if !== true &&
  getDirectiveValues(GraphQLIncludeDirective, node, walk.variables)?.if !== false;

/**
 * The page size a field asks for: its `first` or `last` (DEFAULT_PAGE_SIZE when it gives neither),
 * at most MAX_PAGE_SIZE.
 */
function pageSize(field: GraphQLField<unknown, unknown>, node: FieldNode, variables: Record<string, unknown>): number | undefined {
  if (!field.args.some((arg) => arg.name === 'first' || arg.name === 'last')) return undefined;
  let size: unknown;
  try {
    const values = getArgumentValues(field, node, variables);
    size = values.first ?? values.last ?? DEFAULT_PAGE_SIZE;
  } catch {
    size = undefined; // invalid: execution refuses it; until then, count the largest page
  }
  const count = typeof size === 'number' && Number.isFinite(size) ? Math.trunc(size) : MAX_PAGE_SIZE;
  // A larger page is refused by the argument's own validation, with its own message.
  return Math.min(Math.max(count, 0), MAX_PAGE_SIZE);
}

/**
 * The cost of a selection: its fields, plus fragments on the same type, plus the costliest of the
 * fragments on narrower types (one object is of one type only).
 */
function selectionCost(walk: CostWalk, selectionSet: SelectionSetNode, parentType: GraphQLCompositeType, page: number | undefined): number {
  let cost = 0;
  const byType = new Map<string, number>();
  for (const selection of selectionSet.selections) {
    if (!included(walk, selection)) continue;
    if (selection.kind === Kind.FIELD) {
      cost += fieldCost(walk, selection, parentType, page);
      continue;
    }
    const spread = selection.kind === Kind.FRAGMENT_SPREAD ? selection.name.value : null;
    const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : spread !== null ? walk.fragments.get(spread) : undefined;
    if (!fragment || (spread !== null && walk.visiting.has(spread))) continue;
    const typeName = fragment.typeCondition?.name.value ?? parentType.name;
    const type = walk.schema.getType(typeName);
    if (!type || !isCompositeType(type)) continue;
    if (spread !== null) walk.visiting.add(spread);
    const fragmentCost = selectionCost(walk, fragment.selectionSet, type, page);
    if (spread !== null) walk.visiting.delete(spread);
    if (typeName === parentType.name) cost += fragmentCost;
    else byType.set(typeName, (byType.get(typeName) ?? 0) + fragmentCost);
  }
  return cost + Math.max(0, ...byType.values());
}

/**
 * A field that returns objects costs 1 per object, plus what is selected in each. A list returns
 * `first` objects when it takes `first`; a connection (an object returned by a field with `first`)
 * passes its `first` to its own lists (`nodes`, `edges`, ...); any other list counts
 * PLAIN_LIST_ESTIMATE. Scalars cost nothing (they come with their record; how many a document may
 * name is bounded by FERRY_MAX_QUERY_TOKENS), nor do `__typename` and introspection.
 */
function fieldCost(walk: CostWalk, node: FieldNode, parentType: GraphQLCompositeType, page: number | undefined): number {
  if (node.name.value.startsWith('__') || !node.selectionSet) return 0;
  if (!isObjectType(parentType) && !isInterfaceType(parentType)) return 0;
  const field = parentType.getFields()[node.name.value];
  if (!field) return 0;
  const type = getNamedType(field.type);
  if (isLeafType(type) || !isCompositeType(type)) return 0;
  const first = pageSize(field, node, walk.variables);
  const list = isListType(getNullableType(field.type));
  const each = 1 + selectionCost(walk, node.selectionSet, type, list ? undefined : first);
  return (list ? (first ?? page ?? PLAIN_LIST_ESTIMATE) : 1) * each;
}

/**
 * The estimated cost of the operation with these variables: about how many records (objects) its
 * response may hold. Null when the variables do not fit the operation (execution refuses them).
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName?: string | null,
  variables?: Record<string, unknown> | null,
): number | null {
  const operation = getOperationAST(document, operationName);
  const rootType = operation ? schema.getRootType(operation.operation) : undefined;
  if (!operation || !rootType) return null;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
  if (coerced.errors) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return selectionCost({ schema, fragments, variables: coerced.coerced, visiting: new Set() }, operation.selectionSet, rootType, undefined);
}

/** The refusal of an operation over FERRY_MAX_QUERY_COST (HTTP adds its status 400). */
export function queryTooComplex(cost: number, maxCost: number, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(
    `Query cost limit of ${maxCost} exceeded: the operation's estimated cost is ${cost} (records it may return: each list counts ` +
      `its \`first\`, or ${PLAIN_LIST_ESTIMATE} without one, times what is selected in it). Ask for smaller pages or fewer nested lists.`,
    { extensions: { code: ErrorCode.QueryTooComplex, cost, maxCost, ...extensions } },
  );
}

/**
 * Checks the cost once the operation is known, with its variables: Apollo caches validation by
 * document, so a validation rule could not see `first: $first`.
 */
export function costLimitPlugin(maxCost: number): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request }) {
          const cost = operationCost(schema, document, request.operationName, request.variables);
          if (cost !== null && cost > maxCost) throw queryTooComplex(cost, maxCost, { http: { status: 400 } });
        },
      };
    },
  };
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
  maxCost?: number,
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
  const cost = maxCost === undefined ? null : operationCost(schema, document, payload.operationName, payload.variables);
  if (cost !== null && maxCost !== undefined && cost > maxCost) return [queryTooComplex(cost, maxCost)];
  const textError = unsafeTextError(document, payload.variables);
  if (textError) return [textError];
  // Changes go over HTTP only, where every mutation is audited and settles provisioning.
  if (getOperationAST(document, payload.operationName)?.operation === 'mutation') {
    return [new GraphQLError('Send mutations over HTTP (POST /graphql); the WebSocket carries queries and subscriptions.', { extensions: { code: 'BAD_REQUEST' } })];
  }
  return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
}
