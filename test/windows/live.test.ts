// Windows pushed live (issue 15): effectivePermissionsChanged pushes at both boundaries and
// permissionChanged carries GRANT_STARTED and GRANT_EXPIRED, over WebSocket and SSE.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, ok, startServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
const owner = (q: string, v?: Record<string, unknown>) => s.gql(s.ownerKey, q, v);
const iso = (ms: number) => new Date(ms).toISOString();
const EFFECTIVE = 'subscription($u: String!) { effectivePermissionsChanged(user: $u) { permissions revision } }';
const CHANGES = 'subscription { permissionChanged(filter: { types: [GRANT_STARTED, GRANT_EXPIRED] }) { type at actor { email } user { email } permissions } }';

beforeAll(async () => {
  s = await startServer();
  ok(await owner('mutation { definePermissions(permissions: [{ key: "EDIT", level: ANY }]) { revision } }'));
  for (const e of ['ws@x.test', 'sse@x.test']) ok(await owner('mutation($e: String!) { createUser(input: { email: $e, grants: [] }) { revision } }', { e }));
});
afterAll(() => s.stop());

describe.each(['ws', 'sse'] as const)('over %s', (transport) => {
  it('a window that opens and closes while a subscription watches it: one push at each boundary, each event once', async () => {
    const email = `${transport}@x.test`;
    const client = transport === 'ws' ? s.ws(s.ownerKey) : s.sse(s.ownerKey);
    const sets = collect<any>((sink) => client.subscribe({ query: EFFECTIVE, variables: { u: email } }, sink));
    const events = collect<any>((sink) => client.subscribe({ query: CHANGES }, sink));
    await sets.waitFor(1);
    expect(sets.items[0].data.effectivePermissionsChanged.permissions).not.toContain('EDIT');
    const from = Date.now() + 800;
    const until = from + 800;
    ok(await owner('mutation($u: String!, $f: DateTime, $t: DateTime) { patchPermissions(patches: [{ user: $u, scope: "ORG", operation: ADD, permissions: ["EDIT"], startsAt: $f, expiresAt: $t }]) { revision } }', { u: email, f: iso(from), t: iso(until) }));
    const [, opened] = await sets.waitFor(2, 5000);
    expect(opened.data.effectivePermissionsChanged.permissions).toContain('EDIT');
    const [, , closed] = await sets.waitFor(3, 5000);
    expect(closed.data.effectivePermissionsChanged.permissions).not.toContain('EDIT');
    const seen = (await events.waitFor(2, 5000)).map((e) => e.data.permissionChanged).filter((e: { user: { email: string } }) => e.user.email === email);
    expect(seen.map((e: { type: string }) => e.type)).toEqual(['GRANT_STARTED', 'GRANT_EXPIRED']);
    expect(seen.every((e: { actor: unknown }) => e.actor === null)).toBe(true);
    expect(Date.parse(seen[0].at) - from).toBeLessThan(1000);
    expect(Date.parse(seen[1].at) - until).toBeLessThan(1000);
    // Nothing else arrives: exactly one set per change of the set.
    await new Promise((r) => setTimeout(r, 300));
    expect(sets.items).toHaveLength(3);
    sets.unsubscribe();
    events.unsubscribe();
  });
});
