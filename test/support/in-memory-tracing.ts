import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startTracing } from '../../src/observability/tracing';

/**
 * Import this first in a test file: it starts Ferry's tracing (the same SDK set-up and
 * instrumentations as OTEL_* would) with every span kept in memory, before `pg` and `http` load.
 */
export const spanExporter = new InMemorySpanExporter();
startTracing({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });

/** A finished span's parent span id, whichever SDK generation made it. */
export function parentOf(span: ReadableSpan): string | undefined {
  const modern = (span as unknown as { parentSpanContext?: { spanId: string } }).parentSpanContext?.spanId;
  return modern ?? (span as unknown as { parentSpanId?: string }).parentSpanId;
}
