import { createCounter, createHistogram, usePrometheus, type FillLabelsFnParams } from '@graphql-yoga/plugin-prometheus';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { AuthzQueries } from '../authz/queries.js';
import { logLinesDropped } from '../logger.js';
import type { Services } from '../services/container.js';

/** Operation names come from clients: past this many distinct names they are counted as "other". */
const MAX_OPERATION_NAMES = 100;

/**
 * Client-chosen operation names become label values; without a bound, anyone able to
 * send a request could grow the metrics without limit.
 */
function boundedNames() {
  const seen = new Set<string>();
  return (name: string | undefined): string => {
    const clean = (name || 'anonymous').slice(0, 64);
    if (seen.has(clean)) return clean;
    if (seen.size >= MAX_OPERATION_NAMES) return 'other';
    seen.add(clean);
    return clean;
  };
}

export interface Metrics {
  registry: Registry;
  /** Yoga plugins: request counts and latency by operation, open subscriptions, GET /metrics. */
  plugins: Plugin[];
  /** The services resolvers see, with `can` and `check` outcomes counted. */
  observe(services: Services): Services;
}

/** Prometheus metrics of one app, in a registry of its own (several apps may share a process). */
export function createMetrics(services: Services): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const opName = boundedNames();
  const labels = (p: FillLabelsFnParams) => ({ operationName: opName(p.operationName), operationType: p.operationType ?? 'unknown' });
  const labelNames = ['operationName', 'operationType'] as const;

  // Subscription results are counted by subscriptionsPlugin's own stream wrapper, not by a
  // per-result hook of the prometheus plugin (one more promise chain per delivery).
  const errorResults = createCounter({
    registry,
    counter: { name: 'graphql_envelop_error_result', help: 'Errors in GraphQL results, by operation and phase', labelNames: [...labelNames, 'phase'] },
    fillLabelsFn: (p) => ({ ...labels(p), phase: p.errorPhase ?? 'unknown' }),
    phases: ['parse', 'validate', 'context', 'execute'] as ['parse', 'validate', 'context', 'execute'],
  });
  const prometheus = usePrometheus({
    registry,
    endpoint: '/metrics',
    skipIntrospection: true,
    // The full URL would carry GET queries and their variables into the metrics.
    labels: { url: false },
    metrics: {
      graphql_envelop_request: createCounter({
        registry,
        counter: { name: 'graphql_envelop_request', help: 'GraphQL operations executed, by operation', labelNames },
        fillLabelsFn: labels,
      }),
      graphql_envelop_request_duration: createHistogram({
        registry,
        histogram: { name: 'graphql_envelop_request_duration', help: 'Seconds from parse to the end of execution, by operation', labelNames },
        fillLabelsFn: labels,
      }),
      graphql_envelop_error_result: errorResults,
      graphql_yoga_http_duration: createHistogram({
        registry,
        histogram: { name: 'graphql_yoga_http_duration', help: 'Seconds per HTTP request, by operation and status', labelNames: [...labelNames, 'method', 'statusCode'] },
        fillLabelsFn: (p, ctx: { request: Request; response: Response }) => ({ ...labels(p), method: ctx.request.method, statusCode: ctx.response.status }),
      }),
      graphql_envelop_deprecated_field: false,
      graphql_envelop_request_time_summary: false,
      graphql_envelop_phase_parse: false,
      graphql_envelop_phase_validate: false,
      graphql_envelop_phase_context: false,
      graphql_envelop_schema_change: false,
    },
  });

  const openSubscriptions = new Gauge({ name: 'grantql_subscriptions_open', help: 'Subscriptions currently open, by root field', labelNames: ['field'], registers: [registry] });
  const subscriptionsPlugin: Plugin = {
    onSubscribe({ args }) {
      const op = getOperationAST(args.document, args.operationName);
      const first = op?.selectionSet.selections[0];
      const field = first?.kind === 'Field' ? first.name.value : 'unknown';
      const opLabels = { operationName: opName(args.operationName ?? op?.name?.value), operationType: 'subscription' };
      const countErrors = (phase: string, n: number) => void errorResults.counter.inc({ ...opLabels, phase }, n);
      return {
        onSubscribeResult({ result, setResult }) {
          if (!(Symbol.asyncIterator in Object(result))) {
            // Refused at subscribe time (a bad cursor, a forbidden filter): counted here.
            const errors = errorCount(result);
            if (errors) countErrors('execute', errors);
            return;
          }
          openSubscriptions.inc({ field });
          // Not envelop's onEnd: it misses a stream that ends by throwing (a replay the
          // database could not serve), which then counted as open for ever.
          setResult(counted(result as AsyncIterable<unknown>, () => openSubscriptions.dec({ field }), countErrors) as never);
        },
      };
    },
  };

  const checks = new Counter({ name: 'grantql_checks_total', help: 'Permission checks answered through can and check, by outcome', labelNames: ['field', 'result'], registers: [registry] });
  new Counter({
    name: 'grantql_log_lines_dropped_total',
    help: 'Log lines dropped because the reader of stdout was not keeping up (logger.ts)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(logLinesDropped());
    },
  });

  new Gauge({
    name: 'grantql_change_log_revision',
    help: 'Latest committed change-log revision, by organization',
    labelNames: ['organization'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const org of await services.store.listOrganizations()) this.set({ organization: org.id }, services.registry.get(org.id).revision);
    },
  });
  new Gauge({
    name: 'grantql_feed_listeners',
    help: 'Live listeners on the change feed: one per open subscription, plus the index',
    registers: [registry],
    collect() {
      this.set(services.feed.listenerCount);
    },
  });
  new Gauge({
    name: 'grantql_index_entries',
    help: 'Entries held by the in-memory authorization index',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      for (const [kind, n] of Object.entries(services.registry.stats())) this.set({ kind }, n);
    },
  });

  return {
    registry,
    plugins: [prometheus, subscriptionsPlugin],
    observe: (s) => ({ ...s, authz: countingAuthz(s.authz, checks) }),
  };
}

