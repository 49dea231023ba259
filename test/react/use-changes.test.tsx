// @vitest-environment jsdom-node
import { cleanup, renderHook, waitFor } from '@testing-library/react';
import { GrantqlError, useChanges, useEffectivePermissions, type PermissionChangeItem } from 'grantql/react';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { authenticate } from '../../src/transport/auth.js';
import { ok, startServer, userWithKey, type TestServer } from '../helpers/server.js';
import { provider, serverSockets, subscribedAfters } from './harness.js';

let s: TestServer | null = null;
afterEach(async () => {
  cleanup();
  await s?.stop();
  s = null;
});

const wait = { timeout: 15_000 };
const newUser = async (t: TestServer, email: string) => ok(await t.gql(t.ownerKey, 'mutation($e: String!) { createUser(input: { email: $e }) { revision } }', { e: email }));
const revisions = (items: PermissionChangeItem[]) => items.map((c) => c.revision);

/** Every revision the server's log holds after `after` (as the owner sees it). */
async function logAfter(t: TestServer, after: string | null, filter: Record<string, unknown> | null = null): Promise<number[]> {
  const page = ok(await t.gql(t.ownerKey, 'query($a: String, $f: ChangeFilter) { changes(after: $a, first: 500, filter: $f) { edges { node { revision } } } }', { a: after, f: filter }));
  return page.changes.edges.map((e: { node: { revision: number } }) => e.node.revision);
}

