/**
 * PostgreSQL for the replica and export/import benchmarks: is it there, a scratch database
 * of its own (gqb_<pid>_<tag>_<random>, dropped at the end; leftovers of dead runs are
 * dropped first: test/helpers/pg-admin.ts, shared with the tests), and the server's
 * transaction counters, which count the commits that were rolled back (a commit at a
 * stale base revision, retried by the Writer).
 */
import { createScratchDatabase, pgVersion as version, withAdmin } from '../../test/helpers/pg-admin.js';

export const PG_ADMIN_URL = process.env.GRANTQL_BENCH_PG_ADMIN_URL ?? process.env.BENCH_PG_ADMIN_URL ?? process.env.GRANTQL_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The server's version string, or null when PG_ADMIN_URL does not answer within 1.5 s. */
export const pgVersion = (): Promise<string | null> => version(PG_ADMIN_URL);

export interface BenchDatabase {
  name: string;
  url: string;
  /** Commits and rollbacks of every session on it, as the statistics have them (flushed ≤ 1 s after a session goes idle). */
  transactions(): Promise<{ commits: number; rollbacks: number }>;
  drop(): Promise<void>;
}

export async function createBenchDatabase(tag: string): Promise<BenchDatabase> {
  const db = await createScratchDatabase('gqb_', tag, PG_ADMIN_URL);
  return {
    ...db,
    transactions: () =>
      withAdmin(
        async (c) => {
          const { rows } = await c.query<{ commits: string; rollbacks: string }>('select xact_commit as commits, xact_rollback as rollbacks from pg_stat_database where datname = $1', [db.name]);
          return { commits: Number(rows[0]?.commits ?? 0), rollbacks: Number(rows[0]?.rollbacks ?? 0) };
        },
        { url: PG_ADMIN_URL },
      ),
  };
}
