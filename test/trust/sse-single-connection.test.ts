// graphql-sse's single connection mode is refused with a reason a developer can act on
// (issue 16: it answered a bare 405), and nothing happens; distinct connections still stream.
import { createClient } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SINGLE_CONNECTION_REFUSAL } from '../../src/transport/sse-single.js';
import { ok, startServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(() => s?.stop());
const head = async () => ok(await s.gql(s.ownerKey, '{ changes(first: 0) { totalCount } }')).changes.totalCount as number;

describe('graphql-sse single connection mode', () => {
  it("graphql-sse's client in single connection mode fails with the reason, not a bare 405", async () => {
    const client = createClient({ url: s.url, singleConnection: true, retryAttempts: 0, headers: { authorization: `Bearer ${s.ownerKey}` } });
    const err = await new Promise<unknown>((resolve) => {
      client.subscribe({ query: 'subscription { permissionChanged { revision } }' }, { next: () => resolve(new Error('a push arrived')), error: resolve, complete: () => resolve(new Error('completed')) });
    });
    client.dispose();
    expect(String((err as Error).message)).toBe(`Server responded with 405: ${SINGLE_CONNECTION_REFUSAL}`);
  });

  it.each([
    ['a reservation (PUT)', { method: 'PUT' }, ''],
    ['a stream by token header', { method: 'GET', headers: { 'x-graphql-event-stream-token': 'abc', accept: 'text/event-stream' } }, ''],
    ['an operation by token query', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'mutation { definePermissions(permissions: [{ key: "X", level: ORG }]) { revision } }' }) }, '?token=abc'],
  ] as const)('%s: 405 with a GraphQL error naming the modes to use, and nothing written', async (_, init, query) => {
    const before = await head();
    const res = await fetch(`${s.url}${query}`, { ...init, headers: { ...('headers' in init ? init.headers : {}), authorization: `Bearer ${s.ownerKey}` } } as RequestInit);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST');
    expect(await res.json()).toEqual({ errors: [{ message: SINGLE_CONNECTION_REFUSAL, extensions: { code: 'BAD_USER_INPUT' } }] });
    expect(await head()).toBe(before);
  });

  it('distinct connections (the default) still stream', async () => {
    const client = s.sse(s.ownerKey);
    const first = new Promise<unknown>((resolve, reject) => {
      client.subscribe({ query: 'subscription { permissionChanged { type } }' }, { next: resolve, error: reject, complete: () => {} });
    });
    await new Promise((r) => setTimeout(r, 200));
    ok(await s.gql(s.ownerKey, 'mutation { definePermissions(permissions: [{ key: "LIVE", level: ORG }]) { revision } }'));
    expect(await first).toEqual({ data: { permissionChanged: { type: 'CATALOG_CHANGED' } } });
  });
});
