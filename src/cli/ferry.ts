#!/usr/bin/env node
/**
 * `ferry` (npx ferry, or node dist/src/cli/ferry.js): one command line for running and operating
 * Ferry. Each command has `--help`.
 *
 *   serve, worker        run the server, or job workers alone
 *   migrate              apply the database migrations and exit
 *   token create         create an API token directly in the database
 *   doctor               check configuration, database, job backend and targets
 *   backup, restore      a snapshot of the database to a file, and back into an empty database
 *   prune                delete what is older than its retention age, now
 *   import, export       move a population in and out of a running server, over its API
 */

import '../observability/tracing-start';

type Result = number | 'running';

interface Command {
  summary: string;
  help(): Promise<string>;
  run(argv: string[]): Promise<Result>;
}

const COMMANDS: Record<string, Command> = {
  serve: {
    summary: 'start the server (API, console, job workers)',
    help: async () => (await import('./commands/serve.js')).serveHelp,
    run: async () => (await import('./commands/serve.js')).serve(),
  },
  worker: {
    summary: 'run job workers alone, beside a server',
    help: async () => (await import('./commands/serve.js')).workerHelp,
    run: async () => (await import('./commands/serve.js')).worker(),
  },
  migrate: {
    summary: 'apply the database migrations and exit',
    help: async () => (await import('./commands/migrate.js')).help,
    run: async () => (await import('./commands/migrate.js')).run(),
  },
  token: {
    summary: 'create an API token in the database (token create --role ...)',
    help: async () => (await import('./commands/token.js')).help,
    run: async (argv) => (await import('./commands/token.js')).run(argv),
  },
  doctor: {
    summary: 'check configuration, database, job backend and every target',
    help: async () => (await import('./commands/doctor.js')).help,
    run: async () => (await import('./commands/doctor.js')).run(),
  },
  backup: {
    summary: "write a consistent snapshot of Ferry's database to a file (backup --out FILE)",
    help: async () => (await import('./commands/backup.js')).help,
    run: async (argv) => (await import('./commands/backup.js')).run(argv),
  },
  restore: {
    summary: 'restore a backup into an empty database (restore --from FILE)',
    help: async () => (await import('./commands/restore.js')).help,
    run: async (argv) => (await import('./commands/restore.js')).run(argv),
  },
  prune: {
    summary: 'delete what is older than its FERRY_RETENTION_* age, now',
    help: async () => (await import('./commands/prune.js')).help,
    run: async () => (await import('./commands/prune.js')).run(),
  },
  import: {
    summary: 'import a file into an organisation of a running server',
    help: async () => (await import('./commands/transfer.js')).help,
    run: async (argv) => (await import('./commands/transfer.js')).run(['import', ...argv]),
  },
  export: {
    summary: "export an organisation's population from a running server",
    help: async () => (await import('./commands/transfer.js')).help,
    run: async (argv) => (await import('./commands/transfer.js')).run(['export', ...argv]),
  },
};

const overview = () =>
  `usage: ferry <command> [options]   (ferry <command> --help for each)\n\n${Object.entries(COMMANDS)
    .map(([name, command]) => `  ${name.padEnd(8)} ${command.summary}`)
    .join('\n')}\n`;

async function main(argv: string[]): Promise<Result> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    (name ? process.stdout : process.stderr).write(overview());
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`ferry: unknown command "${name}"\n\n${overview()}`);
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${await command.help()}\n`);
    return 0;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (result) => {
    if (result !== 'running') process.exit(result);
  },
  (error: Error) => {
    process.stderr.write(`ferry: ${error.message}\n`);
    process.exit(1);
  },
);
