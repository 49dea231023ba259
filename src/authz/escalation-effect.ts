import type { ChangeDraft, RoleRecord } from '../domain/types.js';
import { isGroupId } from './group-graph.js';
import { ORG_KEY, type OrgIndex } from './org-index.js';

const ADMIN = 'ADMINISTRATOR';
const IMPERSONATE = 'IMPERSONATE';

/** What one role means after the change: its drafted post-image, or what the index holds. */
interface RoleAfter {
  perms: ReadonlySet<string>;
  live: boolean;
  isDefault: boolean;
  scopeType: string;
}

/**
 * A permission that may become effective for a subject on a region: the scope `root` and
 * everything below it (null = ORG and every scope). A group as subject stands for every
 * member it has or will have: the actor must hold the permission there itself.
 */
export interface Gain {
  userId: string;
  perm: string;
  root: string | null;
  /** Until when it would be held (a window's end); null = for ever. */
  until: number | null;
}

export interface Status {
  admin: boolean;
  impersonate: boolean;
}

/** The planned change read against the index it was planned on. */
export class Effect {
  private readonly roles = new Map<string, RoleRecord>();
  private readonly deleted = new Set<string>();
  private readonly created = new Map<string, string>();
  /** Grant drafts at ORG per subject (user or group), in order (ADMINISTRATOR and IMPERSONATE are ORG-level). */
  private readonly orgGrants = new Map<string, ChangeDraft[]>();
  /** Membership drafts: [group, member, added]. */
  private readonly memberships: Array<[string, string, boolean]> = [];

  constructor(
    private readonly ix: OrgIndex,
    private readonly drafts: readonly ChangeDraft[],
  ) {
    for (const d of drafts) {
      if (d.data.kind === 'role') this.roles.set(d.data.role.id, d.data.role);
      if (d.data.kind === 'user' && d.type === 'USER_DELETED') this.deleted.add(d.data.user.id);
      if (d.data.kind === 'user' && d.type === 'USER_CREATED') this.created.set(d.data.user.id, d.data.user.email);
      if (d.data.kind === 'grant' && d.data.grant.scopeId === null) {
        const subject = subjectOfGrant(d);
        const list = this.orgGrants.get(subject);
        if (list) list.push(d);
        else this.orgGrants.set(subject, [d]);
      }
      if (d.data.kind === 'member') this.memberships.push([d.data.member.groupId, d.data.member.memberId, d.type === 'GROUP_MEMBER_ADDED']);
    }
  }

  label(subject: string): string {
    if (isGroupId(subject)) return `the members of group ${this.ix.groups.byId.get(subject)?.key ?? subject}`;
    return this.ix.users.get(subject)?.email ?? this.created.get(subject) ?? subject;
  }

  private roleBefore(id: string): RoleAfter | null {
    const r = this.ix.roles.get(id);
    return r ? { perms: r.perms, live: !r.discarded, isDefault: r.isDefault, scopeType: r.scopeType } : null;
  }

  private roleAfter(id: string): RoleAfter | null {
    const r = this.roles.get(id);
    if (!r) return this.roleBefore(id);
    return { perms: new Set(r.permissions), live: r.discardedAt === null, isDefault: r.isDefault, scopeType: r.scopeType };
  }

  /** Roles whose meaning changes: permissions, liveness. */
  private changedRoles(): string[] {
    const out: string[] = [];
    for (const [id] of this.roles) {
      const before = this.roleBefore(id);
      const after = this.roleAfter(id)!;
      if (!before || before.live !== after.live || !sameSet(before.perms, after.perms)) out.push(id);
    }
    return out;
  }

