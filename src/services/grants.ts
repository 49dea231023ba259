import { AggregateService } from './aggregate.js';
import type { GrantMatch } from '../authz/evaluator.js';
import { assert, can, canSeeUser, type Actor } from '../authz/policy.js';
import { findGroup, findUser, resolvePermission, resolveRole, resolveScope, resolveSubject, resolveUser } from '../authz/refs.js';
import type { GrantRecord } from '../domain/types.js';
import type { Page, Store } from '../store/store.js';
import { badInput } from '../domain/errors.js';
import { GrantPlanner, type GrantWindow } from './grant-planner.js';
import { validWindow } from '../domain/window-rules.js';

export type PatchOperation = 'ADD' | 'DELETE' | 'SET';
export interface PermissionPatch {
  /** Exactly one of `user` and `group`: the grant's subject. */
  user?: string | null;
  group?: string | null;
  scope: string;
  operation: PatchOperation;
  permissions?: string[] | null;
  roles?: string[] | null;
  startsAt?: Date | null;
  expiresAt?: Date | null;
}
export interface GrantInput {
  scope?: string | null;
  permissions?: string[] | null;
  roles?: string[] | null;
  startsAt?: Date | null;
  expiresAt?: Date | null;
}
export interface PermissionsResult {
  revision: number;
  userIds: string[];
  /** Grants added, removed or re-windowed (0: nothing to do). */
  changed: number;
}

export const MAX_PATCHES = 1000;

export interface GrantListFilter {
  user?: string | null;
  group?: string | null;
  scope?: string | null;
  role?: string | null;
  permission?: string | null;
}

/** Applies one grant list as the user's complete set of grants (replaceGrants, createUser). */
export function planReplace(planner: GrantPlanner, ix: Parameters<typeof resolveScope>[0], userId: string, inputs: GrantInput[]): void {
  // Per scope, per item (p:KEY / r:ID), the window it should have; a later input naming the same item wins.
  const desired = new Map<string | null, Map<string, GrantWindow>>();
  const now = Date.now();
  for (const g of inputs) {
    const scopeId = resolveScope(ix, g.scope);
    const w = planner.wanted(scopeId, g.permissions, g.roles, true);
    const window = validWindow(g.startsAt, g.expiresAt, now, `grant at ${g.scope ?? 'ORG'}`);
    const items = desired.get(scopeId) ?? new Map<string, GrantWindow>();
    for (const p of w.permissions) items.set(`p:${p}`, window);
    for (const r of w.roleIds) items.set(`r:${r}`, window);
    desired.set(scopeId, items);
  }
  for (const scopeId of planner.heldScopes(userId)) {
    if (!desired.has(scopeId)) planner.set(userId, scopeId, { permissions: [], roleIds: [] });
  }
  for (const [scopeId, items] of desired) {
    // Removes what is not wanted, then adds (or re-windows) each item with its own window.
    const held = planner.held(userId, scopeId);
    planner.remove(userId, scopeId, {
      permissions: held.permissions.filter((p) => !items.has(`p:${p}`)),
      roleIds: held.roleIds.filter((r) => !items.has(`r:${r}`)),
    });
    for (const [item, window] of items) {
      const one = item.startsWith('p:') ? { permissions: [item.slice(2)], roleIds: [] } : { permissions: [], roleIds: [item.slice(2)] };
      planner.add(userId, scopeId, one, window);
    }
  }
}

export class GrantService extends AggregateService {
  /** All-or-nothing: every patch is validated against the state the earlier ones leave. */
  async patch(actor: Actor, patches: PermissionPatch[]): Promise<PermissionsResult> {
    if (patches.length === 0) throw badInput('patches must name at least one change');
    if (patches.length > MAX_PATCHES) throw badInput(`at most ${MAX_PATCHES} patches per request (got ${patches.length})`);
    return this.run(actor, (planner, ix) => {
      for (const p of patches) {
        const userId = resolveSubject(ix, p.user, p.group);
        const who = p.user ?? `group ${p.group}`;
        const scopeId = resolveScope(ix, p.scope);
        planner.assertModifiable(userId);
        if (p.operation === 'DELETE') {
          if (p.startsAt != null || p.expiresAt != null) throw badInput(`a DELETE patch for ${who} takes no startsAt or expiresAt: it removes the grant, whatever its window`);
          if (!p.permissions?.length && !p.roles?.length) {
            throw badInput(`a DELETE patch for ${who} must name the permissions or roles to remove`);
          }
          planner.remove(userId, scopeId, planner.wanted(scopeId, p.permissions, p.roles, false));
        } else {
          const w = planner.wanted(scopeId, p.permissions, p.roles, true);
          const window = validWindow(p.startsAt, p.expiresAt, Date.now(), `${p.operation} patch for ${who} at ${p.scope}`);
          if (p.operation === 'ADD') {
            if (w.permissions.length === 0 && w.roleIds.length === 0) {
              throw badInput(`an ADD patch for ${who} must name the permissions or roles to add`);
            }
            planner.add(userId, scopeId, w, window);
          } else planner.set(userId, scopeId, w, window);
        }
        planner.touchedUsers.add(userId);
      }
    });
  }

