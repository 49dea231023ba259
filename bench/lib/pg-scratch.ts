/**
 * PostgreSQL for the replica benchmark: is it there, a scratch database of its own
 * (gqb_<pid>_<tag>_<random>, dropped at the end; leftovers of dead runs are dropped
 * first), and the server's transaction counters, which count the commits that were
 * rolled back (a commit at a stale base revision, retried by the Writer).
 */
import pg from 'pg';

export const PG_ADMIN_URL = process.env.GRANTQL_BENCH_PG_ADMIN_URL ?? process.env.GRANTQL_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PREFIX = 'gqb_';

async function admin<T>(fn: (c: pg.Client) => Promise<T>, timeoutMs = 5000): Promise<T> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: timeoutMs });
  c.on('error', () => {});
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

/** The server's version string, or null when PG_ADMIN_URL does not answer within 1.5 s. */
export async function pgVersion(): Promise<string | null> {
  return admin(async (c) => (await c.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]!.v, 1500).catch(() => null);
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function drop(c: pg.Client, name: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    await c.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
    try {
      await c.query(`drop database if exists ${quote(name)}`);
      return;
    } catch (err) {
      // 55006: a connection slipped in between (a pool reconnecting); end it again.
      if ((err as { code?: string }).code !== '55006' || attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface BenchDatabase {
  name: string;
  url: string;
  /** Commits and rollbacks of every session on it, as the statistics have them (flushed ≤ 1 s after a session goes idle). */
  transactions(): Promise<{ commits: number; rollbacks: number }>;
  drop(): Promise<void>;
}

export async function createBenchDatabase(tag: string): Promise<BenchDatabase> {
  const name = `${PREFIX}${process.pid}_${tag}_${Math.random().toString(36).slice(2, 8)}`;
  await admin(async (c) => {
    const { rows } = await c.query<{ datname: string }>('select datname from pg_database where datname like $1', [`${PREFIX}%`]);
    for (const { datname } of rows) {
      const pid = Number(/^gqb_(\d+)_/.exec(datname)?.[1]);
      if (pid && !alive(pid)) await drop(c, datname).catch(() => {});
    }
    await c.query(`create database ${quote(name)}`);
  });
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    transactions: () =>
      admin(async (c) => {
        const { rows } = await c.query<{ commits: string; rollbacks: string }>('select xact_commit as commits, xact_rollback as rollbacks from pg_stat_database where datname = $1', [name]);
        return { commits: Number(rows[0]?.commits ?? 0), rollbacks: Number(rows[0]?.rollbacks ?? 0) };
      }),
    drop: () => admin((c) => drop(c, name)),
  };
}
