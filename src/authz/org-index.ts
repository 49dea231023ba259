import type { ChangeEvent, PermissionRecord, RoleType } from '../domain/types.js';
import type { OrgSnapshot } from '../store/store.js';
import { GroupGraph, isGroupId } from './group-graph.js';
import { MergedGrants } from './merged-grants.js';
import { addTo, removeFrom } from './multimap.js';

export interface UserEntry {
  id: string;
  email: string;
  externalId: string | null;
}
export interface ScopeNode {
  id: string;
  key: string;
  type: string;
  parentId: string | null;
  children: Set<string>;
}
export interface RoleNode {
  id: string;
  name: string;
  roleType: RoleType;
  scopeType: string;
  isDefault: boolean;
  discarded: boolean;
  perms: Set<string>;
}
/** What one subject (user or group) holds at one scope: direct permission keys and role ids. */
export interface GrantEntry {
  p: string[];
  r: string[];
}
interface Holders {
  p: Map<string, Set<string>>;
  r: Map<string, Set<string>>;
}

/** ORG is keyed by the empty string in the grant maps. */
export const ORG_KEY = '';

/**
 * One organization's authorization state in memory: who holds what where, the
 * scope tree, roles and the catalog. Changed only by `apply(committed event)`.
 */
export class OrgIndex {
  ownerId: string | null;
  revision: number;
  readonly users = new Map<string, UserEntry>();
  readonly userByEmail = new Map<string, string>();
  /** Lower-cased externalId → user id: references compare case-insensitively in every direction. */
  readonly userByExternalId = new Map<string, string>();
  readonly scopes = new Map<string, ScopeNode>();
  readonly scopeByKey = new Map<string, string>();
  readonly topScopes = new Set<string>();
  readonly catalog = new Map<string, PermissionRecord>();
  readonly roles = new Map<string, RoleNode>();
  readonly liveRoleByName = new Map<string, string>();
  readonly rolesByPerm = new Map<string, Set<string>>();
  /** Each user's own grants, per scope key. */
  readonly userGrants = new Map<string, Map<string, GrantEntry>>();
  /** Each group's own grants, per scope key. */
  readonly groupGrants = new Map<string, Map<string, GrantEntry>>();
  /** Who holds what at each scope key: users and groups (a group's users are `groups.usersUnder`). */
  readonly scopeHolders = new Map<string, Holders>();
  readonly groups = new GroupGraph();
  /** Users' own grants merged with their groups' (what a check reads). */
  private readonly merged = new MergedGrants(this.groups, this.userGrants, this.groupGrants);
  /** Live (not revoked) API key ids per user, so a user's deletion can revoke them. */
  readonly liveKeys = new Map<string, Set<string>>();
  grantCount = 0;

  constructor(
    readonly orgId: string,
    snapshot?: OrgSnapshot,
  ) {
    this.ownerId = snapshot?.org.ownerId ?? null;
    this.revision = snapshot?.org.revision ?? 0;
    if (!snapshot) return;
    for (const u of snapshot.users) this.putUser(u);
    for (const p of snapshot.permissions) this.catalog.set(p.key, p);
    for (const r of snapshot.roles) this.putRole(r);
    for (const s of snapshot.scopes) this.putScope(s);
    for (const g of snapshot.groups) this.groups.put(g);
    for (const [groupId, memberId] of snapshot.members) this.groups.addMember(groupId, memberId);
    for (const [subject, scopeId, perm, roleId] of snapshot.grants) this.addGrant(subject, scopeId, perm, roleId);
    for (const [userId, keyId] of snapshot.liveKeys) addTo(this.liveKeys, userId, keyId);
  }

  /**
   * What the user holds per scope key, its own grants and (issue 14) those of every group it
   * belongs to, transitively: the evaluator's one read of "who holds what". Entries are
   * multisets (an item held twice appears twice); callers only test membership.
   */
  grantsOf(userId: string): Map<string, GrantEntry> | undefined {
    return this.merged.of(userId);
  }

  /** A user's or a group's own grants, per scope key. */
  grantsOfSubject(subject: string): Map<string, GrantEntry> | undefined {
    return (isGroupId(subject) ? this.groupGrants : this.userGrants).get(subject);
  }

