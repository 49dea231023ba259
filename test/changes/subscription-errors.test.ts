// What a subscriber sees when something inside its subscription fails: never the internal
// error itself (its message may carry SQL, paths or other tenants' names), always the
// contract's code; a refusal (key revoked) keeps its own code; and /metrics counts both.
// Over WebSocket and SSE, with and without another subscriber sharing the results
// (src/graphql/shared-events.ts masks each shared result once, for every stream).
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRevisionCursor } from '../../src/graphql/paging.js';
import { collect, ok, startServer, type TestServer } from '../helpers/server.js';

const SECRET = 'secret-internal-detail: SELECT * FROM other_tenant';
const QUERY = 'subscription($a: String) { permissionChanged(after: $a) { revision type user { email } } }';

let s: TestServer | null = null;
afterEach(async () => {
  await s?.stop();
  s = null;
});

function subscribe(t: TestServer, transport: 'ws' | 'sse', key: string, after: string | null) {
  const variables = { a: after };
  const client = transport === 'ws' ? t.ws(key) : t.sse(key);
  return collect<any>((sink) => client.subscribe({ query: QUERY, variables }, sink));
}

function text(value: unknown): string {
  if (value instanceof Error) return `${value.message} ${JSON.stringify(value)}`;
  if (value && typeof value === 'object' && 'reason' in value) return `${(value as { code?: number }).code} ${(value as { reason: string }).reason}`;
  return JSON.stringify(value);
}

async function errorResults(t: TestServer): Promise<number> {
  const body = await (await fetch(t.url.replace(/\/graphql$/, '/metrics'))).text();
  let n = 0;
  for (const line of body.split('\n')) if (line.startsWith('graphql_envelop_error_result{') && line.includes('operationType="subscription"')) n += Number(line.split(' ').at(-1));
  return n;
}

describe.each(['ws', 'sse'] as const)('subscription errors over %s', (transport) => {
  it('an internal failure during the replay reaches the subscriber masked, never its message', async () => {
    s = await startServer();
    const t = s;
    ok(await t.gql(t.ownerKey, 'mutation { definePermissions(permissions: [{ key: "EDIT", level: ANY }]) { revision } }'));
    const store = t.services.store;
    const original = store.listChanges.bind(store);
    store.listChanges = async () => {
      throw new Error(SECRET);
    };
    try {
      const streams = [subscribe(t, transport, t.ownerKey, encodeRevisionCursor(1)), subscribe(t, transport, t.ownerKey, encodeRevisionCursor(1))];
      for (const st of streams) {
        const deadline = Date.now() + 5000;
        while (!st.done && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        expect(st.done).toBe(true);
        const seen = [...st.items.map(text), text(st.error)].join('\n');
        expect(seen).not.toContain('secret-internal-detail');
        expect(seen).not.toContain('other_tenant');
      }
    } finally {
      store.listChanges = original;
    }
  });

  it('a result with an internal field error is masked once for every subscriber sharing it', async () => {
    s = await startServer();
    const t = s;
    ok(await t.gql(t.ownerKey, 'mutation { definePermissions(permissions: [{ key: "EDIT", level: ANY }]) { revision } }'));
    ok(await t.gql(t.ownerKey, 'mutation { createUser(input: { email: "ann@errors.test" }) { user { id } } }'));
    const streams = [subscribe(t, transport, t.ownerKey, null), subscribe(t, transport, t.ownerKey, null)];
    await new Promise((r) => setTimeout(r, 300));
    // The event's `user` field is read through the subscription's loaders (users.byIds): make that fail.
    const users = t.services.users;
    const originalByIds = users.byIds.bind(users);
    users.byIds = async () => {
      throw new Error(SECRET);
    };
    try {
      ok(await t.gql(t.ownerKey, 'mutation { patchPermissions(patches: [{ user: "ann@errors.test", scope: "ORG", operation: ADD, permissions: ["EDIT"] }]) { revision } }'));
      const [a, b] = await Promise.all(streams.map((st) => st.waitFor(1)));
      for (const got of [a![0], b![0]]) {
        expect(got.data.permissionChanged).toMatchObject({ type: 'GRANT_ADDED', user: null });
        expect(got.errors).toHaveLength(1);
        expect(got.errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
        expect(got.errors[0].message).toMatch(/^Unexpected error\. \(error id [0-9a-f-]{36}\)$/);
        expect(JSON.stringify(got)).not.toContain('secret-internal-detail');
      }
      // One shared result, masked once: both subscribers name the same error id.
      expect(a![0].errors[0].extensions.errorId).toBe(b![0].errors[0].extensions.errorId);
    } finally {
      users.byIds = originalByIds;
      for (const st of streams) st.unsubscribe();
    }
  });

  it('a subscription refused at its start (a bad cursor) is counted in graphql_envelop_error_result', async () => {
    s = await startServer();
    const t = s;
    const before = await errorResults(t);
    const st = subscribe(t, transport, t.ownerKey, 'not-a-cursor');
    const deadline = Date.now() + 5000;
    while (!st.done && st.items.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(JSON.stringify([st.items, text(st.error)])).toContain('BAD_USER_INPUT');
    expect(await errorResults(t)).toBe(before + 1);
  });

  it('a key revoked mid-stream ends it with UNAUTHENTICATED, counted in graphql_envelop_error_result', async () => {
    s = await startServer();
    const t = s;
    const created = ok(await t.gql(t.ownerKey, 'mutation { createApiKey(user: "owner@test.local", name: "short") { apiKey { id } secret } }')).createApiKey;
    const streams = [subscribe(t, transport, created.secret, null), subscribe(t, transport, created.secret, null)];
    await new Promise((r) => setTimeout(r, 300));
    const before = await errorResults(t);
    ok(await t.gql(t.ownerKey, 'mutation($id: ID!) { revokeApiKey(id: $id) { revision } }', { id: created.apiKey.id }));
    for (const st of streams) {
      const deadline = Date.now() + 5000;
      while (!st.done && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(st.done).toBe(true);
      const last = st.items.at(-1);
      expect(last?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(last?.errors?.[0]?.message).toMatch(/revoked/);
    }
    expect(await errorResults(t)).toBe(before + 2);
  });
});
