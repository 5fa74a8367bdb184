/**
 * A UTF-16 surrogate without its other half. Such text passes GraphQL and JSON, but PostgreSQL
 * text and jsonb cannot store it (it fails, or stores U+FFFD instead) and directories reject it.
 */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