  apply(e: ChangeEvent): void {
    if (e.revision <= this.revision) return; // already applied (e.g. replayed to a replica)
    this.revision = e.revision;
    const d = e.data;
    switch (d.kind) {
      case 'user':
        if (e.type === 'USER_DELETED') this.removeUser(d.user.id);
        else this.putUser(d.user);
        if (e.type === 'USER_CREATED' && this.ownerId === null) this.ownerId = d.user.id;
        return;
      case 'role':
        this.putRole(d.role);
        return;
      case 'scope':
        if (e.type === 'SCOPE_DELETED') this.removeScope(d.scope.id);
        else this.putScope(d.scope);
        return;
      case 'grant': {
        const g = d.grant;
        const subject = g.userId ?? g.groupId!;
        if (e.type === 'GRANT_ADDED') this.addGrant(subject, g.scopeId, g.permissionKey, g.roleId);
        else this.removeGrant(subject, g.scopeId, g.permissionKey, g.roleId);
        return;
      }
      case 'permission':
        this.catalog.set(d.permission.key, d.permission);
        return;
      case 'apiKey':
        if (e.type === 'API_KEY_CREATED' && d.apiKey.revokedAt === null) addTo(this.liveKeys, d.apiKey.userId, d.apiKey.id);
        else removeFrom(this.liveKeys, d.apiKey.userId, d.apiKey.id);
        return;
      case 'group':
        if (e.type === 'GROUP_DELETED') this.removeGroup(d.group.id);
        else this.groups.put(d.group);
        return;
      case 'member':
        // Invalidated while the member is still reachable under the group, either way.
        this.merged.invalidate(d.member.memberId);
        if (e.type === 'GROUP_MEMBER_ADDED') this.groups.addMember(d.member.groupId, d.member.memberId);
        else this.groups.removeMember(d.member.groupId, d.member.memberId);
        return;
    }
  }

  private putUser(u: { id: string; email: string; externalId: string | null }): void {
    const old = this.users.get(u.id);
    if (old) {
      this.userByEmail.delete(old.email.toLowerCase());
      if (old.externalId !== null) this.userByExternalId.delete(old.externalId.toLowerCase());
    }
    const entry = { id: u.id, email: u.email, externalId: u.externalId };
    this.users.set(u.id, entry);
    this.userByEmail.set(u.email.toLowerCase(), u.id);
    if (u.externalId !== null) this.userByExternalId.set(u.externalId.toLowerCase(), u.id);
  }

  private removeUser(id: string): void {
    const old = this.users.get(id);
    if (!old) return;
    for (const [scopeKey, entry] of this.userGrants.get(id) ?? []) {
      for (const p of [...entry.p]) this.removeGrant(id, scopeKey || null, p, null);
      for (const r of [...entry.r]) this.removeGrant(id, scopeKey || null, null, r);
    }
    this.groups.removeUser(id);
    this.merged.invalidate(id);
    this.users.delete(id);
    this.liveKeys.delete(id);
    this.userByEmail.delete(old.email.toLowerCase());
    if (old.externalId !== null) this.userByExternalId.delete(old.externalId.toLowerCase());
  }

  /** Its grants and memberships went first, each with its event; whatever is left goes with it. */
  private removeGroup(id: string): void {
    this.merged.invalidate(id);
    for (const [scopeKey, entry] of this.groupGrants.get(id) ?? []) {
      for (const p of [...entry.p]) this.removeGrant(id, scopeKey || null, p, null);
      for (const r of [...entry.r]) this.removeGrant(id, scopeKey || null, null, r);
    }
    this.groups.remove(id);
  }

