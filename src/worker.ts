import './observability/tracing-start';
import 'reflect-metadata';
import { startWorker } from './jobs/worker';
import { runProcess } from './run-process';

runProcess('Ferry worker', (config, logger) => startWorker(config, logger));
