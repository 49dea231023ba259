import type Database from 'better-sqlite3';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { apiKeys, changes, grants, groupMembers, groups, organizations, permissions, rolePermissions, roles, scopes, users } from '../db/schema.js';
import type { ChangeData, ChangeDraft } from '../domain/types.js';

const p = sql.placeholder;
const ROWS_PER_INSERT = 1000;

/**
 * A grant is identified by (user | group, scope, permission | role); `is` matches NULL (ORG)
 * too. One form per kind of subject, so that the planner searches that subject's index
 * (grants_user or grants_group on subject and scope): with `is` on every column it chose
 * grants_role (`role_id is NULL` holds for every permission grant) and scanned the table,
 * 0.5 ms per removal at 10,000 grants, and the same again per GRANT_EXPIRED. The `+`s keep
 * the other columns from being taken for the index.
 */
export const grantByUserKey = and(
  sql`${grants.userId} = ${p('userId')}`,
  sql`+${grants.groupId} is ${p('groupId')}`,
  sql`${grants.scopeId} is ${p('scopeId')}`,
  sql`+${grants.permissionKey} is ${p('permissionKey')}`,
  sql`+${grants.roleId} is ${p('roleId')}`,
);
export const grantByGroupKey = and(
  sql`${grants.groupId} = ${p('groupId')}`,
  sql`+${grants.userId} is ${p('userId')}`,
  sql`${grants.scopeId} is ${p('scopeId')}`,
  sql`+${grants.permissionKey} is ${p('permissionKey')}`,
  sql`+${grants.roleId} is ${p('roleId')}`,
);

/** The statement of a pair that fits the grant's subject. */
export const forSubject = <T>(pair: { user: T; group: T }, g: { groupId?: string | null }): T => (g.groupId != null ? pair.group : pair.user);

/** A grant's window columns, null when it has none. */
export const windowOf = (g: { startsAt?: number | null; expiresAt?: number | null }) => ({ startsAt: g.startsAt ?? null, expiresAt: g.expiresAt ?? null });

/** A statement prepared once per kind of subject. */
const bySubject = <T>(make: (key: typeof grantByUserKey) => T) => ({ user: make(grantByUserKey), group: make(grantByGroupKey) });

