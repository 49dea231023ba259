import type { Config } from '../config.js';
import { openDatabase, runMigrations } from '../db/client.js';
import { CHANGES_CHANNEL, listen, migratePostgres, openPostgres, type PgListener } from '../db/pg-client.js';
import { PgStore } from './pg-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

export interface OpenedStore {
  store: Store;
  /** Whether other processes may commit to the same database (so a head watch is worth running). */
  shared: boolean;
  /**
   * Hears of other processes' commits as they happen (PostgreSQL's LISTEN): `onCommit`
   * gets the organization id, `onReconnect` runs after a lost connection (read the log then).
   */
  watchCommits?: (onCommit: (orgId: string) => void, onReconnect: () => void) => Promise<PgListener>;
}

/**
 * The one place that picks and builds the store, migrated and ready: PostgreSQL when
 * GRANTQL_DATABASE_URL is set (migrations under an advisory lock, so replicas starting
 * together migrate once), otherwise SQLite at `location` (a file, or ':memory:').
 */
export async function openStore(
  location: string,
  config: Pick<Config, 'synchronous' | 'busyTimeoutMs' | 'databaseUrl'>,
  opts: { verbose?: (sql: unknown) => void } = {},
): Promise<OpenedStore> {
  if (config.databaseUrl) {
    const handle = openPostgres(config.databaseUrl);
    await migratePostgres(handle);
    return {
      store: new PgStore(handle),
      shared: true,
      watchCommits: (onCommit, onReconnect) => listen(handle, CHANGES_CHANNEL, (payload) => onCommit(payload.split(':')[0] ?? ''), onReconnect),
    };
  }
  const handle = openDatabase(location, { synchronous: config.synchronous, verbose: opts.verbose });
  runMigrations(handle);
  return { store: new SqliteStore(handle, { busyTimeoutMs: config.busyTimeoutMs }), shared: location !== ':memory:' };
}
