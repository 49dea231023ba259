import { isGroupId, type GroupGraph } from './group-graph.js';
import type { GrantEntry } from './org-index.js';
import type { Windows } from './windows.js';

type ByScope = Map<string, GrantEntry>;

/**
 * What each user in a group holds per scope key: its own grants and those of every group
 * it is in, transitively, merged into one map so a check reads one map whether or not
 * groups are involved. Built on a user's first read, dropped by any change that reaches
 * the user (its grants, a grant of one of its groups, a membership on its way up), and
 * built again on the next read: no bookkeeping per item, nothing stale.
 */
export class MergedGrants {
  /** null: the user's groups hold nothing, its own grants are the answer. */
  private readonly cache = new Map<string, ByScope | null>();

  constructor(
    private readonly groups: GroupGraph,
    private readonly userGrants: Map<string, ByScope>,
    private readonly groupGrants: Map<string, ByScope>,
  ) {}

  of(userId: string): ByScope | undefined {
    // The cache first: a merged user (the common case in an organization with groups) costs one lookup.
    let m = this.cache.get(userId);
    if (m) return m;
    if (m === undefined) {
      if (!this.groups.userParents.has(userId)) return this.userGrants.get(userId);
      this.cache.set(userId, (m = this.merge(userId)));
    }
    return m ?? this.userGrants.get(userId);
  }

  /** A change to the subject's grants or groups: every user it reaches rebuilds on next read. */
  invalidate(subject: string): void {
    if (this.cache.size === 0) return;
    if (!isGroupId(subject)) this.cache.delete(subject);
    else for (const u of this.groups.usersUnder(subject)) this.cache.delete(u);
  }

  private merge(userId: string): ByScope | null {
    const sources: ByScope[] = [];
    for (const g of this.groups.ancestors(userId).keys()) {
      const m = this.groupGrants.get(g);
      if (m) sources.push(m);
    }
    if (sources.length === 0) return null;
    const out: ByScope = new Map();
    // Per merged entry and item, one window per source (null: that source has none).
    const windows = new Map<GrantEntry, { p: Map<string, Windows>; r: Map<string, Windows> }>();
    for (const byScope of [this.userGrants.get(userId), ...sources]) {
      for (const [key, e] of byScope ?? []) {
        let into = out.get(key);
        if (!into) out.set(key, (into = { p: [], r: [] }));
        let w = windows.get(into);
        if (!w) windows.set(into, (w = { p: new Map(), r: new Map() }));
        for (const kind of ['p', 'r'] as const) {
          for (const item of e[kind]) {
            // Each item once per entry (a role the user and two of its groups hold at one
            // scope is one item with three windows): a check scans these lists.
            let list = w[kind].get(item);
            if (!list) {
              into[kind].push(item);
              w[kind].set(item, (list = []));
            }
            list.push(...((kind === 'p' ? e.wp : e.wr)?.get(item) ?? [null]));
          }
        }
      }
    }
    // Only items some source holds with a window keep a list: the rest count at every instant.
    for (const [entry, w] of windows) {
      for (const kind of ['p', 'r'] as const) {
        for (const [item, list] of w[kind]) {
          if (list.every((x) => x === null)) continue;
          (kind === 'p' ? (entry.wp ??= new Map()) : (entry.wr ??= new Map())).set(item, list);
        }
      }
    }
    return out;
  }
}
