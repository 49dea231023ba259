import type Database from 'better-sqlite3';
import { openDatabase, type DbHandle } from '../db/client.js';
import { notFound } from '../domain/errors.js';
import type { OrganizationRecord } from '../domain/types.js';
import { SQLITE_BUSY_WAIT_MS, whenNotBusy } from './busy.js';
import { loadTransfer, type TransferTarget } from './transfer-load.js';
import { StoredJson, zeroCounts, type ExportBatch, type ExportedRows, type TransferBatch, type TransferKind, type TransferSummary } from './transfer-rows.js';

/** Page cache of the import's own connection, in KiB (see importIntoSqlite). */
const IMPORT_CACHE_KIB = 32 * 1024;

/** Rows handed to `emit` at a time: big enough that a call costs nothing, small enough to stay flat in memory. */
const EXPORT_BATCH = 1000;

const ORG_COLUMNS = 'id, name, owner_id as ownerId, revision, created_at as createdAt';
const SELECT: Record<Exclude<TransferKind, 'organization'>, string> = {
  permission: 'select org_id as orgId, key, description, level, resource_types as resourceTypes, grantable, built_in as builtIn from permissions where org_id = ? order by key',
  role: 'select id, org_id as orgId, name, description, role_type as roleType, scope_type as scopeType, is_default as isDefault, discarded_at as discardedAt, created_at as createdAt, updated_at as updatedAt from roles where org_id = ? order by id',
  scope: 'select id, org_id as orgId, key, type, name, parent_id as parentId, created_at as createdAt from scopes where org_id = ? order by id',
  user: 'select id, org_id as orgId, email, external_id as externalId, first_name as firstName, last_name as lastName, date_joined as dateJoined from users where org_id = ? order by id',
  group: 'select id, org_id as orgId, key, name, description, created_at as createdAt, updated_at as updatedAt from groups where org_id = ? order by id',
  groupMember: 'select org_id as orgId, group_id as groupId, member_id as memberId, created_at as createdAt, created_by as createdBy from group_members where org_id = ? order by group_id, member_id',
  grant:
    'select id, org_id as orgId, user_id as userId, group_id as groupId, scope_id as scopeId, permission_key as permissionKey, role_id as roleId, created_at as createdAt, created_by as createdBy, starts_at as startsAt, expires_at as expiresAt, started from grants where org_id = ? order by id',
  apiKey: 'select id, org_id as orgId, user_id as userId, name, hash, created_at as createdAt, expires_at as expiresAt, revoked_at as revokedAt from api_keys where org_id = ? order by id',
  change:
    'select org_id as orgId, revision, type, at, actor_id as actorId, user_id as userId, scope_key as scopeKey, role_id as roleId, group_id as groupId, member_group_id as memberGroupId, permissions, data from changes where org_id = ? order by revision',
};

type Raw = Record<string, unknown>;

/** SQLite's column values → the records' types (0/1 booleans, JSON text). */
type RolePermissions = (roleId: string) => string[];
const FROM_ROW: { [K in Exclude<TransferKind, 'organization'>]: (r: Raw, rolePermissions: RolePermissions) => ExportedRows[K] } = {
  permission: (r) => ({ ...r, resourceTypes: JSON.parse(r.resourceTypes as string), grantable: r.grantable === 1, builtIn: r.builtIn === 1 }) as ExportedRows['permission'],
  role: (r, rolePermissions) => ({ ...(r as Omit<ExportedRows['role'], 'isDefault' | 'permissions'>), isDefault: r.isDefault === 1, permissions: rolePermissions(r.id as string) }),
  scope: (r) => r as unknown as ExportedRows['scope'],
  user: (r) => r as unknown as ExportedRows['user'],
  group: (r) => r as unknown as ExportedRows['group'],
  groupMember: (r) => r as unknown as ExportedRows['groupMember'],
  grant: (r) => {
    r.started = r.started === 1;
    return r as unknown as ExportedRows['grant'];
  },
  apiKey: (r) => r as unknown as ExportedRows['apiKey'],
  // The log's bulk: its JSON goes into the file as stored (written by JSON.stringify).
  change: (r) => {
    r.permissions = new StoredJson(r.permissions as string);
    r.data = new StoredJson(r.data as string);
    return r as unknown as ExportedRows['change'];
  },
};

