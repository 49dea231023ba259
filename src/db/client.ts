import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as schema from './schema.js';

export type Db = BetterSQLite3Database<typeof schema>;
export interface DbHandle {
  sqlite: Database.Database;
  db: Db;
  close(): void;
}

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../drizzle', import.meta.url));

export interface OpenOptions {
  /** FULL survives power loss; NORMAL (WAL) survives process crashes only. */
  synchronous?: 'FULL' | 'NORMAL';
  /** Called with every SQL statement executed (diagnostics, statement counts). */
  verbose?: (sql: unknown) => void;
}

/**
 * The database and its -wal / -shm files are readable by the server user only (0600):
 * SQLite creates -wal and -shm with the database file's mode, so the file is created
 * 0600 before SQLite opens it, and wider modes left from before are tightened.
 */
function privateFiles(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600);
    } catch (err) {
      // Missing (no WAL yet), or owned by another user: then its owner decides its mode.
      if (!['ENOENT', 'EPERM'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
  }
}

export function openDatabase(file: string, opts: OpenOptions = {}): DbHandle {
  if (file !== ':memory:') privateFiles(file);
  const sqlite = new Database(file, opts.verbose ? { verbose: opts.verbose } : {});
  if (file !== ':memory:') sqlite.pragma('journal_mode = WAL');
  // A synchronous wait, fine while opening and migrating (nothing is served yet); the
  // store shortens it to a few ms and waits the rest on timers (src/store/busy.ts).
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
  const db = drizzle(sqlite, { schema });
  return { sqlite, db, close: () => sqlite.close() };
}

/** Applies the drizzle-kit migrations in `drizzle/`; safe to run on every start. */
export function runMigrations(handle: DbHandle): void {
  migrate(handle.db, { migrationsFolder: MIGRATIONS_DIR });
}