/** Prepared statements for the write path (un-prepared drizzle queries cost several times more). */
export function prepareWrites(db: Db, sqlite: Database.Database) {
  return {
    orgHead: db
      .select({ revision: organizations.revision })
      .from(organizations)
      .where(eq(organizations.id, p('orgId')))
      .prepare(),
    setOrgHead: db
      .update(organizations)
      .set({ revision: sql`${p('revision')}` })
      .where(eq(organizations.id, p('orgId')))
      .prepare(),
    /** better-sqlite3 directly: drizzle's placeholder filling cost as much as SQLite's insert itself. */
    insertGrant: sqlite.prepare<[string, string, string | null, string | null, string | null, string | null, string | null, number, string | null, number | null, number | null, number]>(
      'insert into grants (id, org_id, user_id, group_id, scope_id, permission_key, role_id, created_at, created_by, starts_at, expires_at, started) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    /** A new window (GRANT_UPDATED) or its opening announced (GRANT_STARTED); returns the row's identity. */
    windowGrant: bySubject((key) =>
      db
        .update(grants)
        .set({ startsAt: sql`${p('startsAt')}`, expiresAt: sql`${p('expiresAt')}`, started: sql`${p('started')}` })
        .where(key)
        .returning({ id: grants.id, createdAt: grants.createdAt, createdBy: grants.createdBy })
        .prepare(),
    ),
    deleteGrant: bySubject((key) =>
      db
        .delete(grants)
        .where(key)
        .returning({ id: grants.id, createdAt: grants.createdAt, createdBy: grants.createdBy, startsAt: grants.startsAt, expiresAt: grants.expiresAt })
        .prepare(),
    ),
    findGrant: bySubject((key) => db.select().from(grants).where(key).prepare()),
    insertChange: sqlite.prepare<[string, number, string, number, string | null, string | null, string | null, string | null, string | null, string | null, string, string]>(
      'insert into changes (org_id, revision, type, at, actor_id, user_id, scope_key, role_id, group_id, member_group_id, permissions, data) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
  };
}
export type Writes = ReturnType<typeof prepareWrites>;

/**
 * Applies the row change a draft describes. Drafts carry post-images, so the event
 * log and the tables cannot disagree about what a change did. Returns the event's data
 * when it differs from the draft's (a removed grant's real row); never mutates the draft.
 */
export function applyDraft(db: Db, w: Writes, draft: ChangeDraft): ChangeData | void {
  const d = draft.data;
  switch (draft.type) {
    case 'GRANT_ADDED':
      if (d.kind === 'grant') {
        const g = d.grant;
        w.insertGrant.run(g.id, g.orgId, g.userId ?? null, g.groupId ?? null, g.scopeId ?? null, g.permissionKey ?? null, g.roleId ?? null, g.createdAt, g.createdBy ?? null, g.startsAt ?? null, g.expiresAt ?? null, Number(g.started ?? true));
      }
      return;
    case 'GRANT_UPDATED':
    case 'GRANT_STARTED':
      if (d.kind === 'grant') {
        const row = forSubject(w.windowGrant, d.grant).get({ ...d.grant, ...windowOf(d.grant), started: Number(d.grant.started ?? true) });
        if (row) return { kind: 'grant', grant: { ...d.grant, ...row } };
      }
      return;
    case 'GRANT_EXPIRED':
    case 'GRANT_REMOVED':
      if (d.kind === 'grant') {
        const gone = forSubject(w.deleteGrant, d.grant).get({ ...d.grant });
        // The event reports the real row that went away (its id), so listeners can match it.
        if (gone) return { kind: 'grant', grant: { ...d.grant, ...gone } };
      }
      return;
    case 'USER_CREATED':
      if (d.kind === 'user') db.insert(users).values(d.user).run();
      return;
    case 'USER_UPDATED':
      if (d.kind === 'user') db.update(users).set(d.user).where(eq(users.id, d.user.id)).run();
      return;
    case 'USER_DELETED':
      if (d.kind === 'user') db.delete(users).where(eq(users.id, d.user.id)).run();
      return;
    case 'ROLE_CREATED':
    case 'ROLE_UPDATED':
    case 'ROLE_DELETED':
      if (d.kind === 'role') {
        const { permissions: keys, ...row } = d.role;
        if (draft.type === 'ROLE_CREATED') db.insert(roles).values(row).run();
        else db.update(roles).set(row).where(eq(roles.id, row.id)).run();
        if (draft.type !== 'ROLE_DELETED') {
          db.delete(rolePermissions).where(eq(rolePermissions.roleId, row.id)).run();
          // 3 values a row: in chunks, under SQLite's 32,766 bound values per statement.
          for (let i = 0; i < keys.length; i += ROWS_PER_INSERT) {
            db.insert(rolePermissions)
              .values(keys.slice(i, i + ROWS_PER_INSERT).map((k) => ({ roleId: row.id, orgId: row.orgId, permissionKey: k })))
              .run();
          }
        }
      }
      return;
    case 'SCOPE_CREATED':
      if (d.kind === 'scope') db.insert(scopes).values(d.scope).run();
      return;
    case 'SCOPE_UPDATED':
      if (d.kind === 'scope') db.update(scopes).set(d.scope).where(eq(scopes.id, d.scope.id)).run();
      return;
    case 'SCOPE_DELETED':
      if (d.kind === 'scope') db.delete(scopes).where(eq(scopes.id, d.scope.id)).run();
      return;
    case 'CATALOG_CHANGED':
      if (d.kind === 'permission') {
        const { orgId, key, ...rest } = d.permission;
        db.insert(permissions)
          .values(d.permission)
          .onConflictDoUpdate({ target: [permissions.orgId, permissions.key], set: rest })
          .run();
        void orgId;
        void key;
      }
      return;
    case 'API_KEY_CREATED':
      if (d.kind === 'apiKey') db.insert(apiKeys).values({ ...d.apiKey, hash: draft.rowOnly?.apiKeyHash ?? '' }).run();
      return;
    case 'API_KEY_REVOKED':
      if (d.kind === 'apiKey') {
        db.update(apiKeys).set({ revokedAt: d.apiKey.revokedAt }).where(eq(apiKeys.id, d.apiKey.id)).run();
      }
      return;
    case 'GROUP_CREATED':
      if (d.kind === 'group') db.insert(groups).values(d.group).run();
      return;
    case 'GROUP_UPDATED':
      if (d.kind === 'group') db.update(groups).set(d.group).where(eq(groups.id, d.group.id)).run();
      return;
    case 'GROUP_DELETED':
      if (d.kind === 'group') db.delete(groups).where(eq(groups.id, d.group.id)).run();
      return;
    case 'GROUP_MEMBER_ADDED':
      if (d.kind === 'member') db.insert(groupMembers).values(d.member).run();
      return;
    case 'GROUP_MEMBER_REMOVED':
      if (d.kind === 'member') {
        db.delete(groupMembers).where(and(eq(groupMembers.groupId, d.member.groupId), eq(groupMembers.memberId, d.member.memberId))).run();
      }
      return;
  }
}
