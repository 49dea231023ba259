// PostgreSQL for tests: a scratch database per test file (created, then dropped), and
// describePg, which skips loudly where no server is reachable — but fails under CI=true,
// where a missing PostgreSQL means the run proved nothing about that store.
import type pg from 'pg';
import { describe, it } from 'vitest';
import { createScratchDatabase, PG_ADMIN_URL, pgVersion, withAdmin, type ScratchDatabase } from './pg-admin.js';

export { PG_ADMIN_URL, type ScratchDatabase };

/** One statement on the maintenance database (e.g. ALTER DATABASE on a scratch one). */
export function adminQuery(text: string, params: unknown[] = []): Promise<pg.QueryResult> {
  return withAdmin((c) => c.query(text, params));
}

let available: Promise<boolean> | null = null;
/** True when PG_ADMIN_URL answers within a second and a half. */
export function pgAvailable(): Promise<boolean> {
  return (available ??= pgVersion().then((v) => v !== null));
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

/** CREATE DATABASE gqt_<pid>_<prefix>_<random>; returns its URL and drop(). */
export function scratchDatabase(prefix: string): Promise<ScratchDatabase> {
  return createScratchDatabase('gqt_', prefix);
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
