import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import { openDatabase, runMigrations } from '../../src/db/client.js';
import { migratePostgres, openPostgres } from '../../src/db/pg-client.js';
import { DomainError } from '../../src/domain/errors.js';
import { PgStore } from '../../src/store/pg-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import type { TransferSummary } from '../../src/store/transfer-rows.js';
import { writeExportFile } from '../../src/transfer/export-writer.js';
import { importExport } from '../../src/transfer/import-reader.js';
import { Org } from '../store/contract-fixture.js';

export const TABLES = ['organizations', 'users', 'scopes', 'permissions', 'roles', 'role_permissions', 'groups', 'group_members', 'grants', 'api_keys', 'changes'] as const;
export type RowCounts = Record<(typeof TABLES)[number], number>;

/** A store on a real database, and a way to count every table's rows behind the store's back. */
export interface Target {
  kind: 'SQLite' | 'PostgreSQL';
  store: Store;
  counts(): Promise<RowCounts>;
  close(): Promise<void>;
}

export function tempDir(prefix = 'grantql-transfer-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function sqliteTarget(file = join(tempDir(), 'grantql.db')): Target {
  const h = openDatabase(file);
  runMigrations(h);
  const store = new SqliteStore(h);
  return {
    kind: 'SQLite',
    store,
    async counts() {
      const db = new Database(file, { readonly: true });
      try {
        return Object.fromEntries(TABLES.map((t) => [t, (db.prepare(`select count(*) as n from ${t}`).get() as { n: number }).n])) as RowCounts;
      } finally {
        db.close();
      }
    },
    close: () => store.close(),
  };
}

/** A store on `url`, emptied first: every test starts from nothing. */
export async function pgTarget(url: string): Promise<Target> {
  const h = openPostgres(url, { poolSize: 4 });
  await migratePostgres(h);
  await h.pool.query(`truncate ${TABLES.join(', ')} cascade`);
  const store = new PgStore(h);
  return {
    kind: 'PostgreSQL',
    store,
    async counts() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        const out: Record<string, number> = {};
        for (const t of TABLES) out[t] = Number((await c.query(`select count(*) as n from ${t}`)).rows[0].n);
        return out as RowCounts;
      } finally {
        await c.end();
      }
    },
    close: () => store.close(),
  };
}

/** The export of `store` as text, through the same writer the CLI uses. */
export async function exportText(store: Store, filter: { name?: string } = {}): Promise<string> {
  const file = join(tempDir(), 'export.ndjson');
  await writeExportFile(store, file, filter, 'sqlite');
  return readFileSync(file, 'utf8');
}

/** Imports `text` as a stream of uneven chunks, so lines straddle chunk boundaries as they do when read from disk. */
export function importText(store: Store, text: string): Promise<TransferSummary> {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = [1, 7, 64, 333, 4096][i % 5]!;
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return importExport(store, Readable.from(chunks));
}

/** The lines of an export, parsed, without the header (its time differs from run to run). */
export function parsedLines(text: string): unknown[] {
  return text.trimEnd().split('\n').slice(1).map((l) => JSON.parse(l));
}

/** The refusal a promise ends with: its code and message (fails if it resolves). */
export async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DomainError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a refusal, and it succeeded');
}

/**
 * A small organization with one of everything an export carries, including a scope
 * moved under a scope created after it (so its parent comes later in the file), and a
 * group inside a group, with a user in it and a grant to the outer one.
 */
export async function seedOrg(store: Store, name: string) {
  const o = await Org.create(store, name);
  const perm = o.perm('doc.read');
  const child = o.scope('p1');
  const region = o.scope('region-1', null, 'region');
  const alice = o.user(`alice@${name}.test`, { externalId: `ext-${name}` });
  const role = o.role('Reader', ['doc.read']);
  await o.commit([o.permDraft(perm), o.scopeDraft(child), o.scopeDraft(region), o.scopeDraft({ ...child, parentId: region.id }, 'SCOPE_UPDATED'), o.userDraft(alice), o.roleDraft(role)]);
  const key = o.keyDraft(alice.id);
  await o.commit([o.grantDraft(o.grant(alice.id, child.id, { permission: 'doc.read' }), 'p1'), o.grantDraft(o.grant(alice.id, null, { role: role.id }), 'ORG'), key.draft]);
  const staff = o.group('staff', { name: 'Staff' });
  const eng = o.group('eng', { description: 'engineers' });
  const staffGrant = o.groupGrant(staff.id, region.id, { permission: 'doc.read' });
  await o.commit([o.groupDraft(staff), o.groupDraft(eng), o.memberDraft(staff.id, eng.id), o.memberDraft(eng.id, alice.id), o.grantDraft(staffGrant, 'region-1')]);
  return { org: o, alice, child, region, role, staff, eng, staffGrant };
}
