import type * as Api from '@opentelemetry/api';

/**
 * Tracing as the rest of the server sees it. Null (the default) unless `startTracing`
 * found an OTLP endpoint: then nothing wraps the store, the evaluator or yoga, and no
 * OpenTelemetry module is loaded (only types come from it here).
 */
export interface Tracing {
  /** @opentelemetry/api, loaded with the SDK: nothing imports it statically. */
  api: typeof Api;
  tracer: Api.Tracer;
  /** Ends the SDK, sending the spans still buffered; gives up after `timeoutMs`. */
  shutdown(timeoutMs: number): Promise<void>;
}

let active: Tracing | null = null;

export function activeTracing(): Tracing | null {
  return active;
}

export function setActiveTracing(tracing: Tracing | null): void {
  active = tracing;
}

/** The span the current code runs under, if any (a child span is made only under one). */
export function parentSpan(t: Tracing): Api.Span | undefined {
  return t.api.trace.getSpan(t.api.context.active());
}
