import type { Config } from '../config.js';
import { openDatabase, runMigrations } from '../db/client.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

export interface OpenedStore {
  store: Store;
  /** Whether other processes may commit to the same database (so a head watch is worth running). */
  shared: boolean;
}

/**
 * The one place that picks and builds the store, migrated and ready: SQLite at `location`
 * (a file, or ':memory:'). The PostgreSQL store joins here when GRANTQL_DATABASE_URL is set.
 */
export function openStore(location: string, config: Pick<Config, 'synchronous' | 'busyTimeoutMs'>, opts: { verbose?: (sql: unknown) => void } = {}): OpenedStore {
  const handle = openDatabase(location, { synchronous: config.synchronous, verbose: opts.verbose });
  runMigrations(handle);
  return { store: new SqliteStore(handle, { busyTimeoutMs: config.busyTimeoutMs }), shared: location !== ':memory:' };
}
