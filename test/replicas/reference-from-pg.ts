// The brute-force reference evaluator (test/authz/reference.ts) reads SQLite rows with plain
// SQL; this copies one organization's rows from the replicas' PostgreSQL database into an
// in-memory SQLite database with just the columns it reads, so it can judge their answers.
import Database from 'better-sqlite3';
import pg from 'pg';
import { Reference } from '../authz/reference.js';

/** table → the columns the reference reads (jsonb columns are stored as JSON text, as SQLite has them). */
const TABLES: Record<string, string[]> = {
  organizations: ['id', 'owner_id'],
  users: ['id', 'org_id'],
  scopes: ['id', 'org_id', 'key', 'type', 'parent_id'],
  permissions: ['org_id', 'key', 'level', 'resource_types'],
  roles: ['id', 'org_id', 'name', 'scope_type', 'discarded_at'],
  role_permissions: ['org_id', 'role_id', 'permission_key'],
  groups: ['id', 'org_id', 'key'],
  group_members: ['org_id', 'group_id', 'member_id'],
  grants: ['id', 'org_id', 'user_id', 'group_id', 'scope_id', 'permission_key', 'role_id', 'starts_at', 'expires_at', 'started'],
};

/** The reference over the organization's rows as they are now in the database at `url`. */
export async function referenceFromPg(url: string, orgId: string): Promise<Reference> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const db = new Database(':memory:');
  try {
    // One snapshot of every table, as the replicas' own snapshots read it.
    await c.query('begin isolation level repeatable read read only');
    for (const [table, columns] of Object.entries(TABLES)) {
      db.exec(`create table ${table} (${columns.join(', ')})`);
      const { rows } = await c.query(`select ${columns.join(', ')} from ${table}`);
      const insert = db.prepare(`insert into ${table} values (${columns.map(() => '?').join(', ')})`);
      // jsonb as JSON text, booleans as 1/0 and bigints as numbers, as SQLite holds them.
      const value = (k: string, v: unknown) =>
        v === null ? null : k === 'resource_types' ? JSON.stringify(v) : typeof v === 'boolean' ? (v ? 1 : 0) : k === 'starts_at' || k === 'expires_at' ? Number(v) : String(v);
      for (const row of rows) insert.run(...columns.map((k) => value(k, row[k])));
    }
    await c.query('commit');
    return new Reference(db, orgId);
  } finally {
    db.close();
    await c.end();
  }
}
