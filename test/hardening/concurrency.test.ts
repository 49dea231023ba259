import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { encodeRevisionCursor } from '../../src/graphql/paging.js';
import { ok, startServer } from '../helpers/server.js';
import { auditLog } from './log-audit.js';
import { runCli } from './processes.js';

const CLIENTS = 8;
const USERS = Array.from({ length: 6 }, (_, i) => `u${i}@race.test`);
const KEYS = Array.from({ length: CLIENTS }, (_, c) => `RACE_${c}`);
const PATCH = 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision } }';

/** A small seeded generator, so a failing interleaving of choices can be replayed. */
function rng(seed: number) {
  let x = seed || 1;
  return (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return Math.abs(x) % n;
  };
}

/** Another process holding SQLite's write lock for a while, several times: the server must wait, not fail. */
function holdWriteLock(file: string, times: number, holdMs: number): Promise<number | null> {
  const script = `const db = require('better-sqlite3')(process.argv[1]); db.pragma('busy_timeout = 10000');
    const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    for (let i = 0; i < ${times}; i++) { db.exec('BEGIN IMMEDIATE'); sleep(${holdMs}); db.exec('COMMIT'); sleep(50); }`;
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['-e', script, file], { cwd: new URL('../../', import.meta.url).pathname, stdio: 'inherit' });
    p.once('exit', (code) => resolve(code));
  });
}

it('ends concurrent patches of the same users in the state of a serial order, with no internal error, beside a second writer process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grantql-race-'));
  const file = join(dir, 'grantql.db');
  const s = await startServer({ dbFile: file, config: { dataDir: dir } });
  try {
    ok(await s.gql(s.ownerKey, 'mutation($p: [PermissionInput!]!) { definePermissions(permissions: $p) { revision } }', { p: KEYS.map((key) => ({ key, level: 'ORG' })) }));
    for (const email of USERS) ok(await s.gql(s.ownerKey, 'mutation($e: String!) { createUser(input: { email: $e }) { revision } }', { e: email }));
    const start = ok(await s.gql(s.ownerKey, '{ changes(first: 0) { totalCount } }')).changes.totalCount as number;

    // Each client toggles only its own key, so the last acknowledged op per (user, key) decides the end state;
    // a lost update, a torn batch or a wrongly retried write would show.
    const held = KEYS.map(() => new Map<string, boolean>());
    const ops: Array<{ revision: number; changes: Array<{ user: string; key: string; added: boolean }> }> = [];
    const failures: string[] = [];
    let othersDone = false;
    const clients = Array.from({ length: CLIENTS }, async (_, c) => {
      const pick = rng(c + 1);
      for (let i = 0; i < 25 || !othersDone; i++) {
        const users = [...new Set(Array.from({ length: 1 + pick(3) }, () => USERS[pick(USERS.length)]!))];
        const changes = users.map((user) => ({ user, key: KEYS[c]!, added: !held[c]!.get(user) }));
        const r = await s.gql(s.ownerKey, PATCH, { p: changes.map((x) => ({ user: x.user, scope: 'ORG', operation: x.added ? 'ADD' : 'DELETE', permissions: [x.key] })) });
        if (r.errors || r.status !== 200) {
          failures.push(JSON.stringify(r));
          return;
        }
        for (const x of changes) held[c]!.set(x.user, x.added);
        ops.push({ revision: r.data.patchPermissions.revision, changes });
      }
    });
    const others = (async () => {
      const [lock, cli1] = await Promise.all([holdWriteLock(file, 6, 150), runCli(['key', 'create', '--org', 'default', '--user', USERS[0]!, '--name', 'race'], dir)]);
      const cli2 = await runCli(['key', 'create', '--org', 'default', '--user', USERS[1]!], dir);
      othersDone = true;
      return { lock, cli1, cli2 };
    })();
    const [, { lock, cli1, cli2 }] = await Promise.all([Promise.all(clients), others]);
    expect(failures, 'no SQLITE_BUSY, stale-revision or other internal error reaches a client').toEqual([]);
    expect([lock, cli1.code, cli2.code], cli1.output + cli2.output).toEqual([0, 0, 0]);
    const cliKey = cli1.output.trim().split('\n').at(-1)!;
    expect(ok(await s.gql(cliKey, '{ viewer { email } }')).viewer.email).toBe(USERS[0]);

    // The end state is the union of every client's last acknowledged op.
    for (const user of USERS) {
      const mine = ok(await s.gql(s.ownerKey, 'query($u: String!) { effectivePermissions(user: $u) }', { u: user })).effectivePermissions.filter((p: string) => p.startsWith('RACE_'));
      expect(mine, user).toEqual(KEYS.filter((_, c) => held[c]!.get(user)));
    }
    // The log is a serial order: each op's changes sit together, ending at its acknowledged revision.
    const log: any[] = [];
    for (let after = start, more = true; more; after = log.at(-1)?.revision ?? after) {
      const page = ok(await s.gql(s.ownerKey, 'query($a: String) { changes(after: $a, first: 500) { pageInfo { hasNextPage } edges { node { revision type user { email } permissions } } } }', { a: encodeRevisionCursor(after) })).changes;
      log.push(...page.edges.map((e: any) => e.node));
      more = page.pageInfo.hasNextPage;
    }
    const byRevision = new Map<number, any>(log.map((e: any) => [e.revision, e]));
    for (const op of ops) {
      const got = op.changes.map((_, i) => byRevision.get(op.revision - op.changes.length + 1 + i)).map((e) => `${e?.type} ${e?.user?.email} ${e?.permissions}`);
      expect(got.sort()).toEqual(op.changes.map((x) => `${x.added ? 'GRANT_ADDED' : 'GRANT_REMOVED'} ${x.user} ${x.key}`).sort());
    }
    expect(log.filter((e: any) => e.type.startsWith('GRANT_'))).toHaveLength(ops.reduce((n, op) => n + op.changes.length, 0));
  } finally {
    await s.stop();
  }
  const audit = auditLog(file);
  expect(audit.integrity).toBe('ok');
  for (const org of audit.orgs) expect(org.problems).toEqual([]);
}, 120_000);
