import { and, asc, count, desc, eq, gt, isNull, lt, sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Db } from '../db/client.js';
import { changes, grants, roles, scopes, users } from '../db/schema.js';
import type { ChangeEvent, ChangeType } from '../domain/types.js';
import { changeFilters, changeWhere, grantWhere, scopeWhere, userSearch } from './rows.js';
import { inList, withRolePermissions } from './sqlite-rows.js';
import type { ChangeQuery, GrantQuery, Page, RoleQuery, ScopeQuery, UserQuery } from './store.js';

/** A page whose count runs synchronously; the store wraps it in its busy retry. */
export type SyncPage<T> = Omit<Page<T>, 'count'> & { count(): number };

/** Keyset page over `id` (ids are time-ordered): one query for the rows, one for the count if asked. */
function page<T extends { id: string }>(
  db: Db,
  table: SQLiteTable & { id: SQLiteColumn },
  where: SQL | undefined,
  q: { after: string | null; first: number },
): SyncPage<T> {
  const rows = db
    .select()
    .from(table)
    .where(and(where, q.after ? gt(table.id, q.after) : undefined))
    .orderBy(asc(table.id))
    .limit(q.first + 1)
    .all() as T[];
  return {
    rows: rows.slice(0, q.first),
    hasNextPage: rows.length > q.first,
    count: () => db.select({ n: count() }).from(table).where(where).get()?.n ?? 0,
  };
}

/** A LIKE pattern matching `s` literally anywhere: % _ and \ stand for themselves. */

export function listUsers(db: Db, orgId: string, q: UserQuery) {
  const conds: Array<SQL | undefined> = [eq(users.orgId, orgId)];
  if (q.ids) conds.push(q.ids.length ? inList(users.id, q.ids) : sql`0`);
  conds.push(userSearch(users, q.search));
  return page<typeof users.$inferSelect>(db, users, and(...conds), q);
}

export function listRoles(db: Db, orgId: string, q: RoleQuery) {
  const where = and(
    eq(roles.orgId, orgId),
    q.scopeType ? eq(roles.scopeType, q.scopeType) : undefined,
    q.roleType ? eq(roles.roleType, q.roleType as 'SYSTEM' | 'CUSTOM') : undefined,
    q.includeDiscarded ? undefined : isNull(roles.discardedAt),
  );
  const p = page<typeof roles.$inferSelect>(db, roles, where, q);
  return { ...p, rows: withRolePermissions(db, p.rows) };
}

export function listScopes(db: Db, orgId: string, q: ScopeQuery) {
  return page<typeof scopes.$inferSelect>(db, scopes, scopeWhere(scopes, orgId, q), q);
}

export function listGrants(db: Db, orgId: string, q: GrantQuery) {
  return page<typeof grants.$inferSelect>(db, grants, grantWhere(grants, orgId, q), q);
}

/**
 * The statements every subscription runs at its start (its replay, usually empty, and the
 * oldest kept revision), prepared once per database: built by drizzle per call they cost
 * about 60 KB of garbage and a statement compile each, thousands of times when many subscribe.
 */
function prepareChangeReads(db: Db) {
  const edge = (order: typeof asc) =>
    db.select({ revision: changes.revision }).from(changes).where(eq(changes.orgId, sql.placeholder('orgId'))).orderBy(order(changes.revision)).limit(1).prepare();
  return {
    unfiltered: db
      .select()
      .from(changes)
      .where(and(eq(changes.orgId, sql.placeholder('orgId')), gt(changes.revision, sql.placeholder('after'))))
      .orderBy(asc(changes.revision))
      .limit(sql.placeholder('limit'))
      .prepare(),
    oldest: edge(asc),
    newest: edge(desc),
  };
}
const changeReads = new WeakMap<Db, ReturnType<typeof prepareChangeReads>>();
function changeReadsOf(db: Db) {
  let reads = changeReads.get(db);
  if (!reads) changeReads.set(db, (reads = prepareChangeReads(db)));
  return reads;
}

export function listChanges(db: Db, orgId: string, q: ChangeQuery) {
  const oneOf = (col: unknown, values: readonly string[]) => inList(col as SQLiteColumn, values);
  const where = () => changeWhere(changes, orgId, q, oneOf);
  // Without a filter of its own (every subscription's replay, as a rule) the prepared page.
  const rows = changeFilters(changes, q, oneOf).length
    ? db
        .select()
        .from(changes)
        .where(and(where(), gt(changes.revision, q.afterRevision)))
        .orderBy(asc(changes.revision))
        .limit(q.first + 1)
        .all()
    : changeReadsOf(db).unfiltered.all({ orgId, after: q.afterRevision, limit: q.first + 1 });
  return {
    rows: rows.slice(0, q.first).map((r) => ({ ...r, type: r.type as ChangeType }) as ChangeEvent),
    hasNextPage: rows.length > q.first,
    // Only when asked: the change stream (every subscription's replay) and catch-up page through without it.
    count: () => db.select({ n: count() }).from(changes).where(where()).get()?.n ?? 0,
  };
}

/** The oldest or newest revision still in the organization's log, or null when it is empty. */
function edgeRevision(db: Db, orgId: string, which: 'oldest' | 'newest'): number | null {
  return changeReadsOf(db)[which].get({ orgId })?.revision ?? null;
}

export function oldestRevision(db: Db, orgId: string): number | null {
  return edgeRevision(db, orgId, 'oldest');
}

/** Drops events older than the cutoff, always keeping the newest one so the head stays known. */
export function pruneChanges(db: Db, orgId: string, keepAfterMs: number): number {
  const newest = edgeRevision(db, orgId, 'newest');
  if (newest === null) return 0;
  return db
    .delete(changes)
    .where(and(eq(changes.orgId, orgId), lt(changes.at, keepAfterMs), lt(changes.revision, newest)))
    .run().changes;
}
