import type { ChangeEvent, PermissionRecord, RoleType } from '../domain/types.js';
import type { OrgSnapshot } from '../store/store.js';
import { GroupGraph, isGroupId } from './group-graph.js';
import { MergedGrants } from './merged-grants.js';
import { addTo, removeFrom } from './multimap.js';
import { GrantBook, ORG_KEY, type GrantEntry } from './grant-book.js';
import { CheckTable } from './check-table.js';

export { ORG_KEY, type GrantEntry } from './grant-book.js';


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

/**
 * One organization's authorization state in memory: who holds what where, the
 * scope tree, roles and the catalog. Changed only by `apply(committed event)`.
 */
export class OrgIndex extends GrantBook {
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
  readonly groups = new GroupGraph();
  /** Users' own grants merged with their groups' (what a check reads). */
  private readonly merged = new MergedGrants(this.groups, this.userGrants, this.groupGrants);
  /** The same, numbered and packed for `can` (check-table.ts). */
  readonly checks = new CheckTable((userId) => this.grantsOf(userId));
  /** Live (not revoked) API key ids per user, so a user's deletion can revoke them. */
  readonly liveKeys = new Map<string, Set<string>>();

  constructor(
    readonly orgId: string,
    snapshot?: OrgSnapshot,
  ) {
    super();
    this.ownerId = snapshot?.org.ownerId ?? null;
    this.revision = snapshot?.org.revision ?? 0;
    if (!snapshot) return;
    for (const u of snapshot.users) this.putUser(u);
    for (const p of snapshot.permissions) this.catalog.set(p.key, p);
    for (const r of snapshot.roles) this.putRole(r);
    for (const s of snapshot.scopes) this.putScope(s);
    for (const g of snapshot.groups) this.groups.put(g);
    for (const [groupId, memberId] of snapshot.members) this.groups.addMember(groupId, memberId);
    this.idsShared = snapshot.idsShared === true;
    for (const [subject, scopeId, perm, roleId] of snapshot.grants) this.addGrant(subject, scopeId, perm, roleId);
    this.idsShared = false;
    for (const [subject, scopeId, perm, roleId, from, until, started] of snapshot.windows ?? []) {
      this.addGrant(subject, scopeId, perm, roleId, { from, until, started });
    }
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


  /** While a snapshot whose ids are already shared loads: `canonical` has nothing to do (0.3 s of a million grants). */
  private idsShared = false;

  protected canonical(kind: 'subject' | 'scope' | 'permission' | 'role', v: string): string {
    if (this.idsShared) return v;
    if (kind === 'subject') return (isGroupId(v) ? this.groups.byId.get(v)?.id : this.users.get(v)?.id) ?? v;
    if (kind === 'scope') return this.scopes.get(v)?.id ?? v;
    return (kind === 'role' ? this.roles.get(v)?.id : this.catalog.get(v)?.key) ?? v;
  }

  protected changed(subject: string): void {
    this.invalidate(subject);
  }

  /** A change reached the subject's grants or groups: every user it reaches reads them again. */
  private invalidate(subject: string): void {
    this.merged.invalidate(subject);
    if (!isGroupId(subject)) this.checks.drop(subject);
    else if (!this.checks.empty) for (const u of this.groups.usersUnder(subject)) this.checks.drop(u);
  }

  /** The scope and its ancestors, nearest first; none for ORG (null). */
  ancestorsOf(scopeId: string | null): string[] {
    const out: string[] = [];
    for (let id = scopeId, guard = 0; id !== null && guard < 100_000; guard++) {
      out.push(id);
      id = this.scopes.get(id)?.parentId ?? null;
    }
    return out;
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
        const window = g.startsAt != null || g.expiresAt != null ? { from: g.startsAt ?? null, until: g.expiresAt ?? null, started: g.started ?? true } : null;
        if (e.type === 'GRANT_ADDED') this.addGrant(subject, g.scopeId, g.permissionKey, g.roleId, window);
        else if (e.type === 'GRANT_UPDATED' || e.type === 'GRANT_STARTED') this.setWindow(subject, g.scopeId, g.permissionKey, g.roleId, window);
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
        this.invalidate(d.member.memberId);
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
    this.checks.forgetUser(id);
    this.users.delete(id);
    this.liveKeys.delete(id);
    this.userByEmail.delete(old.email.toLowerCase());
    if (old.externalId !== null) this.userByExternalId.delete(old.externalId.toLowerCase());
  }

  /** Its grants and memberships went first, each with its event; whatever is left goes with it. */
  private removeGroup(id: string): void {
    this.invalidate(id);
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
    this.checks.setRole(r.id, node.discarded ? null : node.perms);
  }

  private putScope(s: { id: string; key: string; type: string; parentId: string | null }): void {
    const old = this.scopes.get(s.id);
    const node: ScopeNode = { id: s.id, key: s.key, type: s.type, parentId: s.parentId, children: old?.children ?? new Set() };
    if (old) this.detachScope(old);
    this.checks.setScope(s.id, s.parentId, s.type);
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
    this.checks.forgetScope(id);
    // Its holders go with its grants (the service removes them first); a raw history that kept
    // grants at the id keeps their holders too, as the grant maps keep the grants.
    const held = this.holdersIndex?.get(id);
    if (held !== undefined && held.p.isEmpty && held.r.isEmpty) this.holdersIndex!.delete(id);
  }
}
