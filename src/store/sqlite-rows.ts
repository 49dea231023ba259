import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rolePermissions, roles } from '../db/schema.js';
import type { RoleRecord } from '../domain/types.js';

type RoleRow = typeof roles.$inferSelect;

/** Attaches each role's sorted permission keys (one query for the whole batch). */
export function withRolePermissions(db: Db, rows: RoleRow[]): RoleRecord[] {
  if (rows.length === 0) return [];
  const perms = new Map<string, string[]>();
  const ids = rows.map((r) => r.id);
  const links =
    ids.length === 1
      ? db.select().from(rolePermissions).where(eq(rolePermissions.roleId, ids[0]!)).all()
      : db.select().from(rolePermissions).where(inArray(rolePermissions.roleId, ids)).all();
  for (const l of links) {
    let list = perms.get(l.roleId);
    if (!list) perms.set(l.roleId, (list = []));
    list.push(l.permissionKey);
  }
  return rows.map((r) => ({ ...r, permissions: (perms.get(r.id) ?? []).sort() }));
}

/** Keeps input order and drops ids that were not found. */
export function orderByIds<T extends { id: string }>(ids: readonly string[], rows: T[]): T[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const out: T[] = [];
  for (const id of ids) {
    const row = byId.get(id);
    if (row) out.push(row);
  }
  return out;
}
