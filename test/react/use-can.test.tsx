// @vitest-environment jsdom-node
import { cleanup, render, renderHook, waitFor } from '@testing-library/react';
import { GrantqlError, useCan, useEffectivePermissions, useGrantql } from 'grantql/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ok, startServer, userWithKey, type TestServer } from '../helpers/server.js';
import { grantAt, provider, serverSockets } from './harness.js';

let s: TestServer | null = null;
afterEach(async () => {
  cleanup();
  await s?.stop();
  s = null;
});

const wait = { timeout: 10_000 };

async function setup() {
  s = await startServer();
  ok(await s.gql(s.ownerKey, 'mutation { definePermissions(permissions: [{ key: "P_EDIT", level: RESOURCE, resourceTypes: ["property"] }, { key: "P_VIEW", level: RESOURCE, resourceTypes: ["property"] }]) { revision } }'));
  for (const key of ['D#1', 'D#2']) ok(await s.gql(s.ownerKey, 'mutation($k: String!) { createScope(input: { key: $k, type: "property" }) { revision } }', { k: key }));
  const ana = await userWithKey(s, s.ownerKey, 'ana@example.com');
  return { s, ana };
}

describe('useCan', () => {
  it('goes false → true when a grant is added over the API, and back when it is revoked, without a re-render by the test', async () => {
    const { s, ana } = await setup();
    const { result } = renderHook(() => useCan('P_EDIT', 'D#1'), { wrapper: provider(s, ana.key) });
    expect(result.current).toMatchObject({ loading: true, allowed: undefined, data: undefined, error: null });
    await waitFor(() => expect(result.current).toMatchObject({ loading: false, allowed: false, error: null }), wait);

    ok(await grantAt(s, 'ana@example.com', 'D#1', ['P_EDIT']));
    await waitFor(() => expect(result.current.allowed).toBe(true), wait);
    expect(result.current.data).toBe(true);
    ok(await grantAt(s, 'ana@example.com', 'D#1', ['P_EDIT'], 'DELETE'));
    await waitFor(() => expect(result.current.allowed).toBe(false), wait);
  });

  it('answers as the server does: ADMINISTRATOR passes an ORG permission at a property, granted at ORG after the hook started', async () => {
    const { s, ana } = await setup();
    ok(await grantAt(s, 'ana@example.com', 'D#1', ['P_EDIT', 'P_VIEW']));
    const { result } = renderHook(() => ({ can: useCan('MANAGE_USERS', 'D#1'), set: useEffectivePermissions('D#1') }), { wrapper: provider(s, ana.key) });
    await waitFor(() => expect(result.current.can.allowed).toBe(false), wait);
    const before = result.current.set.revision;
    ok(await s.gql(s.ownerKey, 'mutation { patchPermissions(patches: [{ user: "ana@example.com", scope: "ORG", operation: ADD, permissions: ["ADMINISTRATOR"] }]) { revision } }'));
    // Her set at D#1 is every property permission before and after: only her ORG set tells.
    await waitFor(() => expect(result.current.can.allowed).toBe(true), wait);
    expect(result.current.set).toMatchObject({ permissions: ['P_EDIT', 'P_VIEW'], revision: before });
  });

  it('follows new arguments, asking for another user when allowed (VIEW_DIRECTORY)', async () => {
    const { s } = await setup();
    await userWithKey(s, s.ownerKey, 'bob@example.com', [{ scope: 'D#2', permissions: ['P_VIEW'] }]);
    const { result, rerender } = renderHook(({ scope }) => useCan('P_VIEW', scope, { user: 'bob@example.com' }), {
      wrapper: provider(s, s.ownerKey),
      initialProps: { scope: 'D#1' },
    });
    await waitFor(() => expect(result.current.allowed).toBe(false), wait);
    rerender({ scope: 'D#2' });
    // The previous scope's answer is never shown for the new one.
    expect(result.current).toMatchObject({ loading: true, allowed: undefined });
    await waitFor(() => expect(result.current.allowed).toBe(true), wait);
  });
});

describe('useEffectivePermissions', () => {
  it("is the viewer's set at a scope, live, with the revision it was computed at", async () => {
    const { s, ana } = await setup();
    ok(await grantAt(s, 'ana@example.com', 'D#1', ['P_VIEW']));
    const { result } = renderHook(() => useEffectivePermissions('D#1'), { wrapper: provider(s, ana.key) });
    await waitFor(() => expect(result.current.permissions).toEqual(['P_VIEW']), wait);
    const first = result.current.revision!;
    const { revision } = ok(await grantAt(s, 'ana@example.com', 'D#1', ['P_EDIT'])).patchPermissions;
    await waitFor(() => expect(result.current.permissions).toEqual(['P_EDIT', 'P_VIEW']), wait);
    expect(result.current.revision).toBe(revision);
    expect(revision).toBeGreaterThan(first);
    // A grant elsewhere changes nothing here.
    ok(await grantAt(s, 'ana@example.com', 'D#2', ['P_EDIT']));
    const { result: atOrg } = renderHook(() => useEffectivePermissions(null), { wrapper: provider(s, ana.key) });
    await waitFor(() => expect(atOrg.current.permissions).toEqual([]), wait);
    expect(result.current.permissions).toEqual(['P_EDIT', 'P_VIEW']);
  });
});

