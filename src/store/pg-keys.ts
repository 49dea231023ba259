import { and, asc, count, eq, gt } from 'drizzle-orm';
import type { PgDb } from '../db/pg-client.js';
import { apiKeys } from '../db/pg-schema.js';
import type { ApiKeyRecord } from '../domain/types.js';
import { anyOf, storable } from './pg-apply.js';
import { apiKeyWhere, withoutHash } from './rows.js';
import type { ApiKeyQuery, Page } from './store.js';

/** API key lists on PostgreSQL (the twin of sqlite-keys.ts): never the hash. */
export async function apiKeysOfUsers(db: PgDb, orgId: string, userIds: readonly string[]): Promise<ApiKeyRecord[]> {
  const rows = await db.select().from(apiKeys).where(and(eq(apiKeys.orgId, orgId), anyOf(apiKeys.userId, userIds))).orderBy(asc(apiKeys.id));
  return rows.map(withoutHash);
}

export async function listApiKeys(db: PgDb, orgId: string, q: ApiKeyQuery): Promise<Page<ApiKeyRecord>> {
  // No row holds a NUL (PostgreSQL text cannot), so a filter with one matches nothing.
  if ([q.userId, q.after].some((v) => typeof v === 'string' && !storable(v))) return { rows: [], hasNextPage: false, count: async () => 0 };
  const where = apiKeyWhere(apiKeys, orgId, { ...q, exceptUserId: q.exceptUserId && storable(q.exceptUserId) ? q.exceptUserId : null });
  const rows = await db.select().from(apiKeys).where(and(where, q.after ? gt(apiKeys.id, q.after) : undefined)).orderBy(asc(apiKeys.id)).limit(q.first + 1);
  return {
    rows: rows.slice(0, q.first).map(withoutHash),
    hasNextPage: rows.length > q.first,
    count: async () => (await db.select({ n: count() }).from(apiKeys).where(where))[0]?.n ?? 0,
  };
}
