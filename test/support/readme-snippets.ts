/**
 * Reads the fenced code blocks of a Markdown file (the README) with the `<!-- snippet: ... -->`
 * markers placed right before them. test/docs/readme-snippets.test.ts runs or checks each block.
 */

export type SnippetLanguage = 'ts' | 'js' | 'graphql' | 'sh' | 'json' | 'yaml' | 'text';

export type SnippetMarker =
  | { kind: 'skip'; reason: string }
  /** The snippet is a file at this path (relative to the repository): its relative imports resolve from there. */
  | { kind: 'as'; path: string };

export interface Snippet {
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string as written (`ts`, `sh`, empty...). */
  info: string;
  language: SnippetLanguage | null;
  code: string;
  markers: SnippetMarker[];
  /** The nearest heading above the block. */
  section: string;
}

const LANGUAGES: Record<string, SnippetLanguage> = {
  ts: 'ts',
  typescript: 'ts',
  js: 'js',
  javascript: 'js',
  mjs: 'js',
  cjs: 'js',
  graphql: 'graphql',
  gql: 'graphql',
  sh: 'sh',
  bash: 'sh',
  shell: 'sh',
  json: 'json',
  yaml: 'yaml',
  yml: 'yaml',
  '': 'text',
  text: 'text',
  txt: 'text',
};

const MARKER = /^\s*<!--\s*snippet:\s*(.*?)\s*-->\s*$/;

/** Parses one marker's text (after `snippet:`); throws on a marker the test does not know. */
export function parseMarker(text: string, where: string): SnippetMarker {
  const skip = /^skip\b\s*(?:\((.*)\))?\s*$/.exec(text);
  if (skip) {
    const reason = (skip[1] ?? '').trim();
    if (!reason) throw new Error(`${where}: "<!-- snippet: skip -->" needs a reason: <!-- snippet: skip (why) -->`);
    return { kind: 'skip', reason };
  }
  const as = /^as\s+(\S+)$/.exec(text);
  if (as) return { kind: 'as', path: as[1] };
  throw new Error(`${where}: unknown snippet marker "${text}" (known: "skip (reason)", "as <path>")`);
}

/** The fenced blocks of `markdown`, in order. `file` names the file in error messages. */
export function extractSnippets(markdown: string, file = 'README.md'): Snippet[] {
  const lines = markdown.split('\n');
  const snippets: Snippet[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i += 1) {
    const heading = /^#{1,6}\s+(.*)$/.exec(lines[i]);
    if (heading) section = heading[1].trim();
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, info] = open;
    const start = i;
    const body: string[] = [];
    i += 1;
    while (i < lines.length && !new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`).test(lines[i])) {
      body.push(lines[i].startsWith(indent) ? lines[i].slice(indent.length) : lines[i]);
      i += 1;
    }
    if (i >= lines.length) throw new Error(`${file}:${start + 1}: the code block opened here is never closed`);
    // Markers: the comment lines right before the fence (blank lines between are allowed).
    const markers: SnippetMarker[] = [];
    for (let j = start - 1; j >= 0; j -= 1) {
      if (lines[j].trim() === '') continue;
      const marker = MARKER.exec(lines[j]);
      if (!marker) break;
      markers.unshift(parseMarker(marker[1], `${file}:${j + 1}`));
    }
    const key = info.toLowerCase();
    snippets.push({
      line: start + 1,
      info,
      language: key in LANGUAGES ? LANGUAGES[key] : null,
      code: body.join('\n'),
      markers,
      section,
    });
  }
  return snippets;
}

export const skipReason = (snippet: Snippet) => snippet.markers.find((m) => m.kind === 'skip')?.reason ?? null;
export const modulePath = (snippet: Snippet) =>
  (snippet.markers.find((m) => m.kind === 'as') as { path: string } | undefined)?.path ?? null;

/** Splits a shell snippet into its commands: continuations joined, comments dropped, split on && || ; | */
export function shellCommands(code: string): string[][] {
  const joined = code.replace(/\\\n/g, ' ');
  const commands: string[][] = [];
  for (const line of joined.split('\n')) {
    let words: string[] = [];
    let word = '';
    let quote: string | null = null;
    let hasWord = false;
    const flushWord = () => {
      if (hasWord) words.push(word);
      word = '';
      hasWord = false;
    };
    const flushCommand = () => {
      flushWord();
      if (words.length) commands.push(words);
      words = [];
    };
    for (let k = 0; k < line.length; k += 1) {
      const c = line[k];
      if (quote) {
        if (c === quote) quote = null;
        else if (c === '\\' && quote === '"' && k + 1 < line.length) word += line[++k];
        else word += c;
        continue;
      }
      if (c === "'" || c === '"') {
        quote = c;
        hasWord = true;
      } else if (c === '#' && !hasWord) {
        break; // a comment
      } else if (/\s/.test(c)) {
        flushWord();
      } else if (c === ';' || c === '|' || c === '&') {
        if (line[k + 1] === c) k += 1;
        flushCommand();
      } else if (c === '$' && line[k + 1] === '(') {
        // $( ... ): kept as one opaque word
        let depth = 0;
        let k2 = k;
        for (; k2 < line.length; k2 += 1) {
          if (line[k2] === '(') depth += 1;
          if (line[k2] === ')' && --depth === 0) break;
        }
        word += line.slice(k, k2 + 1);
        hasWord = true;
        k = k2;
      } else {
        word += c;
        hasWord = true;
      }
    }
    flushCommand();
  }
  return commands;
}