  /** Users holding the role anywhere, with the scopes (ORG_KEY for ORG) they hold it at. */
  private holdersOfRole(roleId: string): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const [scopeKey, h] of this.ix.scopeHolders) for (const u of h.r.of(roleId)) out.push([u, scopeKey]);
    return out;
  }

  /** Scope moves: [scope id, ancestors it gains, ancestors it loses (never ORG)]. */
  private moves(): Array<[string, string[], string[]]> {
    const out: Array<[string, string[], string[]]> = [];
    for (const d of this.drafts) {
      if (d.type !== 'SCOPE_UPDATED' || d.data.kind !== 'scope') continue;
      const s = d.data.scope;
      const node = this.ix.scopes.get(s.id);
      if (!node || node.parentId === s.parentId) continue;
      const before = this.ix.ancestorsOf(node.parentId);
      const after = this.ix.ancestorsOf(s.parentId);
      const old = new Set(before);
      const now = new Set(after);
      out.push([s.id, after.filter((a) => !old.has(a)), before.filter((a) => !now.has(a))]);
    }
    return out;
  }

  /** Everyone whose effective permissions this change may alter (a group's members included). */
  touchedUsers(): Set<string> {
    const out = new Set<string>(this.deleted);
    const reach = (subject: string) => this.ix.groups.usersReached(subject, out);
    for (const d of this.drafts) if (d.data.kind === 'grant') reach(subjectOfGrant(d));
    for (const [, member] of this.memberships) reach(member);
    for (const id of this.changedRoles()) for (const [u] of this.holdersOfRole(id)) reach(u);
    // A moved scope's new ancestors' holders gain there, and its old ancestors' holders lose.
    for (const [, gained, lost] of this.moves()) {
      for (const a of [...gained, ...lost]) for (const users of this.heldAt(a).values()) for (const u of users) reach(u);
    }
    return out;
  }

  /**
   * What a membership change in `groupId` hands out or takes back: every grant of the
   * group and of each group it is in, transitively, as items (`p:KEY` / `r:ROLE`) per scope key.
   */
  carried(groupId: string): Array<[string, string, string]> {
    const out: Array<[string, string, string]> = [];
    for (const g of [groupId, ...this.ix.groups.ancestors(groupId).keys()]) {
      for (const [scopeKey, e] of this.ix.groupGrants.get(g) ?? []) {
        for (const p of e.p) out.push([scopeKey, `p:${p}`, g]);
        for (const r of e.r) out.push([scopeKey, `r:${r}`, g]);
      }
    }
    return out;
  }

  /** Membership drafts of this change: [group, member, added]. */
  membershipChanges(): ReadonlyArray<[string, string, boolean]> {
    return this.memberships;
  }

  /** ADMINISTRATOR / IMPERSONATE carried to whoever joins or leaves `groupId` (before the change). */
  carriedStatus(groupId: string): Status {
    const held = new Set<string>();
    for (const [scopeKey, item] of this.carried(groupId)) if (scopeKey === ORG_KEY) for (const p of this.itemPerms(item, true)) held.add(p);
    return { admin: held.has(ADMIN), impersonate: held.has(IMPERSONATE) };
  }

  /** user → items it holds at one scope key (permission keys and role ids). */
  private heldAt(scopeKey: string): Map<string, Iterable<string>> {
    const h = this.ix.scopeHolders.get(scopeKey);
    const byItem = new Map<string, Iterable<string>>();
    for (const [p, users] of h?.p ?? []) byItem.set(`p:${p}`, users);
    for (const [r, users] of h?.r ?? []) byItem.set(`r:${r}`, users);
    return byItem;
  }

  private itemPerms(item: string, after: boolean): Iterable<string> {
    if (item.startsWith('p:')) return [item.slice(2)];
    const role = after ? this.roleAfter(item.slice(2)) : this.roleBefore(item.slice(2));
    return role && role.live ? role.perms : [];
  }

  /** ADMINISTRATOR / IMPERSONATE status (both ORG-level, so only ORG grants count) of everyone it may change. */
  *statusChanges(): Generator<[string, Status, Status]> {
    const affected = new Set<string>(this.deleted);
    for (const u of this.orgGrants.keys()) affected.add(u);
    for (const id of this.changedRoles()) for (const [u, at] of this.holdersOfRole(id)) if (at === ORG_KEY) affected.add(u);
    for (const u of affected) {
      if (u === this.ix.ownerId) continue;
      const before = this.status(u, false);
      const after = this.deleted.has(u) ? { admin: false, impersonate: false } : this.status(u, true);
      if (before.admin !== after.admin || before.impersonate !== after.impersonate) yield [u, before, after];
    }
  }

  private status(userId: string, after: boolean): Status {
    // A user's grants through its groups count; a group's own (its status stands for its members').
    const entry = (isGroupId(userId) ? this.ix.groupGrants.get(userId) : this.ix.grantsOf(userId))?.get(ORG_KEY);
    const items = new Set<string>([...(entry?.p ?? []).map((p) => `p:${p}`), ...(entry?.r ?? []).map((r) => `r:${r}`)]);
    if (after) {
      for (const d of this.orgGrants.get(userId) ?? []) {
        if (d.data.kind !== 'grant') continue;
        const g = d.data.grant;
        const item = g.permissionKey !== null ? `p:${g.permissionKey}` : `r:${g.roleId}`;
        if (d.type === 'GRANT_ADDED') items.add(item);
        else if (d.type === 'GRANT_REMOVED') items.delete(item);
      }
    }
    const held = new Set<string>();
    for (const item of items) for (const p of this.itemPerms(item, after)) held.add(p);
    return { admin: held.has(ADMIN), impersonate: held.has(IMPERSONATE) };
  }

  /** ORG default roles after the change, with the permissions every future user would newly get through them. */
  *newDefaultPermissions(): Generator<{ name: string; perms: Iterable<string> }> {
    for (const [id, r] of this.roles) {
      if (r.scopeType !== 'ORG' || !r.isDefault || r.discardedAt !== null) continue;
      const before = this.roleBefore(id);
      const wasDefault = before !== null && before.isDefault && before.live;
      yield { name: r.name, perms: r.permissions.filter((p) => !wasDefault || !before.perms.has(p)) };
    }
  }

  /** Every permission that may become effective for someone, with the region where it would. */
  gains(policy: ReadonlySet<ChangeDraft>): Gain[] {
    const seen = new Map<string, Gain>();
    const add = (userId: string, perm: string, root: string | null, until: number | null = null) => {
      const k = `${userId}\u0000${perm}\u0000${root ?? ORG_KEY}`;
      const prev = seen.get(k);
      if (!prev) seen.set(k, { userId, perm, root, until });
      else if (prev.until !== null && (until === null || until > prev.until)) prev.until = until;
    };
    /** The window's end of what a subject holds now (null: for ever). */
    const heldFor = (subject: string, scopeKey: string, item: string) =>
      this.ix.windowOf(subject, scopeKey, item.startsWith('p:') ? 'p' : 'r', item.slice(2))?.until ?? null;
    // A new grant, or a held one given another window (it may now last longer).
    for (const d of this.drafts) {
      if ((d.type !== 'GRANT_ADDED' && d.type !== 'GRANT_UPDATED') || d.data.kind !== 'grant' || policy.has(d)) continue;
      const g = d.data.grant;
      const item = g.permissionKey !== null ? `p:${g.permissionKey}` : `r:${g.roleId}`;
      for (const p of this.itemPerms(item, true)) add(subjectOfGrant(d), p, g.scopeId, g.expiresAt ?? null);
    }
    // Joining a group is being granted everything it carries: the group stands for the member.
    for (const [groupId, , added] of this.memberships) {
      if (!added) continue;
      for (const [scopeKey, item, holder] of this.carried(groupId)) {
        for (const p of this.itemPerms(item, true)) add(groupId, p, scopeKey === ORG_KEY ? null : scopeKey, heldFor(holder, scopeKey, item));
      }
    }
    for (const id of this.changedRoles()) {
      const before = this.roleBefore(id);
      const after = this.roleAfter(id)!;
      if (!after.live) continue;
      const added = [...after.perms].filter((p) => !before || !before.live || !before.perms.has(p));
      for (const [u, at] of this.holdersOfRole(id)) for (const p of added) add(u, p, at === ORG_KEY ? null : at, heldFor(u, at, `r:${id}`));
    }
    for (const [scopeId, gained] of this.moves()) {
      for (const a of gained) {
        for (const [item, users] of this.heldAt(a)) for (const u of users) for (const p of this.itemPerms(item, true)) add(u, p, scopeId, heldFor(u, a, item));
      }
    }
    return [...seen.values()];
  }

  /** The root scope and every scope below it; null = ORG itself and every scope. */
  *region(root: string | null): Generator<string | null> {
    if (root === null) {
      yield null;
      yield* this.ix.scopes.keys();
      return;
    }
    const stack = [root];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      yield id;
      for (const c of this.ix.scopes.get(id)?.children ?? []) stack.push(c);
    }
  }
}

function subjectOfGrant(d: ChangeDraft): string {
  if (d.data.kind !== 'grant') throw new Error('not a grant draft');
  return d.data.grant.userId ?? d.data.grant.groupId!;
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}
