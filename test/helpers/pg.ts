// PostgreSQL for tests: a scratch database per test file (created, then dropped), and
// describePg, which skips loudly where no server is reachable — but fails under CI=true,
// where a missing PostgreSQL means the run proved nothing about that store.
import pg from 'pg';
import { describe, it } from 'vitest';

/** The maintenance database tests create their scratch databases from (trust auth). */
export const PG_ADMIN_URL = process.env.GRANTQL_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PREFIX = 'gqt_';

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

/** One statement on the maintenance database (e.g. ALTER DATABASE on a scratch one). */
export function adminQuery(text: string, params: unknown[] = []): Promise<pg.QueryResult> {
  return admin((c) => c.query(text, params));
}

let available: Promise<boolean> | null = null;
/** True when PG_ADMIN_URL answers within a second and a half. */
export function pgAvailable(): Promise<boolean> {
  return (available ??= admin(async (c) => (await c.query('select 1')).rowCount === 1, 1500).catch(() => false));
}

const reachable = await pgAvailable();

/** describe() for tests that need PostgreSQL. */
export function describePg(name: string, fn: () => void): void {
  if (reachable) return void describe(name, fn);
  const why = `PostgreSQL is not reachable at ${PG_ADMIN_URL}`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('has PostgreSQL to run against (CI=true: a missing PostgreSQL fails the run)', () => {
        throw new Error(`${why}. .ci/run starts Debian's cluster (pg_lsclusters / pg_ctlcluster); start it, or set GRANTQL_TEST_PG_ADMIN_URL.`);
      });
    });
    return;
  }
  console.warn(`\n!!! ${why}: "${name}" is SKIPPED. Start it (pg_ctlcluster --skip-systemctl-redirect VERSION main start) or set GRANTQL_TEST_PG_ADMIN_URL. Under CI=true this fails. !!!\n`);
  describe.skip(name, fn);
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

let swept = false;
/** Scratch databases of test processes that died before dropping them. */
async function sweepLeftovers(c: pg.Client): Promise<void> {
  if (swept) return;
  swept = true;
  const { rows } = await c.query<{ datname: string }>('select datname from pg_database where datname like $1', [`${PREFIX}%`]);
  for (const { datname } of rows) {
    const pid = Number(/^gqt_(\d+)_/.exec(datname)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    await dropDatabase(c, datname).catch(() => {});
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

/** CREATE DATABASE gqt_<pid>_<prefix>_<random>; returns its URL and drop(). */
export async function scratchDatabase(prefix: string): Promise<ScratchDatabase> {
  const tag = prefix.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 24);
  const name = `${PREFIX}${process.pid}_${tag}_${Math.random().toString(36).slice(2, 10)}`;
  await admin(async (c) => {
    await sweepLeftovers(c);
    await c.query(`create database ${quote(name)}`);
  });
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => admin((c) => dropDatabase(c, name)) };
}

/** Polls until check() is true (a bounded wait for something asynchronous, not a speed claim). */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** SQLSTATE and constraint of a failed query, through drizzle's DrizzleQueryError wrapper. */
export async function pgRefusal(run: () => Promise<unknown>): Promise<{ code?: string; constraint?: string }> {
  try {
    await run();
  } catch (err) {
    const e = ((err as { cause?: unknown }).cause ?? err) as { code?: string; constraint?: string };
    return { code: e.code, constraint: e.constraint };
  }
  throw new Error('expected PostgreSQL to refuse the statement, and it accepted it');
}
