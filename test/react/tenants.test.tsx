// @vitest-environment jsdom-node
import { cleanup, renderHook, waitFor } from '@testing-library/react';
import { GrantqlError, useCan, useChanges, useEffectivePermissions } from 'grantql/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ok, startServer, userWithKey, type TestServer } from '../helpers/server.js';
import { grantAt, provider } from './harness.js';

let s: TestServer | null = null;
afterEach(async () => {
  cleanup();
  await s?.stop();
  s = null;
});

const wait = { timeout: 10_000 };
const code = (e: Error | null) => (e as GrantqlError | null)?.code;

describe('what the hooks show to whom', () => {
  it("another organization's owner sees none of this organization's users, scopes or changes", async () => {
    s = await startServer();
    ok(await s.gql(s.ownerKey, 'mutation { definePermissions(permissions: [{ key: "P_EDIT", level: RESOURCE, resourceTypes: ["property"] }]) { revision } }'));
    ok(await s.gql(s.ownerKey, 'mutation { createScope(input: { key: "D#1", type: "property" }) { revision } }'));
    await userWithKey(s, s.ownerKey, 'ana@example.com', [{ scope: 'D#1', permissions: ['P_EDIT'] }]);
    const other = await s.newOrg('other');
    const { result } = renderHook(
      () => ({
        can: useCan('P_EDIT', 'D#1', { user: 'ana@example.com' }),
        set: useEffectivePermissions(null, { user: 'ana@example.com' }),
        changes: useChanges(),
        own: useChanges({ types: ['USER_CREATED'] }),
      }),
      { wrapper: provider(s, other.ownerKey) },
    );
    await waitFor(() => expect(result.current.set.error).not.toBeNull(), wait);
    await waitFor(() => expect(result.current.can.error).not.toBeNull(), wait);
    expect(code(result.current.set.error)).toBe('NOT_FOUND');
    expect(code(result.current.can.error)).toBe('NOT_FOUND');
    await waitFor(() => expect(result.current.own.loading).toBe(false), wait);
    await userWithKey(s, s.ownerKey, 'bob@example.com');
    ok(await grantAt(s, 'ana@example.com', 'D#1', ['P_EDIT'], 'DELETE'));
    // Its own organization's change arrives; the other's never do.
    ok(await s.gql(other.ownerKey, 'mutation { createUser(input: { email: "carl@other.test" }) { revision } }'));
    await waitFor(() => expect(result.current.own.changes.map((c) => c.user?.email)).toEqual(['carl@other.test']), wait);
    expect(result.current.changes.changes.every((c) => c.user?.email !== 'bob@example.com' && c.scopeKey !== 'D#1')).toBe(true);
  });

  it('a caller without a key gets UNAUTHENTICATED from every hook, and nothing else', async () => {
    s = await startServer();
    const { result } = renderHook(() => ({ can: useCan('ADMINISTRATOR'), set: useEffectivePermissions(null, { user: 'owner@test.local' }), changes: useChanges() }), {
      wrapper: provider(s, ''),
    });
    await waitFor(() => expect([result.current.can, result.current.set, result.current.changes].map((l) => code(l.error))).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED']), wait);
    expect(result.current.changes.error!.message).toMatch(/^the server refused the connection: ./);
    ok(await s.gql(s.ownerKey, 'mutation { createUser(input: { email: "x@test.local" }) { revision } }'));
    await new Promise((r) => setTimeout(r, 200));
    expect(result.current.changes.changes).toEqual([]);
    expect(result.current.can.allowed).toBeUndefined();
  });
});
