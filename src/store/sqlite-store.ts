import { and, asc, eq, sql } from 'drizzle-orm';
import type { DbHandle } from '../db/client.js';
import { apiKeys, grants, groups, organizations, permissions, roles, scopes, users } from '../db/schema.js';
import { notFound, StaleRevisionError } from '../domain/errors.js';
import type { ChangeDraft, ChangeEvent, GrantRecord, OrganizationRecord } from '../domain/types.js';
import { grantsOfGroups, groupsByIds, listGroupMembers, listGroups } from './sqlite-groups.js';
import { SQLITE_BUSY_WAIT_MS, whenNotBusy } from './busy.js';
import { apiKeysOfUsers, listApiKeys } from './sqlite-keys.js';
import { applyDraft, forSubject, prepareWrites, type Writes } from './sqlite-apply.js';
import { listChanges, listGrants, listRoles, listScopes, listUsers, oldestRevision, pruneChanges, type SyncPage } from './sqlite-queries.js';
import { eventOf, orderByIds } from './rows.js';
import { inList, withRolePermissions } from './sqlite-rows.js';
import type { ApiKeyWithHash, GrantKey, GrantRow, OrgSnapshot, Page, Store, WindowedGrantRow } from './store.js';

export class SqliteStore implements Store {
  private readonly w: Writes;
  /** Every request authenticates by key id: prepared once (building the query each time cost ~100 µs). */
  private readonly keyById;
  /** How long a statement may wait, asynchronously, for another process's lock. */
  private readonly busyMs: number;

