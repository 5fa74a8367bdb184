/**
 * A UTF-16 surrogate without its other half. Such text passes GraphQL and JSON, but PostgreSQL
 * text and jsonb cannot store it (it fails, or stores U+FFFD instead) and directories reject it.
 */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** "1 member", "3 members": a count with its noun (plural with a final s). */
export const counted = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;
