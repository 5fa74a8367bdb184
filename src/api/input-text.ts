import { GraphQLError, visit, type DocumentNode } from 'graphql';

/**
 * NUL characters and half surrogate pairs pass GraphQL and JSON, but PostgreSQL text and jsonb
 * cannot store them (it fails, or stores U+FFFD instead) and directories reject them. They are
 * refused before anything runs, wherever they appear: literals and variables, any depth.
 */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function unsafe(text: string): boolean {
  return text.includes('\u0000') || LONE_SURROGATE.test(text);
}

function findInValue(value: unknown, path: string): string | null {
  if (typeof value === 'string') return unsafe(value) ? path : null;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findInValue(item, `${path}[${index}]`);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (unsafe(key)) return `${path}.${JSON.stringify(key)}`;
      const found = findInValue(item, `${path}.${key}`);
      if (found) return found;
    }
  }
  return null;
}

export function unsafeTextError(document: DocumentNode, variables: Record<string, unknown> | null | undefined): GraphQLError | null {
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
