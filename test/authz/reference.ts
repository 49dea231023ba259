import Database from 'better-sqlite3';

/**
 * A brute-force reference for DESIGN.md's "Effective permissions", read straight
 * from the database rows with plain SQL. It shares no code with the index or the
 * evaluator (not even `takesEffect`), so the two can disagree and be caught.
 */

type Level = 'ORG' | 'RESOURCE' | 'ANY';
export interface RefPermission {
  key: string;
  level: Level;
  resourceTypes: string[];
}
export interface RefScope {
  id: string;
  key: string;
  type: string;
  parentId: string | null;
}
/** A grant row: exactly one of `userId` and `groupId` is set. */
export interface RefGrant {
  id: string;
  userId: string | null;
  groupId: string | null;
  scopeId: string | null;
  permissionKey: string | null;
  roleId: string | null;
  /** The validity window [startsAt, expiresAt) in ms (null: open on that side), and whether its start is announced. */
  startsAt: number | null;
  expiresAt: number | null;
  started: boolean;
}
export interface RefRole {
  id: string;
  name: string;
  scopeType: string;
  discarded: boolean;
  permissions: Set<string>;
}

/** One organization's rows at one moment, and the definition evaluated over them. */
export class Reference {
  ownerId: string | null = null;
  readonly users: string[] = [];
  readonly scopes = new Map<string, RefScope>();
  readonly catalog = new Map<string, RefPermission>();
  readonly roles = new Map<string, RefRole>();
  readonly grants: RefGrant[] = [];
  /** Group id → key. */
  readonly groups = new Map<string, string>();
  /** Direct memberships, [group, member] (a member is a user or a group). */
  readonly members: Array<[string, string]> = [];
  private reached = new Map<string, Set<string>>();
  /** The instant the definition is evaluated at (windows); null: every row counts, as before windows. */
  private clock: number | null = null;

  constructor(db: Database.Database, orgId: string) {
    const org = db.prepare('select owner_id from organizations where id = ?').get(orgId) as { owner_id: string | null };
    this.ownerId = org.owner_id;
    for (const u of db.prepare('select id from users where org_id = ? order by id').all(orgId) as Array<{ id: string }>) this.users.push(u.id);
    const scopeRows = db.prepare('select id, key, type, parent_id from scopes where org_id = ?').all(orgId) as Array<Record<string, string | null>>;
    for (const s of scopeRows) this.scopes.set(s.id!, { id: s.id!, key: s.key!, type: s.type!, parentId: s.parent_id ?? null });
    const permRows = db.prepare('select key, level, resource_types from permissions where org_id = ?').all(orgId) as Array<Record<string, string>>;
    for (const p of permRows) this.catalog.set(p.key!, { key: p.key!, level: p.level as Level, resourceTypes: JSON.parse(p.resource_types!) as string[] });
    const roleRows = db.prepare('select id, name, scope_type, discarded_at from roles where org_id = ?').all(orgId) as Array<Record<string, string | number | null>>;
    for (const r of roleRows) {
      this.roles.set(String(r.id), { id: String(r.id), name: String(r.name), scopeType: String(r.scope_type), discarded: r.discarded_at !== null, permissions: new Set() });
    }
    const rolePerms = db.prepare('select role_id, permission_key from role_permissions where org_id = ?').all(orgId) as Array<Record<string, string>>;
    for (const rp of rolePerms) this.roles.get(rp.role_id!)?.permissions.add(rp.permission_key!);
    for (const g of db.prepare('select id, key from groups where org_id = ?').all(orgId) as Array<{ id: string; key: string }>) this.groups.set(g.id, g.key);
    const memberRows = db.prepare('select group_id, member_id from group_members where org_id = ?').all(orgId) as Array<{ group_id: string; member_id: string }>;
    for (const m of memberRows) this.members.push([m.group_id, m.member_id]);
    const grantRows = db.prepare('select id, user_id, group_id, scope_id, permission_key, role_id, starts_at, expires_at, started from grants where org_id = ?').all(orgId) as Array<Record<string, string | number | null>>;
    for (const g of grantRows) {
      const text = (v: string | number | null | undefined) => (v == null ? null : String(v));
      const ms = (v: string | number | null | undefined) => (v == null ? null : Number(v));
      this.grants.push({
        id: String(g.id),
        userId: text(g.user_id),
        groupId: text(g.group_id),
        scopeId: text(g.scope_id),
        permissionKey: text(g.permission_key),
        roleId: text(g.role_id),
        startsAt: ms(g.starts_at),
        expiresAt: ms(g.expires_at),
        started: Boolean(g.started),
      });
    }
  }

