/**
 * Every fenced code block of README.md is run or checked here, so none can rot. One subtest per
 * block, named `README.md:<line> <language>`; a failure names the README line it comes from.
 *
 * What happens to a block, by its language (the fence's info string):
 *
 * - `ts` / `js`: run, in README order, against the Ferry this test starts (test/support/ferry.ts).
 *   A snippet is written as a file at the repository root, or at the path a
 *   `<!-- snippet: as src/plugins/x/index.ts -->` marker gives: its relative imports (`./src/client`,
 *   `../plugin`) are type-checked (TypeScript, strict, all `ts` blocks in one program) against the
 *   sources, and run against the build: the test rewrites them to the matching file under dist/.
 *   Package imports resolve from the repository's node_modules, except `graphql-ws`, which goes
 *   through a thin wrapper that records the clients and subscriptions a snippet opens (to check them
 *   and close them afterwards). Snippets with `import` run as ES modules (top-level `await` is
 *   fine); snippets with `require` run as CommonJS, inside an async function (so a request handler's
 *   `return` and `await` are fine). Snippets run as on Node 20, the oldest Node Ferry supports:
 *   without a global `WebSocket`.
 *   A snippet passes when it does not throw, writes nothing with `console.error`, answers no
 *   request (`res`) with an error status, and every subscription it opens delivers an event (the
 *   test makes one: it creates people in the organisation until the subscription hears of it).
 * - `graphql`: each operation of the block is validated against schema/schema.graphql (a block may
 *   list several operations as separate examples). An operation is also executed (admin token; it
 *   must answer without errors) when it is a query or mutation without variables whose values are
 *   all literal: an id written `"…"` or `"..."` stands for "your id" and leaves it validated only.
 *   A `config` given beside a `plugin` (createProvisioningTarget) is validated with that plugin's
 *   configuration schema.
 * - `sh`: a block that `curl`s `/graphql` is executed (bash, `set -eo pipefail`); the JSON it
 *   prints must hold `data` and no `errors`. Other blocks are checked command by command:
 *   `npm run X` / `npm start` / `npm test` name a script of package.json, `ferry CMD` / `npx ferry
 *   CMD` a command of the CLI and only options its `--help` shows, repository paths (deploy/...,
 *   src/..., ./...) exist, and any other program must be in EXTERNAL_COMMANDS below.
 * - `json`: parses. A target configuration (its keys are all settings of one plugin) is validated
 *   with that plugin's zod schema; a webhook document (`"version": "ferry.webhook/v1"`) must have
 *   the same fields, at every level, as a document Ferry really sent to the test's receiver.
 * - `yaml`: parses.
 * - no language (or `text`): output, diagrams, tables: shown, not code; counted as text.
 *
 * Placeholders the test fills in (in every kind of block):
 *
 * - `localhost:4000` is the address of the test's Ferry (`$FERRY_URL` in shell blocks).
 * - `$FERRY_TOKEN` (or `$TOKEN`) in shell blocks, and the variable `token` in ts/js blocks: a
 *   platform-admin API token.
 * - `<organization-id>`, `<person-id>`, `<target-id>`: an organisation set up by the test, a person
 *   in it, and a webhook target (AUTOMATIC) of it whose receiver answers 200. In ts/js blocks the
 *   variables `organizationId`, `personId` / `subjectId` and `targetId` hold the same.
 * - A webhook request handler's variables: `req` (`headers` of a real delivery), `raw` (its body,
 *   a Buffer), `res` (records `writeHead`), `seenBefore()` (false), and
 *   `process.env.FERRY_WEBHOOK_SECRET` (the target's secret).
 *
 * `<!-- snippet: skip (reason) -->` right before a block (blank lines between are allowed) leaves
 * it out; the reason is required, and shows in the test report. The last subtest prints how many
 * blocks were run, validated, shown as text and skipped.
 *
 * FERRY_README=<file> checks another Markdown file instead of README.md (to see a failure on
 * purpose without touching the README).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  buildSchema,
  Kind,
  parse,
  validate,
  valueFromASTUntyped,
  visit,
  type DefinitionNode,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import ts from 'typescript';
import YAML from 'yaml';
import { CreatePersonDocument, CreateProvisioningTargetDocument } from '../../src/client/generated/graphql';
import { configJsonSchema } from '../../src/plugins/config-schema';
import { ldapPlugin } from '../../src/plugins/ldap';
import type { ProvisionerPlugin } from '../../src/plugins/plugin';
import { scimPlugin } from '../../src/plugins/scim';
import { webhookPlugin } from '../../src/plugins/webhook';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization } from '../support/fixtures';
import { extractSnippets, modulePath, shellCommands, skipReason, type Snippet } from '../support/readme-snippets';

const ROOT = path.resolve(__dirname, '../../..');
const README = process.env.FERRY_README ? path.resolve(process.env.FERRY_README) : path.join(ROOT, 'README.md');
const README_NAME = path.basename(README);
const SNIPPETS = extractSnippets(readFileSync(README, 'utf8'), README_NAME);

/** Programs a shell block may call that this repository does not provide (not checked further). */
const EXTERNAL_COMMANDS = new Set([
  'export', 'cd', 'echo', 'cat', 'cp', 'mv', 'mkdir', 'chmod', 'chown', 'install', 'sudo', 'ls',
  'ldapsearch', 'ldapadd', 'ldapmodify', 'openssl', 'psql', 'pg_dump', 'tar', 'curl', 'jq', 'git',
  'docker', 'systemctl', 'journalctl', 'date', 'node',
]);
const NPM_BUILTINS = new Set(['install', 'i', 'ci', 'ls', 'audit', 'outdated']);
const PLUGINS: ProvisionerPlugin<any>[] = [ldapPlugin, scimPlugin, webhookPlugin];
const WEBHOOK_SECRET = randomBytes(24).toString('hex');

