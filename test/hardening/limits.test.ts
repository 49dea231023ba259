import { readFileSync } from 'node:fs';
import { getIntrospectionQuery } from 'graphql';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUERY_LIMITS } from '../../src/transport/limits.js';
import { codeOf, collect, ok, startServer, type TestServer } from '../helpers/server.js';

let dev: TestServer;
let prod: TestServer;
beforeAll(async () => {
  [dev, prod] = await Promise.all([startServer(), startServer({ config: { introspection: false, graphiql: false, maxBodyBytes: 64 * 1024 } })]);
});
afterAll(async () => Promise.all([dev?.stop(), prod?.stop()]));

/** Depth 4 + levels: scopes, edges, node, the parents, key. */
const nested = (levels: number) => `{ scopes { edges { node { ${'parent { '.repeat(levels)}key${' }'.repeat(levels)} } } } }`;
const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: viewer { id }`).join(' ')} }`;
const headOf = async (s: TestServer) => ok(await s.gql(s.ownerKey, '{ changes(first: 0) { totalCount } }')).changes.totalCount as number;

/** The README's tour, as a GraphiQL user pastes it: every ```graphql block of that section, in order. */
function tourBlocks(): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const tour = readme.slice(readme.indexOf('## Five-minute tour'), readme.indexOf('\n## ', readme.indexOf('## Five-minute tour') + 5));
  return [...tour.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('query limits fit the contract', () => {
  it("passes GraphiQL's introspection and the README tour, subscription included", async () => {
    const intro = await dev.gql(dev.ownerKey, getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true }));
    expect(ok(intro).__schema.queryType.name).toBe('Query');
    const s = await startServer();
    try {
      const blocks = tourBlocks();
      expect(blocks.length).toBeGreaterThanOrEqual(5);
      for (const block of blocks.filter((b) => !b.trimStart().startsWith('subscription'))) ok(await s.gql(s.ownerKey, block));
      for (const block of blocks.filter((b) => b.trimStart().startsWith('subscription'))) {
        const sub = collect<any>((sink) => s.ws(s.ownerKey).subscribe({ query: block }, sink));
        await new Promise((r) => setTimeout(r, 200));
        ok(await s.gql(s.ownerKey, 'mutation { patchPermissions(patches: [{ user: "ana@example.com", scope: "ORG", operation: DELETE, permissions: ["VIEW_USERS"] }]) { revision } }'));
        const [first] = await sub.waitFor(1);
        expect(first.errors).toBeUndefined();
        sub.unsubscribe();
      }
    } finally {
      await s.stop();
    }
  });

  it('passes a check batch of 1,000, in variables and written inline', async () => {
    const checks = Array.from({ length: 1000 }, (_, i) => ({ user: 'owner@test.local', permission: 'MANAGE_USERS', scope: i % 2 ? 'ORG' : null }));
    const viaVars = ok(await dev.gql(dev.ownerKey, 'query($c: [CheckInput!]!) { check(checks: $c) { allowed } }', { c: checks }));
    expect(viaVars.check).toHaveLength(1000);
    const inline = checks.map((c) => `{ user: "${c.user}", permission: "${c.permission}", scope: ${c.scope ? `"${c.scope}"` : 'null'} }`).join(' ');
    expect(ok(await dev.gql(dev.ownerKey, `{ check(checks: [${inline}]) { allowed reason } }`)).check).toHaveLength(1000);
  });

  it('passes a full page of 500 users with their grants', async () => {
    const q = '{ users(first: 500) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id email firstName lastName externalId isOwner dateJoined grants { id permission createdAt scope { key type } role { name } } } } } }';
    expect(ok(await dev.gql(dev.ownerKey, q)).users.totalCount).toBe(1);
  });

  it.each([
    ['depth', nested(QUERY_LIMITS.depth - 3), nested(QUERY_LIMITS.depth - 4), /depth limit of 12 exceeded, found 13/],
    ['aliases', aliased(QUERY_LIMITS.aliases + 1), aliased(QUERY_LIMITS.aliases), /Aliases limit of 20/],
    ['directives', `{ viewer { ${'id @include(if: true) '.repeat(QUERY_LIMITS.directives + 1)} } }`, `{ viewer { ${'id @include(if: true) '.repeat(QUERY_LIMITS.directives)} } }`, /Directives limit of 10/],
    ['cost', '{ users(first: 500) { edges { node { grants { scope { parent { parent { children { key } } } } role { rights { group actions } } } } } } }', '{ users(first: 50) { edges { node { id } } } }', /Cost limit of 60000/],
    ['tokens', `{${'viewer{id}'.repeat(QUERY_LIMITS.tokens / 4)}}`, `{ ${'viewer { id } '.repeat(100)} }`, /Token limit of 20000/],
    ['nesting', `{ viewer ${'{ id '.repeat(10_000)}${'}'.repeat(10_000)} }`, nested(8), /Brackets nest deeper than the limit of 64/],
  ])('refuses a query over the %s limit with BAD_USER_INPUT, naming it only outside production', async (_name, over, under, message) => {
    // Just under the limit answers with data.
    expect(Object.keys(ok(await dev.gql(dev.ownerKey, under)) ?? {}).length).toBeGreaterThan(0);
    for (const s of [dev, prod]) {
      const r = await s.gql(s.ownerKey, over);
      expect(r.status).toBe(400);
      expect(codeOf(r)).toBe('BAD_USER_INPUT');
      expect(r.data ?? null).toBeNull();
      if (s === dev) expect(r.errors![0]!.message).toMatch(message);
      else expect(r.errors![0]!.message).not.toMatch(/\d/);
    }
  });

  it('applies the same limits over WebSocket', async () => {
    const result = await new Promise<any>((resolve) => {
      dev.ws(dev.ownerKey).subscribe({ query: nested(QUERY_LIMITS.depth) }, { next: resolve, error: resolve, complete: () => {} });
    });
    const errors = Array.isArray(result) ? result : result.errors;
    expect(errors[0].message).toMatch(/depth limit of 12/);
    expect(errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('answers a syntax error over WebSocket with an error message and keeps the socket', async () => {
    const client = dev.ws(dev.ownerKey);
    const run = (query: string) => new Promise<any>((resolve) => client.subscribe({ query }, { next: resolve, error: resolve, complete: () => {} }));
    const broken = await run('{ viewer { ');
    expect(broken[0].message).toMatch(/Syntax Error: Expected Name/);
    expect(await run('{ viewer { email } }')).toEqual({ data: { viewer: { email: 'owner@test.local' } } });
  });

  const wrongEnums = (s: TestServer) => Promise.all([
    s.gql(s.ownerKey, 'mutation { patchPermissions(patches: [{ user: "x", scope: "ORG", operation: ADDD }]) { revision } }'),
    s.gql(s.ownerKey, 'mutation { patchPermissions(patches: [{ user: "x", scope: "ORG", operation: "REMOVE" }]) { revision } }'),
    s.gql(s.ownerKey, 'query($l: PermissionLevel) { permissions(level: $l) { key } }', { l: 'OR' }),
    s.gql(s.ownerKey, 'subscription { permissionChanged(filter: { types: [GRANT_ADDEDD] }) { cursor } }'),
  ]);

  it('hides field and enum suggestions where introspection is off, naming nothing', async () => {
    const field = await prod.gql(prod.ownerKey, '{ viewer { emai } }');
    for (const r of [field, ...(await wrongEnums(prod))]) {
      expect(r.errors?.length).toBeGreaterThan(0);
      expect(JSON.stringify(r)).not.toMatch(/Did you mean|"email"|\bADD\b|\bORG\b|\bGRANT_ADDED\b|one of/);
    }
  });

  it('names every value of the enum in development, and still guesses nothing', async () => {
    const field = await dev.gql(dev.ownerKey, '{ viewer { emai } }');
    expect(JSON.stringify(field)).not.toMatch(/Did you mean|"email"/);
    const [literal, quoted, variable, subscription] = await wrongEnums(dev);
    for (const r of [literal, quoted]) {
      expect(r.errors![0]!.message).toMatch(/"PatchOperation" enum|Enum "PatchOperation"/);
      expect(r.errors![0]!.message).toContain('PatchOperation is one of: ADD, DELETE, SET.');
    }
    expect(variable.errors![0]!.message).toContain('PermissionLevel is one of: ANY, ORG, RESOURCE.');
    expect(subscription.errors![0]!.message).toMatch(/ChangeType is one of: [A-Z_, ]*GRANT_ADDED, GRANT_EXPIRED/);
    for (const r of [literal, quoted, variable, subscription]) expect(JSON.stringify(r)).not.toMatch(/Did you mean/);
  });
});

describe('caps on list arguments', () => {
  it.each([
    ['first', '{ users(first: 501) { totalCount } }', {}, /first must be between 0 and 500 \(got 501\)/],
    ['checks', 'query($c: [CheckInput!]!) { check(checks: $c) { allowed } }', { c: Array.from({ length: 1001 }, () => ({ user: 'owner@test.local', permission: 'MANAGE_USERS' })) }, /at most 1000 checks per request \(got 1001\)/],
    ['definitions', 'mutation($p: [PermissionInput!]!) { definePermissions(permissions: $p) { revision } }', { p: Array.from({ length: 1001 }, (_, i) => ({ key: `K${i}`, level: 'ORG' })) }, /at most 1000 definitions per request \(got 1001\)/],
    ['grants', 'mutation($g: [GrantInput!]!) { replaceGrants(user: "owner@test.local", grants: $g) { revision } }', { g: Array.from({ length: 1001 }, () => ({ permissions: ['MANAGE_USERS'] })) }, /at most 1000 grants per request \(got 1001\)/],
  ])('refuses %s over its cap with a clear BAD_USER_INPUT', async (_n, query, variables, message) => {
    const r = await dev.gql(dev.ownerKey, query, variables);
    expect(codeOf(r)).toBe('BAD_USER_INPUT');
    expect(r.errors![0]!.message).toMatch(message);
  });

  it('takes 1,000 patches at once and refuses 1,001 without changing anything', async () => {
    ok(await dev.gql(dev.ownerKey, 'mutation { createUser(input: { email: "cap@test.local" }) { revision } }'));
    ok(await dev.gql(dev.ownerKey, 'mutation($p: [PermissionInput!]!) { definePermissions(permissions: $p) { revision } }', { p: Array.from({ length: 1000 }, (_, i) => ({ key: `CAP_${i}`, level: 'ORG' })) }));
    const patch = (n: number) => Array.from({ length: n }, (_, i) => ({ user: 'cap@test.local', scope: 'ORG', operation: 'ADD', permissions: [`CAP_${i % 1000}`] }));
    const before = await headOf(dev);
    const refused = await dev.gql(dev.ownerKey, 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision } }', { p: patch(1001) });
    expect(codeOf(refused)).toBe('BAD_USER_INPUT');
    expect(refused.errors![0]!.message).toMatch(/at most 1000 patches per request \(got 1001\)/);
    expect(await headOf(dev)).toBe(before);
    const done = ok(await dev.gql(dev.ownerKey, 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision } }', { p: patch(1000) }));
    expect(done.patchPermissions.revision).toBe(before + 1000);
  });
});

describe('transport limits and production switches', () => {
  it('refuses a body over GRANTQL_MAX_BODY_BYTES with 413, declared or chunked, and changes nothing', async () => {
    const before = await headOf(prod);
    const body = JSON.stringify({ query: 'mutation($n: String) { createUser(input: { email: "big@test.local", firstName: $n }) { revision } }', variables: { n: 'x'.repeat(70_000) } });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${prod.ownerKey}` };
    const declared = await fetch(prod.url, { method: 'POST', headers, body });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({ errors: [{ message: 'the request body is too large', extensions: { code: 'BAD_USER_INPUT' } }] });
    const stream = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode(body)), c.close()) });
    const chunked = await fetch(prod.url, { method: 'POST', headers, body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    const small = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode(JSON.stringify({ query: '{ viewer { email } }' }))), c.close()) });
    const fine = await fetch(prod.url, { method: 'POST', headers, body: small, duplex: 'half' } as RequestInit);
    expect(await fine.json()).toEqual({ data: { viewer: { email: 'owner@test.local' } } });
    expect(await headOf(prod)).toBe(before);
  });

  it('closes a WebSocket whose message exceeds maxPayload (1009)', async () => {
    const socket = new WebSocket(prod.wsUrl, 'graphql-transport-ws');
    await new Promise((r) => socket.once('open', r));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${prod.ownerKey}`, pad: 'x'.repeat(70_000) } }));
    expect(await new Promise((r) => socket.once('close', (code) => r(code)))).toBe(1009);
  });

  it('closes a WebSocket that never sends connection_init (4408 after 5 s)', async () => {
    const socket = new WebSocket(dev.wsUrl, 'graphql-transport-ws');
    const started = Date.now();
    expect(await new Promise((r) => socket.once('close', (code) => r(code)))).toBe(4408);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4900);
  }, 10_000);

  it('switches introspection and GraphiQL off, __typename still answers', async () => {
    const r = await prod.gql(prod.ownerKey, '{ __schema { types { name } } }');
    expect(r.status).toBe(400);
    expect(r.errors![0]!.message).toMatch(/introspection has been disabled/);
    expect(ok(await prod.gql(prod.ownerKey, '{ __typename viewer { __typename } }'))).toEqual({ __typename: 'Query', viewer: { __typename: 'User' } });
    const page = (s: TestServer) => fetch(s.url, { headers: { accept: 'text/html' } });
    expect((await (await page(dev)).text()).toLowerCase()).toContain('graphiql');
    expect((await (await page(prod)).text()).toLowerCase()).not.toContain('graphiql');
  });
});
