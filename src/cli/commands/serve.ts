import 'reflect-metadata';
import { startFerry } from '../../app';
import { startWorker } from '../../jobs/worker';
import { runProcess } from '../../run-process';

export const serveHelp = `usage: ferry serve
Starts the server: the GraphQL API and graphql-ws on /graphql, the console on /, /healthz and
/metrics, and (unless FERRY_RUN_WORKERS=false) job workers. Configured by environment variables
(see the README's configuration table); stops in order on SIGTERM or SIGINT.`;

export const workerHelp = `usage: ferry worker
Runs job workers only (no HTTP): queued provisioning, retries, Reprovision All, reconciliation,
imports. Beside a server on the embedded PostgreSQL it joins the server's cluster from the same
FERRY_DATA_DIR; otherwise set DATABASE_URL (and MONGODB_URL for jobs on MongoDB).`;

/** Runs until a signal stops the process. */
export function serve(): 'running' {
  runProcess('Ferry', (config, logger) => startFerry(config, logger));
  return 'running';
}

export function worker(): 'running' {
  runProcess('Ferry worker', (config, logger) => startWorker(config, logger));
  return 'running';
}
