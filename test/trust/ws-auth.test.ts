import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { ok, startServer, userWithKey, type TestServer } from '../helpers/server.js';
import { open, wsClient } from './subscriptions-kit.js';

let s: TestServer;
afterEach(async () => {
  vi.restoreAllMocks();
  await s?.stop();
});

/** A raw graphql-transport-ws socket: sends connection_init, resolves with ack or the close code and reason. */
async function init(payload: Record<string, unknown> | undefined): Promise<{ acked: boolean; code?: number; reason?: string; socket: WebSocket }> {
  const socket = new WebSocket(s.wsUrl, 'graphql-transport-ws');
  await new Promise((r) => socket.once('open', r));
  socket.send(JSON.stringify({ type: 'connection_init', ...(payload ? { payload } : {}) }));
  return new Promise((resolve) => {
    socket.once('message', (m) => {
      if (JSON.parse(String(m)).type === 'connection_ack') resolve({ acked: true, socket });
    });
    socket.once('close', (code, reason) => resolve({ acked: false, code, reason: String(reason), socket }));
  });
}

describe('WebSocket authentication', () => {
  it('answers an operation on a socket whose key was revoked with UNAUTHENTICATED, keeps the socket, logs no stack trace', async () => {
    s = await startServer();
    const logged = vi.spyOn(console, 'error');
    const made = ok(await s.gql(s.ownerKey, 'mutation { createApiKey(user: "owner@test.local", name: "ws") { secret apiKey { id } } }')).createApiKey;
    const { client, socket } = await wsClient(s, { authorization: `Bearer ${made.secret}` });
    expect((await open(client, '{ viewer { email } }').first).data.viewer.email).toBe('owner@test.local');
    ok(await s.gql(s.ownerKey, 'mutation($id: ID!) { revokeApiKey(id: $id) { revision } }', { id: made.apiKey.id }));
    for (const query of ['{ viewer { email } }', 'subscription { permissionChanged { revision } }']) {
      const answer = await open(client, query).first;
      expect(answer.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(answer.errors![0]!.message).toMatch(/revoked/);
    }
    expect(socket().readyState).toBe(WebSocket.OPEN);
    expect(logged).not.toHaveBeenCalled();
  });

  it('accepts connectionParams names in any case: Authorization, AUTHORIZATION, X-Act-As, X-ACT-AS', async () => {
    s = await startServer();
    const a = await userWithKey(s, s.ownerKey, 'a@example.com');
    await userWithKey(s, s.ownerKey, 'b@example.com');
    ok(await s.gql(s.ownerKey, 'mutation { patchPermissions(patches: [{ user: "a@example.com", scope: "ORG", operation: ADD, permissions: ["IMPERSONATE"] }]) { revision } }'));
    for (const name of ['Authorization', 'AUTHORIZATION', 'authorization']) {
      const { client } = await wsClient(s, { [name]: `Bearer ${s.ownerKey}` });
      expect((await open(client, '{ viewer { email } }').first).data.viewer.email).toBe('owner@test.local');
    }
    for (const name of ['X-Act-As', 'X-ACT-AS', 'x-act-as']) {
      const { client } = await wsClient(s, { Authorization: `Bearer ${a.key}`, [name]: 'b@example.com' });
      expect((await open(client, '{ viewer { email } }').first).data.viewer.email).toBe('b@example.com');
      const watch = await open(client, 'subscription($u: String!) { effectivePermissionsChanged(user: $u) { user { email } } }', { u: 'b@example.com' }).first;
      expect(watch.data.effectivePermissionsChanged.user.email).toBe('b@example.com');
    }
  });

  it('closes a refused connection_init with 4403 and a reason that says why', async () => {
    s = await startServer();
    const a = await userWithKey(s, s.ownerKey, 'a@example.com');
    const cases: Array<[Record<string, unknown> | undefined, RegExp]> = [
      [undefined, /API key is required/],
      [{}, /API key is required/],
      [{ authorization: 'Bearer key_x.y' }, /not valid/],
      [{ Authorization: 'Basic abc' }, /Bearer/],
      [{ authorization: 42 }, /Bearer/],
      [{ authorization: `Bearer ${a.key}`, 'X-Act-As': 'owner@test.local' }, /IMPERSONATE/],
    ];
    for (const [payload, why] of cases) {
      const r = await init(payload);
      expect(r.acked, JSON.stringify(payload)).toBe(false);
      expect(r.code).toBe(4403);
      expect(r.reason).toMatch(why);
      expect(Buffer.byteLength(r.reason!)).toBeLessThanOrEqual(123);
    }
    expect((await init({ AUTHORIZATION: `Bearer ${s.ownerKey}` })).acked).toBe(true);
  });
});
