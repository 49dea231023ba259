import { isOutage } from '../db/pg-outage.js';
import { unavailable } from '../domain/errors.js';
import type { Store } from './store.js';

function translate(err: unknown): never {
  if (isOutage(err)) {
    const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
    throw Object.assign(unavailable(`the database is unreachable (${cause.slice(0, 200)}); nothing was written, retry later`), { cause: err });
  }
  throw err;
}

/**
 * The store with every outage said as the contract says it: UNAVAILABLE (nothing
 * written, safe to retry), not a masked internal error. Every method, and the count()
 * of every page it returns, passes through; other errors are untouched.
 */
export function reportingOutages(store: Store): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        let result: unknown;
        try {
          result = (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (err) {
          translate(err);
        }
        if (!(result instanceof Promise)) return result;
        return result.then((r: unknown) => withCountGuarded(r), translate);
      };
    },
  });
}

function withCountGuarded(result: unknown): unknown {
  if (!result || typeof result !== 'object' || typeof (result as { count?: unknown }).count !== 'function' || !('rows' in result)) return result;
  const page = result as unknown as { count: () => Promise<number> };
  const count = page.count.bind(page);
  return { ...page, count: () => count().catch(translate) };
}
