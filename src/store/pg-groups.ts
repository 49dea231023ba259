import { and, asc, count, eq, gt, sql } from 'drizzle-orm';
import type { PgDb } from '../db/pg-client.js';
import { grants, groupMembers, groups } from '../db/pg-schema.js';
import type { GroupMemberRecord, GroupRecord } from '../domain/types.js';
import { anyOf, storable } from './pg-apply.js';
import { groupSearch, orderByIds } from './rows.js';
import type { GroupQuery, Page, PageArgs } from './store.js';

/** Groups, their members and their grants on PostgreSQL (the twin of sqlite-groups.ts). */
export async function groupsByIds(db: PgDb, orgId: string, ids: readonly string[]): Promise<GroupRecord[]> {
  return orderByIds(ids, await db.select().from(groups).where(and(eq(groups.orgId, orgId), anyOf(groups.id, ids))));
}

export function grantsOfGroups(db: PgDb, orgId: string, groupIds: readonly string[]) {
  return db.select().from(grants).where(and(eq(grants.orgId, orgId), anyOf(grants.groupId, groupIds))).orderBy(asc(grants.id));
}

export async function listGroups(db: PgDb, orgId: string, q: GroupQuery): Promise<Page<GroupRecord>> {
  const where = and(eq(groups.orgId, orgId), q.ids ? (q.ids.length ? anyOf(groups.id, q.ids) : sql`false`) : undefined, groupSearch(groups, q.search));
  const after = q.after !== null && storable(q.after) ? gt(groups.id, q.after) : undefined;
  const rows = await db.select().from(groups).where(and(where, after)).orderBy(asc(groups.id)).limit(q.first + 1);
  return {
    rows: rows.slice(0, q.first),
    hasNextPage: rows.length > q.first,
    count: async () => (await db.select({ n: count() }).from(groups).where(where))[0]?.n ?? 0,
  };
}

export async function listGroupMembers(db: PgDb, orgId: string, groupId: string, q: PageArgs): Promise<Page<GroupMemberRecord>> {
  if (!storable(groupId)) return { rows: [], hasNextPage: false, count: async () => 0 };
  const where = and(eq(groupMembers.orgId, orgId), eq(groupMembers.groupId, groupId));
  const after = q.after !== null && storable(q.after) ? gt(groupMembers.memberId, q.after) : undefined;
  const rows = await db.select().from(groupMembers).where(and(where, after)).orderBy(asc(groupMembers.memberId)).limit(q.first + 1);
  return {
    rows: rows.slice(0, q.first),
    hasNextPage: rows.length > q.first,
    count: async () => (await db.select({ n: count() }).from(groupMembers).where(where))[0]?.n ?? 0,
  };
}
