import { and, asc, eq, gt, or, sql, type SQL } from 'drizzle-orm';
import { CHANGES_CHANNEL, type PgHandle } from '../db/pg-client.js';
import { apiKeys, changes, grants, organizations, permissions, roles, scopes, users } from '../db/pg-schema.js';
import { notFound } from '../domain/errors.js';
import type { ChangeType, OrganizationRecord } from '../domain/types.js';
import { withRolePermissions, type PgExec } from './pg-apply.js';
import { loadTransfer, type TransferTarget } from './transfer-load.js';
import { zeroCounts, type TransferBatch, type TransferKind, type TransferRows, type TransferSummary } from './transfer-rows.js';

/** Rows per keyset page on export and per insert on import: memory stays flat, round trips few. */
const PAGE = 5000;

type Paged = Exclude<TransferKind, 'organization'>;
type Cursor = string | number | null;

/** One keyset page of each kind: rows of the organization after `after` (a key, id or revision), in that order. */
const PAGES: { [K in Paged]: (tx: PgExec, orgId: string, after: Cursor) => Promise<Array<TransferRows[K]>> } = {
  permission: (tx, orgId, after) =>
    tx.select().from(permissions).where(and(eq(permissions.orgId, orgId), after === null ? undefined : gt(permissions.key, String(after)))).orderBy(asc(permissions.key)).limit(PAGE),
  role: async (tx, orgId, after) =>
    withRolePermissions(tx, await tx.select().from(roles).where(and(eq(roles.orgId, orgId), after === null ? undefined : gt(roles.id, String(after)))).orderBy(asc(roles.id)).limit(PAGE)),
  scope: (tx, orgId, after) => tx.select().from(scopes).where(and(eq(scopes.orgId, orgId), after === null ? undefined : gt(scopes.id, String(after)))).orderBy(asc(scopes.id)).limit(PAGE),
  user: (tx, orgId, after) => tx.select().from(users).where(and(eq(users.orgId, orgId), after === null ? undefined : gt(users.id, String(after)))).orderBy(asc(users.id)).limit(PAGE),
  grant: (tx, orgId, after) => tx.select().from(grants).where(and(eq(grants.orgId, orgId), after === null ? undefined : gt(grants.id, String(after)))).orderBy(asc(grants.id)).limit(PAGE),
  apiKey: (tx, orgId, after) => tx.select().from(apiKeys).where(and(eq(apiKeys.orgId, orgId), after === null ? undefined : gt(apiKeys.id, String(after)))).orderBy(asc(apiKeys.id)).limit(PAGE),
  change: async (tx, orgId, after) =>
    (await tx.select().from(changes).where(and(eq(changes.orgId, orgId), after === null ? undefined : gt(changes.revision, Number(after)))).orderBy(asc(changes.revision)).limit(PAGE)).map(
      (c) => ({ ...c, type: c.type as ChangeType, data: c.data as unknown as TransferRows['change']['data'] }),
    ),
};
const PAGED_KINDS = Object.keys(PAGES) as Paged[];

function keyOf(kind: Paged, row: TransferRows[Paged]): Cursor {
  if (kind === 'permission') return (row as TransferRows['permission']).key;
  if (kind === 'change') return (row as TransferRows['change']).revision;
  return (row as { id: string }).id;
}

/**
 * Every row of the organizations (the one named, or all, oldest first), kind by kind in
 * load order, in one repeatable-read, read-only transaction (one snapshot, whatever other
 * replicas commit meanwhile), read in keyset pages so memory stays flat. `emit` is called
 * between pages and must be synchronous.
 */
