import type { Config } from '../config.js';
import { openDatabase, runMigrations } from '../db/client.js';
import { BOOTSTRAP_LOCK, CHANGES_CHANNEL, listen, migratePostgres, openPostgres, withAdvisoryLock, type PgListener } from '../db/pg-client.js';
import { logger } from '../logger.js';
import { tracedStore } from '../tracing/store.js';
import { reportingOutages } from './outage.js';
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
  watchCommits?: (onCommit: (orgId: string, revision: number) => void, onReconnect: () => void) => Promise<PgListener>;
  /**
   * Runs fn while no other process sharing the database runs its own (first-start
   * bootstrap: replicas starting together create "default" and owner.key once).
   */
  exclusively<T>(fn: () => Promise<T>): Promise<T>;
}

/** A commit's notice is "orgId:revision" (pg-store.ts); a revision that does not parse is 0 (catch up anyway). */
function parseNotice(payload: string): [string, number] {
  const at = payload.lastIndexOf(':');
  return at < 0 ? [payload, 0] : [payload.slice(0, at), Number(payload.slice(at + 1)) || 0];
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
    // A query that gets no answer (a partition: no reset, nothing arrives) fails after the
    // same bound as a busy SQLite lock, so a write answers UNAVAILABLE instead of hanging.
    const handle = openPostgres(config.databaseUrl, {
      connectTimeoutMs: Math.max(config.busyTimeoutMs, 1000),
      queryTimeoutMs: Math.max(config.busyTimeoutMs, 1000),
      onError: (err) => logger.warn({ err }, 'an idle PostgreSQL connection failed; the pool replaces it'),
    });
    try {
      await migratePostgres(handle);
    } catch (err) {
      await handle.close();
      throw err;
    }
    return {
      store: tracedStore(reportingOutages(new PgStore(handle)), 'postgresql'),
      shared: true,
      watchCommits: (onCommit, onReconnect) =>
        listen(handle, CHANGES_CHANNEL, (payload) => onCommit(...parseNotice(payload)), onReconnect, {
          onError: (err) => logger.warn({ err }, 'the LISTEN connection to PostgreSQL failed; reconnecting'),
        }),
      exclusively: (fn) => withAdvisoryLock(handle, BOOTSTRAP_LOCK, () => fn()),
    };
  }
  const handle = openDatabase(location, { synchronous: config.synchronous, verbose: opts.verbose });
  runMigrations(handle);
  // One SQLite file is shared only by this server and the CLI, which never bootstraps.
  return { store: tracedStore(new SqliteStore(handle, { busyTimeoutMs: config.busyTimeoutMs }), 'sqlite'), shared: location !== ':memory:', exclusively: (fn) => fn() };
}
