import { and, asc, count, desc, eq, gt, isNull, lt, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { CHANGES_CHANNEL, type PgHandle } from '../db/pg-client.js';
import { apiKeys, changes, grants, groupMembers, groups, organizations, permissions, roles, scopes, users } from '../db/pg-schema.js';
import { grantsOfGroups, groupsByIds, listGroupMembers, listGroups } from './pg-groups.js';
import { apiKeysOfUsers, listApiKeys } from './pg-keys.js';
import { notFound, StaleRevisionError } from '../domain/errors.js';
import type { ChangeDraft, ChangeEvent, ChangeType, GrantRecord, OrganizationRecord } from '../domain/types.js';
import { changeWhere, eventOf, grantWhere, orderByIds, scopeWhere, userSearch } from './rows.js';
import { anyOf, applyDraft, storable, grantByNaturalKey, withRolePermissions, type PgExec } from './pg-apply.js';
import type { ApiKeyWithHash, ChangeQuery, GrantKey, WindowedGrantRow, GrantQuery, OrgSnapshot, Page, RoleQuery, ScopeQuery, Store, UserQuery } from './store.js';

/**
 * The store on PostgreSQL (node-postgres through drizzle): the same contract as the SQLite
 * store (test/store/contract.ts). A commit is one transaction that locks the
 * organization's row, moves its revision from R to R+n only if it is still R, and sends
 * NOTIFY grantql_changes in the same transaction, so replicas hear of it after it commits.
 */
export class PgStore implements Store {
  constructor(private readonly h: PgHandle) {}

  private async appendAll(tx: PgExec, orgId: string, base: number, drafts: ChangeDraft[]): Promise<ChangeEvent[]> {
    const at = Date.now();
    const out: ChangeEvent[] = [];
    let revision = base;
    for (const draft of drafts) {
      const data = (await applyDraft(tx, draft)) ?? draft.data;
      revision += 1;
      out.push(eventOf(draft, data, orgId, revision, at));
    }
    for (let i = 0; i < out.length; i += 1000) {
      await tx.insert(changes).values(out.slice(i, i + 1000).map((e) => ({ ...e, data: e.data as unknown as Record<string, unknown> })));
    }
    await tx.update(organizations).set({ revision }).where(eq(organizations.id, orgId));
    await tx.execute(sql`select pg_notify(${CHANGES_CHANNEL}, ${`${orgId}:${revision}`})`);
    return out;
  }

  async createOrganization(org: OrganizationRecord, drafts: ChangeDraft[]): Promise<ChangeEvent[]> {
    return this.h.transaction(async (tx) => {
      await tx.insert(organizations).values({ ...org, ownerId: null, revision: 0 });
      const events = await this.appendAll(tx, org.id, 0, drafts);
      await tx.update(organizations).set({ ownerId: org.ownerId }).where(eq(organizations.id, org.id));
      return events;
    });
  }

  async commit(orgId: string, baseRevision: number, drafts: ChangeDraft[]): Promise<ChangeEvent[]> {
    if (drafts.length === 0) return [];
    return this.h.transaction(async (tx) => {
      const [head] = await tx.select({ revision: organizations.revision }).from(organizations).where(eq(organizations.id, orgId)).for('update');
      if (!head) throw notFound(`organization ${orgId} does not exist`);
      if (head.revision !== baseRevision) throw new StaleRevisionError();
      return this.appendAll(tx, orgId, baseRevision, drafts);
    });
  }

  async listOrganizations(): Promise<OrganizationRecord[]> {
    return this.h.db.select().from(organizations).orderBy(asc(organizations.createdAt));
  }

  async organizationByName(name: string): Promise<OrganizationRecord | null> {
    if (!storable(name)) return null;
    return (await this.h.db.select().from(organizations).where(eq(organizations.name, name)))[0] ?? null;
  }

  async organizationById(id: string): Promise<OrganizationRecord | null> {
    if (!storable(id)) return null;
    return (await this.h.db.select().from(organizations).where(eq(organizations.id, id)))[0] ?? null;
  }

  async headRevision(orgId: string): Promise<number | null> {
    return (await this.h.db.select({ revision: organizations.revision }).from(organizations).where(eq(organizations.id, orgId)))[0]?.revision ?? null;
  }

  async loadSnapshot(orgId: string): Promise<OrgSnapshot> {
    // One repeatable-read transaction: every table as of the same commit.
    return this.h.transaction(
      async (tx) => {
        const [org] = await tx.select().from(organizations).where(eq(organizations.id, orgId));
        if (!org) throw notFound(`organization ${orgId} does not exist`);
        const grantRows = await tx
          .select({ u: sql<string>`coalesce(${grants.userId}, ${grants.groupId})`, s: grants.scopeId, p: grants.permissionKey, r: grants.roleId })
          .from(grants)
          .where(and(eq(grants.orgId, orgId), isNull(grants.startsAt), isNull(grants.expiresAt)));
        const windowRows = await tx
          .select({ u: sql<string>`coalesce(${grants.userId}, ${grants.groupId})`, s: grants.scopeId, p: grants.permissionKey, r: grants.roleId, from: grants.startsAt, until: grants.expiresAt, started: grants.started })
          .from(grants)
          .where(and(eq(grants.orgId, orgId), sql`(${grants.startsAt} is not null or ${grants.expiresAt} is not null)`));
        const memberRows = await tx.select({ g: groupMembers.groupId, m: groupMembers.memberId }).from(groupMembers).where(eq(groupMembers.orgId, orgId));
        const keys = await tx.select({ u: apiKeys.userId, id: apiKeys.id }).from(apiKeys).where(and(eq(apiKeys.orgId, orgId), isNull(apiKeys.revokedAt)));
        return {
          org,
          users: await tx.select().from(users).where(eq(users.orgId, orgId)),
          scopes: await tx.select().from(scopes).where(eq(scopes.orgId, orgId)),
          permissions: await tx.select().from(permissions).where(eq(permissions.orgId, orgId)),
          roles: await withRolePermissions(tx, await tx.select().from(roles).where(eq(roles.orgId, orgId))),
          grants: grantRows.map((g) => [g.u, g.s, g.p, g.r] as [string, string | null, string | null, string | null]),
          windows: windowRows.map((g) => [g.u, g.s, g.p, g.r, g.from, g.until, g.started] as WindowedGrantRow),
          groups: await tx.select().from(groups).where(eq(groups.orgId, orgId)),
          members: memberRows.map((r) => [r.g, r.m] as [string, string]),
          liveKeys: keys.map((k) => [k.u, k.id] as [string, string]),
        };
      },
      { isolationLevel: 'repeatable read', accessMode: 'read only' },
    );
  }

  async usersByIds(orgId: string, ids: readonly string[]) {
    return orderByIds(ids, await this.h.db.select().from(users).where(and(eq(users.orgId, orgId), anyOf(users.id, ids))));
  }

  async rolesByIds(orgId: string, ids: readonly string[]) {
    const rows = await this.h.db.select().from(roles).where(and(eq(roles.orgId, orgId), anyOf(roles.id, ids)));
    return orderByIds(ids, await withRolePermissions(this.h.db, rows));
  }

  async scopesByIds(orgId: string, ids: readonly string[]) {
    return orderByIds(ids, await this.h.db.select().from(scopes).where(and(eq(scopes.orgId, orgId), anyOf(scopes.id, ids))));
  }

  async grantsByIds(orgId: string, ids: readonly string[]) {
    return orderByIds(ids, await this.h.db.select().from(grants).where(and(eq(grants.orgId, orgId), anyOf(grants.id, ids))));
  }

  async grantsOfUsers(orgId: string, userIds: readonly string[]) {
    return this.h.db.select().from(grants).where(and(eq(grants.orgId, orgId), anyOf(grants.userId, userIds))).orderBy(asc(grants.id));
  }

  groupsByIds(orgId: string, ids: readonly string[]) {
    return groupsByIds(this.h.db, orgId, ids);
  }

  grantsOfGroups(orgId: string, groupIds: readonly string[]) {
    return grantsOfGroups(this.h.db, orgId, groupIds);
  }

  listGroups(orgId: string, q: Parameters<Store['listGroups']>[1]) {
    return listGroups(this.h.db, orgId, q);
  }

  listGroupMembers(orgId: string, groupId: string, q: Parameters<Store['listGroupMembers']>[2]) {
    return listGroupMembers(this.h.db, orgId, groupId, q);
  }

  async grantsByNaturalKeys(orgId: string, keys: ReadonlyArray<GrantKey>) {
    const out: GrantRecord[] = [];
    for (const k of keys) {
      const [row] = await this.h.db.select().from(grants).where(and(eq(grants.orgId, orgId), grantByNaturalKey(k)));
      if (row) out.push(row);
    }
    return out;
  }

  async apiKeyById(id: string): Promise<ApiKeyWithHash | null> {
    if (!storable(id)) return null;
    return (await this.h.db.select().from(apiKeys).where(eq(apiKeys.id, id)))[0] ?? null;
  }

  apiKeysOfUsers(orgId: string, userIds: readonly string[]) {
    return apiKeysOfUsers(this.h.db, orgId, userIds);
  }

  listApiKeys(orgId: string, q: Parameters<Store['listApiKeys']>[1]) {
    return listApiKeys(this.h.db, orgId, q);
  }

  /** Keyset page over `id` (ids are time-ordered); the count runs only when asked. */
  private async page<T extends { id: string }>(table: PgTable & { id: PgColumn }, where: SQL | undefined, q: { after: string | null; first: number }): Promise<Page<T>> {
    const rows = (await this.h.db
      .select()
      .from(table)
      .where(and(where, q.after ? gt(table.id, q.after) : undefined))
      .orderBy(asc(table.id))
      .limit(q.first + 1)) as T[];
    const countAll = async () => (await this.h.db.select({ n: count() }).from(table).where(where))[0]?.n ?? 0;
    return { rows: rows.slice(0, q.first), hasNextPage: rows.length > q.first, count: countAll };
  }

  async listUsers(orgId: string, q: UserQuery) {
    const conds: Array<SQL | undefined> = [eq(users.orgId, orgId)];
    if (q.ids) conds.push(q.ids.length ? anyOf(users.id, q.ids) : sql`false`);
    conds.push(userSearch(users, q.search));
    return this.page<typeof users.$inferSelect>(users, and(...conds), q);
  }

  async listRoles(orgId: string, q: RoleQuery) {
    const where = and(
      eq(roles.orgId, orgId),
      q.scopeType ? eq(roles.scopeType, q.scopeType) : undefined,
      q.roleType ? eq(roles.roleType, q.roleType as 'SYSTEM' | 'CUSTOM') : undefined,
      q.includeDiscarded ? undefined : isNull(roles.discardedAt),
    );
    const p = await this.page<typeof roles.$inferSelect>(roles, where, q);
    return { ...p, rows: await withRolePermissions(this.h.db, p.rows) };
  }

  async listScopes(orgId: string, q: ScopeQuery) {
    return this.page<typeof scopes.$inferSelect>(scopes, scopeWhere(scopes, orgId, q), q);
  }

  async listGrants(orgId: string, q: GrantQuery) {
    return this.page<typeof grants.$inferSelect>(grants, grantWhere(grants, orgId, q), q);
  }

  async listChanges(orgId: string, q: ChangeQuery): Promise<Page<ChangeEvent>> {
    const where = changeWhere(changes, orgId, q, (col, values) => anyOf(col as PgColumn, values));
    const rows = await this.h.db.select().from(changes).where(and(where, gt(changes.revision, q.afterRevision))).orderBy(asc(changes.revision)).limit(q.first + 1);
    return {
      rows: rows.slice(0, q.first).map((r) => ({ ...r, type: r.type as ChangeType }) as unknown as ChangeEvent),
      hasNextPage: rows.length > q.first,
      count: async () => (await this.h.db.select({ n: count() }).from(changes).where(where))[0]?.n ?? 0,
    };
  }

  private async edgeRevision(orgId: string, which: 'oldest' | 'newest'): Promise<number | null> {
    const order = which === 'oldest' ? asc(changes.revision) : desc(changes.revision);
    return (await this.h.db.select({ revision: changes.revision }).from(changes).where(eq(changes.orgId, orgId)).orderBy(order).limit(1))[0]?.revision ?? null;
  }

  oldestRevision(orgId: string): Promise<number | null> {
    return this.edgeRevision(orgId, 'oldest');
  }

  async pruneChanges(orgId: string, keepAfterMs: number): Promise<number> {
    const newest = await this.edgeRevision(orgId, 'newest');
    if (newest === null) return 0;
    const gone = await this.h.db.delete(changes).where(and(eq(changes.orgId, orgId), lt(changes.at, keepAfterMs), lt(changes.revision, newest))).returning({ r: changes.revision });
    return gone.length;
  }

  /** Changes whenever any organization's head moves (the periodic check's fallback beside LISTEN). */
  async dataVersion(): Promise<number> {
    const [row] = await this.h.db.select({ v: sql<string>`coalesce(sum(${organizations.revision}), 0)` }).from(organizations);
    return Number(row?.v ?? 0);
  }

  close(): Promise<void> {
    return this.h.close();
  }

  // Export and import (issue 13): the SQL is in pg-transfer.ts, loaded only when used.
  async exportOrganizations(filter: { name?: string }, emit: (batch: import('./transfer-rows.js').ExportBatch) => void) {
    const { exportFromPostgres } = await import('./pg-transfer.js');
    return exportFromPostgres(this.h, filter, emit);
  }

  async importOrganizations(batches: AsyncIterable<import('./transfer-rows.js').TransferBatch>) {
    const { importIntoPostgres } = await import('./pg-transfer.js');
    return importIntoPostgres(this.h, batches);
  }
}
