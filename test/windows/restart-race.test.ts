// Window boundaries across restarts and replicas (issue 15): a boundary that passed while no
// server ran is committed at start-up, before the server answers; two servers on one
// database racing for the same boundaries write each event once. On SQLite (a shared file)
// and, in the e2e-postgres project, on one scratch PostgreSQL database.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, scratchDatabase, type ScratchDatabase } from '../helpers/pg.js';
import { ok, startServer, TEST_STORE, type TestServer } from '../helpers/server.js';

const dirs: string[] = [];
const scratches: ScratchDatabase[] = [];
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  for (const s of scratches) await s.drop();
});

/** Options that put several servers on one database. */
async function sharedDatabase(): Promise<Parameters<typeof startServer>[0]> {
  if (TEST_STORE === 'postgres') {
    const db = await scratchDatabase('windows');
    scratches.push(db);
    return { config: { databaseUrl: db.url } };
  }
  const dir = mkdtempSync(join(tmpdir(), 'grantql-windows-'));
  dirs.push(dir);
  return { dbFile: join(dir, 'grantql.db') };
}

const iso = (ms: number) => new Date(ms).toISOString();
const boundaries = async (s: TestServer, key: string) =>
  ok(await s.gql(key, '{ changes(first: 500, filter: { types: [GRANT_STARTED, GRANT_EXPIRED] }) { edges { node { type at permissions user { email } } } } }')).changes.edges.map(
    (e: { node: { type: string; at: string; permissions: string[] } }) => e.node,
  ) as Array<{ type: string; at: string; permissions: string[]; user: { email: string } | null }>;

/**
 * Makes the users, then grants them windows placed `lead` ms after the moment of the grant
 * (not of the call: making users on a loaded machine can take longer than the lead, and a
 * window already over is refused). Returns that boundary instant.
 */
async function seed(s: TestServer, users: number, lead: number, windows: (i: number, at: number) => { startsAt?: string; expiresAt?: string }) {
  ok(await s.gql(s.ownerKey, 'mutation { definePermissions(permissions: [{ key: "EDIT", level: ANY }]) { revision } }'));
  for (let i = 0; i < users; i++) {
    ok(await s.gql(s.ownerKey, 'mutation($e: String!) { createUser(input: { email: $e, grants: [] }) { revision } }', { e: `u${i}@x.test` }));
  }
  const at = Date.now() + lead;
  const patches = Array.from({ length: users }, (_, i) => ({ user: `u${i}@x.test`, scope: 'ORG', operation: 'ADD', permissions: ['EDIT'], ...windows(i, at) }));
  ok(await s.gql(s.ownerKey, 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision } }', { p: patches }));
  return at;
}

describe('window boundaries', () => {
  it('passed while no server ran: committed at start-up, before the server answers', async () => {
    const shared = await sharedDatabase();
    const a = await startServer(shared);
    const key = a.ownerKey;
    const soon = await seed(a, 3, 700, (i, at) => (i === 0 ? { startsAt: iso(at) } : { expiresAt: iso(at) }));
    await a.stop();
    await sleep(soon - Date.now() + 300);
    const down = Date.now();
    const b = await startServer(shared);
    try {
      // The first request already sees them: start-up wrote them before answering.
      const seen = await boundaries(b, key);
      expect(seen.map((e) => e.type).sort()).toEqual(['GRANT_EXPIRED', 'GRANT_EXPIRED', 'GRANT_STARTED']);
      for (const e of seen) expect(Date.parse(e.at)).toBeGreaterThanOrEqual(down);
      expect(ok(await b.gql(key, '{ a: can(user: "u0@x.test", permission: "EDIT") b: can(user: "u1@x.test", permission: "EDIT") }'))).toEqual({ a: true, b: false });
    } finally {
      await b.stop();
    }
  });

  it('two servers on one database racing for the same boundaries: every event once', async () => {
    const shared = await sharedDatabase();
    const a = await startServer(shared);
    const b = await startServer(shared);
    try {
      const at = await seed(a, 40, 1000, (i, t) => (i % 2 === 0 ? { expiresAt: iso(t) } : { startsAt: iso(t), expiresAt: iso(t + 500) }));
      // Written within a second of each boundary; under a loaded machine allow more before looking.
      await sleep(at + 500 - Date.now() + 1000);
      await eventually(async () => (await boundaries(b, a.ownerKey)).length >= 60, 'every boundary written');
      await sleep(500); // and no second copy arrives after
      for (const s of [a, b]) {
        const seen = await boundaries(s, a.ownerKey);
        const byUser = new Map<string, string[]>();
        for (const e of seen) {
          const k = e.user?.email ?? '?';
          byUser.set(k, [...(byUser.get(k) ?? []), e.type]);
        }
        expect(seen).toHaveLength(20 + 40);
        for (let i = 0; i < 40; i++) expect(byUser.get(`u${i}@x.test`)).toEqual(i % 2 === 0 ? ['GRANT_EXPIRED'] : ['GRANT_STARTED', 'GRANT_EXPIRED']);
      }
    } finally {
      await b.stop();
      await a.stop();
    }
  });
});
