import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { collect } from '../helpers/server.js';
import { exitWithin, post, startChild, type Child } from '../hardening/processes.js';

const SHUTDOWN_MS = 5000;
const CHANGES = 'subscription { permissionChanged { revision type } }';
const EFFECTIVE = 'subscription($u: String!) { effectivePermissionsChanged(user: $u) { revision } }';

let children: Child[] = [];
afterEach(() => {
  for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  children = [];
});
async function child(dir: string) {
  const c = await startChild(dir, { GRANTQL_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_MS) });
  children.push(c);
  return c;
}

type Outcome = { email: string; acked: boolean; code: string | null };

/** Creates users until the server stops answering; what each attempt came to. */
async function writer(c: Child, n: number, outcomes: Outcome[]): Promise<void> {
  for (let i = 0; ; i++) {
    const email = `w${n}-${i}@shutdown.test`;
    const r = await post(c.url, c.ownerKey, 'mutation($e: String!) { createUser(input: { email: $e }) { revision } }', { e: email });
    outcomes.push({ email, acked: !!r?.data?.createUser, code: r?.errors?.[0]?.extensions?.code ?? (r ? null : 'NO_CONNECTION') });
    if (!r?.data) return;
  }
}

describe('SIGTERM', () => {
  it('ends WebSocket (1001) and SSE (complete) subscribers cleanly, lets writes in flight finish, keeps every acknowledged write, and exits 0 within the bound', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grantql-shutdown-'));
    const first = await child(dir);
    let closed: { code: number; reason: string } | null = null;
    const ws = createWsClient({
      url: first.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${first.ownerKey}` },
      on: { closed: (e) => (closed = { code: (e as CloseEvent).code, reason: (e as CloseEvent).reason }) },
      onNonLazyError: () => {},
    });
    const sse = createSseClient({ url: first.url, singleConnection: false, headers: { authorization: `Bearer ${first.ownerKey}` }, retryAttempts: 0 });
    const wsSub = collect<any>((sink) => ws.subscribe({ query: CHANGES }, sink));
    const sseSub = collect<any>((sink) => sse.subscribe({ query: CHANGES }, sink));
    // The other kind of stream (src/changes/effective-stream.ts) ends as promptly.
    const me = (await post(first.url, first.ownerKey, '{ users(first: 1) { edges { node { email } } } }'))!.data.users.edges[0].node.email as string;
    const sseEffective = collect<any>((sink) => sse.subscribe({ query: EFFECTIVE, variables: { u: me } }, sink));
    await new Promise((r) => setTimeout(r, 300));
    expect((await sseEffective.waitFor(1))[0].data.effectivePermissionsChanged.revision).toBeGreaterThan(0);

    const outcomes: Outcome[] = [];
    const writers = Promise.all(Array.from({ length: 4 }, (_, n) => writer(first, n, outcomes)));
    // Both streams are live and writes are under way.
    await wsSub.waitFor(5);
    await sseSub.waitFor(5);
    first.proc.kill('SIGTERM');
    expect(await exitWithin(first.proc, SHUTDOWN_MS + 2000)).toBe('exited');
    expect(first.proc.exitCode).toBe(0);
    await writers;

    expect(closed).toEqual({ code: 1001, reason: 'server shutting down' });
    await sseSub.waitFor(Number.MAX_SAFE_INTEGER, 2000).catch(() => {});
    expect(sseSub.done).toBe(true);
    expect(sseSub.error).toBeNull();
    await sseEffective.waitFor(Number.MAX_SAFE_INTEGER, 2000).catch(() => {});
    expect(sseEffective.done).toBe(true);
    expect(sseEffective.error).toBeNull();
    await ws.dispose();
    await sse.dispose();

    // A write either was acknowledged, or failed cleanly: 503 UNAVAILABLE, or no connection at all.
    const acked = outcomes.filter((o) => o.acked);
    expect(acked.length).toBeGreaterThan(0);
    for (const o of outcomes.filter((x) => !x.acked)) expect([o.email, o.code]).toEqual([o.email, expect.stringMatching(/^(UNAVAILABLE|NO_CONNECTION)$/)]);

    const second = await child(dir);
    for (const o of acked) {
      const r = await post(second.url, second.ownerKey, 'query($u: String!) { user(ref: $u) { email } }', { u: o.email });
      expect([o.email, r?.data?.user?.email]).toEqual([o.email, o.email]);
    }
    second.proc.kill('SIGTERM');
    expect(await exitWithin(second.proc, SHUTDOWN_MS + 2000)).toBe('exited');
  }, 90_000);

  it('a second signal exits at once, while the first still waits for a request in flight', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grantql-shutdown-'));
    const c = await child(dir);
    // A request whose body never completes: the first SIGTERM waits for it (up to the bound).
    const { connect } = await import('node:net');
    const port = Number(new URL(c.url).port);
    const socket = connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.on('error', () => {});
    socket.write(`POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${c.ownerKey}\r\nContent-Length: 100\r\n\r\n{"query":`);
    await new Promise((r) => setTimeout(r, 300));
    c.proc.kill('SIGTERM');
    expect(await exitWithin(c.proc, 1000)).toBe('timeout');
    c.proc.kill('SIGTERM');
    expect(await exitWithin(c.proc, 1000)).toBe('exited');
    expect(c.proc.exitCode).toBe(143);
    socket.destroy();
  }, 60_000);
});