describe('useChanges', () => {
  it('shows new changes as they commit, newest last, the last `limit` kept, without a re-render by the test', async () => {
    s = await startServer();
    const { result } = renderHook(() => useChanges({ types: ['USER_CREATED'] }, { limit: 3 }), { wrapper: provider(s, s.ownerKey) });
    expect(result.current).toMatchObject({ loading: true, changes: [], cursor: null, error: null });
    await waitFor(() => expect(result.current.loading).toBe(false), wait);
    for (const n of [1, 2, 3, 4, 5, 6]) await newUser(s, `u${n}@test.local`);
    ok(await s.gql(s.ownerKey, 'mutation { createScope(input: { key: "D#1", type: "property" }) { revision } }')); // filtered out
    await waitFor(() => expect(result.current.changes.map((c) => c.user?.email)).toEqual(['u4@test.local', 'u5@test.local', 'u6@test.local']), wait);
    expect(result.current.changes.every((c) => c.type === 'USER_CREATED' && c.actor?.email === 'owner@test.local')).toBe(true);
    expect(result.current.cursor).toBe(result.current.changes.at(-1)!.cursor);
    expect(result.current.data).toBe(result.current.changes);
  });

  it('replays from `after`, then continues live', async () => {
    s = await startServer();
    await newUser(s, 'a@test.local');
    const after = ok(await s.gql(s.ownerKey, '{ changes(first: 500) { edges { node { cursor } } } }')).changes.edges.at(-1).node.cursor as string;
    await newUser(s, 'b@test.local');
    const { result } = renderHook(() => useChanges(null, { after }), { wrapper: provider(s, s.ownerKey) });
    const created = () => result.current.changes.filter((c) => c.type === 'USER_CREATED').map((c) => c.user?.email);
    await waitFor(() => expect(created()).toEqual(['b@test.local']), wait);
    await newUser(s, 'c@test.local');
    await waitFor(() => expect(created()).toEqual(['b@test.local', 'c@test.local']), wait);
    // A user is created with the default role: USER_CREATED and GRANT_ADDED each.
    expect(revisions(result.current.changes)).toEqual(await logAfter(s, after));
  });

  it('resumes from its cursor after the server drops every socket, missing and repeating nothing; other hooks recover too', async () => {
    s = await startServer();
    const t = s;
    const sockets = serverSockets(t);
    const afters = subscribedAfters(t);
    await newUser(t, 'ana@example.com');
    const start = ok(await t.gql(t.ownerKey, '{ changes(first: 500) { edges { node { cursor } } } }')).changes.edges.at(-1).node.cursor as string;
    const { result } = renderHook(() => ({ log: useChanges(null, { after: start }), set: useEffectivePermissions('ORG', { user: 'ana@example.com' }) }), {
      wrapper: provider(t, t.ownerKey),
    });
    for (const n of [1, 2]) await newUser(t, `before-${n}@test.local`);
    const logged = await logAfter(t, start);
    await waitFor(() => expect(revisions(result.current.log.changes)).toEqual(logged), wait);
    await waitFor(() => expect(result.current.set.permissions).toEqual([]), wait);
    const last = result.current.log.cursor;
    // A connection drop, then changes committed before the hooks reconnect (they wait ≥ 37 ms).
    sockets.dropAll();
    for (const n of [1, 2, 3]) await newUser(t, `during-${n}@test.local`);
    await waitFor(() => expect(sockets.opened).toBe(2), wait);
    for (const n of [1, 2]) await newUser(t, `after-${n}@test.local`);
    ok(await t.gql(t.ownerKey, 'mutation { patchPermissions(patches: [{ user: "ana@example.com", scope: "ORG", operation: ADD, permissions: ["MANAGE_USERS"] }]) { revision } }'));
    await waitFor(() => expect(result.current.set.permissions).toEqual(['MANAGE_USERS']), wait);
    const expected = await logAfter(t, start);
    await waitFor(() => expect(revisions(result.current.log.changes)).toEqual(expected), wait);
    await new Promise((r) => setTimeout(r, 300)); // a duplicate would arrive now
    expect(revisions(result.current.log.changes)).toEqual(expected);
    // Resubscribed from the last change it had, not from where it started.
    expect(afters).toEqual([start, last]);
    expect(result.current.log.error).toBeNull();
    expect(result.current.set.error).toBeNull();
  });

  it('resumes after a server restart, replaying what was committed while it was down', async () => {
    s = await startServer();
    const t = s;
    const afters = subscribedAfters(t);
    const start = ok(await t.gql(t.ownerKey, '{ changes(first: 500) { edges { node { cursor } } } }')).changes.edges.at(-1).node.cursor as string;
    const { result } = renderHook(() => useChanges({ types: ['USER_CREATED'] }, { after: start }), { wrapper: provider(t, t.ownerKey) });
    for (const n of [1, 2]) await newUser(t, `before-${n}@test.local`);
    await waitFor(() => expect(result.current.changes.length).toBe(2), wait);
    const last = result.current.cursor;

    const first = t.app;
    await first.stop();
    // Written while no server listens (the same services, as another process would): only a replay brings them.
    const owner = (await authenticate(t.services, `Bearer ${t.ownerKey}`))!.actor;
    for (const n of [1, 2, 3]) await t.services.users.create(owner, { email: `while-down-${n}@test.local` });
    await new Promise((r) => setTimeout(r, 300)); // the hook retries against a closed port meanwhile
    const second: App = buildApp(t.services);
    await second.start(t.port, '127.0.0.1');
    // s.stop() stops the app it started, which throws once stopped: it stops this one instead.
    first.stop = (graceMs) => second.stop(graceMs);
    await newUser(t, 'after@test.local');

    const expected = await logAfter(t, start, { types: ['USER_CREATED'] });
    await waitFor(() => expect(revisions(result.current.changes)).toEqual(expected), wait);
    expect(afters).toEqual([start, last]);
    expect(result.current.changes.map((c) => c.user?.email)).toEqual(['before-1', 'before-2', 'while-down-1', 'while-down-2', 'while-down-3', 'after'].map((e) => `${e}@test.local`));
    expect(result.current.error).toBeNull();
  });

  it('a subscriber that falls behind (CONFLICT) resubscribes from its cursor: one commit of more changes than the server buffers', async () => {
    s = await startServer({ config: { subscriptionBuffer: 10 } });
    ok(await s.gql(s.ownerKey, 'mutation { definePermissions(permissions: [{ key: "P_X", level: RESOURCE, resourceTypes: ["property"] }]) { revision } }'));
    const grants = Array.from({ length: 15 }, (_, i) => ({ scope: `P#${i}`, permissions: ['P_X'] }));
    for (const g of grants) ok(await s.gql(s.ownerKey, 'mutation($k: String!) { createScope(input: { key: $k, type: "property" }) { revision } }', { k: g.scope }));
    const afters = subscribedAfters(s);
    const start = ok(await s.gql(s.ownerKey, '{ changes(first: 500) { edges { node { cursor } } } }')).changes.edges.at(-1).node.cursor as string;
    const { result } = renderHook(() => useChanges(null, { after: start }), { wrapper: provider(s, s.ownerKey) });
    await newUser(s, 'first@test.local');
    const live = await logAfter(s, start);
    await waitFor(() => expect(revisions(result.current.changes)).toEqual(live), wait);
    const last = result.current.cursor;
    // 16 changes in one commit, dispatched at once: past the server's buffer of 10 for this subscriber.
    ok(await s.gql(s.ownerKey, 'mutation($i: CreateUserInput!) { createUser(input: $i) { revision } }', { i: { email: 'many@test.local', grants } }));
    const expected = await logAfter(s, start);
    expect(expected.length).toBe(live.length + 16);
    await waitFor(() => expect(revisions(result.current.changes)).toEqual(expected), wait);
    // Ended as fallen behind, and started again from the last change it had received.
    expect(afters).toEqual([start, last]);
    expect(result.current.error).toBeNull();
  });

  it('refusals: another user\'s changes without VIEW_DIRECTORY are FORBIDDEN, a bad key UNAUTHENTICATED, a bad limit BAD_USER_INPUT', async () => {
    s = await startServer();
    const ana = await userWithKey(s, s.ownerKey, 'ana@example.com');
    const { result } = renderHook(
      () => ({
        others: useChanges({ user: 'owner@test.local' }),
        mine: useChanges({ user: 'ana@example.com' }),
        limit: useChanges(null, { limit: 0 }),
      }),
      { wrapper: provider(s, ana.key) },
    );
    await waitFor(() => expect(result.current.others.error).not.toBeNull(), wait);
    expect((result.current.others.error as GrantqlError).code).toBe('FORBIDDEN');
    expect(result.current.limit.error).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining('0') });
    await waitFor(() => expect(result.current.mine.loading).toBe(false), wait);
    ok(await s.gql(s.ownerKey, 'mutation { updateUser(user: "ana@example.com", input: { firstName: "Ana" }) { revision } }'));
    await waitFor(() => expect(result.current.mine.changes.map((c) => c.type)).toEqual(['USER_UPDATED']), wait);
    expect(result.current.mine.error).toBeNull();

    const { result: bad } = renderHook(() => useChanges(), { wrapper: provider(s, `${ana.key}x`) });
    await waitFor(() => expect(bad.current.error).not.toBeNull(), wait);
    expect(bad.current).toMatchObject({ loading: false, changes: [], error: { code: 'UNAUTHENTICATED' } });
  });
});