const EXPORT_KINDS = Object.keys(SELECT) as Array<keyof typeof SELECT>;

/**
 * Every row of the organizations (the one named, or all, oldest first), kind by kind in
 * load order, iterated so memory stays flat whatever the size. The caller runs it in one
 * read transaction: the first statement (the organizations) fixes the snapshot before
 * anything is emitted, so a busy database can only refuse it before the first row.
 */
export function exportFromSqlite(sqlite: Database.Database, filter: { name?: string }, emit: (batch: ExportBatch) => void): TransferSummary {
  const orgs = (filter.name === undefined
    ? sqlite.prepare(`select ${ORG_COLUMNS} from organizations order by created_at, id`).all()
    : sqlite.prepare(`select ${ORG_COLUMNS} from organizations where name = ?`).all(filter.name)) as OrganizationRecord[];
  if (filter.name !== undefined && orgs.length === 0) throw notFound(`organization "${filter.name}" does not exist`);
  const summary: TransferSummary = { organizations: [], counts: zeroCounts() };
  const statements = EXPORT_KINDS.map((kind) => [kind, sqlite.prepare(SELECT[kind])] as const);
  const rolePermissionKeys = sqlite.prepare('select permission_key from role_permissions where role_id = ? order by permission_key').pluck();
  const rolePermissions = (roleId: string) => rolePermissionKeys.all(roleId) as string[];
  for (const org of orgs) {
    emit({ kind: 'organization', rows: [org] });
    summary.counts.organization += 1;
    for (const [kind, statement] of statements) {
      const convert = FROM_ROW[kind] as (r: Raw, rolePermissions: RolePermissions) => never;
      let rows: never[] = [];
      const flush = () => {
        if (rows.length === 0) return;
        emit({ kind, rows });
        summary.counts[kind] += rows.length;
        rows = [];
      };
      // Roles are few and read their permissions as they go: read whole, not through an open iterator.
      const source = (kind === 'role' ? statement.all(org.id) : statement.iterate(org.id)) as Iterable<Raw>;
      for (const raw of source) {
        rows.push(convert(raw, rolePermissions));
        if (rows.length === EXPORT_BATCH) flush();
      }
      flush();
    }
    summary.organizations.push({ id: org.id, name: org.name, revision: org.revision });
  }
  return summary;
}

const bool = (v: boolean) => (v ? 1 : 0);

