import { afterEach, describe, expect, it } from 'vitest';
import { ok, startServer, userWithKey, type TestServer } from '../helpers/server.js';
import { feedListeners, open, settle, sseOpen, wsClient } from './subscriptions-kit.js';

let s: TestServer;
afterEach(async () => s?.stop());

const OWN_CHANGES = 'subscription($f: ChangeFilter) { permissionChanged(filter: $f) { revision type } }';
const EFFECTIVE = 'subscription($u: String!) { effectivePermissionsChanged(user: $u) { permissions } }';
const patch = (user: string, operation: 'ADD' | 'DELETE', permission: string) =>
  s.gql(s.ownerKey, 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision } }', { p: [{ user, scope: 'ORG', operation, permissions: [permission] }] });
const lastCode = (sub: { items: Array<{ errors?: Array<{ extensions?: Record<string, any> }> }> }) => sub.items.at(-1)?.errors?.[0]?.extensions?.code;

/** Owner grants IMPERSONATE to A; A watches as B (a plain user) over WebSocket, both streaming fields. */
async function actingAsB() {
  const a = await userWithKey(s, s.ownerKey, 'a@example.com');
  await userWithKey(s, s.ownerKey, 'b@example.com');
  ok(await patch('a@example.com', 'ADD', 'IMPERSONATE'));
  const baseline = (await feedListeners(s))!;
  const { client } = await wsClient(s, { authorization: `Bearer ${a.key}`, 'x-act-as': 'b@example.com' });
  const changes = open(client, OWN_CHANGES, { f: { user: 'b@example.com' } });
  const effective = open(client, EFFECTIVE, { u: 'b@example.com' });
  expect((await effective.first).data.effectivePermissionsChanged.permissions).toEqual([]);
  expect(await settle(() => feedListeners(s), baseline + 2)).toBe(baseline + 2);
  return { a, client, changes, effective, baseline };
}

describe('streams opened with X-Act-As', () => {
  it('end with FORBIDDEN when the owner revokes the impersonator’s IMPERSONATE', async () => {
    s = await startServer();
    const { changes, effective, baseline } = await actingAsB();
    ok(await patch('a@example.com', 'DELETE', 'IMPERSONATE'));
    await Promise.all([changes.ended, effective.ended]);
    expect([lastCode(changes), lastCode(effective)]).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    expect(changes.items.at(-1)!.errors![0]!.message).toMatch(/IMPERSONATE/);
    expect(await settle(() => feedListeners(s), baseline)).toBe(baseline);
  });

  it('end with FORBIDDEN when the target becomes an administrator and the impersonator is not one', async () => {
    s = await startServer();
    const { changes, effective } = await actingAsB();
    ok(await patch('b@example.com', 'ADD', 'ADMINISTRATOR'));
    await Promise.all([changes.ended, effective.ended]);
    expect([lastCode(changes), lastCode(effective)]).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    expect(effective.items.at(-1)!.errors![0]!.message).toMatch(/administrator/i);
  });

  it('keep delivering while IMPERSONATE is held, and end over SSE too', async () => {
    s = await startServer();
    const { a, changes } = await actingAsB();
    ok(await patch('b@example.com', 'ADD', 'VIEW_DIRECTORY'));
    await settle(async () => changes.items.length, 1);
    expect(changes.items[0]!.data.permissionChanged.type).toBe('GRANT_ADDED');
    const sse = await sseOpen(s, a.key, EFFECTIVE, { u: 'b@example.com' }, { 'x-act-as': 'b@example.com' });
    await sse.readUntil((t) => t.includes('VIEW_DIRECTORY'));
    ok(await patch('a@example.com', 'DELETE', 'IMPERSONATE'));
    const text = await sse.readUntil((t) => t.includes('event: complete'));
    expect(text).toContain('"code":"FORBIDDEN"');
    await changes.ended;
    expect(lastCode(changes)).toBe('FORBIDDEN');
  });
});
