import type { Span } from '@opentelemetry/api';
import { ID_PREFIX } from '../ids.js';
import type { Store } from '../store/store.js';
import { activeTracing, parentSpan, type Tracing } from './active.js';

type Attributes = Record<string, string | number>;

/** Most store calls name the organization first; a commit also says from which revision and how many changes. */
function callAttributes(method: string, args: unknown[]): Attributes {
  const [first, second, third] = args;
  const org: Attributes = typeof first === 'string' && first.startsWith(`${ID_PREFIX.Organization}_`) ? { 'grantql.organization.id': first } : {};
  if (method !== 'commit') return org;
  return { ...org, 'grantql.revision.base': Number(second), 'grantql.changes': Array.isArray(third) ? third.length : 0 };
}

function failed(t: Tracing, span: Span, err: unknown): void {
  const code = (err as { code?: unknown } | null)?.code;
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: t.api.SpanStatusCode.ERROR, message: typeof code === 'string' ? code : err instanceof Error ? err.name : 'error' });
  span.end();
}

/** Runs fn in a span of its own; a promise ends the span when it settles, a page's later count() gets one too. */
function run(t: Tracing, name: string, attributes: Attributes, fn: () => unknown): unknown {
  const span = t.tracer.startSpan(name, { kind: t.api.SpanKind.CLIENT, attributes });
  let result: unknown;
  try {
    result = t.api.context.with(t.api.trace.setSpan(t.api.context.active(), span), fn);
  } catch (err) {
    failed(t, span, err);
    throw err;
  }
  if (!(result instanceof Promise)) {
    span.end();
    return result;
  }
  return result.then(
    (value: unknown) => {
      span.end();
      return withCountTraced(t, name, attributes, value);
    },
    (err: unknown) => {
      failed(t, span, err);
      throw err;
    },
  );
}

function withCountTraced(t: Tracing, name: string, attributes: Attributes, result: unknown): unknown {
  if (!result || typeof result !== 'object' || typeof (result as { count?: unknown }).count !== 'function' || !('rows' in result)) return result;
  const page = result as unknown as { count: () => Promise<number> };
  const count = page.count.bind(page);
  return { ...page, count: () => (parentSpan(t) ? run(t, `${name}.count`, attributes, count) : count()) };
}

/**
 * The store with a child span per call (`store.commit`, `store.listUsers`, …) under
 * the span the caller runs in: a GraphQL operation's reads and its commit. Calls
 * outside any span (the head watch, catch-up timers) make none. Without tracing this
 * returns the store itself: nothing is wrapped, nothing costs.
 */
export function tracedStore(store: Store, system: 'sqlite' | 'postgresql'): Store {
  const t = activeTracing();
  if (!t) return store;
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as (...a: unknown[]) => unknown;
      return (...args: unknown[]) => {
        if (!parentSpan(t)) return method.apply(target, args);
        const name = String(prop);
        return run(t, `store.${name}`, { 'db.system.name': system, 'db.operation.name': name, ...callAttributes(name, args) }, () => method.apply(target, args));
      };
    },
  });
}
