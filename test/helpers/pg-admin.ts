// PostgreSQL scratch databases, for tests and benchmarks alike (no vitest here): the
// maintenance connection, "is it there", and a database of one's own, created under a
// prefix and dropped after; leftovers of processes that died first are dropped too.
import pg from 'pg';

/** The maintenance database scratch databases are created from (trust auth). */
export const PG_ADMIN_URL = process.env.GRANTQL_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** fn on a fresh connection to the maintenance database at `url`, closed after. */
export async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>, opts: { url?: string; timeoutMs?: number } = {}): Promise<T> {
  const c = new pg.Client({ connectionString: opts.url ?? PG_ADMIN_URL, connectionTimeoutMillis: opts.timeoutMs ?? 5000 });
  c.on('error', () => {});
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

/** The server's version string, or null when `url` does not answer within 1.5 s. */
export function pgVersion(url = PG_ADMIN_URL): Promise<string | null> {
  return withAdmin(async (c) => (await c.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]!.v, { url, timeoutMs: 1500 }).catch(() => null);
}

export interface ScratchDatabase {
  name: string;
  url: string;
  /** Ends every connection to it, then drops it. */
  drop(): Promise<void>;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function dropDatabase(c: pg.Client, name: string): Promise<void> {
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

const swept = new Set<string>();
/** Databases named `<prefix><pid>_…` of processes that died before dropping them (once per prefix). */
async function sweepLeftovers(c: pg.Client, prefix: string): Promise<void> {
  if (swept.has(prefix)) return;
  swept.add(prefix);
  const { rows } = await c.query<{ datname: string }>('select datname from pg_database where datname like $1', [`${prefix}%`]);
  for (const { datname } of rows) {
    const pid = Number(datname.slice(prefix.length).split('_')[0]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    await dropDatabase(c, datname).catch(() => {});
  }
}

/** CREATE DATABASE <prefix><pid>_<tag>_<random> on the server at `adminUrl`; returns its URL and drop(). */
export async function createScratchDatabase(prefix: string, tag: string, adminUrl = PG_ADMIN_URL): Promise<ScratchDatabase> {
  const clean = tag.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 24);
  const name = `${prefix}${process.pid}_${clean}_${Math.random().toString(36).slice(2, 10)}`;
  await withAdmin(
    async (c) => {
      await sweepLeftovers(c, prefix);
      await c.query(`create database ${quote(name)}`);
    },
    { url: adminUrl },
  );
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => withAdmin((c) => dropDatabase(c, name), { url: adminUrl }) };
}
