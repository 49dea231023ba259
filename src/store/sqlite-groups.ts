import { and, asc, count, eq, gt, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { grants, groupMembers, groups } from '../db/schema.js';
import type { GroupMemberRecord, GroupRecord } from '../domain/types.js';
import { groupSearch, orderByIds } from './rows.js';
import type { SyncPage } from './sqlite-queries.js';
import { inList } from './sqlite-rows.js';
import type { GroupQuery, PageArgs } from './store.js';

/** Groups, their members and their grants on SQLite (the PostgreSQL twin is pg-groups.ts). */
export function groupsByIds(db: Db, orgId: string, ids: readonly string[]): GroupRecord[] {
  return orderByIds(ids, db.select().from(groups).where(and(eq(groups.orgId, orgId), inList(groups.id, ids))).all());
}

export function grantsOfGroups(db: Db, orgId: string, groupIds: readonly string[]) {
  return db
    .select()
    .from(grants)
    .where(and(eq(grants.orgId, orgId), inList(grants.groupId, groupIds)))
    .orderBy(asc(grants.id))
    .all();
}

export function listGroups(db: Db, orgId: string, q: GroupQuery): SyncPage<GroupRecord> {
  const where = and(eq(groups.orgId, orgId), q.ids ? (q.ids.length ? inList(groups.id, q.ids) : sql`0`) : undefined, groupSearch(groups, q.search));
  const rows = db
    .select()
    .from(groups)
    .where(and(where, q.after ? gt(groups.id, q.after) : undefined))
    .orderBy(asc(groups.id))
    .limit(q.first + 1)
    .all();
  return {
    rows: rows.slice(0, q.first),
    hasNextPage: rows.length > q.first,
    count: () => db.select({ n: count() }).from(groups).where(where).get()?.n ?? 0,
  };
}

export function listGroupMembers(db: Db, orgId: string, groupId: string, q: PageArgs): SyncPage<GroupMemberRecord> {
  const where: SQL | undefined = and(eq(groupMembers.orgId, orgId), eq(groupMembers.groupId, groupId));
  const rows = db
    .select()
    .from(groupMembers)
    .where(and(where, q.after ? gt(groupMembers.memberId, q.after) : undefined))
    .orderBy(asc(groupMembers.memberId))
    .limit(q.first + 1)
    .all();
  return {
    rows: rows.slice(0, q.first),
    hasNextPage: rows.length > q.first,
    count: () => db.select({ n: count() }).from(groupMembers).where(where).get()?.n ?? 0,
  };
}
