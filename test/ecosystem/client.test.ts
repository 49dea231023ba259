import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGrantqlClient, GrantqlError, type PermissionChange, type WatchStatus } from 'grantql/client';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { defaultConfig } from '../../src/config.js';
import { encodeChangeCursor } from '../../src/changes/cursor.js';
import { encodeRevisionCursor } from '../../src/graphql/paging.js';
import { createServices, type Services } from '../../src/services/container.js';
import { authenticate } from '../../src/transport/auth.js';
import { ok, startServer, userWithKey, type TestServer } from '../helpers/server.js';

let s: TestServer | null = null;
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await s?.stop();
  s = null;
});

async function until(cond: () => boolean, what: string, ms = 10_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const headCursor = async (t: TestServer) => encodeRevisionCursor(ok(await t.gql(t.ownerKey, '{ changes(first: 0) { totalCount } }')).changes.totalCount);
const newUser = (t: TestServer, email: string) => t.gql(t.ownerKey, 'mutation($e: String!) { createUser(input: { email: $e }) { revision } }', { e: email });

/** Every change after `after`, as the server's log has them. */
async function logAfter(t: TestServer, after: string): Promise<number[]> {
  const page = ok(await t.gql(t.ownerKey, 'query($a: String) { changes(after: $a, first: 500) { edges { node { revision } } } }', { a: after }));
  return page.changes.edges.map((e: { node: { revision: number } }) => e.node.revision);
}

/** No webSocketImpl: on Node 20 the client falls back to the `ws` package by itself. */
function client(t: TestServer, apiKey = t.ownerKey) {
  return createGrantqlClient({ url: t.url, apiKey });
}

describe('grantql/client: can, check, effectivePermissions', () => {
  it('answers checks with the server and reports refusals by code', async () => {
    s = await startServer();
    ok(await s.gql(s.ownerKey, 'mutation { definePermissions(permissions: [{ key: "P_VIEW", level: RESOURCE, resourceTypes: ["property"] }]) { revision } }'));
    ok(await s.gql(s.ownerKey, 'mutation { createScope(input: { key: "D#1", type: "property" }) { revision } }'));
    const ana = await userWithKey(s, s.ownerKey, 'ana@example.com', [{ scope: 'D#1', permissions: ['P_VIEW'] }]);
    const c = client(s);
    expect(await c.can({ user: 'ana@example.com', permission: 'P_VIEW', scope: 'D#1' })).toBe(true);
    expect(await c.can({ user: 'ana@example.com', permission: 'ADMINISTRATOR' })).toBe(false);
    const results = await c.check([
      { user: 'ana@example.com', permission: 'P_VIEW', scope: 'D#1' },
      { user: 'owner@test.local', permission: 'MANAGE_USERS' },
    ]);
    expect(results.map((r) => [r.user, r.permission, r.scope, r.allowed])).toEqual([
      ['ana@example.com', 'P_VIEW', 'D#1', true],
      ['owner@test.local', 'MANAGE_USERS', null, true],
    ]);
    expect(results[0]!.reason).not.toBe('');
    expect(await c.effectivePermissions('ana@example.com', 'D#1')).toEqual(['P_VIEW']);

    const unknown = await c.can({ user: 'ana@example.com', permission: 'NOPE' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(GrantqlError);
    expect((unknown as GrantqlError).message).toContain('NOPE');
    const asAna = client(s, ana.key);
    const forbidden = await asAna.can({ user: 'owner@test.local', permission: 'MANAGE_USERS' }).catch((e: GrantqlError) => e.code);
    expect(forbidden).toBe('FORBIDDEN');
    const badKey = await client(s, `${ana.key}x`).can({ user: 'ana@example.com', permission: 'P_VIEW' }).catch((e: GrantqlError) => e.code);
    expect(badKey).toBe('UNAUTHENTICATED');

    // minRevision on every read: at or below the head answers, beyond it is BAD_USER_INPUT.
    const head = (await s.services.store.headRevision(s.orgId))!;
    expect(await c.can({ user: 'ana@example.com', permission: 'P_VIEW', scope: 'D#1', minRevision: head })).toBe(true);
    expect((await c.check([{ user: 'ana@example.com', permission: 'P_VIEW', scope: 'D#1' }], { minRevision: head }))[0]!.allowed).toBe(true);
    expect(await c.effectivePermissions('ana@example.com', 'D#1', { minRevision: head })).toEqual(['P_VIEW']);
    const beyond = await c.can({ user: 'ana@example.com', permission: 'P_VIEW', scope: 'D#1', minRevision: head + 1 }).catch((e: GrantqlError) => e.code);
    expect(beyond).toBe('BAD_USER_INPUT');
    expect(await c.check([{ user: 'ana@example.com', permission: 'P_VIEW' }], { minRevision: head + 1 }).catch((e: GrantqlError) => e.code)).toBe('BAD_USER_INPUT');
  });
});

/** A server on a fixed port over an existing database file, as after a restart. */
async function restartOn(dbFile: string, port: number): Promise<{ services: Services; app: App }> {
  const services = await createServices(dbFile, defaultConfig({ logLevel: 'silent' }));
  return { services, app: buildApp(services) };
}

describe('grantql/client: watch', () => {
  it('resumes after a server restart on the same database with no missed or duplicated change', async () => {
    const dbFile = join(mkdtempSync(join(tmpdir(), 'grantql-client-')), 'grantql.db');
    s = await startServer({ dbFile });
    const first = s;
    const port = Number(new URL(first.url).port);
    const start = await headCursor(first);
    const got: PermissionChange[] = [];
    const statuses: WatchStatus[] = [];
    const w = client(first).watch({ after: start, onChange: (c) => void got.push(c), onStatus: (st) => statuses.push(st), retry: { minDelayMs: 50, maxDelayMs: 200 } });
    cleanups.push(() => w.close());
    for (const n of [1, 2, 3]) ok(await newUser(first, `before-${n}@test.local`));
    await until(() => got.length >= 3, 'the first changes');

    await first.stop();
    s = null;
    await until(() => statuses.includes('reconnecting'), 'the watch to notice the restart');
    // Changes committed while no server listens: the watch can only get them by replay.
    const second = await restartOn(dbFile, port);
    cleanups.push(async () => (await second.app.stop(), await second.services.close()));
    const owner = (await authenticate(second.services, `Bearer ${first.ownerKey}`))!.actor;
    for (const n of [1, 2]) await second.services.users.create(owner, { email: `while-down-${n}@test.local` });
    await second.app.start(port, '127.0.0.1');
    // A read right after the restart (its pooled keep-alive socket died with the old server).
    expect(await client(first).can({ user: 'before-1@test.local', permission: 'ADMINISTRATOR' })).toBe(false);
    for (const n of [1, 2]) await second.services.users.create(owner, { email: `after-${n}@test.local` });

    const expected = await logAfter(first, start);
    await until(() => got.length >= expected.length, `${expected.length} changes (got ${got.length})`);
    await new Promise((r) => setTimeout(r, 200)); // a duplicate would arrive now
    expect(got.map((c) => c.revision)).toEqual(expected);
    expect(new Set(got.map((c) => c.user?.email)).size).toBeGreaterThanOrEqual(7);
    expect(w.cursor).toBe(got.at(-1)!.cursor);
    expect(statuses.filter((x) => x === 'live').length).toBeGreaterThanOrEqual(2);
  });

  it('keeps its cursor in a store, so a new watcher continues where the last one stopped', async () => {
    s = await startServer();
    const t = s;
    const start = await headCursor(t);
    let saved: string | null = start;
    const store = { load: () => saved, save: (c: string) => void (saved = c) };

    const seen: PermissionChange[] = [];
    const one = client(t).watch({ cursorStore: store });
    const iterating = (async () => {
      for await (const change of one) {
        seen.push(change);
        if (seen.length === 2) break; // handled two: breaking out saves the second
      }
    })();
    ok(await newUser(t, 'a@test.local'));
    await iterating;
    await one.close();
    expect(seen.map((c) => c.revision)).toEqual((await logAfter(t, start)).slice(0, 2));
    expect(saved).toBe(seen[1]!.cursor);
    expect(one.cursor).toBe(seen[1]!.cursor);

    for (const e of ['b@test.local', 'c@test.local']) ok(await newUser(t, e)); // while no watcher runs
    const later: number[] = [];
    const two = client(t).watch({ cursorStore: store, onChange: (c) => void later.push(c.revision) });
    cleanups.push(() => two.close());
    const expected = await logAfter(t, seen[1]!.cursor);
    await until(() => later.length >= expected.length, `${expected.length} changes (got ${later.length})`);
    await new Promise((r) => setTimeout(r, 100));
    expect(later).toEqual(expected);
    expect(saved).toBe(encodeChangeCursor(t.orgId, expected.at(-1)!));
  });

  it('ends with the refusal when retrying cannot help: a filter it may not read, or a revoked key', async () => {
    s = await startServer();
    const t = s;
    const ana = await userWithKey(t, t.ownerKey, 'ana@example.com');
    const wide = client(t, ana.key).watch();
    await expect(wide.closed).rejects.toMatchObject({ code: 'FORBIDDEN' });

    const made = ok(await t.gql(t.ownerKey, 'mutation { createApiKey(user: "ana@example.com", name: "watch") { secret apiKey { id } } }')).createApiKey;
    const errors: GrantqlError[] = [];
    const statuses: WatchStatus[] = [];
    const own = client(t, made.secret).watch({ filter: { user: 'ana@example.com' }, onError: (e) => void errors.push(e), onStatus: (x) => statuses.push(x) });
    await until(() => statuses.includes('live'), 'the watch to connect');
    await new Promise((r) => setTimeout(r, 100));
    ok(await t.gql(t.ownerKey, 'mutation($id: ID!) { revokeApiKey(id: $id) { revision } }', { id: made.apiKey.id }));
    await expect(own.closed).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(errors.map((e) => e.code)).toEqual(['UNAUTHENTICATED']);
    expect(statuses).not.toContain('reconnecting');
  });
});
