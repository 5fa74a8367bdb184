import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * OpenTelemetry tracing: off unless the standard OTEL_* variables ask for it (an OTLP endpoint, or
 * OTEL_TRACES_EXPORTER other than `none`; OTEL_SDK_DISABLED=true wins). The Node SDK then reads
 * its usual variables itself (OTEL_SERVICE_NAME, default `ferry`; OTEL_EXPORTER_OTLP_*;
 * OTEL_TRACES_SAMPLER; OTEL_RESOURCE_ATTRIBUTES). It must start before `pg` and `http` are loaded,
 * so the entry points import `./tracing-start` first.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  if (env.OTEL_TRACES_EXPORTER) return env.OTEL_TRACES_EXPORTER.split(',').some((name) => name.trim() !== 'none');
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

interface Started {
  shutdown(): Promise<void>;
}

let started: Started | null = null;

/**
 * Starts the SDK with Ferry's instrumentations: incoming and outgoing HTTP (SCIM, webhooks; not
 * /healthz and /metrics), fetch (undici), PostgreSQL statements within a trace, GraphQL
 * operations (parse, validate, execute). `spanProcessors` replaces the exporters of the environment (the tests collect spans
 * in memory). Returns false when tracing stays off.
 */
export function startTracing(options: { spanProcessors?: SpanProcessor[]; env?: NodeJS.ProcessEnv } = {}): boolean {
  if (started) return true;
  if (!options.spanProcessors && !tracingRequested(options.env)) return false;
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only when tracing is on */
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { GraphQLInstrumentation } = require('@opentelemetry/instrumentation-graphql') as typeof import('@opentelemetry/instrumentation-graphql');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const quiet = new Set(['/healthz', '/metrics']);
  const sdk = new NodeSDK({
    serviceName: (options.env ?? process.env).OTEL_SERVICE_NAME ?? 'ferry',
    spanProcessors: options.spanProcessors,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => quiet.has((request.url ?? '').split('?')[0]) }),
      new UndiciInstrumentation(),
      // Statements outside a trace (the engine's poll, the job queue's polling) make no spans of their own.
      new PgInstrumentation({ requireParentSpan: true }),
      // One span per operation (parse, validate, execute), not one per resolved field.
      new GraphQLInstrumentation({ ignoreResolveSpans: true }),
    ],
  });
  sdk.start();
  started = sdk;
  return true;
}

/** Flushes and stops the SDK (on shutdown); nothing when tracing is off. */
export async function stopTracing(): Promise<void> {
  const sdk = started;
  started = null;
  await sdk?.shutdown();
}