  private putRole(r: {
    id: string;
    name: string;
    roleType: RoleType;
    scopeType: string;
    isDefault: boolean;
    discardedAt: number | null;
    permissions: string[];
  }): void {
    const old = this.roles.get(r.id);
    if (old) {
      for (const p of old.perms) removeFrom(this.rolesByPerm, p, r.id);
      if (this.liveRoleByName.get(old.name.toLowerCase()) === r.id) this.liveRoleByName.delete(old.name.toLowerCase());
    }
    const node: RoleNode = {
      id: r.id,
      name: r.name,
      roleType: r.roleType,
      scopeType: r.scopeType,
      isDefault: r.isDefault,
      discarded: r.discardedAt !== null,
      perms: new Set(r.permissions),
    };
    this.roles.set(r.id, node);
    for (const p of node.perms) addTo(this.rolesByPerm, p, r.id);
    if (!node.discarded) this.liveRoleByName.set(r.name.toLowerCase(), r.id);
  }

  private putScope(s: { id: string; key: string; type: string; parentId: string | null }): void {
    const old = this.scopes.get(s.id);
    const node: ScopeNode = { id: s.id, key: s.key, type: s.type, parentId: s.parentId, children: old?.children ?? new Set() };
    if (old) this.detachScope(old);
    this.scopes.set(s.id, node);
    this.scopeByKey.set(s.key, s.id);
    if (s.parentId === null) this.topScopes.add(s.id);
    else this.parentNode(s.parentId).children.add(s.id);
  }

  /** A child may arrive before its parent during snapshot load; a placeholder fills in later. */
  private parentNode(id: string): ScopeNode {
    let p = this.scopes.get(id);
    if (!p) {
      p = { id, key: '', type: '', parentId: null, children: new Set() };
      this.scopes.set(id, p);
    }
    return p;
  }

  private detachScope(node: ScopeNode): void {
    this.scopeByKey.delete(node.key);
    if (node.parentId === null) this.topScopes.delete(node.id);
    else this.scopes.get(node.parentId)?.children.delete(node.id);
  }

  private removeScope(id: string): void {
    const node = this.scopes.get(id);
    if (!node) return;
    this.detachScope(node);
    this.scopes.delete(id);
    this.scopeHolders.delete(id);
  }

  private holders(scopeKey: string): Holders {
    let h = this.scopeHolders.get(scopeKey);
    if (!h) this.scopeHolders.set(scopeKey, (h = { p: new Map(), r: new Map() }));
    return h;
  }

  private addGrant(subject: string, scopeId: string | null, perm: string | null, roleId: string | null): void {
    const group = isGroupId(subject);
    // Canonical strings from the entity maps, so a million grants share a few thousand ids.
    const uid = (group ? this.groups.byId.get(subject)?.id : this.users.get(subject)?.id) ?? subject;
    const sk = scopeId === null ? ORG_KEY : (this.scopes.get(scopeId)?.id ?? scopeId);
    const grants = group ? this.groupGrants : this.userGrants;
    let byScope = grants.get(uid);
    if (!byScope) grants.set(uid, (byScope = new Map()));
    let entry = byScope.get(sk);
    if (!entry) byScope.set(sk, (entry = { p: [], r: [] }));
    const h = this.holders(sk);
    if (perm !== null) {
      const key = this.catalog.get(perm)?.key ?? perm;
      if (entry.p.includes(key)) return;
      entry.p.push(key);
      addTo(h.p, key, uid);
    } else if (roleId !== null) {
      const rid = this.roles.get(roleId)?.id ?? roleId;
      if (entry.r.includes(rid)) return;
      entry.r.push(rid);
      addTo(h.r, rid, uid);
    }
    this.grantCount += 1;
    this.merged.invalidate(uid);
  }

  private removeGrant(userId: string, scopeId: string | null, perm: string | null, roleId: string | null): void {
    const sk = scopeId ?? ORG_KEY;
    const grants = isGroupId(userId) ? this.groupGrants : this.userGrants;
    const byScope = grants.get(userId);
    const entry = byScope?.get(sk);
    if (!byScope || !entry) return;
    const h = this.holders(sk);
    const list = perm !== null ? entry.p : entry.r;
    const item = perm ?? roleId!;
    const i = list.indexOf(item);
    if (i < 0) return;
    list.splice(i, 1);
    removeFrom(perm !== null ? h.p : h.r, item, userId);
    this.grantCount -= 1;
    this.merged.invalidate(userId);
    if (entry.p.length === 0 && entry.r.length === 0) byScope.delete(sk);
    if (byScope.size === 0) grants.delete(userId);
  }
}
