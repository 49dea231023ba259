import { takesEffect } from '../domain/catalog-rules.js';
import type { PermissionRecord } from '../domain/types.js';
import { entryProvides, isAdmin } from './evaluator.js';
import { ORG_KEY, type OrgIndex } from './org-index.js';

/**
 * `scopesWhere` one page at a time, from the index alone: the scopes where `can(user, perm, S)`
 * is true, in scope id order (creation order), each page after a cursor id. Nothing is
 * materialised per scope: the index keeps the scope ids sorted (all, and per type), and a
 * page is a binary search plus at most `first + 1` ids, or a walk of the sorted ids that keeps
 * those below a scope where the user holds the permission.
 *
 * - owner and ADMINISTRATOR at ORG: `can` is true everywhere, so every scope (of the type);
 * - the permission held at ORG: every scope of a type it takes effect on;
 * - otherwise the subtrees of the scopes it is held on ("roots"), limited to those types:
 *   small subtrees are collected and sorted (exact count for free), large ones are walked in
 *   id order from the cursor, and their count is made only when asked.
 */

export interface ScopePage {
  ids: string[];
  hasNextPage: boolean;
  /** Exact. A function: a walk below large subtrees counts them only when the client asks. */
  totalCount: () => number;
}

/** Subtrees up to this many scopes are collected and sorted; larger ones are walked in id order. */
export const COLLECT_LIMIT = 2048;

interface ScopeOrder {
  revision: number;
  all: string[];
  byType: Map<string, string[]>;
}

/** Per index (a rebuilt index gets its own); dropped with it. */
const orders = new WeakMap<OrgIndex, ScopeOrder>();

function buildOrder(ix: OrgIndex): ScopeOrder {
  const all = [...ix.scopes.keys()].sort();
  const byType = new Map<string, string[]>();
  for (const id of all) {
    const type = ix.scopes.get(id)!.type;
    const list = byType.get(type);
    if (list) list.push(id);
    else byType.set(type, [id]);
  }
  return { revision: ix.revision, all, byType };
}

/** Whether the index still holds exactly these scopes with these types (a write that did not add or delete one). */
function stillHolds(ix: OrgIndex, order: ScopeOrder): boolean {
  if (order.all.length !== ix.scopes.size) return false;
  for (const [type, ids] of order.byType) for (const id of ids) if (ix.scopes.get(id)?.type !== type) return false;
  return true;
}

/**
 * The sorted scope ids of the index at its revision: sorted once, then after each write checked
 * in one pass of lookups (no sort, no allocation) and re-sorted only when scopes were added or deleted.
 */
export function scopeOrder(ix: OrgIndex): ScopeOrder {
  let order = orders.get(ix);
  if (order && order.revision === ix.revision) return order;
  if (order && stillHolds(ix, order)) order.revision = ix.revision;
  else orders.set(ix, (order = buildOrder(ix)));
  return order;
}

/** The first index in the sorted list whose id sorts after `after`. */
function firstAfter(list: string[], after: string | null): number {
  if (after === null) return 0;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Up to `first` ids after the cursor from disjoint sorted lists, in id order, that `keep`
 * accepts; one more is looked for to answer hasNextPage.
 */
function pageOf(lists: string[][], after: string | null, first: number, keep?: (id: string) => boolean) {
  const pos = lists.map((l) => firstAfter(l, after));
  const ids: string[] = [];
  while (ids.length <= first) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      if (pos[i]! < lists[i]!.length && (best < 0 || lists[i]![pos[i]!]! < lists[best]![pos[best]!]!)) best = i;
    }
    if (best < 0) break;
    const id = lists[best]![pos[best]!++]!;
    if (keep === undefined || keep(id)) ids.push(id);
  }
  const hasNextPage = ids.length > first;
  if (hasNextPage) ids.length = first;
  return { ids, hasNextPage };
}

function listsPage(lists: string[][], after: string | null, first: number): ScopePage {
  const total = lists.reduce((n, l) => n + l.length, 0);
  return { ...pageOf(lists, after, first), totalCount: () => total };
}

