import { isAdmin, whoCan } from '../../src/authz/evaluator.js';
import { ORG_KEY, type GrantEntry, type OrgIndex } from '../../src/authz/org-index.js';
import { scopesWherePage } from '../../src/authz/scopes-where.js';

/** One lookup to time: who or what is asked about, and one `can` of the same question. */
export interface Subject {
  lookup: 'scopesWhere' | 'whoCan';
  what: string;
  perm: string;
  /** scopesWhere: the user and the scope type asked for. */
  userId?: string;
  type: string | null;
  /** whoCan: the scope asked about (null = ORG). */
  scopeId: string | null;
  /** A scope (scopesWhere) or user (whoCan) of the answer, for the `can` next to it. */
  sampleScope: string | null;
  sampleUser?: string;
  results: number;
}

const permsOf = (ix: OrgIndex, e: GrantEntry) => [...e.p, ...e.r.flatMap((r) => [...(ix.roles.get(r)?.perms ?? [])])];
const provides = (ix: OrgIndex, e: GrantEntry | undefined, perm: string) => e !== undefined && permsOf(ix, e).includes(perm);

/**
 * The subjects with the most results, found in the data: the owner (every scope), the first
 * user holding a scope permission at ORG (every scope of its types), the user and permission
 * with the most scopes through region and property grants alone, and the permission and
 * property with the most users for whoCan.
 */
export function pickLookups(ix: OrgIndex, ownerId: string): Subject[] {
  const users = [...ix.users.keys()].sort();
  const scoped = (p: string) => ix.catalog.get(p)!.level !== 'ORG';
  const firstOf = (userId: string, perm: string, type: string | null) => scopesWherePage(ix, userId, ix.catalog.get(perm)!, type, null, 1);
  const scopesSubject = (what: string, userId: string, perm: string, type: string | null): Subject => {
    const page = firstOf(userId, perm, type);
    return { lookup: 'scopesWhere', what, perm, userId, type, scopeId: null, sampleScope: page.ids[0] ?? null, results: page.totalCount() };
  };
  const out: Subject[] = [scopesSubject('scopesWhere, the owner (every scope)', ownerId, 'booking.read', null)];

  const atOrg = users.find((u) => u !== ownerId && !isAdmin(ix, u) && permsOf(ix, ix.grantsOf(u)?.get(ORG_KEY) ?? { p: [], r: [] }).some(scoped));
  if (atOrg) {
    const perm = permsOf(ix, ix.grantsOf(atOrg)!.get(ORG_KEY)!).filter(scoped).sort()[0]!;
    out.push(scopesSubject('scopesWhere, a permission held at ORG', atOrg, perm, null));
  }

  // Region and property grants alone: rank (user, permission) by how many region grants provide it, then count exactly.
  const ranked: Array<[number, string, string]> = [];
  for (const u of users) {
    if (u === ownerId || isAdmin(ix, u)) continue;
    const byScope = ix.grantsOf(u);
    if (!byScope) continue;
    const counts = new Map<string, number>();
    for (const [key, e] of byScope) {
      if (key === ORG_KEY) continue;
      const weight = ix.scopes.get(key)?.children.size ?? 0;
      for (const p of new Set(permsOf(ix, e))) if (scoped(p) && !provides(ix, byScope.get(ORG_KEY), p)) counts.set(p, (counts.get(p) ?? 0) + 1 + weight);
    }
    for (const [p, n] of counts) ranked.push([n, u, p]);
  }
  ranked.sort((a, b) => b[0] - a[0]);
  const best = ranked
    .slice(0, 50)
    .map(([, u, p]) => scopesSubject('scopesWhere, the most scopes without an ORG grant', u, p, null))
    .sort((a, b) => b.results - a.results)[0];
  if (best) out.push(best);

  // whoCan: the properties below the scopes with the most holders, every scoped permission.
  const holders = (key: string) => {
    const h = ix.scopeHolders.get(key);
    let n = 0;
    for (const m of h ? [h.p, h.r] : []) for (const [item] of m) n += m.count(item);
    return n;
  };
  const busiest = [...ix.scopes.values()].filter((s) => s.type === 'region').sort((a, b) => holders(b.id) - holders(a.id)).slice(0, 3);
  const properties = busiest.map((r) => [...r.children].sort((a, b) => holders(b) - holders(a))[0]).filter((id): id is string => id !== undefined);
  let top: Subject | null = null;
  for (const scopeId of properties) {
    for (const perm of [...ix.catalog.keys()].filter(scoped)) {
      const ids = whoCan(ix, ix.catalog.get(perm)!, scopeId);
      if (!top || ids.length > top.results) {
        top = { lookup: 'whoCan', what: 'whoCan, the most holders (a property)', perm, type: null, scopeId, sampleScope: null, sampleUser: ids[ids.length >> 1], results: ids.length };
      }
    }
  }
  if (top) out.push(top);
  return out;
}