  /** `subject`: a user reference, or `{ group }` for a group's grants. */
  async set(
    actor: Actor,
    subject: { user?: string | null; group?: string | null },
    scope: string | null | undefined,
    permissions?: string[] | null,
    roles?: string[] | null,
    window: { startsAt?: Date | null; expiresAt?: Date | null } = {},
  ) {
    return this.run(actor, (planner, ix) => {
      const userId = resolveSubject(ix, subject.user, subject.group);
      const scopeId = resolveScope(ix, scope);
      planner.assertModifiable(userId);
      const w = validWindow(window.startsAt, window.expiresAt, Date.now(), `setPermissions at ${scope ?? 'ORG'}`);
      planner.set(userId, scopeId, planner.wanted(scopeId, permissions, roles, true), w);
      planner.touchedUsers.add(userId);
    });
  }

  async replace(actor: Actor, user: string, grants: GrantInput[]) {
    if (grants.length > MAX_PATCHES) throw badInput(`at most ${MAX_PATCHES} grants per request (got ${grants.length})`);
    return this.run(actor, (planner, ix) => {
      const userId = resolveUser(ix, user);
      planner.assertModifiable(userId);
      planReplace(planner, ix, userId, grants);
      planner.touchedUsers.add(userId);
    });
  }

  async revokeAll(actor: Actor, user: string) {
    return this.run(actor, (planner, ix) => {
      const userId = resolveUser(ix, user);
      planner.assertModifiable(userId);
      for (const scopeId of planner.heldScopes(userId)) planner.set(userId, scopeId, { permissions: [], roleIds: [] });
      planner.touchedUsers.add(userId);
    });
  }

  private async run(
    actor: Actor,
    build: (planner: GrantPlanner, ix: Parameters<typeof resolveScope>[0]) => void,
  ): Promise<PermissionsResult> {
    const written = await this.writer.write(actor.orgId, actor, (ix) => {
      const planner = new GrantPlanner(ix, actor);
      build(planner, ix);
      return { drafts: planner.drafts, result: () => ({ ids: [...planner.touchedUsers], changed: planner.drafts.length }) };
    });
    return { revision: written.revision, userIds: written.value.ids, changed: written.value.changed };
  }

  /** Every grant of each user, for the request's loaders (callers authorized the path). */
  ofUsers(orgId: string, userIds: readonly string[]): Promise<GrantRecord[]> {
    return this.store.grantsOfUsers(orgId, userIds);
  }

  /** `User.grants`: one's own, or anyone's with directory rights; `scope` narrows to one scope key. */
  assertReadableOf(actor: Actor, userId: string, scope?: string | null): string | null | undefined {
    const ix = this.registry.get(actor.orgId);
    assert(ix, actor, { do: 'read-user', userId, what: "read another user's grants" });
    return scope === null || scope === undefined ? undefined : resolveScope(ix, scope);
  }

  /** `node(id)` of grants: the ones the caller may read, null for the rest. */
  async visible(actor: Actor, ids: readonly string[]): Promise<Array<GrantRecord | null>> {
    const ix = this.registry.get(actor.orgId);
    const rows = await this.store.grantsByIds(actor.orgId, ids);
    const readable = (g: GrantRecord) =>
      g.userId !== null ? can(ix, actor, { do: 'read-user', userId: g.userId, what: 'read grants' }) : can(ix, actor, { do: 'read-group', groupId: g.groupId!, what: 'read grants' });
    const ok = new Map(rows.filter(readable).map((g) => [g.id, g]));
    return ids.map((id) => ok.get(id) ?? null);
  }

  /** Who granted it, for callers who may see that user. */
  grantor(actor: Actor, g: GrantRecord): string | null {
    return g.createdBy && canSeeUser(this.registry.get(actor.orgId), actor, g.createdBy) ? g.createdBy : null;
  }

  /** The grant rows behind a check's matches (CheckResult.grants). */
  allowing(actor: Actor, userId: string, matches: GrantMatch[]): Promise<GrantRecord[]> {
    return this.store.grantsByNaturalKeys(
      actor.orgId,
      matches.map((m) => ({ userId: m.groupId ? null : userId, groupId: m.groupId ?? null, scopeId: m.scopeId, permissionKey: m.permissionKey, roleId: m.roleId })),
    );
  }

  async list(actor: Actor, q: { first: number; after: string | null; filter?: GrantListFilter | null }): Promise<Page<GrantRecord>> {
    const ix = this.registry.get(actor.orgId);
    const f = q.filter;
    // Unknown and other-tenant users look alike: an empty page (after the same rights check).
    const userId = f?.user ? findUser(ix, f.user) : null;
    const groupId = f?.group ? findGroup(ix, f.group) : null;
    if (!f?.user || userId !== actor.userId) assert(ix, actor, { do: 'read-directory', what: "read other users' grants" });
    if ((f?.user && userId === null) || (f?.group && groupId === null)) return { rows: [], hasNextPage: false, count: async () => 0 };
    return this.store.listGrants(ix.orgId, {
      first: q.first,
      after: q.after,
      userId,
      groupId,
      scopeId: f?.scope ? resolveScope(ix, f.scope) : undefined,
      roleId: f?.role ? resolveRole(ix, f.role).id : null,
      permissionKey: f?.permission ? resolvePermission(ix, f.permission).key : null,
    });
  }
}
