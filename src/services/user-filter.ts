import { ORG_KEY, type GrantEntry, type OrgIndex } from '../authz/org-index.js';
import { resolvePermission, resolveRole, resolveScope } from '../authz/refs.js';

export interface UserListFilter {
  search?: string | null;
  /** Users holding this role (id or name) anywhere. */
  role?: string | null;
  /** Users with a grant at this scope key ("ORG" for the organization). */
  scope?: string | null;
  /** Users granted this permission anywhere, directly or through a role not discarded. */
  permission?: string | null;
}

/** Ids of users with a grant entry matching `test`, intersected with `ids` when given. */
function holdersOf(ix: OrgIndex, ids: Set<string> | null, test: (scopeKey: string, e: GrantEntry) => boolean): Set<string> {
  const out = new Set<string>();
  for (const [u, byScope] of ix.userGrants) {
    if (ids && !ids.has(u)) continue;
    for (const [key, e] of byScope) if (test(key, e)) out.add(u);
  }
  return out;
}

/** The users the grant filters (role, scope, permission) select, from the index; null = no such filter. */
export function holderFilter(ix: OrgIndex, f: UserListFilter | null | undefined): Set<string> | null {
  let ids: Set<string> | null = null;
  if (f?.role) {
    const roleId = resolveRole(ix, f.role).id;
    ids = holdersOf(ix, ids, (_k, e) => e.r.includes(roleId));
  }
  if (f?.scope) {
    const key = resolveScope(ix, f.scope) ?? ORG_KEY;
    ids = holdersOf(ix, ids, (k) => k === key);
  }
  if (f?.permission) {
    const perm = resolvePermission(ix, f.permission).key;
    const live = (r: string) => !ix.roles.get(r)?.discarded && ix.roles.get(r)?.perms.has(perm) === true;
    ids = holdersOf(ix, ids, (_k, e) => e.p.includes(perm) || e.r.some(live));
  }
  return ids;
}
