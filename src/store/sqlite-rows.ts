import { eq, sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Db } from '../db/client.js';
import { rolePermissions, roles } from '../db/schema.js';
import type { RoleRecord } from '../domain/types.js';

type RoleRow = typeof roles.$inferSelect;

/**
 * `column IN (values)` with the values bound as one JSON array: SQLite binds at most
 * 32,766 parameters per statement, and a list longer than that must neither fail nor
 * be cut short.
 */
export function inList(column: SQLiteColumn, values: readonly string[]): SQL {
  return sql`${column} in (select value from json_each(${JSON.stringify(values)}))`;
}

/** Attaches each role's sorted permission keys (one query for the whole batch). */
export function withRolePermissions(db: Db, rows: RoleRow[]): RoleRecord[] {
  if (rows.length === 0) return [];
  const perms = new Map<string, string[]>();
  const ids = rows.map((r) => r.id);
  const links =
    ids.length === 1
      ? db.select().from(rolePermissions).where(eq(rolePermissions.roleId, ids[0]!)).all()
      : db.select().from(rolePermissions).where(inList(rolePermissions.roleId, ids)).all();
  for (const l of links) {
    let list = perms.get(l.roleId);
    if (!list) perms.set(l.roleId, (list = []));
    list.push(l.permissionKey);
  }
  return rows.map((r) => ({ ...r, permissions: (perms.get(r.id) ?? []).sort() }));
}
