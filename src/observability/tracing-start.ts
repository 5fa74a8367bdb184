import { startTracing } from './tracing';

// Imported first by the entry points: instrumentations patch `pg` and `http` only if they start before those load.
startTracing();
