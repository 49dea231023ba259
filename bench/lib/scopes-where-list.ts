// The list form of scopesWhere that the paged connection replaced (issue 19), kept only as the
// lookups benchmark's baseline: every matching scope materialised and sorted on each call.
import { takesEffect } from '../../src/domain/catalog-rules.js';
import type { PermissionRecord } from '../../src/domain/types.js';
import { entryProvides, isAdmin } from '../../src/authz/evaluator.js';
import { ORG_KEY, type OrgIndex } from '../../src/authz/org-index.js';

/** Every scope (optionally of one type) where `can` is true, in id order. */
export function scopesWhere(ix: OrgIndex, userId: string, perm: PermissionRecord, type: string | null): string[] {
  const keep = (id: string) => {
    const node = ix.scopes.get(id);
    return node !== undefined && (type === null || node.type === type) && takesEffect(perm, node.type);
  };
  if (isAdmin(ix, userId)) return [...ix.scopes.keys()].filter((id) => (type === null || ix.scopes.get(id)!.type === type)).sort();
  const byScope = ix.grantsOf(userId);
  if (!byScope) return [];
  const roots: string[] = [];
  for (const [key, entry] of byScope) {
    if (!entryProvides(ix, entry, perm.key, Date.now())) continue;
    if (key === ORG_KEY) {
      roots.length = 0;
      roots.push(...ix.topScopes);
      break;
    }
    roots.push(key);
  }
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const c of ix.scopes.get(id)?.children ?? []) stack.push(c);
  }
  return [...seen].filter(keep).sort();
}
