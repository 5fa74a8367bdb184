import { createReadStream, statSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';

/**
 * `ferry import` and `ferry export`: against a running Ferry server, over its API, with an API token.
 *
 *   npx ferry import FILE --organization ID --format csv|ldif|scim|json [--match-by uid] [--dry-run]
 *                         [--remove-missing] [--all-or-nothing]
 *   npx ferry export --organization ID [--match-by uid] [--out FILE]
 *
 * The server is FERRY_URL (default http://localhost:4000) and the token FERRY_TOKEN (or --url,
 * --token). An import streams the file to `POST /imports`, follows the run until it ends and
 * prints its report; the exit code is 0 when it was applied (or planned, for a dry run) without a
 * refused record, 2 when records were refused, 1 on any error.
 */

export const help = `usage: ferry import FILE --organization ID --format csv|ldif|scim|json [--match-by TYPE] [--dry-run] [--remove-missing] [--all-or-nothing]
       ferry export --organization ID [--match-by TYPE] [--out FILE]
options: --url URL (FERRY_URL, default http://localhost:4000)  --token TOKEN (FERRY_TOKEN)`;

interface Report {
  applied: boolean;
  people: Record<string, unknown>;
  groups: Record<string, unknown>;
  memberships: Record<string, unknown>;
  refusedCount: number;
  refused: { source: string; code: string; reason: string }[];
  targets: Record<string, unknown>[];
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      organization: { type: 'string' },
      format: { type: 'string' },
      'match-by': { type: 'string', default: 'uid' },
      'dry-run': { type: 'boolean', default: false },
      'remove-missing': { type: 'boolean', default: false },
      'all-or-nothing': { type: 'boolean', default: false },
      out: { type: 'string' },
      url: { type: 'string', default: process.env.FERRY_URL ?? 'http://localhost:4000' },
      token: { type: 'string', default: process.env.FERRY_TOKEN },
      help: { type: 'boolean', default: false },
    },
  });
  const [command, file] = positionals;
  if (values.help || !command) return usage(values.help ? 0 : 1);
  if (!values.token) return fail('no API token: set FERRY_TOKEN or pass --token');
  if (!values.organization) return fail('--organization is required');
  const server = new Server(values.url!.replace(/\/(graphql)?$/, ''), values.token);
  if (command === 'export') {
    const data = await server.graphql<{ exportPopulation: string }>(
      'query Export($organizationId: ID!, $matchBy: String) { exportPopulation(organizationId: $organizationId, matchBy: $matchBy) }',
      { organizationId: values.organization, matchBy: values['match-by'] },
    );
    if (values.out) writeFileSync(values.out, data.exportPopulation);
    else process.stdout.write(data.exportPopulation);
    return 0;
  }
  if (command !== 'import' || !file) return usage(1);
  if (!values.format) return fail('--format is required (csv, ldif, scim or json)');
  const query = new URLSearchParams({
    organizationId: values.organization,
    format: values.format,
    matchBy: values['match-by']!,
    dryRun: String(values['dry-run']),
    removeMissing: String(values['remove-missing']),
    allOrNothing: String(values['all-or-nothing']),
  });
  const size = statSync(file).size;
  const started = await server.upload(`/imports?${query}`, file, size);
  process.stderr.write(`import ${started.id} queued (${size} bytes)\n`);
  for (;;) {
    const { importRun } = await server.graphql<{ importRun: { state: string; error: string | null; report: Report | null } }>(
      'query Run($id: ID!) { importRun(id: $id) { state error report } }',
      { id: started.id },
    );
    if (importRun.state === 'QUEUED' || importRun.state === 'RUNNING') {
      await sleep(500);
      continue;
    }
    if (importRun.state === 'FAILED') return fail(`the import failed: ${importRun.error}`);
    const report = importRun.report!;
    process.stdout.write(`${JSON.stringify({ state: importRun.state, ...report }, null, 2)}\n`);
    return report.refusedCount > 0 ? 2 : 0;
  }
}

class Server {
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  async graphql<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    const response = await fetch(`${this.base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
    if (body.errors?.length) throw new Error(body.errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('\n'));
    return body.data!;
  }

  /** Streams the file as the request body. */
  async upload(path: string, file: string, size: number): Promise<{ id: string }> {
    const response = await fetch(`${this.base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size), authorization: `Bearer ${this.token}` },
      body: Readable.toWeb(createReadStream(file)) as ReadableStream,
      duplex: 'half',
    } as RequestInit & { duplex: 'half' });
    const body = (await response.json()) as { importRun?: { id: string }; errors?: { message: string; extensions?: { code?: string } }[] };
    if (!response.ok || !body.importRun) throw new Error((body.errors ?? []).map((e) => `${e.extensions?.code ?? response.status}: ${e.message}`).join('\n') || `HTTP ${response.status}`);
    return body.importRun;
  }
}

function usage(code: number): number {
  (code === 0 ? process.stdout : process.stderr).write(`${help}\n`);
  return code;
}

function fail(message: string): number {
  process.stderr.write(`ferry: ${message}\n`);
  return 1;
}

