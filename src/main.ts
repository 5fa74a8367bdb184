import './observability/tracing-start';
import 'reflect-metadata';
import { startFerry } from './app';
import { runProcess } from './run-process';

runProcess('Ferry', (config, logger) => startFerry(config, logger));
