import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeOf, collect, ok, startServer, type TestServer } from '../helpers/server.js';
import { describePg, eventually, scratchDatabase, type ScratchDatabase } from '../helpers/pg.js';
import { tcpProxy, type TcpProxy } from './tcp-proxy.js';
import { metric, settle } from '../trust/subscriptions-kit.js';

// One replica (S) reaches PostgreSQL through a TCP proxy the test cuts and restores;
// another (T) reaches it directly and keeps writing meanwhile.
let db: ScratchDatabase;
let proxy: TcpProxy;
let t: TestServer;
let s: TestServer;
let key: string;

const SCOPE = 'mutation($k: String!) { createScope(input: { key: $k, type: "property" }) { revision scope { key } } }';
const CAN = 'query($k: String) { can(user: "owner@test.local", permission: "MANAGE_USERS", scope: $k) }';
const ready = async (srv: TestServer) => (await fetch(srv.url.replace(/\/graphql$/, '/ready'))).status;
const head = async () => (await t.services.store.headRevision(t.orgId))!;

beforeAll(async () => {
  db = await scratchDatabase('outage');
  proxy = await tcpProxy();
  t = await startServer({ config: { databaseUrl: db.url } });
  key = t.ownerKey;
  // A short bound, so a write in a partition answers UNAVAILABLE quickly.
  s = await startServer({ config: { databaseUrl: proxy.via(db.url), busyTimeoutMs: 1000 } });
  ok(await s.gql(key, SCOPE, { k: 'before' })); // the key is known to S
}, 60_000);

afterAll(async () => {
  await s?.stop();
  await t?.stop();
  await proxy?.close();
  await db?.drop();
});

describePg('a replica cut off from PostgreSQL', () => {
  it('refuses writes with UNAVAILABLE and writes nothing, keeps answering checks, says 503 on /ready, and its streams get everything they missed once the database is back', async () => {
    expect(await ready(s)).toBe(200);
    const sub = collect<any>((sink) => s.ws(key).subscribe({ query: 'subscription($a: String) { permissionChanged(after: $a) { revision type scopeKey } }', variables: {} }, sink));
    const start = await head();
    // Live before the cut: a commit on T arrives on S.
    ok(await t.gql(key, SCOPE, { k: 'live-before' }));
    await sub.waitFor(1);

    proxy.cut();
    const refused = await s.gql(key, SCOPE, { k: 'during-cut' });
    expect(codeOf(refused)).toBe('UNAVAILABLE');
    expect(refused.errors![0]!.message).toMatch(/database is unreachable.*nothing was written/);
    expect(await head()).toBe(start + 1);
    // Checks answer from memory, authenticated from memory.
    expect(ok(await s.gql(key, CAN, { k: 'before' })).can).toBe(true);
    await eventually(async () => (await ready(s)) === 503, '/ready saying 503');
    const body = await (await fetch(s.url.replace(/\/graphql$/, '/ready'))).json();
    expect(body).toMatchObject({ status: 'unavailable' });
    // minRevision it cannot reach: UNAVAILABLE, not a stale answer.
    ok(await t.gql(key, SCOPE, { k: 'missed-1' }));
    ok(await t.gql(key, SCOPE, { k: 'missed-2' }));
    expect(codeOf(await s.gql(key, 'query($r: Int) { can(user: "owner@test.local", permission: "MANAGE_USERS", minRevision: $r) }', { r: start + 3 }))).toBe('UNAVAILABLE');
    expect(sub.done).toBe(false);
    // A stream whose replay the database cannot serve ends with UNAVAILABLE, and is no longer
    // counted as open (it was, for ever, when it ended by throwing).
    const failing = collect<any>((sink) => s.ws(key).subscribe({ query: 'subscription { permissionChanged { revision } }' }, sink));
    await failing.waitFor(1, 15_000);
    expect(failing.error ?? failing.items[0]?.errors).toBeTruthy();
    expect(JSON.stringify(failing.error ?? failing.items)).toContain('UNAVAILABLE');

    proxy.restore();
    const items = await sub.waitFor(3, 15_000);
    const revisions = items.map((i) => i.data.permissionChanged.revision);
    expect(revisions).toEqual([start + 1, start + 2, start + 3]);
    expect(items.map((i) => i.data.permissionChanged.scopeKey)).toEqual(['live-before', 'missed-1', 'missed-2']);
    await eventually(async () => (await ready(s)) === 200, '/ready saying 200 again', 15_000);
    // The failed stream is not counted as open (it was, for ever, when a stream ended by throwing).
    expect(await settle(() => metric(s, 'grantql_subscriptions_open', { field: 'permissionChanged' }), 1)).toBe(1);
    // Writes work again, and nothing of the refused write exists.
    const w = ok(await s.gql(key, SCOPE, { k: 'after' })).createScope;
    expect(w.revision).toBe(start + 4);
    expect(ok(await t.gql(key, 'query { scope(key: "during-cut") { key } }')).scope).toBeNull();
    await sub.waitFor(4);
    expect(sub.items.map((i) => i.data.permissionChanged.revision)).toEqual([start + 1, start + 2, start + 3, start + 4]);
    sub.unsubscribe();
  }, 60_000);

  it('a partition (no reset, nothing arrives): a write answers UNAVAILABLE within its bound instead of hanging, and the replica recovers when it heals', async () => {
    const start = await head();
    proxy.freeze();
    try {
      const refused = await s.gql(key, SCOPE, { k: 'during-freeze' });
      expect(codeOf(refused)).toBe('UNAVAILABLE');
    } finally {
      proxy.restore();
    }
    // The frozen transaction never committed: T's head shows no trace of it.
    await eventually(async () => codeOf(await s.gql(key, SCOPE, { k: 'after-freeze' })) === undefined, 'a write succeeding after the partition', 20_000);
    expect(ok(await t.gql(key, 'query { scope(key: "during-freeze") { key } }')).scope).toBeNull();
    expect(await head()).toBe(start + 1);
    await eventually(async () => (await ready(s)) === 200, '/ready saying 200 after the partition', 15_000);
  }, 60_000);
});
