import { GraphQLError, visit, type DocumentNode } from 'graphql';
import { LONE_SURROGATE } from '../common/text';

/**
 * NUL characters and half surrogate pairs pass GraphQL and JSON, but PostgreSQL text and jsonb
 * cannot store them (it fails, or stores U+FFFD instead) and directories reject them. They are
 * refused before anything runs, wherever they appear: literals and variables, any depth.
 */

function unsafe(text: string): boolean {
  return text.includes('\u0000') || LONE_SURROGATE.test(text);
}

/**
 * Where the first unsafe text in `value` is, or null. Walks with its own stack, not recursion:
 * the depth of a JSON value is the client's choice.
 */
function findInValue(value: unknown, path: string): string | null {
  const stack: [unknown, string][] = [[value, path]];
  while (stack.length > 0) {
    const [current, at] = stack.pop()!;
    if (typeof current === 'string') {
      if (unsafe(current)) return at;
    } else if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index--) stack.push([current[index], `${at}[${index}]`]);
    } else if (current && typeof current === 'object') {
      const entries = Object.entries(current);
      for (const [key] of entries) if (unsafe(key)) return `${at}.${JSON.stringify(key)}`;
      for (let index = entries.length - 1; index >= 0; index--) stack.push([entries[index][1], `${at}.${entries[index][0]}`]);
    }
  }
  return null;
}

/** Deepest nesting of objects and arrays the variables of one request may have. */
export const MAX_VARIABLES_DEPTH = 64;

/** Whether objects and arrays in `value` nest more than `limit` levels (counted without recursion). */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > limit) return true;
    for (const item of Object.values(current)) if (item !== null && typeof item === 'object') stack.push([item, depth + 1]);
  }
  return false;
}

export const variablesTooDeepMessage = `Variables may nest objects and arrays at most ${MAX_VARIABLES_DEPTH} levels deep; this request nests deeper.`;

/** Refuses variables nested deeper than MAX_VARIABLES_DEPTH (the variables object itself is level 0). */
export function variablesDepthError(variables: unknown): GraphQLError | null {
  if (!nestsDeeperThan(variables, MAX_VARIABLES_DEPTH)) return null;
  return new GraphQLError(variablesTooDeepMessage, { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
}

export function unsafeTextError(document: DocumentNode, variables: Record<string, unknown> | null | undefined): GraphQLError | null {
  const tooDeep = variablesDepthError(variables);
  if (tooDeep) return tooDeep;
  let where = findInValue(variables ?? {}, 'variables');
  if (!where) {
    visit(document, {
      StringValue(node) {
        if (!where && unsafe(node.value)) where = 'a string in the operation';
      },
    });
  }
  if (!where) return null;
  return new GraphQLError(`Invalid text in ${where}: text must be valid Unicode without NUL characters.`, {
    extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
  });
}
