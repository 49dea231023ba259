import Database from 'better-sqlite3';
import { newEnforcer, newModelFromString, StringAdapter, type Enforcer } from 'casbin';
import { ORG_KEY, type OrgIndex } from '../../src/authz/org-index.js';
import { takesEffect } from '../../src/domain/catalog-rules.js';

/**
 * node-casbin "RBAC with domains": a domain is a scope id ("ORG" for the organization).
 * Every grant is a g(user, role, domain) link; a direct permission grant is a link to a
 * one-permission role "perm:<key>", so the p policies stay few (roles × permissions)
 * and casbin's linear scan over them stays as short as it can be. Scope inheritance is
 * the request's own domain, its parent and ORG (the trees have two levels); the catalog's
 * "takes effect at this scope type" rule is a custom matcher function. Pattern-matched
 * domains (casbin's other way to inherit) rebuild the role map on every check and are slower.
 */
export const CASBIN_MODEL = `
[request_definition]
r = sub, dom, parent, type, act

[policy_definition]
p = sub, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.act == p.act && applies(r.act, r.type) && (g(r.sub, p.sub, r.dom) || g(r.sub, p.sub, r.parent) || g(r.sub, p.sub, "ORG"))
`;

export interface CasbinLoad {
  enforcer: Enforcer;
  links: number;
  policies: number;
  seconds: number;
}

/**
 * Loads the same roles and grants as the index into casbin through an adapter, its bulk
 * path (the management API's addGroupingPolicies checks each rule against every loaded
 * one, so 100k grants take minutes that way).
 */
export async function loadCasbin(ix: OrgIndex): Promise<CasbinLoad> {
  const started = performance.now();
  const lines: string[] = [];
  for (const role of ix.roles.values()) if (!role.discarded) for (const p of role.perms) lines.push(`p, ${role.id}, ${p}`);
  for (const key of ix.catalog.keys()) lines.push(`p, perm:${key}, ${key}`);
  const policies = lines.length;
  for (const [userId, byScope] of ix.userGrants) {
    for (const [scope, entry] of byScope) {
      const dom = scope === ORG_KEY ? 'ORG' : scope;
      for (const p of entry.p) lines.push(`g, ${userId}, perm:${p}, ${dom}`);
      for (const r of entry.r) lines.push(`g, ${userId}, ${r}, ${dom}`);
    }
  }
  const e = await newEnforcer(newModelFromString(CASBIN_MODEL), new StringAdapter(lines.join('\n')));
  await e.addFunction('applies', (act: string, type: string) => {
    const perm = ix.catalog.get(act);
    return perm !== undefined && takesEffect(perm, type === 'ORG' ? null : type);
  });
  return { enforcer: e, links: lines.length - policies, policies, seconds: (performance.now() - started) / 1000 };
}

/** Casbin's request for a scope: its domain, its parent's domain, and its type. */
export function casbinRequest(ix: OrgIndex, userId: string, perm: string, scopeId: string | null): string[] {
  if (scopeId === null) return [userId, 'ORG', 'ORG', 'ORG', perm];
  const node = ix.scopes.get(scopeId)!;
  return [userId, scopeId, node.parentId ?? 'ORG', node.type, perm];
}

/**
 * The whole check as one prepared statement: owner, ADMINISTRATOR at ORG, the catalog's
 * takes-effect rule, then a grant at the scope, an ancestor (recursive CTE) or ORG,
 * direct or through a live role.
 */
export const CHECK_SQL = `
WITH RECURSIVE anc(id) AS (
  SELECT id FROM scopes WHERE id = @scope
  UNION ALL
  SELECT s.parent_id FROM scopes s JOIN anc ON s.id = anc.id WHERE s.parent_id IS NOT NULL
)
SELECT CASE
  WHEN @user = (SELECT owner_id FROM organizations WHERE id = @org) THEN 1
  WHEN EXISTS (
    SELECT 1 FROM grants g WHERE g.user_id = @user AND g.scope_id IS NULL AND (
      g.permission_key = 'ADMINISTRATOR' OR EXISTS (
        SELECT 1 FROM role_permissions rp JOIN roles r ON r.id = rp.role_id
        WHERE rp.role_id = g.role_id AND rp.permission_key = 'ADMINISTRATOR' AND r.discarded_at IS NULL))) THEN 1
  WHEN NOT EXISTS (
    SELECT 1 FROM permissions p WHERE p.org_id = @org AND p.key = @perm AND CASE
      WHEN @scope IS NULL THEN p.level <> 'RESOURCE'
      ELSE p.level <> 'ORG' AND (p.resource_types = '[]' OR EXISTS (
        SELECT 1 FROM json_each(p.resource_types) WHERE value = (SELECT type FROM scopes WHERE id = @scope)))
    END) THEN 0
  ELSE EXISTS (
    SELECT 1 FROM grants g
    WHERE g.user_id = @user
      AND (g.scope_id IS NULL OR g.scope_id IN (SELECT id FROM anc))
      AND (g.permission_key = @perm OR EXISTS (
        SELECT 1 FROM role_permissions rp JOIN roles r ON r.id = rp.role_id
        WHERE rp.role_id = g.role_id AND rp.permission_key = @perm AND r.discarded_at IS NULL)))
END`;

export function openSqlCheck(file: string, orgId: string) {
  const db = new Database(file, { readonly: true });
  const stmt = db.prepare(CHECK_SQL).pluck();
  return {
    check: (userId: string, perm: string, scopeId: string | null) => stmt.get({ org: orgId, user: userId, perm, scope: scopeId }) === 1,
    close: () => db.close(),
  };
}
