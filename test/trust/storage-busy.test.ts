import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { codeOf, ok, startServer, type GqlResult, type TestServer } from '../helpers/server.js';

/**
 * Issue 11, "Storage edges": another connection holding SQLite's write lock never
 * blocks the event loop; a write waits asynchronously for a bounded time, then is
 * UNAVAILABLE with nothing written.
 */
const BOUND_MS = 1500;
let s: TestServer;
let file: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grantql-busy-'));
  file = join(dir, 'grantql.db');
  s = await startServer({ dbFile: file, config: { dataDir: dir, busyTimeoutMs: BOUND_MS } });
  ok(await s.gql(s.ownerKey, 'mutation { definePermissions(permissions: [{ key: "REPORTS", level: ORG }]) { revision } }'));
});
afterAll(async () => s?.stop());

/** A second connection to the same file holding the write lock (as another process would). */
function holdLock() {
  const other = new Database(file);
  other.exec('BEGIN IMMEDIATE');
  let held = true;
  return {
    get held() {
      return held;
    },
    release() {
      if (held) other.exec('COMMIT');
      held = false;
      other.close();
    },
  };
}

/** Tracks whether a promise has settled yet. */
function track<T>(p: Promise<T>) {
  const t = { settled: false, promise: p };
  p.then(
    () => (t.settled = true),
    () => (t.settled = true),
  );
  return t;
}

const CREATE = 'mutation($e: String!) { createUser(input: { email: $e }) { user { id } } }';
const count = async () => ok(await s.gql(s.ownerKey, '{ changes(first: 0) { totalCount } users(first: 0) { totalCount } }'));
const healthy = async () => (await fetch(`http://127.0.0.1:${s.port}/health`)).status;
const can = async () => ok(await s.gql(s.ownerKey, '{ can(user: "owner@test.local", permission: "REPORTS") }')).can;

describe('another connection holds the write lock', () => {
  it('health, checks and reads answer while a write waits; the write then fails UNAVAILABLE with nothing written', async () => {
    const before = await count();
    const lock = holdLock();
    try {
      const write = track(s.gql(s.ownerKey, CREATE, { e: 'late@busy.test' }));
      expect(await healthy()).toBe(200);
      expect(await can()).toBe(true);
      expect(ok(await s.gql(s.ownerKey, '{ users(first: 5) { totalCount } }')).users.totalCount).toBe(before.users.totalCount);
      // All of that was served while the write was still waiting on the lock.
      expect(write.settled).toBe(false);
      expect(lock.held).toBe(true);
      const r: GqlResult = await write.promise;
      expect(lock.held).toBe(true);
      expect(codeOf(r)).toBe('UNAVAILABLE');
      expect(r.errors![0]!.message).toMatch(/busy/);
    } finally {
      lock.release();
    }
    expect(await count()).toEqual(before);
    expect(ok(await s.gql(s.ownerKey, '{ user(ref: "late@busy.test") { id } }')).user).toBeNull();
  });

  it('a write waiting on the lock commits once the lock is released within the bound, exactly once', async () => {
    const before = await count();
    const lock = holdLock();
    const write = track(s.gql(s.ownerKey, CREATE, { e: 'patient@busy.test' }));
    try {
      expect(await healthy()).toBe(200);
      expect(write.settled).toBe(false);
    } finally {
      lock.release();
    }
    ok(await write.promise);
    const after = await count();
    expect(after.users.totalCount).toBe(before.users.totalCount + 1);
    expect(after.changes.totalCount).toBeGreaterThan(before.changes.totalCount);
    expect(ok(await s.gql(s.ownerKey, '{ user(ref: "patient@busy.test") { email } }')).user.email).toBe('patient@busy.test');
  });

  it('creating an organization under the lock is UNAVAILABLE and leaves no trace; it succeeds once the lock is gone', async () => {
    const lock = holdLock();
    let err: unknown;
    try {
      const created = track(s.services.organizations.create('locked-out', 'boss@locked.test'));
      expect(await healthy()).toBe(200);
      expect(created.settled).toBe(false);
      err = await created.promise.catch((e: unknown) => e);
    } finally {
      lock.release();
    }
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('UNAVAILABLE');
    expect(await s.services.store.organizationByName('locked-out')).toBeNull();
    const made = await s.services.organizations.create('locked-out', 'boss@locked.test');
    expect((await s.services.store.organizationByName('locked-out'))?.id).toBe(made.org.id);
  });
});
