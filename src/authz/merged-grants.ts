import { isGroupId, type GroupGraph } from './group-graph.js';
import type { GrantEntry } from './org-index.js';

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
    if (!this.groups.userParents.has(userId)) return this.userGrants.get(userId);
    let m = this.cache.get(userId);
    if (m === undefined) this.cache.set(userId, (m = this.merge(userId)));
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
    for (const byScope of [this.userGrants.get(userId), ...sources]) {
      for (const [key, e] of byScope ?? []) {
        const into = out.get(key);
        if (into) {
          into.p.push(...e.p);
          into.r.push(...e.r);
        } else out.set(key, { p: [...e.p], r: [...e.r] });
      }
    }
    return out;
  }
}
