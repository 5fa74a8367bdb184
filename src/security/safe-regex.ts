import RE2 from 're2';

/**
 * Every regular expression an administrator or API client supplies (folder-rule regex
 * expressions, data-filter group patterns) is compiled here, on RE2: matching takes time linear
 * in the input whatever the pattern, so a pattern such as `(a+)+$` cannot stall the process the
 * way a backtracking engine (JavaScript's RegExp) does. RE2 has no backreferences and no
 * lookaround; a pattern using them is refused, never run on RegExp instead.
 *
 * Fixed regex literals in Ferry's own code are not admin input and stay plain RegExp.
 */

/** Short, for messages: what the engine is and what it does not take. */
export const ENGINE_NOTE = 'RE2, the linear-time engine Ferry runs patterns on: no backreferences or lookaround';

/** A pattern RE2 cannot compile. `reason` is RE2's own message, e.g. "invalid escape sequence: \1". */
export class UnsafePatternError extends Error {
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(`the regex does not compile on ${ENGINE_NOTE} (${reason})`);
  }
}

export interface SafeRegex {
  test(value: string): boolean;
}

const MAX_CACHED = 1000;
/** Compiled patterns and refusals, by flags and source; both are cached, so a bad pattern is not recompiled on every use. */
const cache = new Map<string, SafeRegex | UnsafePatternError>();

/** Compiles `pattern` on RE2 (cached). Throws UnsafePatternError when RE2 refuses it. */
export function safeRegex(pattern: string, flags = 'u'): SafeRegex {
  const key = `${flags}/${pattern}`;
  let entry = cache.get(key);
  if (!entry) {
    try {
      entry = new RE2(pattern, flags);
    } catch (error) {
      entry = new UnsafePatternError(pattern, error instanceof Error ? error.message : String(error));
    }
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(key, entry);
  }
  if (entry instanceof UnsafePatternError) throw entry;
  return entry;
}

/** A pattern that must match the whole value (as Java's Pattern.matches does), on RE2. */
export function wholeValueRegex(pattern: string): SafeRegex {
  try {
    return safeRegex(`^(?:${pattern})$`);
  } catch (error) {
    if (error instanceof UnsafePatternError) throw new UnsafePatternError(pattern, error.reason);
    throw error;
  }
}

/** Why RE2 refuses the whole-value pattern, or null when it compiles. For validation on save. */
export function wholeValuePatternProblem(pattern: string): string | null {
  try {
    wholeValueRegex(pattern);
    return null;
  } catch (error) {
    if (error instanceof UnsafePatternError) return error.message;
    throw error;
  }
}
