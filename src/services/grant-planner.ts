import { assert, type Actor } from '../authz/policy.js';
import { ORG_KEY, type OrgIndex, type RoleNode } from '../authz/org-index.js';
import { resolvePermission, resolveRole, scopeLabel } from '../authz/refs.js';
import { ESCALATING_PERMISSIONS, grantableAtLevel } from '../domain/catalog-rules.js';
import { badInput } from '../domain/errors.js';
import type { ChangeDraft, GrantRecord } from '../domain/types.js';
import { newId } from '../ids.js';
import { grantDraft, subjectOf } from './drafts.js';

type Kind = 'p' | 'r';
export interface Wanted {
  permissions: string[];
  roleIds: string[];
}
/** A validity window as the planner takes it (validated: see domain/windows.ts); null = none. */
export type GrantWindow = { startsAt: number | null; expiresAt: number | null } | null;

const SEP = '\u0000';

/**
 * Plans grant changes for a whole batch (a subject is a user or a group: `usr_…` / `grp_…`) against the index plus the batch's own
 * earlier steps, validating every step; nothing is written unless all pass.
 */
export class GrantPlanner {
  readonly drafts: ChangeDraft[] = [];
  readonly touchedUsers = new Set<string>();
  private readonly overlay = new Map<string, boolean>();
  /** Windows this batch gave items it added or re-windowed (null: none). */
  private readonly windows = new Map<string, GrantWindow>();
  constructor(
    private readonly ix: OrgIndex,
    private readonly actor: Actor,
    /** Grants the organization's policy makes (default roles of a new user), not a delegation. */
    private readonly system = false,
    private readonly now = Date.now(),
  ) {
    if (!system) assert(ix, actor, { do: 'manage', perm: 'MANAGE_GRANTS', what: 'change grants' });
  }

  assertModifiable(userId: string): void {
    assert(this.ix, this.actor, { do: 'change-grants-of', userId });
  }

  /** Resolves and validates what a patch names; both lists empty → the scope's default roles. */
  wanted(scopeId: string | null, permissions: string[] | null | undefined, roles: string[] | null | undefined, forAdd: boolean): Wanted {
    const perms = [...new Set(permissions ?? [])];
    const roleNodes = [...new Set(roles ?? [])].map((r) => resolveRole(this.ix, r));
    for (const key of perms) {
      const perm = resolvePermission(this.ix, key);
      if (!forAdd) continue;
      if (!perm.grantable) throw badInput(`permission ${key} is listed but not grantable through the API`);
      if (!grantableAtLevel(perm.level, scopeId === null)) {
        throw badInput(
          perm.level === 'ORG'
            ? `permission ${key} is an ORG permission and can only be granted at ORG, not on scope ${scopeLabel(this.ix, scopeId)}`
            : `permission ${key} is a RESOURCE permission and cannot be granted at ORG; name a scope`,
        );
      }
    }
    if (forAdd) for (const role of roleNodes) this.assertRoleFits(role, scopeId);
    if (forAdd && perms.length === 0 && roleNodes.length === 0 && permissions == null && roles == null) {
      return { permissions: [], roleIds: this.defaultRoles(scopeId) };
    }
    return { permissions: perms, roleIds: [...new Set(roleNodes.map((r) => r.id))] };
  }

  private assertRoleFits(role: RoleNode, scopeId: string | null): void {
    if (role.discarded) throw badInput(`role "${role.name}" is discarded and cannot be granted`);
    if (scopeId === null) return;
    const type = this.ix.scopes.get(scopeId)!.type;
    if (role.scopeType !== type) {
      throw badInput(
        role.scopeType === 'ORG'
          ? `role "${role.name}" is an ORG role and can only be granted at ORG`
          : `role "${role.name}" applies to scopes of type ${role.scopeType}, not ${type} (scope ${scopeLabel(this.ix, scopeId)})`,
      );
    }
  }

  defaultRoles(scopeId: string | null): string[] {
    const type = scopeId === null ? 'ORG' : this.ix.scopes.get(scopeId)!.type;
    const ids = [...this.ix.roles.values()].filter((r) => r.isDefault && !r.discarded && r.scopeType === type).map((r) => r.id);
    if (ids.length === 0) {
      throw badInput(`no default role exists for ${type === 'ORG' ? 'ORG' : `scopes of type ${type}`}; name the permissions or roles to grant`);
    }
    return ids.sort();
  }

  /** Delegation rule: a non-administrator only hands out (or takes back) what it holds there. */
  private assertMayDelegate(perms: Iterable<string>, scopeId: string | null, via?: string): void {
    for (const perm of perms) {
      // The organization's own policy grants its default roles; those never carry ADMINISTRATOR or IMPERSONATE.
      if (this.system && !ESCALATING_PERMISSIONS.has(perm)) continue;
      assert(this.ix, this.actor, { do: 'delegate', perm, scopeId, scopeLabel: scopeLabel(this.ix, scopeId), via });
    }
  }

  private key(u: string, s: string | null, kind: Kind, item: string): string {
    return `${u}${SEP}${s ?? ORG_KEY}${SEP}${kind}${SEP}${item}`;
  }

  has(userId: string, scopeId: string | null, kind: Kind, item: string): boolean {
    const o = this.overlay.get(this.key(userId, scopeId, kind, item));
    if (o !== undefined) return o;
    const entry = this.ix.grantsOfSubject(userId)?.get(scopeId ?? ORG_KEY);
    return entry !== undefined && entry[kind].includes(item);
  }

