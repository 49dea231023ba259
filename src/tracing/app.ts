import type { Plugin } from 'graphql-yoga';
import type { Context } from '../graphql/context.js';
import type { Services } from '../services/container.js';
import { activeTracing } from './active.js';
import { tracedAuthz } from './evaluator.js';
import { operationTracing } from './operations.js';

export interface AppTracing {
  /** The yoga plugin: a span per operation. */
  plugin: Plugin<Context>;
  /** The services resolvers see, with a span per check and lookup. */
  observe(services: Services): Services;
}

/** What buildApp adds when tracing is on; null (nothing added) when it is off. */
export function appTracing(): AppTracing | null {
  const t = activeTracing();
  if (!t) return null;
  return { plugin: operationTracing(t), observe: (s) => ({ ...s, authz: tracedAuthz(t, s.authz) }) };
}