  constructor(
    private readonly h: DbHandle,
    opts: { busyTimeoutMs?: number } = {},
  ) {
    this.busyMs = opts.busyTimeoutMs ?? 5000;
    h.sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_WAIT_MS}`);
    this.w = prepareWrites(h.db, h.sqlite);
    this.keyById = h.db.select().from(apiKeys).where(eq(apiKeys.id, sql.placeholder('id'))).prepare();
  }

  /** A read (or one autocommit write) that waits out another process's lock without blocking. */
  private run<T>(step: () => T): Promise<T> {
    return whenNotBusy(step, this.busyMs);
  }

  private appendAll(orgId: string, base: number, drafts: ChangeDraft[]): ChangeEvent[] {
    const at = Date.now();
    const out: ChangeEvent[] = [];
    let revision = base;
    for (const draft of drafts) {
      const data = applyDraft(this.h.db, this.w, draft) ?? draft.data;
      revision += 1;
      const event = eventOf(draft, data, orgId, revision, at);
      const e = event;
      this.w.insertChange.run(e.orgId, e.revision, e.type, e.at, e.actorId ?? null, e.userId ?? null, e.scopeKey ?? null, e.roleId ?? null, e.groupId ?? null, e.memberGroupId ?? null, JSON.stringify(e.permissions), JSON.stringify(e.data));
      out.push(event);
    }
    this.w.setOrgHead.run({ orgId, revision });
    return out;
  }

  async createOrganization(org: OrganizationRecord, drafts: ChangeDraft[]): Promise<ChangeEvent[]> {
    const run = this.h.sqlite.transaction(() => {
      this.h.db.insert(organizations).values({ ...org, ownerId: null, revision: 0 }).run();
      const events = this.appendAll(org.id, 0, drafts);
      this.h.db.update(organizations).set({ ownerId: org.ownerId }).where(eq(organizations.id, org.id)).run();
      return events;
    });
    // The whole transaction is retried from outside: its callback stays synchronous.
    return this.run(() => run.immediate());
  }

  async commit(orgId: string, baseRevision: number, drafts: ChangeDraft[]): Promise<ChangeEvent[]> {
    if (drafts.length === 0) return [];
    const run = this.h.sqlite.transaction(() => {
      const head = this.w.orgHead.get({ orgId });
      if (!head) throw notFound(`organization ${orgId} does not exist`);
      if (head.revision !== baseRevision) throw new StaleRevisionError();
      return this.appendAll(orgId, baseRevision, drafts);
    });
    // The whole transaction is retried from outside: its callback stays synchronous.
    return this.run(() => run.immediate());
  }

  async listOrganizations(): Promise<OrganizationRecord[]> {
    return this.run(() => this.h.db.select().from(organizations).orderBy(asc(organizations.createdAt)).all());
  }

  async organizationByName(name: string): Promise<OrganizationRecord | null> {
    return this.run(() => this.h.db.select().from(organizations).where(eq(organizations.name, name)).get() ?? null);
  }

  async organizationById(id: string): Promise<OrganizationRecord | null> {
    return this.run(() => this.h.db.select().from(organizations).where(eq(organizations.id, id)).get() ?? null);
  }

  async headRevision(orgId: string): Promise<number | null> {
    return this.run(() => this.w.orgHead.get({ orgId })?.revision ?? null);
  }

  async loadSnapshot(orgId: string): Promise<OrgSnapshot> {
    // One read transaction: every table as of the same commit, even while another process writes.
    return this.run(() => this.h.sqlite.transaction(() => this.readSnapshot(orgId))());
  }

  private readSnapshot(orgId: string): OrgSnapshot {
    const { db, sqlite } = this.h;
    const org = db.select().from(organizations).where(eq(organizations.id, orgId)).get();
    if (!org) throw notFound(`organization ${orgId} does not exist`);
    // better-sqlite3 makes the objects itself: drizzle's row mapping was half of this read at 100,000 users.
    const userRows = sqlite
      .prepare('select id, org_id as orgId, email, external_id as externalId, first_name as firstName, last_name as lastName, date_joined as dateJoined from users where org_id = ?')
      .all(orgId) as OrgSnapshot['users'];
    const groupRows = db.select().from(groups).where(eq(groups.orgId, orgId)).all();
    const scopeRows = db.select().from(scopes).where(eq(scopes.orgId, orgId)).all();
    const permissionRows = db.select().from(permissions).where(eq(permissions.orgId, orgId)).all();
    const roleRows = withRolePermissions(db, db.select().from(roles).where(eq(roles.orgId, orgId)).all());
    // Each grant row repeats ids the rows above already hold: keep those strings, so a
    // million rows' copies die young instead of being promoted (peak RSS, GC time at load).
    const shared = new Map<string, string>();
    for (const r of userRows) shared.set(r.id, r.id);
    for (const r of groupRows) shared.set(r.id, r.id);
    for (const r of scopeRows) shared.set(r.id, r.id);
    for (const r of roleRows) shared.set(r.id, r.id);
    for (const r of permissionRows) shared.set(r.key, r.key);
    const intern = (v: string | null) => (v === null ? null : (shared.get(v) ?? v));
    // Four strings per row in one flat array, handed out as rows when the index reads them.
    const flat: Array<string | null> = [];
    const grantQuery = sqlite
      .prepare('select coalesce(user_id, group_id), scope_id, permission_key, role_id from grants where org_id = ? and starts_at is null and expires_at is null')
      .raw(true);
    for (const row of grantQuery.iterate(orgId) as Iterable<GrantRow>) flat.push(intern(row[0]), intern(row[1]), intern(row[2]), intern(row[3]));
    const grantRows = flatRows(flat);
    return {
      org,
      users: userRows,
      scopes: scopeRows,
      permissions: permissionRows,
      roles: roleRows,
      grants: grantRows,
      windows: (
        sqlite
          .prepare('select coalesce(user_id, group_id), scope_id, permission_key, role_id, starts_at, expires_at, started from grants where org_id = ? and (starts_at is not null or expires_at is not null)')
          .raw(true)
          .all(orgId) as WindowedGrantRow[]
      ).map((r) => [intern(r[0])!, intern(r[1]), intern(r[2]), intern(r[3]), r[4], r[5], Boolean(r[6])]),
      groups: groupRows,
      idsShared: true,
      members: (sqlite.prepare('select group_id, member_id from group_members where org_id = ?').raw(true).all(orgId) as Array<[string, string]>).map(
        ([g, m]) => [intern(g)!, intern(m)!],
      ),
      liveKeys: sqlite
        .prepare('select user_id, id from api_keys where org_id = ? and revoked_at is null')
        .raw(true)
        .all(orgId) as OrgSnapshot['liveKeys'],
    };
  }

  usersByIds(orgId: string, ids: readonly string[]) {
    return this.run(() => orderByIds(ids, this.h.db.select().from(users).where(and(eq(users.orgId, orgId), inList(users.id, ids))).all()));
  }

  rolesByIds(orgId: string, ids: readonly string[]) {
    return this.run(() => {
      const rows = this.h.db.select().from(roles).where(and(eq(roles.orgId, orgId), inList(roles.id, ids))).all();
      return orderByIds(ids, withRolePermissions(this.h.db, rows));
    });
  }

  scopesByIds(orgId: string, ids: readonly string[]) {
    return this.run(() => orderByIds(ids, this.h.db.select().from(scopes).where(and(eq(scopes.orgId, orgId), inList(scopes.id, ids))).all()));
  }

  grantsByIds(orgId: string, ids: readonly string[]) {
    return this.run(() => orderByIds(ids, this.h.db.select().from(grants).where(and(eq(grants.orgId, orgId), inList(grants.id, ids))).all()));
  }

  grantsOfUsers(orgId: string, userIds: readonly string[]) {
    return this.run(() =>
      this.h.db
        .select()
        .from(grants)
        .where(and(eq(grants.orgId, orgId), inList(grants.userId, userIds)))
        .orderBy(asc(grants.id))
        .all(),
    );
  }

  groupsByIds(orgId: string, ids: readonly string[]) {
    return this.run(() => groupsByIds(this.h.db, orgId, ids));
  }

  grantsOfGroups(orgId: string, groupIds: readonly string[]) {
    return this.run(() => grantsOfGroups(this.h.db, orgId, groupIds));
  }

  grantsByNaturalKeys(orgId: string, keys: ReadonlyArray<GrantKey>) {
    return this.run(() => {
      const out: GrantRecord[] = [];
      for (const k of keys) {
        const row = forSubject(this.w.findGrant, k).get({ ...k });
        if (row && row.orgId === orgId) out.push(row);
      }
      return out;
    });
  }

  apiKeyById(id: string): Promise<ApiKeyWithHash | null> {
    return this.run(() => this.keyById.get({ id }) ?? null);
  }

  apiKeysOfUsers(orgId: string, userIds: readonly string[]) {
    return this.run(() => apiKeysOfUsers(this.h.db, orgId, userIds));
  }

  /** A list query and, when asked, its count, each waiting out another process's lock. */
  private async page<T>(query: () => SyncPage<T>): Promise<Page<T>> {
    const p = await this.run(query);
    return { rows: p.rows, hasNextPage: p.hasNextPage, count: () => this.run(p.count) };
  }

  listUsers = (orgId: string, q: Parameters<Store['listUsers']>[1]) => this.page(() => listUsers(this.h.db, orgId, q));
  listRoles = (orgId: string, q: Parameters<Store['listRoles']>[1]) => this.page(() => listRoles(this.h.db, orgId, q));
  listScopes = (orgId: string, q: Parameters<Store['listScopes']>[1]) => this.page(() => listScopes(this.h.db, orgId, q));
  listGrants = (orgId: string, q: Parameters<Store['listGrants']>[1]) => this.page(() => listGrants(this.h.db, orgId, q));
  listGroups = (orgId: string, q: Parameters<Store['listGroups']>[1]) => this.page(() => listGroups(this.h.db, orgId, q));
  listApiKeys = (orgId: string, q: Parameters<Store['listApiKeys']>[1]) => this.page(() => listApiKeys(this.h.db, orgId, q));
  listGroupMembers = (orgId: string, groupId: string, q: Parameters<Store['listGroupMembers']>[2]) =>
    this.page(() => listGroupMembers(this.h.db, orgId, groupId, q));
  listChanges = (orgId: string, q: Parameters<Store['listChanges']>[1]) => this.page(() => listChanges(this.h.db, orgId, q));
  oldestRevision = (orgId: string) => this.run(() => oldestRevision(this.h.db, orgId));
  pruneChanges = (orgId: string, keepAfterMs: number) => this.run(() => pruneChanges(this.h.db, orgId, keepAfterMs));

  /** Changes whenever another connection commits to the database file (not for our own commits). */
  dataVersion(): Promise<number> {
    return this.run(() => this.h.sqlite.pragma('data_version', { simple: true }) as number);
  }

  async close(): Promise<void> {
    this.h.close();
  }

  // Export and import (issue 13): the SQL is in sqlite-transfer.ts, loaded only when used.
  async exportOrganizations(filter: { name?: string }, emit: (batch: import('./transfer-rows.js').ExportBatch) => void) {
    const { exportFromSqlite } = await import('./sqlite-transfer.js');
    return this.run(() => this.h.sqlite.transaction(() => exportFromSqlite(this.h.sqlite, filter, emit))());
  }

  async importOrganizations(batches: AsyncIterable<import('./transfer-rows.js').TransferBatch>) {
    const { importIntoSqlite } = await import('./sqlite-transfer.js');
    return importIntoSqlite(this.h, batches, this.busyMs);
  }
}

/** Rows of four from a flat array, each a fresh tuple (they die young: the index keeps the strings, not the rows). */
function flatRows(flat: ReadonlyArray<string | null>): Iterable<GrantRow> {
  return {
    *[Symbol.iterator]() {
      for (let i = 0; i < flat.length; i += 4) yield [flat[i] as string, flat[i + 1] as string | null, flat[i + 2] as string | null, flat[i + 3] as string | null];
    },
  };
}
