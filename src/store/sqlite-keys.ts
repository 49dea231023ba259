import { and, asc, count, eq, gt } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { apiKeys } from '../db/schema.js';
import type { ApiKeyRecord } from '../domain/types.js';
import { apiKeyWhere, withoutHash } from './rows.js';
import type { SyncPage } from './sqlite-queries.js';
import { inList } from './sqlite-rows.js';
import type { ApiKeyQuery } from './store.js';

/** API key lists on SQLite (the PostgreSQL twin is pg-keys.ts): never the hash. */
export function apiKeysOfUsers(db: Db, orgId: string, userIds: readonly string[]): ApiKeyRecord[] {
  return db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.orgId, orgId), inList(apiKeys.userId, userIds)))
    .orderBy(asc(apiKeys.id))
    .all()
    .map(withoutHash);
}

export function listApiKeys(db: Db, orgId: string, q: ApiKeyQuery): SyncPage<ApiKeyRecord> {
  const where = apiKeyWhere(apiKeys, orgId, q);
  const rows = db
    .select()
    .from(apiKeys)
    .where(and(where, q.after ? gt(apiKeys.id, q.after) : undefined))
    .orderBy(asc(apiKeys.id))
    .limit(q.first + 1)
    .all();
  return {
    rows: rows.slice(0, q.first).map(withoutHash),
    hasNextPage: rows.length > q.first,
    count: () => db.select({ n: count() }).from(apiKeys).where(where).get()?.n ?? 0,
  };
}