const where = (snippet: Snippet, offset = 0) => `${README_NAME}:${snippet.line + offset} (${snippet.info || 'text'}, "${snippet.section}")`;

interface Delivery {
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
}

/** The webhook receiver of the test's target: answers 200 and keeps what it got. */
async function startReceiver() {
  const deliveries: Delivery[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, raw: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/ferry`;
  return { url, deliveries, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

interface World {
  t: TestFerry;
  receiver: Awaited<ReturnType<typeof startReceiver>>;
  hostPort: string;
  organizationId: string;
  personId: string;
  targetId: string;
  delivery: Delivery;
}

/** Fills in the placeholders every kind of block may use. */
function substitute(code: string, world: World): string {
  return code
    .replaceAll('localhost:4000', world.hostPort)
    .replaceAll('<organization-id>', world.organizationId)
    .replaceAll('<person-id>', world.personId)
    .replaceAll('<target-id>', world.targetId);
}

// ---------------------------------------------------------------------------------------------
// TypeScript: one program for every ts block, type-checked against the sources.

const TS_GLOBALS = `
declare const token: string;
declare const organizationId: string;
declare const personId: string;
declare const subjectId: string;
declare const targetId: string;
`;

const snippetFile = (snippet: Snippet) => path.join(ROOT, modulePath(snippet) ?? `README-L${snippet.line}.ts`);

/** Type errors of each ts block, by block line, each with its README line. */
function typeCheck(snippets: Snippet[]): Map<number, string[]> {
  const virtual = new Map<string, string>();
  const bySnippetFile = new Map<string, Snippet>();
  for (const snippet of snippets) {
    const file = snippetFile(snippet);
    virtual.set(file, snippet.code);
    bySnippetFile.set(file, snippet);
  }
  const globalsFile = path.join(ROOT, 'README-snippet-globals.d.ts');
  virtual.set(globalsFile, TS_GLOBALS);
  const config = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile).config as { compilerOptions: unknown };
  const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, ROOT);
  const compilerOptions: ts.CompilerOptions = {
    ...options,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    noEmit: true,
    incremental: false,
    tsBuildInfoFile: undefined,
    noUnusedLocals: false,
  };
  const host = ts.createCompilerHost(compilerOptions);
  const virtualDirs = new Set([...virtual.keys()].map((file) => path.dirname(file)));
  const { getSourceFile, fileExists, readFile, directoryExists } = host;
  host.getSourceFile = (file, language, ...rest) =>
    virtual.has(file) ? ts.createSourceFile(file, virtual.get(file)!, language) : getSourceFile.call(host, file, language, ...rest);
  host.fileExists = (file) => virtual.has(file) || fileExists.call(host, file);
  host.readFile = (file) => virtual.get(file) ?? readFile.call(host, file);
  host.directoryExists = (dir) => virtualDirs.has(dir) || (directoryExists?.call(host, dir) ?? ts.sys.directoryExists(dir));
  const program = ts.createProgram([...virtual.keys()], compilerOptions, host);
  const errors = new Map<number, string[]>();
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const snippet = diagnostic.file ? bySnippetFile.get(diagnostic.file.fileName) : undefined;
    if (!snippet || !diagnostic.file) continue; // errors of the sources are the build's business
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const list = errors.get(snippet.line) ?? [];
    list.push(`${README_NAME}:${snippet.line + 1 + line}: TS${diagnostic.code}: ${message}`);
    errors.set(snippet.line, list);
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Running ts/js blocks.

interface RecordedSubscription {
  query: string;
  next: number;
  errors: unknown[];
}
interface Recorder {
  clients: { dispose(): void | Promise<void>; subscriptions: RecordedSubscription[] }[];
}

const GRAPHQL_WS_SHIM = `
import * as real from 'graphql-ws';
export * from 'graphql-ws';
export function createClient(options) {
  const client = real.createClient(options);
  const record = { dispose: () => client.dispose(), subscriptions: [] };
  globalThis.__readmeSnippets.clients.push(record);
  return {
    ...client,
    subscribe(payload, sink) {
      const sub = { query: String(payload.query), next: 0, errors: [] };
      record.subscriptions.push(sub);
      return client.subscribe(payload, {
        next: (value) => { sub.next += 1; sink.next(value); },
        error: (error) => { sub.errors.push(error); sink.error(error); },
        complete: () => sink.complete(),
      });
    },
  };
}
`;

/** The file under dist/ that a relative import of the sources runs as. */
function builtModule(fromFile: string, specifier: string, snippet: Snippet): string {
  const source = path.resolve(path.dirname(fromFile), specifier).replace(/\.(js|ts)$/, '');
  const built = path.join(ROOT, 'dist', path.relative(ROOT, source));
  const found = [`${built}.js`, path.join(built, 'index.js')].find((candidate) => existsSync(candidate));
  if (!found) {
    const shown = path.relative(ROOT, built);
    assert.fail(`${where(snippet)}: the import "${specifier}" names nothing built: no ${shown}.js or ${shown}/index.js`);
  }
  return found;
}

/** Relative imports to the build under dist/, `graphql-ws` to the recording wrapper. */
function rewriteImports(code: string, snippet: Snippet, shim: string): string {
  const from = snippetFile(snippet);
  return code.replace(
    /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(['"])([^'"]+)\2/g,
    (whole, lead: string, quote: string, specifier: string) => {
      const commonJs = lead.startsWith('require');
      if (specifier.startsWith('.')) {
        const file = builtModule(from, specifier, snippet);
        return `${lead}${quote}${commonJs ? file : pathToFileURL(file).href}${quote}`;
      }
      if (specifier === 'graphql-ws' && !commonJs) return `${lead}${quote}${pathToFileURL(shim).href}${quote}`;
      return whole;
    },
  );
}

async function runCode(snippet: Snippet, world: World, workDir: string, shim: string): Promise<string[]> {
  let code = substitute(snippet.code, world);
  if (snippet.language === 'ts') {
    code = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  }
  const commonJs = /\brequire\s*\(/.test(code) && !/^\s*(import|export)\s/m.test(code);
  code = rewriteImports(code, snippet, shim);
  const file = path.join(workDir, `README-L${snippet.line}.${commonJs ? 'cjs' : 'mjs'}`);
  writeFileSync(file, commonJs ? `module.exports = (async () => {\n${code}\n})();\n` : code);

  const recorder: Recorder = { clients: [] };
  const output: string[] = [];
  const problems: string[] = [];
  const response = { status: 0, writeHead(status: number) { this.status = status; return this; }, end() { return this; } };
  const globals: Record<string, unknown> = {
    __readmeSnippets: recorder,
    token: world.t.adminToken,
    organizationId: world.organizationId,
    personId: world.personId,
    subjectId: world.personId,
    targetId: world.targetId,
    req: { headers: world.delivery.headers },
    raw: world.delivery.raw,
    res: response,
    seenBefore: async () => false,
  };
  const saved = new Map<string, PropertyDescriptor | undefined>();
  for (const name of [...Object.keys(globals), 'WebSocket']) saved.set(name, Object.getOwnPropertyDescriptor(globalThis, name));
  const savedSecret = process.env.FERRY_WEBHOOK_SECRET;
  const { log, error: logError, warn } = console;
  const onRejection = (reason: unknown) => problems.push(`unhandled rejection: ${String((reason as Error)?.stack ?? reason)}`);
  try {
    for (const [name, value] of Object.entries(globals)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
    // As on Node 20, the oldest Node Ferry supports: no WebSocket of its own.
    delete (globalThis as { WebSocket?: unknown }).WebSocket;
    process.env.FERRY_WEBHOOK_SECRET = WEBHOOK_SECRET;
    console.log = (...args: unknown[]) => void output.push(args.map(String).join(' '));
    console.warn = (...args: unknown[]) => void output.push(`warn: ${args.map(String).join(' ')}`);
    console.error = (...args: unknown[]) => void problems.push(`console.error: ${args.map((a) => (a instanceof Error ? a.message : typeof a === 'object' ? JSON.stringify(a) : String(a))).join(' ')}`);
    process.on('unhandledRejection', onRejection);

    try {
      if (commonJs) await require(file);
      else await import(pathToFileURL(file).href);
    } catch (error) {
      problems.push(`threw: ${(error as Error)?.stack ?? String(error)}`);
    }

    // Every subscription the snippet opened must deliver: make events until it does.
    const subscriptions = recorder.clients.flatMap((client) => client.subscriptions);
    const deadline = Date.now() + 15_000;
    let made = 0;
    while (subscriptions.some((s) => s.next === 0 && s.errors.length === 0) && problems.length === 0 && Date.now() < deadline) {
      made += 1;
      await world.t.admin.ok(CreatePersonDocument, { input: { organizationId: world.organizationId, names: [{ given: 'Live', family: `Check ${made}` }] } });
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    for (const s of subscriptions) {
      if (s.errors.length) problems.push(`the subscription ${JSON.stringify(s.query)} failed: ${s.errors.map((e) => JSON.stringify(e) ?? String(e)).join('; ')}`);
      else if (s.next === 0) problems.push(`the subscription ${JSON.stringify(s.query)} delivered nothing in 15 s (${made} people created meanwhile)`);
    }
    if (response.status >= 400) problems.push(`answered the request with HTTP ${response.status}`);
    // The wrapper must have seen what the snippet opened, or the checks above proved nothing.
    if (/\bcreateClient\s*\(/.test(code) && !commonJs && recorder.clients.length === 0) problems.push('created a graphql-ws client the test did not see');
    if (/\.subscribe\s*\(/.test(code) && recorder.clients.length > 0 && subscriptions.length === 0) problems.push('subscribed, but the test saw no subscription');
    if (subscriptions.length) output.push(`(${subscriptions.length} subscription(s) delivered ${subscriptions.map((s) => s.next).join(', ')} event(s); ${made} people created)`);
  } finally {
    process.off('unhandledRejection', onRejection);
    Object.assign(console, { log, error: logError, warn });
    if (savedSecret === undefined) delete process.env.FERRY_WEBHOOK_SECRET;
    else process.env.FERRY_WEBHOOK_SECRET = savedSecret;
    await Promise.all(recorder.clients.map((client) => Promise.resolve(client.dispose()).catch(() => undefined)));
    for (const [name, descriptor] of saved) {
      if (descriptor) Object.defineProperty(globalThis, name, descriptor);
      else delete (globalThis as Record<string, unknown>)[name];
    }
  }
  assert.deepEqual(problems, [], `${where(snippet)}: the snippet failed:\n  ${problems.join('\n  ')}\n  its output: ${JSON.stringify(output)}`);
  return output;
}

// ---------------------------------------------------------------------------------------------
// GraphQL, JSON, shell.

/** A plugin whose settings include every key of `value`, if any. */
function pluginOfConfig(value: unknown): ProvisionerPlugin<any> | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const keys = Object.keys(value);
  if (keys.length < 2) return null;
  return (
    PLUGINS.find((plugin) => {
      const properties = Object.keys((configJsonSchema(plugin).properties as Record<string, unknown> | undefined) ?? {});
      return keys.every((key) => properties.includes(key));
    }) ?? null
  );
}

function checkPluginConfig(plugin: ProvisionerPlugin<any>, config: unknown, at: string) {
  const result = plugin.configSchema.safeParse(config);
  assert.ok(
    result.success,
    `${at}: not a valid "${plugin.name}" target configuration: ${result.success ? '' : result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
  );
}

/** Paths present in one value and not the other (object keys, at every level; arrays by first item). */
function shapeDifferences(documented: unknown, real: unknown, at = ''): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  if (Array.isArray(documented) && Array.isArray(real)) {
    return documented.length && real.length ? shapeDifferences(documented[0], real[0], `${at}[0]`) : [];
  }
  if (!isObject(documented) || !isObject(real)) return [];
  const out: string[] = [];
  for (const key of Object.keys(documented)) {
    if (!(key in real)) out.push(`${at}.${key} is documented but Ferry does not send it`);
    else out.push(...shapeDifferences(documented[key], real[key], `${at}.${key}`));
  }
  for (const key of Object.keys(real)) if (!(key in documented)) out.push(`${at}.${key} is sent but not documented`);
  return out;
}

