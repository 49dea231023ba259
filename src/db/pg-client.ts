// PostgreSQL connection layer for the replicated store (GRANTQL_DATABASE_URL): a pool,
// migrations under an advisory lock, and a LISTEN connection that reconnects by itself.
// node-postgres ('pg') because it is drizzle's first-class PostgreSQL driver, long
// maintained, pooled (pg.Pool), and LISTEN/NOTIFY works on a plain dedicated pg.Client.
import { fileURLToPath } from 'node:url';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { isOutage } from './pg-outage.js';
import * as schema from './pg-schema.js';

export type PgDb = NodePgDatabase<typeof schema>;

export interface PgHandle {
  pool: pg.Pool;
  db: PgDb;
  /** Connection settings of the pool, reused by the dedicated lock and LISTEN clients. */
  config: pg.ClientConfig;
  /**
   * One transaction on one pooled connection, always given back: drizzle's own
   * `db.transaction` on a pool leaks the connection when BEGIN fails (an outage), and
   * returns a connection whose ROLLBACK failed to the pool as if it were healthy. Here a
   * connection that failed mid-transaction is destroyed instead.
   */
  transaction<T>(fn: (tx: PgTx) => Promise<T>, config?: PgTxConfig): Promise<T>;
  close(): Promise<void>;
}

export type PgTx = Parameters<Parameters<PgDb['transaction']>[0]>[0];
export type PgTxConfig = Parameters<PgDb['transaction']>[1];

export interface PgOpenOptions {
  /** Pool size (connections per replica). Default 10. */
  poolSize?: number;
  /** How long to wait for a connection before failing (outage → error, not a hang). Default 5000. */
  connectTimeoutMs?: number;
  /** Idle pooled connections are closed after this. Default 30000. */
  idleTimeoutMs?: number;
  /** Client-side bound on one query's answer (node-postgres query_timeout); unset = none. */
  queryTimeoutMs?: number;
  /** Server-side statement_timeout per connection; unset = none. */
  statementTimeoutMs?: number;
  /** Shown in pg_stat_activity; dedicated clients add "-lock" / "-listen". Default "grantql". */
  applicationName?: string;
  /** Errors of idle pooled connections (e.g. the server restarted). The pool drops them either way. */
  onError?: (err: Error) => void;
}

export const PG_MIGRATIONS_DIR = fileURLToPath(new URL('../../drizzle/pg', import.meta.url));
/** Advisory lock names; keys are hashtextextended(name, 0), one bigint each. */
export const MIGRATE_LOCK = 'grantql:migrate';
export const BOOTSTRAP_LOCK = 'grantql:bootstrap';
/** The channel commits NOTIFY and every replica LISTENs on. */
export const CHANGES_CHANNEL = 'grantql_changes';

const noop = () => {};


export function isPostgresUrl(value: string | undefined): value is string {
  return value !== undefined && /^postgres(ql)?:\/\//i.test(value);
}

export function openPostgres(url: string, opts: PgOpenOptions = {}): PgHandle {
  const config: pg.ClientConfig = {
    connectionString: url,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    application_name: opts.applicationName ?? 'grantql',
    keepAlive: true,
    ...(opts.statementTimeoutMs !== undefined ? { statement_timeout: opts.statementTimeoutMs } : {}),
    ...(opts.queryTimeoutMs !== undefined ? { query_timeout: opts.queryTimeoutMs } : {}),
  };
  const pool = new pg.Pool({ ...config, max: opts.poolSize ?? 10, idleTimeoutMillis: opts.idleTimeoutMs ?? 30_000 });
  // Without a listener, an idle connection's error would crash the process.
  pool.on('error', opts.onError ?? noop);
  const db = drizzle(pool, { schema });
  let ended: Promise<void> | null = null;
  const transaction = async <T>(fn: (tx: PgTx) => Promise<T>, txConfig?: PgTxConfig): Promise<T> => {
    const client = await pool.connect();
    let failed: Error | undefined;
    try {
      return await drizzle(client, { schema }).transaction(fn, txConfig);
    } catch (err) {
      // After a refusal drizzle's ROLLBACK ran and the connection is fine; after an outage
      // (BEGIN, COMMIT or ROLLBACK lost to a timeout or a reset) its state is unknown: not reused.
      if (isOutage(err)) failed = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      client.release(failed);
    }
  };
  return { pool, db, config, transaction, close: () => (ended ??= pool.end()) };
}

/**
 * Runs fn while holding the session-level advisory lock `key` on one dedicated
 * connection, so concurrent callers (replicas starting together) run fn one at a time.
 * fn gets a db on that same connection: if the connection (and so the lock) is lost,
 * fn's queries fail instead of running unlocked. Throws if the lock is not had within
 * timeoutMs (default 60000).
 */
