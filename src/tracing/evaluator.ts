import type { AuthzQueries } from '../authz/queries.js';
import { DomainError } from '../domain/errors.js';
import { parentSpan, type Tracing } from './active.js';

type Attributes = Record<string, string | number | boolean>;

/** How many an answer holds: a list, or a page of ids. */
const size = (r: unknown): number => (Array.isArray(r) ? r.length : Array.isArray((r as { ids?: unknown } | null)?.ids) ? (r as { ids: unknown[] }).ids.length : 0);

/** What each answer says on its span: the outcome, never who or what was asked about. */
const OUTCOME: Record<'can' | 'check' | 'effectivePermissions' | 'whoCan' | 'scopesWhere', (result: unknown) => Attributes> = {
  can: (allowed) => ({ 'grantql.allowed': allowed === true }),
  check: (results) => ({ 'grantql.checks': size(results), 'grantql.checks.allowed': (results as Array<{ allowed: boolean }>).filter((r) => r.allowed).length }),
  effectivePermissions: (keys) => ({ 'grantql.permissions': size(keys) }),
  whoCan: (ids) => ({ 'grantql.users': size(ids) }),
  scopesWhere: (page) => ({ 'grantql.scopes': size(page) }),
};

/**
 * A view of the evaluator's checks and lookups with a child span for each
 * (`authz.can`, `authz.check`, …) under the operation that asked; the shared instance
 * stays untouched (as metrics.ts counts them).
 */
export function tracedAuthz(t: Tracing, authz: AuthzQueries): AuthzQueries {
  const view: AuthzQueries = Object.create(authz);
  for (const name of Object.keys(OUTCOME) as Array<keyof typeof OUTCOME>) {
    const answer = authz[name].bind(authz) as (...args: unknown[]) => never;
    const outcome = OUTCOME[name];
    (view as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      if (!parentSpan(t)) return answer(...args);
      return t.tracer.startActiveSpan(`authz.${name}`, (span) => {
        try {
          const result = answer(...args);
          span.setAttributes(outcome(result));
          return result;
        } catch (err) {
          // A refusal (FORBIDDEN, NOT_FOUND, BAD_USER_INPUT) is the caller's: its code, not a span error.
          const refusal = err instanceof DomainError;
          span.setAttribute('grantql.result.code', refusal ? err.code : 'INTERNAL_SERVER_ERROR');
          if (!refusal) span.setStatus({ code: t.api.SpanStatusCode.ERROR });
          throw err;
        } finally {
          span.end();
        }
      });
    };
  }
  return view;
}
