import { afterEach, describe, expect, it } from 'vitest';
import { ok, startServer, type TestServer } from '../helpers/server.js';
import { CHANGES_SUB, EFFECTIVE_SUB, feedListeners, metric, open, settle, sseOpen, wsClient } from './subscriptions-kit.js';

let s: TestServer;
afterEach(async () => s?.stop());

const N = 2_000;
const SOCKETS = 4;
/** Caps out of the way: this file is about release, subscriptions-caps about the caps. */
const uncapped = { config: { maxSubscriptionsPerConnection: N, maxSubscriptionsPerKey: 2 * N } } as Parameters<typeof startServer>[0];

const head = async () => ok(await s.gql(s.ownerKey, '{ changes(first: 0) { totalCount } }')).changes.totalCount as number;
/** Both streaming fields, alternately. */
const operation = (i: number): [string, Record<string, unknown>] => (i % 2 ? [EFFECTIVE_SUB, { u: 'owner@test.local' }] : [CHANGES_SUB, {}]);

async function openOverWs() {
  const clients = await Promise.all(Array.from({ length: SOCKETS }, () => wsClient(s, { authorization: `Bearer ${s.ownerKey}` })));
  const subs = Array.from({ length: N }, (_, i) => open(clients[i % SOCKETS]!.client, ...operation(i)));
  return { clients, subs };
}

// 2,000 streams per case take 1-4 s alone, but far longer beside the rest of the suite on two
// cores (CI): the cases get 90 s, and settle() waits up to 40 s for the count (a bound on the
// wait, not on what is released: every listener must still go).
describe('every way a subscription ends releases its feed listener at once', { timeout: 90_000 }, () => {
  it('graphql-ws complete: 2,000 subscriptions opened and completed bring grantql_feed_listeners back to its baseline, no event in between', async () => {
    s = await startServer(uncapped);
    const before = await head();
    const baseline = (await feedListeners(s))!;
    expect(baseline).toBeGreaterThanOrEqual(0);
    const { clients, subs } = await openOverWs();
    expect(await settle(() => feedListeners(s), baseline + N)).toBe(baseline + N);
    for (const sub of subs) sub.stop();
    expect(await settle(() => feedListeners(s), baseline)).toBe(baseline);
    expect(await settle(() => metric(s, 'grantql_subscriptions_open', { field: 'permissionChanged' }), 0)).toBe(0);
    // The sockets stay usable and nothing was written meanwhile.
    expect((await open(clients[0]!.client, '{ viewer { email } }').first).data.viewer.email).toBe('owner@test.local');
    expect(await head()).toBe(before);
  });

  it('graphql-ws socket closed (clean close and abrupt terminate): 2,000 subscriptions released, no event in between', async () => {
    s = await startServer(uncapped);
    const before = await head();
    const baseline = (await feedListeners(s))!;
    const { clients } = await openOverWs();
    expect(await settle(() => feedListeners(s), baseline + N)).toBe(baseline + N);
    // A clean close by dispose(): a graphql-ws client whose socket merely closed with 1000
    // reconnects and subscribes again while it has active subscriptions (it did, on PostgreSQL).
    clients.forEach((c, i) => (i % 2 ? c.socket().terminate() : void c.client.dispose()));
    expect(await settle(() => feedListeners(s), baseline)).toBe(baseline);
    expect(await head()).toBe(before);
  });

  it('SSE (distinct connections) aborted by the client: 2,000 subscriptions released, no event in between', async () => {
    s = await startServer(uncapped);
    const before = await head();
    const baseline = (await feedListeners(s))!;
    // In batches: thousands of simultaneous connects overflow the listen backlog and wait on SYN retries.
    const streams: Array<Awaited<ReturnType<typeof sseOpen>>> = [];
    for (let i = 0; i < N; i += 200) streams.push(...(await Promise.all(Array.from({ length: 200 }, (_, j) => sseOpen(s, s.ownerKey, ...operation(i + j))))));
    expect(streams.every((x) => x.status === 200)).toBe(true);
    expect(await settle(() => feedListeners(s), baseline + N)).toBe(baseline + N);
    for (const x of streams) x.abort();
    expect(await settle(() => feedListeners(s), baseline)).toBe(baseline);
    expect(await head()).toBe(before);
  });

  it('graphql-sse client (distinct connections) unsubscribing releases its listeners', async () => {
    s = await startServer();
    const baseline = (await feedListeners(s))!;
    const client = s.sse(s.ownerKey);
    const stops = Array.from({ length: 200 }, (_, i) => {
      const [query, variables] = operation(i);
      return client.subscribe({ query, variables }, { next: () => {}, error: () => {}, complete: () => {} });
    });
    expect(await settle(() => feedListeners(s), baseline + 200)).toBe(baseline + 200);
    for (const stop of stops) stop();
    expect(await settle(() => feedListeners(s), baseline)).toBe(baseline);
  });

  it('a stream that ends itself (its key revoked) releases its listener too', async () => {
    s = await startServer();
    const made = ok(await s.gql(s.ownerKey, 'mutation { createApiKey(user: "owner@test.local", name: "l") { secret apiKey { id } } }')).createApiKey;
    const baseline = (await feedListeners(s))!;
    const { client } = await wsClient(s, { authorization: `Bearer ${made.secret}` });
    const subs = [open(client, CHANGES_SUB), open(client, ...operation(1))];
    expect(await settle(() => feedListeners(s), baseline + 2)).toBe(baseline + 2);
    ok(await s.gql(s.ownerKey, 'mutation($id: ID!) { revokeApiKey(id: $id) { revision } }', { id: made.apiKey.id }));
    await Promise.all(subs.map((x) => x.ended));
    expect(subs.map((x) => x.items.at(-1)?.errors?.[0]?.extensions?.code)).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED']);
    expect(await settle(() => feedListeners(s), baseline)).toBe(baseline);
  });
});
