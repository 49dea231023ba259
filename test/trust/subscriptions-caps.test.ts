import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startServer, userWithKey, type TestServer } from '../helpers/server.js';
import { CHANGES_SUB, EFFECTIVE_SUB, feedListeners, open, settle, sseOpen, wsClient } from './subscriptions-kit.js';

let s: TestServer;
afterEach(async () => s?.stop());

const auth = (key: string) => ({ authorization: `Bearer ${key}` });
type Answer = { errors?: Array<{ message: string; extensions?: Record<string, any> }> };
/** The code of an answer, or of a subscription's first answer. */
const codeOf = (x: Answer | { items: Answer[] }) => ('items' in x ? x.items[0]! : x).errors?.[0]?.extensions?.code;
const capped = (perConnection: number, perKey: number) => ({ config: { maxSubscriptionsPerConnection: perConnection, maxSubscriptionsPerKey: perKey } }) as Parameters<typeof startServer>[0];

/** Opens a subscription and waits until it answered (its first set) or was refused. */
async function opened(client: Parameters<typeof open>[0]) {
  const sub = open(client, EFFECTIVE_SUB, { u: 'owner@test.local' });
  await sub.first;
  return sub;
}

describe('subscription caps', () => {
  it('reads GRANTQL_MAX_SUBSCRIPTIONS_PER_CONNECTION (default 100) and GRANTQL_MAX_SUBSCRIPTIONS_PER_KEY (default 1000), and refuses bad values', () => {
    expect(loadConfig({})).toMatchObject({ maxSubscriptionsPerConnection: 100, maxSubscriptionsPerKey: 1000 });
    expect(loadConfig({ GRANTQL_MAX_SUBSCRIPTIONS_PER_CONNECTION: '7', GRANTQL_MAX_SUBSCRIPTIONS_PER_KEY: '9' })).toMatchObject({ maxSubscriptionsPerConnection: 7, maxSubscriptionsPerKey: 9 });
    expect(() => loadConfig({ GRANTQL_MAX_SUBSCRIPTIONS_PER_CONNECTION: '0', GRANTQL_MAX_SUBSCRIPTIONS_PER_KEY: 'many' })).toThrow(
      /GRANTQL_MAX_SUBSCRIPTIONS_PER_CONNECTION[\s\S]*GRANTQL_MAX_SUBSCRIPTIONS_PER_KEY/,
    );
  });

  it('refuses the 101st subscription on one WebSocket with LIMIT_EXCEEDED naming the cap; another socket still subscribes, and ending one frees its slot', async () => {
    s = await startServer();
    const { client } = await wsClient(s, auth(s.ownerKey));
    const subs = await Promise.all(Array.from({ length: 100 }, () => opened(client)));
    expect(subs.map(codeOf).filter(Boolean)).toEqual([]);
    const answer = await (await opened(client)).first;
    expect(codeOf(answer)).toBe('LIMIT_EXCEEDED');
    expect(answer.errors![0]!.message).toMatch(/\b100\b/);
    expect(answer.errors![0]!.message).toMatch(/GRANTQL_MAX_SUBSCRIPTIONS_PER_CONNECTION/);
    // Queries still answer on the full socket; a second socket of the same key still subscribes.
    expect((await open(client, '{ viewer { email } }').first).data.viewer.email).toBe('owner@test.local');
    const other = await wsClient(s, auth(s.ownerKey));
    expect(codeOf(await opened(other.client))).toBeUndefined();
    // Completing one frees its slot for the next subscribe.
    subs[1]!.stop();
    expect(codeOf(await opened(client))).toBeUndefined();
    expect(codeOf(await opened(client))).toBe('LIMIT_EXCEEDED');
  });

  it('counts per API key across WebSocket and SSE: past GRANTQL_MAX_SUBSCRIPTIONS_PER_KEY both refuse with LIMIT_EXCEEDED, other keys are unaffected, ending frees slots', async () => {
    s = await startServer(capped(100, 4));
    const ana = await userWithKey(s, s.ownerKey, 'ana@example.com');
    const baseline = (await feedListeners(s))!;
    const a = await wsClient(s, auth(s.ownerKey));
    const b = await wsClient(s, auth(s.ownerKey));
    const held = [await opened(a.client), await opened(a.client), await opened(b.client)];
    const sse = await sseOpen(s, s.ownerKey, EFFECTIVE_SUB, { u: 'owner@test.local' });
    await sse.readUntil((t) => t.includes('event: next'));
    expect(sse.text).not.toContain('LIMIT_EXCEEDED');
    expect(await settle(() => feedListeners(s), baseline + 4)).toBe(baseline + 4);

    // The key holds 4: a fifth is refused over either transport, on any socket.
    const overWs = await (await opened(b.client)).first;
    expect(codeOf(overWs)).toBe('LIMIT_EXCEEDED');
    expect(overWs.errors![0]!.message).toMatch(/GRANTQL_MAX_SUBSCRIPTIONS_PER_KEY/);
    expect(overWs.errors![0]!.message).toMatch(/\b4\b/);
    const overSse = await sseOpen(s, s.ownerKey, CHANGES_SUB);
    const text = await overSse.readUntil((t) => t.includes('event: complete'));
    expect(text).toContain('"code":"LIMIT_EXCEEDED"');
    // Another user's key is not affected.
    const anaWs = await wsClient(s, auth(ana.key));
    const anaOwn = open(anaWs.client, EFFECTIVE_SUB, { u: 'ana@example.com' });
    expect(codeOf(await anaOwn.first)).toBeUndefined();

    // Ending a WS subscription and aborting the SSE one frees two slots at once.
    held[0]!.stop();
    sse.abort();
    expect(await settle(() => feedListeners(s), baseline + 3)).toBe(baseline + 3); // two left of the owner, one of ana
    const again = await sseOpen(s, s.ownerKey, EFFECTIVE_SUB, { u: 'owner@test.local' });
    expect(await again.readUntil((t) => t.includes('event: next'))).not.toContain('LIMIT_EXCEEDED');
    expect(codeOf(await opened(a.client))).toBeUndefined();
    expect(codeOf(await opened(b.client))).toBe('LIMIT_EXCEEDED');
    again.abort();
  });

  it('frees the slots of a closed socket at once', async () => {
    s = await startServer(capped(100, 3));
    const a = await wsClient(s, auth(s.ownerKey));
    for (let i = 0; i < 3; i++) expect(codeOf(await opened(a.client))).toBeUndefined();
    const b = await wsClient(s, auth(s.ownerKey));
    expect(codeOf(await opened(b.client))).toBe('LIMIT_EXCEEDED');
    const baseline = (await feedListeners(s))! - 3;
    a.socket().terminate();
    expect(await settle(() => feedListeners(s), baseline)).toBe(baseline);
    for (let i = 0; i < 3; i++) expect(codeOf(await opened(b.client))).toBeUndefined();
    expect(codeOf(await opened(b.client))).toBe('LIMIT_EXCEEDED');
  });
});