/** A view of the authz queries that counts outcomes; the shared instance stays untouched. */
function countingAuthz(authz: AuthzQueries, checks: Counter<'field' | 'result'>): AuthzQueries {
  const outcome = (allowed: boolean) => (allowed ? 'allowed' : 'denied');
  const view: AuthzQueries = Object.create(authz);
  view.can = (...args) => {
    const allowed = authz.can(...args);
    checks.inc({ field: 'can', result: outcome(allowed) });
    return allowed;
  };
  view.check = (...args) => {
    const results = authz.check(...args);
    for (const r of results) checks.inc({ field: 'check', result: outcome(r.allowed) });
    return results;
  };
  return view;
}

/** How many errors a GraphQL result carries (0 for anything else). */
function errorCount(result: unknown): number {
  return (result as { errors?: readonly unknown[] } | null)?.errors?.length ?? 0;
}

/**
 * The stream, calling `onEnd` once however it ends: done, return(), throw(), or a next() that
 * rejects; `onErrors` counts the errors of each result ('execute') and a failed next() ('subscribe').
 */
function counted<T>(source: AsyncIterable<T>, onEnd: () => void, onErrors: (phase: string, n: number) => void): AsyncIterableIterator<T> {
  const it = source[Symbol.asyncIterator]();
  let ended = false;
  const end = () => {
    if (!ended) (ended = true), onEnd();
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next() {
      return it.next().then(
        (r) => {
          if (r.done) end();
          else {
            const errors = errorCount(r.value);
            if (errors) onErrors('execute', errors);
          }
          return r;
        },
        (err: unknown) => {
          end();
          onErrors('subscribe', 1);
          throw err;
        },
      );
    },
    async return(value?: unknown) {
      end();
      return (await it.return?.(value)) ?? { done: true, value: undefined };
    },
    async throw(err?: unknown) {
      end();
      if (it.throw) return it.throw(err);
      throw err;
    },
  };
}