export async function withAdvisoryLock<T>(
  handle: PgHandle,
  key: string,
  fn: (db: PgDb, client: pg.Client) => Promise<T>,
  opts: { timeoutMs?: number } = {},
): Promise<T> {
  // Waiting for the lock is the point: only lock_timeout bounds it, not the pool's query timeout.
  const client = new pg.Client({ ...handle.config, query_timeout: undefined, application_name: `${handle.config.application_name}-lock` });
  client.on('error', noop); // surfaces as the next query's error; the lock dies with the session
  await client.connect();
  try {
    await client.query(`select set_config('lock_timeout', $1, false)`, [`${opts.timeoutMs ?? 60_000}`]);
    await client.query('select pg_advisory_lock(hashtextextended($1, 0))', [key]);
    await client.query(`select set_config('lock_timeout', '0', false)`);
    try {
      return await fn(drizzle(client, { schema }), client);
    } finally {
      await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch(noop);
    }
  } finally {
    await client.end().catch(noop);
  }
}

/** Applies drizzle/pg's migrations once, however many replicas call it at the same time. */
export async function migratePostgres(handle: PgHandle, opts: { migrationsFolder?: string } = {}): Promise<void> {
  const migrationsFolder = opts.migrationsFolder ?? PG_MIGRATIONS_DIR;
  await withAdvisoryLock(handle, MIGRATE_LOCK, (db) => migrate(db, { migrationsFolder }));
}

export interface PgListener {
  /** True while LISTENing; false between a lost connection and the next reconnect. */
  readonly connected: boolean;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** First reconnect delay; doubles per failed attempt up to maxBackoffMs. Default 100. */
  minBackoffMs?: number;
  /** Default 5000. */
  maxBackoffMs?: number;
  /** A `select 1` this often finds a silently dead connection (no FIN, e.g. a cut
   * network); 0 disables. Default 5000. The probe times out after the same period. */
  heartbeatMs?: number;
  /** Connection errors and callback exceptions, for logging. */
  onError?: (err: unknown) => void;
}

/**
 * LISTENs on `channel` on a dedicated connection. onNotify gets each payload; after a
 * lost connection it reconnects with backoff (forever, until close) and calls
 * onReconnect once LISTENing again — notices sent meanwhile are lost, so the caller
 * catches up from the log there. Rejects if the first connection fails.
 */
export async function listen(
  handle: PgHandle,
  channel: string,
  onNotify: (payload: string) => void,
  onReconnect: () => void,
  opts: ListenOptions = {},
): Promise<PgListener> {
  const minBackoff = opts.minBackoffMs ?? 100;
  const maxBackoff = opts.maxBackoffMs ?? 5000;
  const heartbeatMs = opts.heartbeatMs ?? 5000;
  const report = opts.onError ?? noop;
  const safely = (f: () => void) => {
    try {
      f();
    } catch (err) {
      report(err);
    }
  };
  let current: pg.Client | null = null;
  let connected = false;
  let closed = false;
  let recovering = true; // the first attempt is not a reconnect
  let wake: (() => void) | null = null;
  let heartbeat: NodeJS.Timeout | null = null;

  const open = async (): Promise<void> => {
    const c = new pg.Client({ ...handle.config, application_name: `${handle.config.application_name}-listen` });
    current = c;
    c.on('notification', (m) => {
      if (current === c && m.channel === channel) safely(() => onNotify(m.payload ?? ''));
    });
    c.on('error', (err) => drop(c, err));
    c.on('end', () => drop(c));
    try {
      await c.connect();
      await c.query(`LISTEN ${c.escapeIdentifier(channel)}`);
      if (current !== c) throw new Error(`lost the connection LISTENing on ${channel}`);
    } catch (err) {
      if (current === c) current = null;
      c.end().catch(noop);
      throw err;
    }
    connected = true;
  };

  const drop = (c: pg.Client, err?: unknown) => {
    if (current !== c) return;
    current = null;
    connected = false;
    if (err !== undefined) report(err);
    c.end().catch(noop); // destroys the socket if a query hangs on it
    if (!closed) void recover();
  };

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => ((wake = null), resolve()), ms);
      t.unref();
      wake = () => (clearTimeout(t), (wake = null), resolve());
    });

  const recover = async () => {
    if (recovering) return;
    recovering = true;
    try {
      for (let delay = minBackoff; !closed; delay = Math.min(delay * 2, maxBackoff)) {
        await pause(delay / 2 + Math.random() * (delay / 2)); // jitter: replicas don't retry in step
        if (closed) return;
        try {
          await open();
        } catch (err) {
          report(err);
          continue;
        }
        if (closed) return;
        safely(onReconnect);
        return;
      }
    } finally {
      recovering = false;
    }
  };

  const probe = () => {
    const c = current;
    if (!c || !connected || closed) return;
    const timer = setTimeout(() => drop(c, new Error(`LISTEN connection did not answer within ${heartbeatMs} ms`)), heartbeatMs);
    timer.unref();
    c.query('select 1').then(
      () => clearTimeout(timer),
      (err: unknown) => (clearTimeout(timer), drop(c, err)),
    );
  };

  try {
    await open();
  } finally {
    recovering = false;
  }
  if (heartbeatMs > 0) {
    heartbeat = setInterval(probe, heartbeatMs);
    heartbeat.unref();
  }
  return {
    get connected() {
      return connected;
    },
    async close() {
      closed = true;
      if (heartbeat) clearInterval(heartbeat);
      wake?.();
      const c = current;
      current = null;
      connected = false;
      if (c) await c.end().catch(noop);
    },
  };
}