async function postGraphQL(world: World, query: string) {
  const response = await fetch(world.t.ferry.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${world.t.adminToken}` },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: unknown[] } };
}

/** Validates each operation of the block; returns those to execute, as text with their fragments. */
function checkGraphQL(snippet: Snippet, world: World, schema: GraphQLSchema): { operation: OperationDefinitionNode; source: string }[] {
  const code = substitute(snippet.code, world);
  let document: DocumentNode;
  try {
    document = parse(code);
  } catch (error) {
    const line = (error as { locations?: { line: number }[] }).locations?.[0]?.line ?? 1;
    assert.fail(`${where(snippet, line)}: not valid GraphQL: ${(error as Error).message}`);
  }
  const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const executable: { operation: OperationDefinitionNode; source: string }[] = [];
  for (const operation of operations) {
    const single: DocumentNode = { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] as DefinitionNode[] };
    const line = operation.loc?.startToken.line ?? 1;
    const errors = validate(schema, single);
    assert.deepEqual(
      errors.map((e) => `${README_NAME}:${snippet.line + (e.locations?.[0]?.line ?? line)}: ${e.message}`),
      [],
      `${where(snippet, line)}: the operation does not validate against schema/schema.graphql`,
    );
    // A target's configuration beside its plugin: validated with the plugin's schema.
    visit(operation, {
      ObjectValue(node) {
        const plugin = node.fields.find((f) => f.name.value === 'plugin');
        const config = node.fields.find((f) => f.name.value === 'config');
        if (plugin?.value.kind === Kind.STRING && config) {
          const found = PLUGINS.find((p) => p.name === (plugin.value as { value: string }).value);
          assert.ok(found, `${where(snippet, line)}: no plugin is named "${(plugin.value as { value: string }).value}"`);
          checkPluginConfig(found, valueFromASTUntyped(config.value), where(snippet, config.loc?.startToken.line ?? line));
        }
      },
    });
    let placeholder = false;
    visit(operation, {
      StringValue(node) {
        if (/…|^\.\.\.$/.test(node.value)) placeholder = true;
      },
    });
    if (operation.operation !== 'subscription' && !operation.variableDefinitions?.length && !placeholder) {
      const source = [operation, ...fragments].map((d) => code.slice(d.loc!.start, d.loc!.end)).join('\n');
      executable.push({ operation, source });
    }
  }
  return executable;
}

const ferryHelp = new Map<string, { status: number | null; text: string }>();
function ferryCommandHelp(command: string) {
  if (!ferryHelp.has(command)) {
    const result = spawnSync(process.execPath, [path.join(ROOT, 'dist/src/cli/ferry.js'), ...(command ? [command] : []), '--help'], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, OTEL_SDK_DISABLED: 'true' },
    });
    ferryHelp.set(command, { status: result.status, text: `${result.stdout}${result.stderr}` });
  }
  return ferryHelp.get(command)!;
}

function checkShellCommands(snippet: Snippet, scripts: Record<string, string>) {
  const problems: string[] = [];
  for (let words of shellCommands(snippet.code)) {
    while (words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) words = words.slice(1); // VAR=value prefixes
    // Redirections and their files go; `<organizationId>` is a placeholder, not a redirection.
    const placeholder = (word: string) => /^<[^<>\s]+>$/.test(word);
    words = words.filter((word, i) => placeholder(word) || (!/^\d?>>?|^</.test(word) && !/^\d?>>?$|^<$/.test(words[i - 1] ?? '')));
    if (!words.length) continue;
    const [program, ...args] = words;
    const text = words.join(' ');
    for (const arg of args) {
      if (/^(\.\/|deploy\/|src\/|dist\/|test\/|schema\/)/.test(arg) && !existsSync(path.join(ROOT, arg))) {
        problems.push(`\`${text}\`: ${arg} does not exist in the repository`);
      }
    }
    if (program === 'npm') {
      const [sub, script] = args;
      if (sub === 'run' || sub === 'run-script') {
        if (!scripts[script]) problems.push(`\`${text}\`: package.json has no script "${script}"`);
      } else if (sub === 'start' || sub === 'test') {
        if (!scripts[sub]) problems.push(`\`${text}\`: package.json has no script "${sub}"`);
      } else if (!NPM_BUILTINS.has(sub)) problems.push(`\`${text}\`: npm ${sub} is neither a script nor an npm command this test knows`);
    } else if (program === 'ferry' || (program === 'npx' && args[0] === 'ferry')) {
      const rest = program === 'npx' ? args.slice(1) : args;
      const command = rest[0];
      const overview = ferryCommandHelp('');
      if (!command || !new RegExp(`^\\s+${command}\\s`, 'm').test(overview.text)) {
        problems.push(`\`${text}\`: "${command}" is not a command of \`ferry --help\``);
        continue;
      }
      const help = ferryCommandHelp(command);
      for (const option of rest.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0])) {
        if (!help.text.includes(option)) problems.push(`\`${text}\`: \`ferry ${command} --help\` shows no option ${option}`);
      }
    } else if (!EXTERNAL_COMMANDS.has(program)) {
      problems.push(`\`${text}\`: "${program}" is not a program this test knows (add it to EXTERNAL_COMMANDS, or mark the block skip)`);
    }
  }
  assert.deepEqual(problems, [], `${where(snippet)}: the shell commands do not match the repository`);
}