export async function exportFromPostgres(h: PgHandle, filter: { name?: string }, emit: (batch: TransferBatch) => void): Promise<TransferSummary> {
  return h.db.transaction(
    async (tx) => {
      const orgs = await tx
        .select()
        .from(organizations)
        .where(filter.name === undefined ? undefined : eq(organizations.name, filter.name))
        .orderBy(asc(organizations.createdAt), asc(organizations.id));
      if (filter.name !== undefined && orgs.length === 0) throw notFound(`organization "${filter.name}" does not exist`);
      const summary: TransferSummary = { organizations: [], counts: zeroCounts() };
      for (const org of orgs) {
        emit({ kind: 'organization', rows: [org] });
        summary.counts.organization += 1;
        for (const kind of PAGED_KINDS) {
          for (let after: Cursor = null; ; ) {
            const rows = await PAGES[kind](tx, org.id, after);
            if (rows.length > 0) {
              emit({ kind, rows } as TransferBatch);
              summary.counts[kind] += rows.length;
            }
            if (rows.length < PAGE) break;
            after = keyOf(kind, rows.at(-1)!);
          }
        }
        summary.organizations.push({ id: org.id, name: org.name, revision: org.revision });
      }
      return summary;
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/**
 * `insert … select … from json_to_recordset($1)`: one parameter per batch, whatever its
 * size (a multi-row VALUES list would bind one per cell, up to PostgreSQL's 65,535).
 * `columns` are [table column, JSON field, SQL type].
 */
function insertJson(table: string, columns: Array<[string, string, string]>, rows: unknown[]): SQL {
  const target = columns.map(([c]) => c).join(', ');
  const fields = columns.map(([, f]) => `"${f}"`).join(', ');
  const types = columns.map(([, f, t]) => `"${f}" ${t}`).join(', ');
  return sql`insert into ${sql.raw(table)} (${sql.raw(target)}) select ${sql.raw(fields)} from json_to_recordset(${JSON.stringify(rows)}::json) as r(${sql.raw(types)})`;
}

const COLUMNS: Record<Exclude<TransferKind, 'role'> | 'rolePermission', [string, Array<[string, string, string]>]> = {
  organization: ['organizations', [['id', 'id', 'text'], ['name', 'name', 'text'], ['owner_id', 'ownerId', 'text'], ['revision', 'revision', 'bigint'], ['created_at', 'createdAt', 'bigint']]],
  permission: ['permissions', [['org_id', 'orgId', 'text'], ['key', 'key', 'text'], ['description', 'description', 'text'], ['level', 'level', 'text'], ['resource_types', 'resourceTypes', 'jsonb'], ['grantable', 'grantable', 'boolean'], ['built_in', 'builtIn', 'boolean']]],
  rolePermission: ['role_permissions', [['role_id', 'roleId', 'text'], ['org_id', 'orgId', 'text'], ['permission_key', 'permissionKey', 'text']]],
  scope: ['scopes', [['id', 'id', 'text'], ['org_id', 'orgId', 'text'], ['key', 'key', 'text'], ['type', 'type', 'text'], ['name', 'name', 'text'], ['parent_id', 'parentId', 'text'], ['created_at', 'createdAt', 'bigint']]],
  user: ['users', [['id', 'id', 'text'], ['org_id', 'orgId', 'text'], ['email', 'email', 'text'], ['external_id', 'externalId', 'text'], ['first_name', 'firstName', 'text'], ['last_name', 'lastName', 'text'], ['date_joined', 'dateJoined', 'bigint']]],
  grant: ['grants', [['id', 'id', 'text'], ['org_id', 'orgId', 'text'], ['user_id', 'userId', 'text'], ['scope_id', 'scopeId', 'text'], ['permission_key', 'permissionKey', 'text'], ['role_id', 'roleId', 'text'], ['created_at', 'createdAt', 'bigint'], ['created_by', 'createdBy', 'text']]],
  apiKey: ['api_keys', [['id', 'id', 'text'], ['org_id', 'orgId', 'text'], ['user_id', 'userId', 'text'], ['name', 'name', 'text'], ['hash', 'hash', 'text'], ['created_at', 'createdAt', 'bigint'], ['expires_at', 'expiresAt', 'bigint'], ['revoked_at', 'revokedAt', 'bigint']]],
  change: ['changes', [['org_id', 'orgId', 'text'], ['revision', 'revision', 'bigint'], ['type', 'type', 'text'], ['at', 'at', 'bigint'], ['actor_id', 'actorId', 'text'], ['user_id', 'userId', 'text'], ['scope_key', 'scopeKey', 'text'], ['role_id', 'roleId', 'text'], ['permissions', 'permissions', 'jsonb'], ['data', 'data', 'jsonb']]],
};
const ROLE_COLUMNS: Array<[string, string, string]> = [['id', 'id', 'text'], ['org_id', 'orgId', 'text'], ['name', 'name', 'text'], ['description', 'description', 'text'], ['role_type', 'roleType', 'text'], ['scope_type', 'scopeType', 'text'], ['is_default', 'isDefault', 'boolean'], ['discarded_at', 'discardedAt', 'bigint'], ['created_at', 'createdAt', 'bigint'], ['updated_at', 'updatedAt', 'bigint']];

async function insertRows(tx: PgExec, kind: keyof typeof COLUMNS | 'role', rows: unknown[]): Promise<void> {
  const [table, columns] = kind === 'role' ? ['roles', ROLE_COLUMNS] : COLUMNS[kind];
  for (let i = 0; i < rows.length; i += PAGE) await tx.execute(insertJson(table, columns, rows.slice(i, i + PAGE)));
}

function pgTarget(tx: PgExec): TransferTarget {
  return {
    async taken(org) {
      const [row] = await tx.select({ id: organizations.id, name: organizations.name }).from(organizations).where(or(eq(organizations.id, org.id), eq(organizations.name, org.name))).limit(1);
      if (!row) return null;
      return row.id === org.id ? `organization ${org.id} ("${row.name}") already exists in this database` : `an organization named "${org.name}" already exists in this database (id ${row.id})`;
    },
    async insert(batch) {
      if (batch.kind !== 'role') return insertRows(tx, batch.kind, batch.rows);
      await insertRows(tx, 'role', batch.rows.map(({ permissions: _p, ...role }) => role));
      await insertRows(tx, 'rolePermission', batch.rows.flatMap((r) => r.permissions.map((permissionKey) => ({ roleId: r.id, orgId: r.orgId, permissionKey }))));
    },
    async setScopeParents(pairs) {
      for (let i = 0; i < pairs.length; i += PAGE) {
        const json = JSON.stringify(pairs.slice(i, i + PAGE));
        await tx.execute(sql`update scopes set parent_id = p."parentId" from json_to_recordset(${json}::json) as p(id text, "parentId" text) where scopes.id = p.id`);
      }
    },
    async finish(org: OrganizationRecord) {
      // Once per organization, delivered at commit: every replica loads it at once (the
      // head check would find it within a second too; a NOTIFY per row would flood them).
      await tx.execute(sql`select pg_notify(${CHANGES_CHANNEL}, ${`${org.id}:${org.revision}`})`);
    },
    rowError(err) {
      const e = ((err as { cause?: unknown }).cause ?? err) as { code?: unknown; message?: string; detail?: string };
      // SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation): the rows, not the database.
      if (typeof e.code !== 'string' || !/^2[23]/.test(e.code)) return null;
      return e.detail ? `${e.message} (${e.detail})` : (e.message ?? String(err));
    },
  };
}

/** Loads exported rows in one transaction that spans the reading of the whole input: a refused or broken input writes nothing. */
export async function importIntoPostgres(h: PgHandle, batches: AsyncIterable<TransferBatch>): Promise<TransferSummary> {
  return h.db.transaction((tx) => loadTransfer(batches, pgTarget(tx)));
}
