import { readFileSync } from 'node:fs';
import { ConfigError } from '../config.js';
import { logger } from '../logger.js';
import { setActiveTracing, type Tracing } from './active.js';

type Env = Record<string, string | undefined>;

const set = (v: string | undefined) => v !== undefined && v.trim() !== '';

/**
 * Tracing is on when the standard variables name where traces go
 * (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces),
 * unless OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none.
 */
export function tracingWanted(env: Env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  if (set(env.OTEL_TRACES_EXPORTER) && env.OTEL_TRACES_EXPORTER!.split(',').every((v) => v.trim() === 'none')) return false;
  return set(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) || set(env.OTEL_EXPORTER_OTLP_ENDPOINT);
}

/** OTLP over HTTP only: http/protobuf (the specification's default) or http/json. */
function protocolOf(env: Env): 'http/protobuf' | 'http/json' {
  const name = set(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const value = env[name]?.trim() || 'http/protobuf';
  if (value === 'http/protobuf' || value === 'http/json') return value;
  throw new ConfigError(`invalid configuration:\n  ${name}: "${value}" is not supported; grantql exports traces over OTLP/HTTP: http/protobuf or http/json`);
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * Starts the OpenTelemetry SDK when `tracingWanted`, and makes it the active tracing;
 * otherwise loads nothing and returns null. The exporter, the batch processor, the
 * sampler and the resource read their own standard variables (OTEL_EXPORTER_OTLP_HEADERS,
 * OTEL_BSP_SCHEDULE_DELAY, OTEL_TRACES_SAMPLER, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES…).
 */
export async function startTracing(env: Env = process.env): Promise<Tracing | null> {
  if (!tracingWanted(env)) return null;
  const protocol = protocolOf(env);
  const [api, { NodeTracerProvider, BatchSpanProcessor }, resources, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/resources'),
    protocol === 'http/json' ? import('@opentelemetry/exporter-trace-otlp-http') : import('@opentelemetry/exporter-trace-otlp-proto'),
  ]);
  // The SDK's own complaints (an export that failed, a bad OTEL_* value) go to our log.
  const log = logger.child({ component: 'tracing' });
  api.diag.setLogger(
    { error: (m) => log.warn(m), warn: (m) => log.warn(m), info: (m) => log.debug(m), debug: () => {}, verbose: () => {} },
    api.DiagLogLevel.WARN,
  );
  const resource = resources
    .defaultResource()
    .merge(resources.resourceFromAttributes({ 'service.name': 'grantql', 'service.version': version() }))
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
  provider.register();
  const tracing: Tracing = {
    api,
    tracer: provider.getTracer('grantql', version()),
    async shutdown(timeoutMs) {
      setActiveTracing(null);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, timeoutMs))));
      await Promise.race([provider.shutdown().catch((err: unknown) => log.warn({ err }, 'spans could not be sent at shutdown')), late]);
      clearTimeout(timer);
    },
  };
  setActiveTracing(tracing);
  log.info({ protocol }, 'tracing: spans are exported over OTLP/HTTP');
  return tracing;
}