describe('refusals', () => {
  it('a bad key is UNAUTHENTICATED, for the viewer and for a named user alike', async () => {
    const { s, ana } = await setup();
    const { result } = renderHook(() => ({ mine: useCan('P_EDIT', 'D#1'), named: useEffectivePermissions('D#1', { user: 'ana@example.com' }) }), {
      wrapper: provider(s, `${ana.key}x`),
    });
    await waitFor(() => expect(result.current.mine.error).toBeInstanceOf(GrantqlError), wait);
    await waitFor(() => expect(result.current.named.error).toBeInstanceOf(GrantqlError), wait);
    for (const live of [result.current.mine, result.current.named]) {
      expect((live.error as GrantqlError).code).toBe('UNAUTHENTICATED');
      expect(live.loading).toBe(false);
      expect(live.data).toBeUndefined();
    }
  });

  it('another user without VIEW_DIRECTORY is FORBIDDEN; an unknown permission is BAD_USER_INPUT, not false', async () => {
    const { s, ana } = await setup();
    await userWithKey(s, s.ownerKey, 'bob@example.com', [{ scope: 'D#1', permissions: ['P_EDIT'] }]);
    const { result } = renderHook(
      () => ({
        other: useCan('P_EDIT', 'D#1', { user: 'bob@example.com' }),
        otherSet: useEffectivePermissions('D#1', { user: 'bob@example.com' }),
        unknown: useCan('P_NOPE', 'D#1'),
      }),
      { wrapper: provider(s, ana.key) },
    );
    await waitFor(() => expect(result.current.other.error).not.toBeNull(), wait);
    await waitFor(() => expect(result.current.otherSet.error).not.toBeNull(), wait);
    await waitFor(() => expect(result.current.unknown.error).not.toBeNull(), wait);
    expect((result.current.other.error as GrantqlError).code).toBe('FORBIDDEN');
    expect(result.current.other.allowed).toBeUndefined();
    expect((result.current.otherSet.error as GrantqlError).code).toBe('FORBIDDEN');
    expect(result.current.otherSet.permissions).toBeUndefined();
    expect((result.current.unknown.error as GrantqlError).code).toBe('BAD_USER_INPUT');
    expect(result.current.unknown.error!.message).toContain('P_NOPE');
  });

  it('outside a provider, every hook throws saying so', () => {
    for (const hook of [() => useCan('P_EDIT'), () => useEffectivePermissions(), () => useGrantql()] as Array<() => unknown>) {
      expect(() => renderHook(hook)).toThrow(/inside <GrantqlProvider/);
    }
  });
});

describe('one connection', () => {
  it('several hooks share one WebSocket and one subscription per (user, scope); unmounting ends them all', async () => {
    const { s, ana } = await setup();
    const sockets = serverSockets(s);
    const baseline = s.services.feed.listenerCount;
    const { result, unmount } = renderHook(
      () => ({
        edit: useCan('P_EDIT', 'D#1'),
        view: useCan('P_VIEW', 'D#1'),
        set: useEffectivePermissions('D#1'),
        org: useEffectivePermissions(),
        grantql: useGrantql(),
      }),
      { wrapper: provider(s, ana.key) },
    );
    await waitFor(() => expect([result.current.edit.allowed, result.current.view.allowed, result.current.set.permissions, result.current.org.permissions]).toEqual([false, false, [], []]), wait);
    ok(await grantAt(s, 'ana@example.com', 'D#1', ['P_VIEW']));
    await waitFor(() => expect(result.current.view.allowed).toBe(true), wait);
    expect(sockets.opened).toBe(1);
    // (ana, D#1) and (ana, ORG): four hooks, two streams.
    expect(s.services.feed.listenerCount - baseline).toBe(2);
    // The HTTP client of the same provider, for what the hooks do not cover.
    expect(await result.current.grantql.client.can({ user: 'ana@example.com', permission: 'P_VIEW', scope: 'D#1' })).toBe(true);
    expect(result.current.grantql.url).toBe(s.url);

    unmount();
    await waitFor(() => expect(s!.services.feed.listenerCount).toBe(baseline), wait);
    await waitFor(() => expect(sockets.open).toBe(0), wait);
  });

  it("survives StrictMode's mount, unmount, mount: one socket, live, and reconnecting after a drop", async () => {
    const { s, ana } = await setup();
    const sockets = serverSockets(s);
    const { result } = renderHook(() => useCan('P_EDIT', 'D#1'), { wrapper: provider(s, ana.key), reactStrictMode: true });
    await waitFor(() => expect(result.current.allowed).toBe(false), wait);
    ok(await grantAt(s, 'ana@example.com', 'D#1', ['P_EDIT']));
    await waitFor(() => expect(result.current.allowed).toBe(true), wait);
    expect(sockets.opened).toBe(1);
    // The connection StrictMode released for a moment was kept, not disposed (a disposed one never reconnects).
    sockets.dropAll();
    await waitFor(() => expect(sockets.opened).toBe(2), wait);
    ok(await grantAt(s, 'ana@example.com', 'D#1', ['P_EDIT'], 'DELETE'));
    await waitFor(() => expect(result.current.allowed).toBe(false), wait);
  });

  it('a new key is a new connection, answering for its user; the old one is closed', async () => {
    const { s, ana } = await setup();
    const bob = await userWithKey(s, s.ownerKey, 'bob@example.com', [{ scope: 'D#1', permissions: ['P_VIEW'] }]);
    ok(await grantAt(s, 'ana@example.com', 'D#1', ['P_EDIT']));
    const sockets = serverSockets(s);
    let seen: string[] | undefined;
    function Probe() {
      seen = useEffectivePermissions('D#1').permissions;
      return null;
    }
    const As = ({ apiKey }: { apiKey: string }) => provider(s, apiKey)({ children: <Probe /> });
    const view = render(<As apiKey={ana.key} />);
    await waitFor(() => expect(seen).toEqual(['P_EDIT']), wait);
    view.rerender(<As apiKey={bob.key} />);
    await waitFor(() => expect(seen).toEqual(['P_VIEW']), wait);
    expect(sockets.opened).toBe(2);
    await waitFor(() => expect(sockets.open).toBe(1), wait);
  });
});