  /**
   * The same rows evaluated at instant `t`: a grant counts when startsAt <= t < expiresAt
   * (an open side always passes), whether or not its boundary events are written yet.
   */
  at(t: number): Reference {
    const copy = Object.create(Reference.prototype) as Reference;
    Object.assign(copy, this);
    copy.clock = t;
    copy.reached = new Map();
    return copy;
  }

  /** Whether the row is in its window at the clock (always, without one). */
  private active(g: RefGrant): boolean {
    const t = this.clock;
    return t === null || ((g.startsAt === null || g.startsAt <= t) && (g.expiresAt === null || t < g.expiresAt));
  }

  /**
   * Every group the user (or group) is in, directly or through groups it is in: the
   * memberships swept until nothing more is added (no graph walk, no depth, no order).
   */
  groupsOf(member: string): Set<string> {
    let out = this.reached.get(member);
    if (out) return out;
    out = new Set<string>();
    for (let grew = true; grew; ) {
      grew = false;
      for (const [g, m] of this.members) {
        if ((m === member || out.has(m)) && !out.has(g)) {
          out.add(g);
          grew = true;
        }
      }
    }
    this.reached.set(member, out);
    return out;
  }

  /** The grant rows that count for a user: its own, and those of every group it is in. */
  grantsOf(userId: string): RefGrant[] {
    const groups = this.groupsOf(userId);
    return this.grants.filter((g) => (g.userId === userId || (g.groupId !== null && groups.has(g.groupId))) && this.active(g));
  }

  /** The scope, its ancestors, then ORG (null). */
  chain(scopeId: string | null): Array<string | null> {
    const out: Array<string | null> = [];
    for (let id = scopeId; id !== null; id = this.scopes.get(id)!.parentId) out.push(id);
    out.push(null);
    return out;
  }

  /** ORG ones at ORG only; RESOURCE and ANY on scopes of their resourceTypes (empty = any); ANY also at ORG. */
  appliesAt(key: string, scopeId: string | null): boolean {
    const p = this.catalog.get(key)!;
    if (scopeId === null) return p.level === 'ORG' || p.level === 'ANY';
    if (p.level === 'ORG') return false;
    const type = this.scopes.get(scopeId)!.type;
    return p.resourceTypes.length === 0 || p.resourceTypes.includes(type);
  }

  /** What a grant row hands out: its permission, or its role's permissions unless the role is discarded. */
  grantPermissions(g: RefGrant): string[] {
    if (g.permissionKey !== null) return [g.permissionKey];
    const role = this.roles.get(g.roleId!)!;
    return role.discarded ? [] : [...role.permissions];
  }

  /** The user's grants (its own and its groups') that provide `key` at `scopeId` (at it or above it), before the owner/administrator rule. */
  providingGrants(userId: string, key: string, scopeId: string | null): RefGrant[] {
    if (!this.appliesAt(key, scopeId)) return [];
    const chain = new Set(this.chain(scopeId));
    return this.grantsOf(userId).filter((g) => chain.has(g.scopeId) && this.grantPermissions(g).includes(key));
  }

  /** The union of the definition, without the owner/administrator rule. */
  granted(userId: string, scopeId: string | null): Set<string> {
    const chain = new Set(this.chain(scopeId));
    const out = new Set<string>();
    for (const g of this.grantsOf(userId)) {
      if (!chain.has(g.scopeId)) continue;
      for (const key of this.grantPermissions(g)) if (this.appliesAt(key, scopeId)) out.add(key);
    }
    return out;
  }

  isAdministrator(userId: string): boolean {
    return userId === this.ownerId || this.granted(userId, null).has('ADMINISTRATOR');
  }

  can(userId: string, key: string, scopeId: string | null): boolean {
    return this.isAdministrator(userId) || this.granted(userId, scopeId).has(key);
  }

  /** Sorted; an administrator holds every permission that takes effect there. */
  effectivePermissions(userId: string, scopeId: string | null): string[] {
    if (this.isAdministrator(userId)) return [...this.catalog.keys()].filter((k) => this.appliesAt(k, scopeId)).sort();
    return [...this.granted(userId, scopeId)].sort();
  }

  whoCan(key: string, scopeId: string | null): string[] {
    return this.users.filter((u) => this.can(u, key, scopeId)).sort();
  }

  scopesWhere(userId: string, key: string, type: string | null): string[] {
    return [...this.scopes.values()]
      .filter((s) => (type === null || s.type === type) && this.can(userId, key, s.id))
      .map((s) => s.id)
      .sort();
  }
}

/** Reads the organization's rows through a connection of its own (the server's file, WAL). */
export function openReference(file: string): { read(orgId: string): Reference; close(): void } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  return { read: (orgId) => new Reference(db, orgId), close: () => db.close() };
}
