import { and, eq, isNull, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { PgDb } from '../db/pg-client.js';
import { apiKeys, grants, groupMembers, groups, permissions, rolePermissions, roles, scopes, users } from '../db/pg-schema.js';
import type { ChangeData, ChangeDraft, RoleRecord } from '../domain/types.js';
import type { GrantKey } from './store.js';

/** A transaction or the pool: what a write runs on. */
export type PgExec = Pick<PgDb, 'select' | 'insert' | 'update' | 'delete' | 'execute'>;

/** `column = any($1)` with the values bound as one array parameter: no parameter limit, whatever the list's length. */
export function anyOf(column: PgColumn, values: readonly string[]): SQL {
  return sql`${column} = any(${sql.param(values.filter(storable))}::text[])`;
}

/**
 * PostgreSQL text cannot hold NUL, so no row has a value containing one; asking for
 * such a value would be an encoding error instead of the honest "none". (SQLite can
 * store it, and finds nothing, since nothing accepted is stored with one.)
 */
export function storable(value: string): boolean {
  return !value.includes('\u0000');
}

/**
 * A grant is identified by (user | group, scope, permission | role); NULL (ORG, no user, no
 * group) matches NULL. Written as `=` and `is null` for the values at hand, not `is not
 * distinct from`, which PostgreSQL never answers from an index: every removal and every
 * GRANT_EXPIRED scanned the whole table.
 */
export function grantByNaturalKey(g: GrantKey): SQL | undefined {
  const match = (column: PgColumn, value: string | null | undefined) => (value == null ? isNull(column) : eq(column, value));
  return and(match(grants.userId, g.userId), match(grants.groupId, g.groupId), match(grants.scopeId, g.scopeId), match(grants.permissionKey, g.permissionKey), match(grants.roleId, g.roleId));
}


type RoleRow = typeof roles.$inferSelect;

/** Attaches each role's sorted permission keys (one query for the whole batch). */
export async function withRolePermissions(db: PgExec, rows: RoleRow[]): Promise<RoleRecord[]> {
  if (rows.length === 0) return [];
  const links = await db.select().from(rolePermissions).where(anyOf(rolePermissions.roleId, rows.map((r) => r.id)));
  const perms = new Map<string, string[]>();
  for (const l of links) {
    const list = perms.get(l.roleId) ?? [];
    list.push(l.permissionKey);
    perms.set(l.roleId, list);
  }
  return rows.map((r) => ({ ...r, permissions: (perms.get(r.id) ?? []).sort() }));
}

/**
 * Applies the row change a draft describes (the PostgreSQL twin of sqlite-apply.ts).
 * Returns the event's data when it differs from the draft's (a removed grant's real row).
 */
export async function applyDraft(db: PgExec, draft: ChangeDraft): Promise<ChangeData | void> {
  const d = draft.data;
  switch (draft.type) {
    case 'GRANT_ADDED':
      if (d.kind === 'grant') await db.insert(grants).values({ ...d.grant, startsAt: d.grant.startsAt ?? null, expiresAt: d.grant.expiresAt ?? null, started: d.grant.started ?? true });
      return;
    case 'GRANT_UPDATED':
    case 'GRANT_STARTED':
      if (d.kind === 'grant') {
        const [row] = await db
          .update(grants)
          .set({ startsAt: d.grant.startsAt ?? null, expiresAt: d.grant.expiresAt ?? null, started: d.grant.started ?? true })
          .where(grantByNaturalKey(d.grant))
          .returning({ id: grants.id, createdAt: grants.createdAt, createdBy: grants.createdBy });
        if (row) return { kind: 'grant', grant: { ...d.grant, ...row } };
      }
      return;
    case 'GRANT_EXPIRED':
    case 'GRANT_REMOVED':
      if (d.kind === 'grant') {
        const [gone] = await db.delete(grants).where(grantByNaturalKey(d.grant)).returning({ id: grants.id, createdAt: grants.createdAt, createdBy: grants.createdBy, startsAt: grants.startsAt, expiresAt: grants.expiresAt });
        if (gone) return { kind: 'grant', grant: { ...d.grant, ...gone } };
      }
      return;
    case 'USER_CREATED':
      if (d.kind === 'user') await db.insert(users).values(d.user);
      return;
    case 'USER_UPDATED':
      if (d.kind === 'user') await db.update(users).set(d.user).where(eq(users.id, d.user.id));
      return;
    case 'USER_DELETED':
      if (d.kind === 'user') await db.delete(users).where(eq(users.id, d.user.id));
      return;
    case 'ROLE_CREATED':
    case 'ROLE_UPDATED':
    case 'ROLE_DELETED':
      if (d.kind === 'role') {
        const { permissions: keys, ...row } = d.role;
        if (draft.type === 'ROLE_CREATED') await db.insert(roles).values(row);
        else await db.update(roles).set(row).where(eq(roles.id, row.id));
        if (draft.type !== 'ROLE_DELETED') {
          await db.delete(rolePermissions).where(eq(rolePermissions.roleId, row.id));
          for (let i = 0; i < keys.length; i += 1000) {
            await db.insert(rolePermissions).values(keys.slice(i, i + 1000).map((k) => ({ roleId: row.id, orgId: row.orgId, permissionKey: k })));
          }
        }
      }
      return;
    case 'SCOPE_CREATED':
      if (d.kind === 'scope') await db.insert(scopes).values(d.scope);
      return;
    case 'SCOPE_UPDATED':
      if (d.kind === 'scope') await db.update(scopes).set(d.scope).where(eq(scopes.id, d.scope.id));
      return;
    case 'SCOPE_DELETED':
      if (d.kind === 'scope') await db.delete(scopes).where(eq(scopes.id, d.scope.id));
      return;
    case 'CATALOG_CHANGED':
      if (d.kind === 'permission') {
        const { orgId: _o, key: _k, ...rest } = d.permission;
        await db.insert(permissions).values(d.permission).onConflictDoUpdate({ target: [permissions.orgId, permissions.key], set: rest });
      }
      return;
    case 'API_KEY_CREATED':
      if (d.kind === 'apiKey') await db.insert(apiKeys).values({ ...d.apiKey, hash: draft.rowOnly?.apiKeyHash ?? '' });
      return;
    case 'API_KEY_REVOKED':
      if (d.kind === 'apiKey') await db.update(apiKeys).set({ revokedAt: d.apiKey.revokedAt }).where(eq(apiKeys.id, d.apiKey.id));
      return;
    case 'GROUP_CREATED':
      if (d.kind === 'group') await db.insert(groups).values(d.group);
      return;
    case 'GROUP_UPDATED':
      if (d.kind === 'group') await db.update(groups).set(d.group).where(eq(groups.id, d.group.id));
      return;
    case 'GROUP_DELETED':
      if (d.kind === 'group') await db.delete(groups).where(eq(groups.id, d.group.id));
      return;
    case 'GROUP_MEMBER_ADDED':
      if (d.kind === 'member') await db.insert(groupMembers).values(d.member);
      return;
    case 'GROUP_MEMBER_REMOVED':
      if (d.kind === 'member') await db.delete(groupMembers).where(and(eq(groupMembers.groupId, d.member.groupId), eq(groupMembers.memberId, d.member.memberId)));
      return;
  }
}
