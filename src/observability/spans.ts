import { context, propagation, ROOT_CONTEXT, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';

/**
 * Ferry's own spans (the steps no library instruments): the registry write with its change-log
 * entries, dispatch passes, lane batches, each plugin call, LDAP operations, job runs. Without a
 * started SDK (src/observability/tracing.ts) every call here is a no-op.
 */
const tracer = trace.getTracer('ferry');

/** Runs `work` in a new active span (a child of `parent`, else of the active context); an error marks it failed. */
export async function inSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>, parent?: Context): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, parent ?? context.active(), async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * inSpan when a trace is under way (a request, a job that carried one), else `work` alone: the
 * background loops (the engine's poll, job polling) make no root spans of their own every second.
 */
export async function inChildSpan<T>(name: string, attributes: Attributes, work: (span: Span | null) => Promise<T>): Promise<T> {
  if (!trace.getSpan(context.active())) return work(null);
  return inSpan(name, attributes, work);
}

/** The active trace as W3C trace-context fields (`traceparent`), to travel with a job; null when there is none. */
export function currentTraceCarrier(): Record<string, string> | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return Object.keys(carrier).length > 0 ? carrier : null;
}

/** The context a carrier of currentTraceCarrier() stands for (the root context when it holds none). */
export function contextOfCarrier(carrier: unknown): Context {
  if (!carrier || typeof carrier !== 'object') return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier as Record<string, string>);
}

/** Marks the active span failed without ending it (an outcome that is not an exception). */
export function markFailed(span: Span, message: string): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}