/** The loader's SQL on one connection, inside the transaction importIntoSqlite holds. */
function sqliteTarget(c: Database.Database): TransferTarget {
  const s = {
    taken: c.prepare('select id, name from organizations where id = ? or name = ?'),
    organization: c.prepare('insert into organizations (id, name, owner_id, revision, created_at) values (?, ?, ?, ?, ?)'),
    permission: c.prepare('insert into permissions (org_id, key, description, level, resource_types, grantable, built_in) values (?, ?, ?, ?, ?, ?, ?)'),
    role: c.prepare('insert into roles (id, org_id, name, description, role_type, scope_type, is_default, discarded_at, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    rolePermission: c.prepare('insert into role_permissions (role_id, org_id, permission_key) values (?, ?, ?)'),
    scope: c.prepare('insert into scopes (id, org_id, key, type, name, parent_id, created_at) values (?, ?, ?, ?, ?, ?, ?)'),
    scopeParent: c.prepare('update scopes set parent_id = ? where id = ?'),
    user: c.prepare('insert into users (id, org_id, email, external_id, first_name, last_name, date_joined) values (?, ?, ?, ?, ?, ?, ?)'),
    group: c.prepare('insert into groups (id, org_id, key, name, description, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)'),
    groupMember: c.prepare('insert into group_members (org_id, group_id, member_id, created_at, created_by) values (?, ?, ?, ?, ?)'),
    grant: c.prepare(
      'insert into grants (id, org_id, user_id, group_id, scope_id, permission_key, role_id, created_at, created_by, starts_at, expires_at, started) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    apiKey: c.prepare('insert into api_keys (id, org_id, user_id, name, hash, created_at, expires_at, revoked_at) values (?, ?, ?, ?, ?, ?, ?, ?)'),
    change: c.prepare(
      'insert into changes (org_id, revision, type, at, actor_id, user_id, scope_key, role_id, group_id, member_group_id, permissions, data) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
  };
  return {
    taken(org) {
      const row = s.taken.get(org.id, org.name) as { id: string; name: string } | undefined;
      if (!row) return null;
      return row.id === org.id ? `organization ${org.id} ("${row.name}") already exists in this database` : `an organization named "${org.name}" already exists in this database (id ${row.id})`;
    },
    insert(batch) {
      switch (batch.kind) {
        case 'organization':
          for (const o of batch.rows) s.organization.run(o.id, o.name, o.ownerId, o.revision, o.createdAt);
          return;
        case 'permission':
          for (const p of batch.rows) s.permission.run(p.orgId, p.key, p.description, p.level, JSON.stringify(p.resourceTypes), bool(p.grantable), bool(p.builtIn));
          return;
        case 'role':
          for (const r of batch.rows) {
            s.role.run(r.id, r.orgId, r.name, r.description, r.roleType, r.scopeType, bool(r.isDefault), r.discardedAt, r.createdAt, r.updatedAt);
            for (const k of r.permissions) s.rolePermission.run(r.id, r.orgId, k);
          }
          return;
        case 'scope':
          for (const x of batch.rows) s.scope.run(x.id, x.orgId, x.key, x.type, x.name, x.parentId, x.createdAt);
          return;
        case 'user':
          for (const u of batch.rows) s.user.run(u.id, u.orgId, u.email, u.externalId, u.firstName, u.lastName, u.dateJoined);
          return;
        case 'group':
          for (const g of batch.rows) s.group.run(g.id, g.orgId, g.key, g.name, g.description, g.createdAt, g.updatedAt);
          return;
        case 'groupMember':
          for (const m of batch.rows) s.groupMember.run(m.orgId, m.groupId, m.memberId, m.createdAt, m.createdBy);
          return;
        case 'grant':
          for (const g of batch.rows) s.grant.run(g.id, g.orgId, g.userId, g.groupId, g.scopeId, g.permissionKey, g.roleId, g.createdAt, g.createdBy, g.startsAt, g.expiresAt, bool(g.started));
          return;
        case 'apiKey':
          for (const k of batch.rows) s.apiKey.run(k.id, k.orgId, k.userId, k.name, k.hash, k.createdAt, k.expiresAt, k.revokedAt);
          return;
        case 'change':
          for (const e of batch.rows) {
            s.change.run(e.orgId, e.revision, e.type, e.at, e.actorId, e.userId, e.scopeKey, e.roleId, e.groupId ?? null, e.memberGroupId ?? null, JSON.stringify(e.permissions), JSON.stringify(e.data));
          }
          return;
      }
    },
    setScopeParents(pairs) {
      for (const p of pairs) s.scopeParent.run(p.parentId, p.id);
    },
    finish() {
      // Nothing to announce: a server on this file sees its data version move at commit.
    },
    rowError(err) {
      const code = (err as { code?: unknown }).code;
      return typeof code === 'string' && /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG)/.test(code) ? (err as Error).message : null;
    },
  };
}

/**
 * Loads exported rows in one write transaction (BEGIN IMMEDIATE … COMMIT) that spans the
 * reading of the whole input, so a refused or broken input writes nothing. It runs on a
 * connection of its own (a file database; ':memory:' has only the one), so the store's
 * other callers neither join the transaction nor see it before it commits; a server on the
 * same file hears of it as of any other process's commit (its data version moves).
 */
export async function importIntoSqlite(h: DbHandle, batches: AsyncIterable<TransferBatch>, busyMs: number): Promise<TransferSummary> {
  const own = h.sqlite.memory ? null : openDatabase(h.sqlite.name);
  const c = own?.sqlite ?? h.sqlite;
  try {
    c.pragma(`busy_timeout = ${SQLITE_BUSY_WAIT_MS}`);
    // SQLite's default page cache is 2 MB: at a million grants this one cut the import's
    // system time by a third (fewer reads of index pages); 128 MB was no faster, and 140 MB bigger.
    if (own) c.pragma(`cache_size = -${IMPORT_CACHE_KIB}`);
    await whenNotBusy(() => c.exec('BEGIN IMMEDIATE'), busyMs);
    try {
      const summary = await loadTransfer(batches, sqliteTarget(c));
      c.exec('COMMIT');
      return summary;
    } finally {
      if (c.inTransaction) c.exec('ROLLBACK');
    }
  } finally {
    own?.close();
  }
}