async function runShell(snippet: Snippet, world: World) {
  const script = `set -eo pipefail\n${substitute(snippet.code, world)}`;
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn('bash', ['-c', script], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', FERRY_URL: `http://${world.hostPort}`, FERRY_TOKEN: world.t.adminToken, TOKEN: world.t.adminToken },
      timeout: 20_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  assert.equal(result.code, 0, `${where(snippet)}: exited with ${result.code}: ${result.stderr}${result.stdout}`);
  let body: { data?: unknown; errors?: unknown[] };
  try {
    body = JSON.parse(result.stdout) as typeof body;
  } catch {
    assert.fail(`${where(snippet)}: printed no JSON: ${result.stdout}`);
  }
  assert.equal(body.errors, undefined, `${where(snippet)}: GraphQL errors: ${JSON.stringify(body.errors)}`);
  assert.ok(body.data, `${where(snippet)}: no data in ${result.stdout}`);
}

function jsonLine(code: string, error: Error): number {
  const position = /position (\d+)/.exec(error.message);
  return position ? code.slice(0, Number(position[1])).split('\n').length : 1;
}

// ---------------------------------------------------------------------------------------------

describe(`${README_NAME} snippets`, () => {
  const counts = { run: 0, validated: 0, text: 0, skipped: 0 };
  const skipped: string[] = [];
  let world: World;
  let schema: GraphQLSchema;
  let typeErrors: Map<number, string[]>;
  let workDir: string;
  let shim: string;
  const scripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

  before(async () => {
    schema = buildSchema(readFileSync(path.join(ROOT, 'schema/schema.graphql'), 'utf8'));
    typeErrors = typeCheck(SNIPPETS.filter((s) => s.language === 'ts' && !skipReason(s)));
    // Inside the repository, so that the snippets' package imports resolve from its node_modules.
    workDir = path.join(ROOT, 'dist/test/docs', `.snippets-${process.pid}`);
    mkdirSync(workDir, { recursive: true });
    shim = path.join(workDir, 'graphql-ws.mjs');
    writeFileSync(shim, GRAPHQL_WS_SHIM);

    const t = await startTestFerry();
    const receiver = await startReceiver();
    const organization = await createOrganization(t.admin);
    const target = await t.admin.ok(CreateProvisioningTargetDocument, {
      input: {
        organizationId: organization.id,
        name: 'Docs receiver',
        plugin: 'webhook',
        mode: 'AUTOMATIC',
        config: { url: receiver.url, secret: WEBHOOK_SECRET, timeoutMs: 5000 },
      },
    });
    const person = await t.admin.ok(CreatePersonDocument, {
      input: {
        organizationId: organization.id,
        names: [{ given: 'Ada', family: 'Lovelace' }],
        emailAddresses: [{ mail: 'ada@example.org', type: 'OFFICIAL', verified: true }],
        identifiers: [{ type: 'uid', value: 'ada', login: true }],
      },
    });
    const deadline = Date.now() + 10_000;
    while (receiver.deliveries.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(receiver.deliveries.length > 0, 'the webhook receiver got no delivery for the first person');
    world = {
      t,
      receiver,
      hostPort: new URL(t.ferry.url).host,
      organizationId: organization.id,
      personId: person.createPerson.person.id,
      targetId: target.createProvisioningTarget.target.id,
      delivery: receiver.deliveries[0],
    };
  });

  after(async () => {
    await world?.receiver.close();
    await world?.t.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  for (const snippet of SNIPPETS) {
    const reason = skipReason(snippet);
    const name = `${README_NAME}:${snippet.line} ${snippet.info || 'text'}${reason ? ` (skipped: ${reason})` : ''}`;
    if (reason) {
      counts.skipped += 1;
      skipped.push(`${README_NAME}:${snippet.line} ${snippet.info || 'text'}: ${reason}`);
      it(name, { skip: reason }, () => undefined);
      continue;
    }
    it(name, async (t) => {
      switch (snippet.language) {
        case null:
          assert.fail(`${where(snippet)}: no check for the language "${snippet.info}": use ts, js, graphql, sh, json, yaml or text, or <!-- snippet: skip (reason) -->`);
        case 'text':
          counts.text += 1;
          return;
        case 'ts':
        case 'js': {
          assert.deepEqual(typeErrors.get(snippet.line) ?? [], [], `${where(snippet)}: type errors`);
          const output = await runCode(snippet, world, workDir, shim);
          for (const line of output) t.diagnostic(line);
          counts.run += 1;
          return;
        }
        case 'graphql': {
          const executable = checkGraphQL(snippet, world, schema);
          for (const { operation, source } of executable) {
            const { status, body } = await postGraphQL(world, source);
            const line = operation.loc?.startToken.line ?? 1;
            assert.equal(body.errors, undefined, `${where(snippet, line)}: HTTP ${status}, errors: ${JSON.stringify(body.errors)}`);
          }
          t.diagnostic(`${executable.length} operation(s) executed, the others validated only`);
          if (executable.length) counts.run += 1;
          else counts.validated += 1;
          return;
        }
        case 'sh': {
          if (/\bcurl\b[\s\S]*\/graphql/.test(snippet.code)) {
            await runShell(snippet, world);
            counts.run += 1;
          } else {
            checkShellCommands(snippet, scripts);
            counts.validated += 1;
          }
          return;
        }
        case 'json': {
          let value: unknown;
          try {
            value = JSON.parse(snippet.code);
          } catch (error) {
            assert.fail(`${where(snippet, jsonLine(snippet.code, error as Error))}: not valid JSON: ${(error as Error).message}`);
          }
          const plugin = pluginOfConfig(value);
          if (plugin) {
            checkPluginConfig(plugin, value, where(snippet));
            t.diagnostic(`a valid "${plugin.name}" target configuration`);
          }
          if ((value as { version?: unknown })?.version === 'ferry.webhook/v1') {
            const real = JSON.parse(world.delivery.raw.toString('utf8')) as { subject?: { type?: string } };
            assert.equal(real.subject?.type, (value as { subject?: { type?: string } }).subject?.type, `${where(snippet)}: compare with a delivery of the same subject type`);
            assert.deepEqual(shapeDifferences(value, real), [], `${where(snippet)}: the documented webhook document differs from one Ferry sent`);
            t.diagnostic('has the fields of a document Ferry sent');
          }
          counts.validated += 1;
          return;
        }
        case 'yaml': {
          const document = YAML.parseDocument(snippet.code);
          assert.deepEqual(document.errors.map((e) => e.message), [], `${where(snippet)}: not valid YAML`);
          counts.validated += 1;
          return;
        }
      }
    });
  }

  it('summary: every block was run, validated, shown as text or skipped with a reason', (t) => {
    const total = SNIPPETS.length;
    const line = `${total} blocks in ${README_NAME}: ${counts.run} run, ${counts.validated} validated, ${counts.text} text, ${counts.skipped} skipped`;
    t.diagnostic(line);
    for (const skip of skipped) t.diagnostic(`skipped ${skip}`);
    assert.ok(counts.run > 0, 'no block ran');
  });
});
