import { badInput } from '../domain/errors.js';
import type { PermissionRecord } from '../domain/types.js';
import type { IndexRegistry } from './registry.js';
import { can, effectivePermissions, explain, whoCan, type GrantMatch } from './evaluator.js';
import { assert, type Actor } from './policy.js';
import type { OrgIndex } from './org-index.js';
import { findUser, resolvePermission, resolveScope, resolveUser } from './refs.js';
import { scopesWherePage, type ScopePage } from './scopes-where.js';
import { WhoCanCache } from './who-can-cache.js';

export const MAX_CHECKS = 1000;

export interface CheckInput {
  user: string;
  permission: string;
  scope?: string | null;
}
export interface CheckResult {
  user: string;
  permission: string;
  scope: string | null;
  allowed: boolean;
  reason: string;
  userId: string;
  matches: GrantMatch[];
}

interface Resolved {
  ix: OrgIndex;
  userId: string;
  perm: PermissionRecord;
  scopeId: string | null;
}

/**
 * The user asked about, once the caller may ask: anyone may ask about itself, and
 * only VIEW_DIRECTORY or ADMINISTRATOR holders about others, so that whether another user exists is not
 * revealed either way (as `Query.user` does).
 */
function subject(ix: OrgIndex, actor: Actor, ref: string, what: string): string {
  assert(ix, actor, { do: 'check-user', userId: findUser(ix, ref) ?? '', what });
  return resolveUser(ix, ref);
}

/** Answers "may U do P at S?" and its lookups from the in-memory index; refuses unknown names loudly. */
export class AuthzQueries {
  private readonly whoCanAnswers = new WhoCanCache();

  constructor(private readonly registry: IndexRegistry) {}

  private resolve(actor: Actor, user: string, permission: string, scope: string | null | undefined): Resolved {
    const ix = this.registry.get(actor.orgId);
    const userId = subject(ix, actor, user, "check another user's permissions");
    return { ix, userId, perm: resolvePermission(ix, permission), scopeId: resolveScope(ix, scope) };
  }

  can(actor: Actor, user: string, permission: string, scope?: string | null): boolean {
    const r = this.resolve(actor, user, permission, scope);
    return can(r.ix, r.userId, r.perm, r.scopeId);
  }

  /** All-or-nothing: one bad entry refuses the whole batch. */
  check(actor: Actor, checks: CheckInput[]): CheckResult[] {
    if (checks.length > MAX_CHECKS) throw badInput(`at most ${MAX_CHECKS} checks per request (got ${checks.length})`);
    const resolved = checks.map((c) => this.resolve(actor, c.user, c.permission, c.scope));
    return resolved.map((r, i) => {
      const e = explain(r.ix, r.userId, r.perm, r.scopeId);
      const c = checks[i]!;
      return { user: c.user, permission: c.permission, scope: c.scope ?? null, userId: r.userId, allowed: e.allowed, reason: e.reason, matches: e.matches };
    });
  }

  effectivePermissions(actor: Actor, user: string, scope?: string | null): string[] {
    const ix = this.registry.get(actor.orgId);
    const userId = subject(ix, actor, user, "read another user's permissions");
    return effectivePermissions(ix, userId, resolveScope(ix, scope));
  }

  /** Sorted ids; kept between the pages of a walk while no change and no window boundary intervenes (WhoCanCache). */
  whoCan(actor: Actor, permission: string, scope?: string | null): string[] {
    const ix = this.registry.get(actor.orgId);
    assert(ix, actor, { do: 'check-user', userId: null, what: 'list who holds a permission' });
    const perm = resolvePermission(ix, permission);
    const scopeId = resolveScope(ix, scope);
    const now = Date.now();
    return this.whoCanAnswers.get(ix, `${perm.key}\u0000${scopeId ?? ''}`, now, () => whoCan(ix, perm, scopeId, now));
  }

  /**
   * One page of the scopes where `can` is true for the user, in scope id order. `after` is the
   * scope id of a cursor (it may have been deleted since); a scope of another type than the
   * one asked for cannot come from this list, so it is refused rather than paged from.
   */
  scopesWhere(actor: Actor, user: string, permission: string, type: string | null | undefined, page: { first: number; after: string | null }): ScopePage {
    const ix = this.registry.get(actor.orgId);
    const userId = subject(ix, actor, user, "list another user's scopes");
    const perm = resolvePermission(ix, permission);
    const at = page.after === null ? undefined : ix.scopes.get(page.after);
    if (at && type != null && at.type !== type) {
      throw badInput(`after: the cursor is at scope "${at.key}" of type ${at.type}, not of type ${type}; pass a cursor this list returned`);
    }
    return scopesWherePage(ix, userId, perm, type ?? null, page.after, page.first);
  }
}