  /** Items held now (index plus this batch) at one scope. */
  held(userId: string, scopeId: string | null): Wanted {
    const entry = this.ix.grantsOfSubject(userId)?.get(scopeId ?? ORG_KEY);
    const p = new Set(entry?.p ?? []);
    const r = new Set(entry?.r ?? []);
    const prefix = `${userId}${SEP}${scopeId ?? ORG_KEY}${SEP}`;
    for (const [k, present] of this.overlay) {
      if (!k.startsWith(prefix)) continue;
      const [kind, item] = k.slice(prefix.length).split(SEP) as [Kind, string];
      const set = kind === 'p' ? p : r;
      if (present) set.add(item);
      else set.delete(item);
    }
    return { permissions: [...p].sort(), roleIds: [...r].sort() };
  }

  /** Scopes (null = ORG) where the user holds anything now. */
  heldScopes(userId: string): Array<string | null> {
    const out = new Set<string | null>();
    for (const key of this.ix.grantsOfSubject(userId)?.keys() ?? []) out.add(key === ORG_KEY ? null : key);
    for (const [k, present] of this.overlay) {
      if (present && k.startsWith(`${userId}${SEP}`)) {
        const s = k.split(SEP)[1]!;
        out.add(s === ORG_KEY ? null : s);
      }
    }
    return [...out];
  }

  /** Adds what is not held; a held item with another window gets this one (GRANT_UPDATED). */
  add(userId: string, scopeId: string | null, w: Wanted, window: GrantWindow = null): void {
    for (const p of w.permissions) this.step(userId, scopeId, 'p', p, true, window);
    for (const r of w.roleIds) this.step(userId, scopeId, 'r', r, true, window);
  }

  remove(userId: string, scopeId: string | null, w: Wanted): void {
    for (const p of w.permissions) this.step(userId, scopeId, 'p', p, false);
    for (const r of w.roleIds) this.step(userId, scopeId, 'r', r, false);
  }

  /** Makes the user's grants at the scope exactly `w`. */
  set(userId: string, scopeId: string | null, w: Wanted, window: GrantWindow = null): void {
    const now = this.held(userId, scopeId);
    this.remove(userId, scopeId, {
      permissions: now.permissions.filter((p) => !w.permissions.includes(p)),
      roleIds: now.roleIds.filter((r) => !w.roleIds.includes(r)),
    });
    this.add(userId, scopeId, w, window);
  }

  /** The window an item held now has (this batch first, then the index); null: none. */
  private windowHeld(userId: string, scopeId: string | null, kind: Kind, item: string): GrantWindow {
    const k = this.key(userId, scopeId, kind, item);
    if (this.windows.has(k)) return this.windows.get(k)!;
    const w = this.ix.windowOf(userId, scopeId ?? ORG_KEY, kind, item);
    return w ? { startsAt: w.from, expiresAt: w.until } : null;
  }

  private step(userId: string, scopeId: string | null, kind: Kind, item: string, present: boolean, window: GrantWindow = null): void {
    const held = this.has(userId, scopeId, kind, item);
    if (held && present) {
      const was = this.windowHeld(userId, scopeId, kind, item);
      if ((was?.startsAt ?? null) === (window?.startsAt ?? null) && (was?.expiresAt ?? null) === (window?.expiresAt ?? null)) return;
      return this.rewindow(userId, scopeId, kind, item, window);
    }
    if (held === present) return; // deleting an absent one
    if (kind === 'p') this.assertMayDelegate([item], scopeId);
    else {
      const role = this.ix.roles.get(item)!;
      this.assertMayDelegate(role.perms, scopeId, role.name);
    }
    this.overlay.set(this.key(userId, scopeId, kind, item), present);
    if (present) this.windows.set(this.key(userId, scopeId, kind, item), window);
    else this.windows.delete(this.key(userId, scopeId, kind, item));
    this.touchedUsers.add(userId);
    this.drafts.push(grantDraft(this.ix, this.actor, present ? 'GRANT_ADDED' : 'GRANT_REMOVED', this.record(userId, scopeId, kind, item, present, window)));
  }

  /** A held grant given another window: GRANT_UPDATED (the delegation rule applies as to a new grant). */
  private rewindow(userId: string, scopeId: string | null, kind: Kind, item: string, window: GrantWindow): void {
    if (kind === 'p') this.assertMayDelegate([item], scopeId);
    else this.assertMayDelegate(this.ix.roles.get(item)!.perms, scopeId, this.ix.roles.get(item)!.name);
    this.windows.set(this.key(userId, scopeId, kind, item), window);
    this.touchedUsers.add(userId);
    this.drafts.push(grantDraft(this.ix, this.actor, 'GRANT_UPDATED', this.record(userId, scopeId, kind, item, true, window)));
  }

  private record(userId: string, scopeId: string | null, kind: Kind, item: string, present: boolean, window: GrantWindow): GrantRecord {
    return {
      id: present ? newId('Grant') : '',
      orgId: this.ix.orgId,
      ...subjectOf(userId),
      scopeId,
      permissionKey: kind === 'p' ? item : null,
      roleId: kind === 'r' ? item : null,
      createdAt: this.now,
      createdBy: present ? this.actor.keyUserId : null,
      ...(window ? { startsAt: window.startsAt, expiresAt: window.expiresAt, started: window.startsAt === null || window.startsAt <= this.now } : {}),
    };
  }
}
