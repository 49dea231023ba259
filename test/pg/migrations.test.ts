import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, expect, it } from 'vitest';
import {
  BOOTSTRAP_LOCK,
  PG_MIGRATIONS_DIR,
  migratePostgres,
  openPostgres,
  withAdvisoryLock,
  type PgHandle,
} from '../../src/db/pg-client.js';
import { organizations } from '../../src/db/pg-schema.js';
import { describePg, scratchDatabase, type ScratchDatabase } from '../helpers/pg.js';

const TABLES = ['api_keys', 'changes', 'grants', 'group_members', 'groups', 'organizations', 'permissions', 'role_permissions', 'roles', 'scopes', 'users'];
const journal = JSON.parse(readFileSync(join(PG_MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] };

async function tables(h: PgHandle): Promise<string[]> {
  const r = await h.pool.query<{ t: string }>(`select table_name as t from information_schema.tables where table_schema = 'public' order by 1`);
  return r.rows.map((row) => row.t);
}

async function migrationRows(h: PgHandle): Promise<number> {
  const r = await h.pool.query<{ n: string }>('select count(*) as n from drizzle.__drizzle_migrations');
  return Number(r.rows[0]?.n);
}

describePg('PostgreSQL migrations (drizzle/pg)', () => {
  const dbs: ScratchDatabase[] = [];
  const handles: PgHandle[] = [];
  const fresh = async (prefix: string) => {
    const db = await scratchDatabase(prefix);
    dbs.push(db);
    return db;
  };
  const open = (url: string, poolSize = 2) => {
    const h = openPostgres(url, { poolSize });
    handles.push(h);
    return h;
  };

  afterAll(async () => {
    await Promise.all(handles.map((h) => h.close()));
    await Promise.all(dbs.map((d) => d.drop()));
  });

  it('creates every table on an empty database, and a second run changes nothing', async () => {
    const h = open((await fresh('migrate')).url);
    expect(await tables(h)).toEqual([]);
    await migratePostgres(h);
    expect(await tables(h)).toEqual(TABLES);
    expect(await migrationRows(h)).toBe(journal.entries.length);
    await h.db.insert(organizations).values({ id: 'o1', name: 'default', createdAt: 1 });

    await migratePostgres(h);
    expect(await tables(h)).toEqual(TABLES);
    expect(await migrationRows(h)).toBe(journal.entries.length);
    expect(await h.db.select().from(organizations)).toHaveLength(1);
  });

  it('three replicas migrating one empty database at once all succeed, and the schema is created once', async () => {
    const { url } = await fresh('race');
    const replicas = [open(url), open(url), open(url)];
    const results = await Promise.allSettled(replicas.map((h) => migratePostgres(h)));
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason?.cause ?? r.reason) : 'ok'))).toEqual(['ok', 'ok', 'ok']);
    expect(await migrationRows(replicas[0]!)).toBe(journal.entries.length);
    expect(await tables(replicas[0]!)).toEqual(TABLES);
  });

  it('a pool of one connection can still migrate (the lock is held on a connection of its own)', async () => {
    const h = open((await fresh('pool1')).url, 1);
    await migratePostgres(h);
    expect(await migrationRows(h)).toBe(journal.entries.length);
  });

  it('withAdvisoryLock lets one caller at a time in, so a first-start bootstrap creates the default organization once', async () => {
    const { url } = await fresh('bootstrap');
    const replicas = [open(url), open(url), open(url)];
    await migratePostgres(replicas[0]!);
    let inside = 0;
    let most = 0;
    const created = await Promise.all(
      replicas.map((h, i) =>
        withAdvisoryLock(h, BOOTSTRAP_LOCK, async (db) => {
          most = Math.max(most, ++inside);
          try {
            const existing = await db.select().from(organizations).where(sql`${organizations.name} = 'default'`);
            if (existing.length > 0) return false;
            await new Promise((r) => setTimeout(r, 50)); // widen the window a missing lock would lose
            await db.insert(organizations).values({ id: `org${i}`, name: 'default', createdAt: Date.now() });
            return true;
          } finally {
            inside--;
          }
        }),
      ),
    );
    expect(most).toBe(1);
    expect(created.filter(Boolean)).toHaveLength(1);
    expect(await replicas[0]!.db.select().from(organizations)).toHaveLength(1);
  });

  it('withAdvisoryLock releases the lock when fn throws, and leaves no advisory lock behind', async () => {
    const { url } = await fresh('release');
    const h = open(url);
    await expect(withAdvisoryLock(h, 'test:release', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await withAdvisoryLock(h, 'test:release', async () => 'again', { timeoutMs: 2000 })).toBe('again');
    const locks = await h.pool.query(`select 1 from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`);
    expect(locks.rowCount).toBe(0);
  });

  it('withAdvisoryLock gives up with lock_timeout when another session holds the lock too long', async () => {
    const { url } = await fresh('timeout');
    const h = open(url);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const holder = withAdvisoryLock(h, 'test:timeout', async () => (entered(), held));
    await inside;
    const refusal = await withAdvisoryLock(h, 'test:timeout', async () => 'never', { timeoutMs: 200 }).catch((e: { code?: string }) => e.code);
    expect(refusal).toBe('55P03'); // lock_not_available
    release();
    await holder;
  });
});
