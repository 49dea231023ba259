/** Groups nest at most this many levels (a group with no subgroups is one level). */
export const MAX_GROUP_DEPTH = 25;

export interface GroupNode {
  id: string;
  key: string;
  /** Direct members. */
  users: Set<string>;
  groups: Set<string>;
  /** Groups this group is a direct member of. */
  parents: Set<string>;
}

/** Users are `usr_…`, groups `grp_…` (ids name their type): a grant's or a membership's subject by its id. */
export const isGroupId = (id: string): boolean => id.startsWith('grp_');

/**
 * One organization's groups in memory: who is a direct member of what, both ways. The
 * graph is acyclic (the services refuse a cycle before it is written), so every walk ends;
 * each walk also keeps a seen-set, so a graph a bug made cyclic could not hang a check.
 */
export class GroupGraph {
  readonly byId = new Map<string, GroupNode>();
  readonly byKey = new Map<string, string>();
  /** Direct groups of each user that is in any. */
  readonly userParents = new Map<string, Set<string>>();

  put(g: { id: string; key: string }): void {
    const old = this.byId.get(g.id);
    if (old) {
      this.byKey.delete(old.key);
      old.key = g.key;
    } else this.byId.set(g.id, { id: g.id, key: g.key, users: new Set(), groups: new Set(), parents: new Set() });
    this.byKey.set(g.key, g.id);
  }

  /** Forgets the group and every membership it is part of, either way. */
  remove(id: string): void {
    const node = this.byId.get(id);
    if (!node) return;
    for (const u of [...node.users]) this.removeMember(id, u);
    for (const c of [...node.groups]) this.removeMember(id, c);
    for (const p of [...node.parents]) this.removeMember(p, id);
    this.byKey.delete(node.key);
    this.byId.delete(id);
  }

  /** Forgets a deleted user's memberships. */
  removeUser(userId: string): void {
    for (const g of [...(this.userParents.get(userId) ?? [])]) this.removeMember(g, userId);
  }

  addMember(groupId: string, memberId: string): void {
    const group = this.byId.get(groupId);
    if (!group) return;
    if (isGroupId(memberId)) {
      const child = this.byId.get(memberId);
      if (!child) return;
      group.groups.add(memberId);
      child.parents.add(groupId);
    } else {
      group.users.add(memberId);
      let set = this.userParents.get(memberId);
      if (!set) this.userParents.set(memberId, (set = new Set()));
      set.add(groupId);
    }
  }

  removeMember(groupId: string, memberId: string): void {
    const group = this.byId.get(groupId);
    if (isGroupId(memberId)) {
      group?.groups.delete(memberId);
      this.byId.get(memberId)?.parents.delete(groupId);
    } else {
      group?.users.delete(memberId);
      const set = this.userParents.get(memberId);
      if (set && set.delete(groupId) && set.size === 0) this.userParents.delete(memberId);
    }
  }

  isMember(groupId: string, memberId: string): boolean {
    const g = this.byId.get(groupId);
    return g !== undefined && (isGroupId(memberId) ? g.groups.has(memberId) : g.users.has(memberId));
  }

  /** The direct parents of a user or a group. */
  parentsOf(memberId: string): ReadonlySet<string> {
    return (isGroupId(memberId) ? this.byId.get(memberId)?.parents : this.userParents.get(memberId)) ?? EMPTY;
  }

  /**
   * Every group a user or group belongs to, transitively, each with the shortest chain of
   * groups from the direct one to it (for reasons: "through group eng, member of staff").
   */
  ancestors(memberId: string): Map<string, string[]> {
    const out = new Map<string, string[]>();
    let frontier: Array<[string, string[]]> = [...this.parentsOf(memberId)].sort().map((g) => [g, [g]]);
    while (frontier.length > 0) {
      const next: Array<[string, string[]]> = [];
      for (const [g, path] of frontier) {
        if (out.has(g)) continue;
        out.set(g, path);
        for (const p of [...(this.byId.get(g)?.parents ?? [])].sort()) if (!out.has(p)) next.push([p, [...path, p]]);
      }
      frontier = next;
    }
    return out;
  }

  /** The group and every group inside it, transitively. */
  groupsUnder(groupId: string): Set<string> {
    const seen = new Set<string>();
    const stack = [groupId];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      const node = this.byId.get(id);
      if (!node) continue;
      seen.add(id);
      for (const c of node.groups) stack.push(c);
    }
    return seen;
  }

  /** Every user in the group, directly or through groups inside it. */
  usersUnder(groupId: string, into = new Set<string>()): Set<string> {
    for (const g of this.groupsUnder(groupId)) for (const u of this.byId.get(g)!.users) into.add(u);
    return into;
  }

  /** Users a change to `subject`'s groups or grants reaches: the user itself, or everyone under the group. */
  usersReached(subject: string, into = new Set<string>()): Set<string> {
    if (isGroupId(subject)) return this.usersUnder(subject, into);
    into.add(subject);
    return into;
  }

  /** Levels from the group down to its deepest subgroup (a group without subgroups: 1). */
  height(groupId: string, memo = new Map<string, number>()): number {
    const known = memo.get(groupId);
    if (known !== undefined) return known;
    memo.set(groupId, 1); // a cycle (never written) counts as a leaf instead of recursing for ever
    let h = 1;
    for (const c of this.byId.get(groupId)?.groups ?? []) h = Math.max(h, 1 + this.height(c, memo));
    memo.set(groupId, h);
    return h;
  }

  /** Levels from the group up to its outermost parent (a top-level group: 1). */
  depth(groupId: string, memo = new Map<string, number>()): number {
    const known = memo.get(groupId);
    if (known !== undefined) return known;
    memo.set(groupId, 1);
    let d = 1;
    for (const p of this.byId.get(groupId)?.parents ?? []) d = Math.max(d, 1 + this.depth(p, memo));
    memo.set(groupId, d);
    return d;
  }
}

const EMPTY: ReadonlySet<string> = new Set();