/** Granted scopes with no granted ancestor: their subtrees are disjoint and cover every granted one. */
function topmost(ix: OrgIndex, roots: Set<string>): string[] {
  const out: string[] = [];
  for (const root of roots) {
    let covered = false;
    for (let id = ix.scopes.get(root)!.parentId, guard = 0; id !== null && guard < 10_000; guard++) {
      if (roots.has(id)) {
        covered = true;
        break;
      }
      id = ix.scopes.get(id)?.parentId ?? null;
    }
    if (!covered) out.push(root);
  }
  return out;
}

/**
 * Visits the subtrees of disjoint roots, calling onMatch for each scope whose type is kept;
 * false when more than `budget` scopes would be visited (a tree never needs more than its size).
 */
function descend(ix: OrgIndex, roots: string[], keepType: (type: string) => boolean, budget: number, onMatch: (id: string) => void): boolean {
  const stack = [...roots];
  let visits = 0;
  while (stack.length > 0) {
    const node = ix.scopes.get(stack.pop()!);
    if (!node) continue;
    if (++visits > budget) return false;
    if (keepType(node.type)) onMatch(node.id);
    for (const c of node.children) stack.push(c);
  }
  return true;
}

/** Whether the scope is in one of the roots' subtrees; ancestors' answers are shared within one page. */
function below(ix: OrgIndex, roots: Set<string>): (id: string) => boolean {
  const known = new Map<string, boolean>();
  return (id) => {
    const path: string[] = [];
    let hit = false;
    for (let cur: string | null = id, guard = 0; cur !== null && guard < 10_000; guard++) {
      if (roots.has(cur)) {
        hit = true;
        break;
      }
      const seen = known.get(cur);
      if (seen !== undefined) {
        hit = seen;
        break;
      }
      if (cur !== id) path.push(cur);
      cur = ix.scopes.get(cur)?.parentId ?? null;
    }
    for (const p of path) known.set(p, hit);
    return hit;
  };
}

/**
 * One page of the scopes (of `type`, or every type) where `can(ix, userId, perm, scope)` is
 * true, after the scope id `after` (which need not exist any more), in id order.
 * `collectLimit` is there for tests (0: always walk).
 */
export function scopesWherePage(
  ix: OrgIndex,
  userId: string,
  perm: PermissionRecord,
  type: string | null,
  after: string | null,
  first: number,
  collectLimit = COLLECT_LIMIT,
  now = Date.now(),
): ScopePage {
  const order = scopeOrder(ix);
  const ofType = type === null ? [order.all] : [order.byType.get(type) ?? []];
  if (isAdmin(ix, userId, now)) return listsPage(ofType, after, first);
  const none: ScopePage = { ids: [], hasNextPage: false, totalCount: () => 0 };
  const byScope = ix.grantsOf(userId);
  if (byScope === undefined) return none;

  const effectiveTypes = [...order.byType.keys()].filter((t) => (type === null || t === type) && takesEffect(perm, t));
  if (effectiveTypes.length === 0) return none;
  const keepType = (t: string) => (type === null || t === type) && takesEffect(perm, t);
  const lists = type === null && effectiveTypes.length === order.byType.size ? [order.all] : effectiveTypes.map((t) => order.byType.get(t)!);

  const atOrg = byScope.get(ORG_KEY);
  if (atOrg !== undefined && entryProvides(ix, atOrg, perm.key, now)) return listsPage(lists, after, first);

  const roots = new Set<string>();
  for (const [key, entry] of byScope) if (key !== ORG_KEY && ix.scopes.has(key) && entryProvides(ix, entry, perm.key, now)) roots.add(key);
  if (roots.size === 0) return none;
  const tops = topmost(ix, roots);

  const found: string[] = [];
  if (descend(ix, tops, keepType, collectLimit, (id) => found.push(id))) return listsPage([found.sort()], after, first);

  let count: number | null = null;
  const totalCount = () => {
    if (count === null) {
      let n = 0;
      descend(ix, tops, keepType, ix.scopes.size, () => n++);
      count = n;
    }
    return count;
  };
  return { ...pageOf(lists, after, first, below(ix, roots)), totalCount };
}
