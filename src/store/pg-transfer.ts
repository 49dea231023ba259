import { and, asc, eq, getTableColumns, gt, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { CHANGES_CHANNEL, type PgDb, type PgHandle } from '../db/pg-client.js';
import * as schema from '../db/pg-schema.js';
import { apiKeys, changes, grants, groupMembers, groups, organizations, permissions, roles, scopes, users } from '../db/pg-schema.js';
import { badInput, notFound } from '../domain/errors.js';
import type { ChangeType, OrganizationRecord } from '../domain/types.js';
import { withRolePermissions, type PgExec } from './pg-apply.js';
import { FailedBatch, loadTransfer, type TransferTarget } from './transfer-load.js';
import { StoredJson, zeroCounts, type ExportBatch, type ExportedRows, type TransferBatch, type TransferKind, type TransferSummary } from './transfer-rows.js';

/** Rows per keyset page on export and per insert on import: memory stays flat, round trips few. */
const PAGE = 5000;

/**
 * Statements of an export or import may run long (a million rows' foreign keys validated
 * in one, a page read on a loaded machine), longer than the pool's bound on a query's
 * answer, which is for serving: each runs on a connection of its own with this bound.
 */
const TRANSFER_QUERY_TIMEOUT_MS = 10 * 60_000;

async function transferClient(h: PgHandle, role: 'export' | 'import'): Promise<pg.Client> {
  const client = new pg.Client({ ...h.config, query_timeout: TRANSFER_QUERY_TIMEOUT_MS, application_name: `${h.config.application_name ?? 'grantql'}-${role}` });
  client.on('error', () => {}); // surfaces as the next query's error
  await client.connect();
  return client;
}

type Paged = Exclude<TransferKind, 'organization'>;
const { permissions: _permissions, data: _data, ...CHANGE_COLUMNS } = getTableColumns(changes);
/** Where a page starts: after a key, an id, a revision, or a membership's (group, member) pair. */
type Cursor = string | number | readonly [string, string] | null;

/** One keyset page of each kind: rows of the organization after `after` (a key, id, revision or pair), in that order. */
const PAGES: { [K in Paged]: (tx: PgExec, orgId: string, after: Cursor) => Promise<Array<ExportedRows[K]>> } = {
  permission: (tx, orgId, after) =>
    tx.select().from(permissions).where(and(eq(permissions.orgId, orgId), after === null ? undefined : gt(permissions.key, String(after)))).orderBy(asc(permissions.key)).limit(PAGE),
  role: async (tx, orgId, after) =>
    withRolePermissions(tx, await tx.select().from(roles).where(and(eq(roles.orgId, orgId), after === null ? undefined : gt(roles.id, String(after)))).orderBy(asc(roles.id)).limit(PAGE)),
  scope: (tx, orgId, after) => tx.select().from(scopes).where(and(eq(scopes.orgId, orgId), after === null ? undefined : gt(scopes.id, String(after)))).orderBy(asc(scopes.id)).limit(PAGE),
  user: (tx, orgId, after) => tx.select().from(users).where(and(eq(users.orgId, orgId), after === null ? undefined : gt(users.id, String(after)))).orderBy(asc(users.id)).limit(PAGE),
  group: (tx, orgId, after) => tx.select().from(groups).where(and(eq(groups.orgId, orgId), after === null ? undefined : gt(groups.id, String(after)))).orderBy(asc(groups.id)).limit(PAGE),
  groupMember: (tx, orgId, after) => {
    const [g, m] = (after ?? ['', '']) as readonly [string, string];
    return tx
      .select()
      .from(groupMembers)
      .where(and(eq(groupMembers.orgId, orgId), after === null ? undefined : sql`(${groupMembers.groupId}, ${groupMembers.memberId}) > (${g}, ${m})`))
      .orderBy(asc(groupMembers.groupId), asc(groupMembers.memberId))
      .limit(PAGE);
  },
  grant: (tx, orgId, after) => tx.select().from(grants).where(and(eq(grants.orgId, orgId), after === null ? undefined : gt(grants.id, String(after)))).orderBy(asc(grants.id)).limit(PAGE),
  apiKey: (tx, orgId, after) => tx.select().from(apiKeys).where(and(eq(apiKeys.orgId, orgId), after === null ? undefined : gt(apiKeys.id, String(after)))).orderBy(asc(apiKeys.id)).limit(PAGE),
  // The log's bulk: its JSON as PostgreSQL prints it (valid JSON, other spacing), never parsed here.
  change: async (tx, orgId, after) =>
    (
      await tx
        .select({ ...CHANGE_COLUMNS, permissions: sql<string>`${changes.permissions}::text`, data: sql<string>`${changes.data}::text` })
        .from(changes)
        .where(and(eq(changes.orgId, orgId), after === null ? undefined : gt(changes.revision, Number(after))))
        .orderBy(asc(changes.revision))
        .limit(PAGE)
    ).map((c) => ({ ...c, type: c.type as ChangeType, permissions: new StoredJson(c.permissions), data: new StoredJson(c.data) })),
};
const PAGED_KINDS = Object.keys(PAGES) as Paged[];

function keyOf(kind: Paged, row: ExportedRows[Paged]): Cursor {
  if (kind === 'permission') return (row as ExportedRows['permission']).key;
  if (kind === 'change') return (row as ExportedRows['change']).revision;
  if (kind === 'groupMember') return [(row as ExportedRows['groupMember']).groupId, (row as ExportedRows['groupMember']).memberId];
  return (row as { id: string }).id;
}

/**
 * Every row of the organizations (the one named, or all, oldest first), kind by kind in
 * load order, in one repeatable-read, read-only transaction (one snapshot, whatever other
 * replicas commit meanwhile), read in keyset pages so memory stays flat. `emit` is called
 * between pages and must be synchronous.
 */
export async function exportFromPostgres(h: PgHandle, filter: { name?: string }, emit: (batch: ExportBatch) => void): Promise<TransferSummary> {
  const client = await transferClient(h, 'export');
  try {
    return await readAll(drizzle(client, { schema }), filter, emit);
  } finally {
    await client.end().catch(() => {});
  }
}

function readAll(db: PgDb, filter: { name?: string }, emit: (batch: ExportBatch) => void): Promise<TransferSummary> {
  return db.transaction(
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
          // The next page is asked for before this one is written: PostgreSQL reads while we write.
          for (let page = PAGES[kind](tx, org.id, null); ; ) {
            const rows = await page;
            const more = rows.length === PAGE;
            if (more) {
              page = PAGES[kind](tx, org.id, keyOf(kind, rows.at(-1)!));
              page.catch(() => {}); // awaited next turn; if writing fails first, it must not go unhandled
            }
            if (rows.length > 0) {
              emit({ kind, rows } as ExportBatch);
              summary.counts[kind] += rows.length;
            }
            if (!more) break;
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
 * `columns` are [table column, JSON field, SQL type]; other fields of the rows are ignored.
 */
function insertJson(table: string, columns: Array<[string, string, string]>): string {
  const target = columns.map(([c]) => c).join(', ');
  const fields = columns.map(([, f]) => `"${f}"`).join(', ');
  const types = columns.map(([, f, t]) => `"${f}" ${t}`).join(', ');
  return `insert into ${table} (${target}) select ${fields} from json_to_recordset($1::json) as r(${types})`;
}

const col = (c: string, f: string, t: string): [string, string, string] => [c, f, t];
const INSERT: Record<Exclude<TransferKind, 'role'> | 'roleRow' | 'rolePermission', string> = {
  organization: insertJson('organizations', [col('id', 'id', 'text'), col('name', 'name', 'text'), col('owner_id', 'ownerId', 'text'), col('revision', 'revision', 'bigint'), col('created_at', 'createdAt', 'bigint')]),
  permission: insertJson('permissions', [
    col('org_id', 'orgId', 'text'), col('key', 'key', 'text'), col('description', 'description', 'text'), col('level', 'level', 'text'),
    col('resource_types', 'resourceTypes', 'jsonb'), col('grantable', 'grantable', 'boolean'), col('built_in', 'builtIn', 'boolean'),
  ]),
  roleRow: insertJson('roles', [
    col('id', 'id', 'text'), col('org_id', 'orgId', 'text'), col('name', 'name', 'text'), col('description', 'description', 'text'), col('role_type', 'roleType', 'text'),
    col('scope_type', 'scopeType', 'text'), col('is_default', 'isDefault', 'boolean'), col('discarded_at', 'discardedAt', 'bigint'), col('created_at', 'createdAt', 'bigint'), col('updated_at', 'updatedAt', 'bigint'),
  ]),
  rolePermission: insertJson('role_permissions', [col('role_id', 'roleId', 'text'), col('org_id', 'orgId', 'text'), col('permission_key', 'permissionKey', 'text')]),
  scope: insertJson('scopes', [col('id', 'id', 'text'), col('org_id', 'orgId', 'text'), col('key', 'key', 'text'), col('type', 'type', 'text'), col('name', 'name', 'text'), col('parent_id', 'parentId', 'text'), col('created_at', 'createdAt', 'bigint')]),
  user: insertJson('users', [
    col('id', 'id', 'text'), col('org_id', 'orgId', 'text'), col('email', 'email', 'text'), col('external_id', 'externalId', 'text'),
    col('first_name', 'firstName', 'text'), col('last_name', 'lastName', 'text'), col('date_joined', 'dateJoined', 'bigint'),
  ]),
  group: insertJson('groups', [
    col('id', 'id', 'text'), col('org_id', 'orgId', 'text'), col('key', 'key', 'text'), col('name', 'name', 'text'), col('description', 'description', 'text'),
    col('created_at', 'createdAt', 'bigint'), col('updated_at', 'updatedAt', 'bigint'),
  ]),
  groupMember: insertJson('group_members', [
    col('org_id', 'orgId', 'text'), col('group_id', 'groupId', 'text'), col('member_id', 'memberId', 'text'), col('created_at', 'createdAt', 'bigint'), col('created_by', 'createdBy', 'text'),
  ]),
  grant: insertJson('grants', [
    col('id', 'id', 'text'), col('org_id', 'orgId', 'text'), col('user_id', 'userId', 'text'), col('group_id', 'groupId', 'text'), col('scope_id', 'scopeId', 'text'),
    col('permission_key', 'permissionKey', 'text'), col('role_id', 'roleId', 'text'), col('created_at', 'createdAt', 'bigint'), col('created_by', 'createdBy', 'text'),
    col('starts_at', 'startsAt', 'bigint'), col('expires_at', 'expiresAt', 'bigint'), col('started', 'started', 'boolean'),
  ]),
  apiKey: insertJson('api_keys', [
    col('id', 'id', 'text'), col('org_id', 'orgId', 'text'), col('user_id', 'userId', 'text'), col('name', 'name', 'text'), col('hash', 'hash', 'text'),
    col('created_at', 'createdAt', 'bigint'), col('expires_at', 'expiresAt', 'bigint'), col('revoked_at', 'revokedAt', 'bigint'),
  ]),
  change: insertJson('changes', [
    col('org_id', 'orgId', 'text'), col('revision', 'revision', 'bigint'), col('type', 'type', 'text'), col('at', 'at', 'bigint'), col('actor_id', 'actorId', 'text'),
    col('user_id', 'userId', 'text'), col('scope_key', 'scopeKey', 'text'), col('role_id', 'roleId', 'text'), col('group_id', 'groupId', 'text'), col('member_group_id', 'memberGroupId', 'text'),
    col('permissions', 'permissions', 'jsonb'), col('data', 'data', 'jsonb'),
  ]),
};

type Query = (text: string, values?: unknown[]) => Promise<pg.QueryResult>;

/** The tables an import loads, whose foreign keys an import into an empty database sets aside. */
const LOADED_TABLES = ['users', 'scopes', 'permissions', 'roles', 'role_permissions', 'groups', 'group_members', 'grants', 'api_keys', 'changes'];
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Into a database without any organization, the foreign keys of the loaded tables are
 * dropped for the import and added again before it commits (which checks every row at
 * once, a scan per key): PostgreSQL otherwise checks each key of each row with a query of
 * its own, over half the time of an import. Dropping takes the tables' locks until commit;
 * with no organization there is nobody to keep waiting but an idle replica's head check.
 * Into a database that serves organizations, rows are checked one by one and nobody waits.
 */
async function setForeignKeysAside(q: Query): Promise<Array<{ table: string; name: string; def: string }> | null> {
  const { rows } = await q('select exists (select 1 from organizations) as served');
  if (rows[0].served) return null;
  const keys = (
    await q(
      `select conrelid::regclass::text as "table", conname as name, pg_get_constraintdef(oid) as def from pg_constraint where contype = 'f' and conrelid = any($1::regclass[]) order by conrelid::regclass::text, conname`,
      [LOADED_TABLES],
    )
  ).rows as Array<{ table: string; name: string; def: string }>;
  for (const k of keys) await q(`alter table ${ident(k.table)} drop constraint ${ident(k.name)}`);
  return keys;
}

/** The rows' failures that are the file's fault: SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation). */
function rowError(err: unknown): string | null {
  const e = err as { code?: unknown; message?: string; detail?: string };
  if (typeof e.code !== 'string' || !/^2[23]/.test(e.code)) return null;
  return e.detail ? `${e.message} (${e.detail})` : (e.message ?? String(err));
}

/**
 * The loader's SQL on one connection. A batch's statement is sent and left running while
 * the loader reads and checks the next batch (PostgreSQL works in its own process, so
 * parsing and inserting overlap); its failure surfaces, attributed to it, when the next
 * statement is sent or the organization ends.
 */
function pgTarget(q: Query): TransferTarget {
  let inFlight: Promise<void> = Promise.resolve();
  const send = async (batch: TransferBatch, statements: () => Promise<void>) => {
    await inFlight;
    inFlight = statements().catch((err: unknown) => {
      throw new FailedBatch(batch, err);
    });
    inFlight.catch(() => {}); // surfaced by the next send or drain, never unhandled
  };
  const drain = () => inFlight;
  return {
    async taken(org) {
      await drain();
      const { rows } = await q('select id, name from organizations where id = $1 or name = $2 limit 1', [org.id, org.name]);
      const row = rows[0] as { id: string; name: string } | undefined;
      if (!row) return null;
      return row.id === org.id ? `organization ${org.id} ("${row.name}") already exists in this database` : `an organization named "${org.name}" already exists in this database (id ${row.id})`;
    },
    insert(batch) {
      return send(batch, async () => {
        if (batch.kind !== 'role') {
          await q(INSERT[batch.kind], [JSON.stringify(batch.rows)]);
          return;
        }
        await q(INSERT.roleRow, [JSON.stringify(batch.rows)]);
        await q(INSERT.rolePermission, [JSON.stringify(batch.rows.flatMap((r) => r.permissions.map((permissionKey) => ({ roleId: r.id, orgId: r.orgId, permissionKey }))))]);
      });
    },
    async setScopeParents(pairs) {
      await drain();
      for (let i = 0; i < pairs.length; i += PAGE) {
        await q(`update scopes set parent_id = p."parentId" from json_to_recordset($1::json) as p(id text, "parentId" text) where scopes.id = p.id`, [JSON.stringify(pairs.slice(i, i + PAGE))]);
      }
    },
    async finish(org: OrganizationRecord) {
      await drain();
      // Once per organization, delivered at commit: every replica loads it at once (the
      // head check would find it within a second too; a NOTIFY per row would flood them).
      await q('select pg_notify($1, $2)', [CHANGES_CHANNEL, `${org.id}:${org.revision}`]);
    },
    rowError,
  };
}

/**
 * Loads exported rows in one transaction, on a connection of its own, spanning the reading
 * of the whole input: a refused or broken input writes nothing.
 */
export async function importIntoPostgres(h: PgHandle, batches: AsyncIterable<TransferBatch>): Promise<TransferSummary> {
  const client = await transferClient(h, 'import');
  const q: Query = (text, values) => client.query(text, values);
  try {
    await q('begin');
    const asideKeys = await setForeignKeysAside(q);
    const summary = await loadTransfer(batches, pgTarget(q));
    // Fresh statistics: the keys are checked, and the replicas then read, with plans for a million rows, not for none.
    await q(`analyze ${LOADED_TABLES.map(ident).join(', ')}`);
    for (const k of asideKeys ?? []) {
      try {
        await q(`alter table ${ident(k.table)} add constraint ${ident(k.name)} ${k.def}`);
      } catch (err) {
        const why = rowError(err);
        if (why === null) throw err;
        throw badInput(`the file's rows do not fit together (${k.table}: ${why}); nothing was imported`);
      }
    }
    await q('commit');
    return summary;
  } finally {
    // Ending the connection rolls back whatever did not commit.
    await client.end().catch(() => {});
  }
}
