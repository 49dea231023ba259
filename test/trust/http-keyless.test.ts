import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYLESS } from '../../src/transport/keyless.js';
import { codeOf, ok, startServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => s?.stop());

/** A document of `n` characters that is not even GraphQL: parsing it would be a syntax error. */
const garbage = (n: number) => `{ ${'%'.repeat(n)} }`;

async function post(body: string, headers: Record<string, string> = {}) {
  const res = await fetch(s.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, wwwAuthenticate: res.headers.get('www-authenticate'), body: (await res.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> } };
}

describe('a request without a key makes the server do a small, fixed amount of work', () => {
  it(`refuses a document over ${KEYLESS.maxDocumentChars} characters without a key, UNAUTHENTICATED before parsing it`, async () => {
    const r = await post(JSON.stringify({ query: garbage(KEYLESS.maxDocumentChars) }));
    expect(r.status).toBe(401);
    expect(r.wwwAuthenticate).toMatch(/^Bearer/);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(r.body.errors?.[0]?.message).toMatch(/API key/);
    expect(r.body.errors?.[0]?.message).toContain(String(KEYLESS.maxDocumentChars));
  });

  it('checks a presented key before parsing a large document: a bad key is UNAUTHENTICATED, never a syntax error', async () => {
    const [id] = s.ownerKey.split('.');
    for (const authorization of [`Bearer ${id}.wrong`, 'Bearer nonsense', 'Basic abc']) {
      const r = await post(JSON.stringify({ query: garbage(5000) }), { authorization });
      expect([authorization, r.body.errors?.[0]?.extensions?.code]).toEqual([authorization, 'UNAUTHENTICATED']);
    }
    // With the key the same document is parsed, and is the client's syntax error.
    expect((await post(JSON.stringify({ query: garbage(5000) }), { authorization: `Bearer ${s.ownerKey}` })).body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it(`refuses a body over ${KEYLESS.maxBodyBytes} bytes without a key before reading it, declared or chunked`, async () => {
    const body = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(KEYLESS.maxBodyBytes) } });
    const declared = await post(body);
    expect(declared.status).toBe(401);
    expect(declared.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const stream = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode(body)), c.close()) });
    const res = await fetch(s.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    // With a key the same body is fine.
    expect((await post(body, { authorization: `Bearer ${s.ownerKey}` })).body).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses a long GET query without a key', async () => {
    const res = await fetch(`${s.url}?query=${encodeURIComponent(garbage(2000))}`, { headers: { accept: 'application/graphql-response+json' } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
  });

  it('answers __typename and a shallow __type without a key; refuses __schema, fragments and deep documents (UNAUTHENTICATED), not with a key', async () => {
    expect(ok(await s.gql(null, '{ __typename }'))).toEqual({ __typename: 'Query' });
    expect(ok(await s.gql(null, '{ __type(name: "User") { name } }'))).toEqual({ __type: { name: 'User' } });
    const refused: Array<[string, RegExp]> = [
      ['{ __schema { queryType { name } } }', /introspection needs an API key/],
      ['{ __typename a: __schema { types { name } } }', /introspection needs an API key/],
      // Introspection is exempt from the depth and cost limits, and this grows with every level.
      ['{ __type(name: "Query") { fields { type { fields { name } } } } }', /at most 3 levels/],
      ['{ ...F } fragment F on Query { __typename }', /fragments/],
    ];
    for (const [q, message] of refused) {
      const r = await s.gql(null, q);
      expect([q, codeOf(r)]).toEqual([q, 'UNAUTHENTICATED']);
      expect(r.errors?.[0]?.message).toMatch(message);
      expect(r.data ?? null).toBeNull();
    }
    for (const [q] of refused) expect(ok(await s.gql(s.ownerKey, q))).toBeTruthy();
    // GraphiQL's own introspection query is far over the keyless size, and passes with a key.
    expect(getIntrospectionQuery().length).toBeGreaterThan(KEYLESS.maxDocumentChars);
    expect(ok(await s.gql(s.ownerKey, getIntrospectionQuery())).__schema.queryType.name).toBe('Query');
  });

  it('a keyless field that needs a key still says so with UNAUTHENTICATED', async () => {
    expect(codeOf(await s.gql(null, '{ viewer { email } }'))).toBe('UNAUTHENTICATED');
  });
});
