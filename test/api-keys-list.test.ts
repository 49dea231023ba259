// Listing API keys (issue 16): apiKeys(first, after, user) and User.apiKeys, never the secret;
// who may list which keys, paging refusals, and what another tenant or a plain user can see.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, ok, startServer, userWithKey, type GqlResult, type TestServer } from './helpers/server.js';

const LIST = 'query($u: String, $first: Int, $after: String) { apiKeys(user: $u, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name user { email } createdAt expiresAt revokedAt } } } }';
type Key = { id: string; name: string; user: { email: string }; expiresAt: string | null; revokedAt: string | null };

let s: TestServer;
let plain: { id: string; key: string };
let other: { id: string; key: string };
let manager: { id: string; key: string };
const secrets: string[] = [];

const list = async (key: string, v: Record<string, unknown> = {}) => ok(await s.gql(key, LIST, v)).apiKeys as { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Array<{ cursor: string; node: Key }> };
const ids = async (key: string, v: Record<string, unknown> = {}) => (await list(key, { first: 500, ...v })).edges.map((e) => e.node.id);
const refused = (r: GqlResult, code: string, ...named: string[]) => {
  expect(codeOf(r), JSON.stringify(r.errors)).toBe(code);
  for (const n of named) expect(r.errors![0]!.message).toContain(n);
};
const idOf = async (key: string, email: string) => (await list(key, { u: email, first: 500 })).edges.map((e) => e.node.id);

beforeAll(async () => {
  s = await startServer();
  plain = await userWithKey(s, s.ownerKey, 'plain@keys.test');
  other = await userWithKey(s, s.ownerKey, 'other@keys.test');
  manager = await userWithKey(s, s.ownerKey, 'manager@keys.test', [{ permissions: ['MANAGE_USERS'] }]);
  for (const k of [s.ownerKey, plain.key, other.key, manager.key]) secrets.push(k);
  const second = ok(await s.gql(plain.key, 'mutation { createApiKey(user: "plain@keys.test", name: "laptop") { secret } }'));
  secrets.push(second.createApiKey.secret);
});
afterAll(() => s.stop());

describe('apiKeys', () => {
  it('lists every key for the owner, oldest first, paged, with its user, never the secret or its hash', async () => {
    const all = await list(s.ownerKey, { first: 500 });
    expect(all.totalCount).toBe(5);
    expect(all.edges.map((e) => e.node.user.email)).toEqual(['owner@test.local', 'plain@keys.test', 'other@keys.test', 'manager@keys.test', 'plain@keys.test']);
    expect(all.edges.slice(1).map((e) => e.node.name)).toEqual(['test', 'test', 'test', 'laptop']);
    for (const secret of secrets) expect(JSON.stringify(all)).not.toContain(secret.split('.')[1]);
    const fields = ok(await s.gql(s.ownerKey, '{ __type(name: "ApiKey") { fields { name } } }')).__type.fields.map((f: { name: string }) => f.name);
    expect(fields.filter((f: string) => /secret|hash/i.test(f))).toEqual([]);
    // Page by page with the cursors it returned: the same keys, each once.
    const seen: string[] = [];
    for (let after: string | null = null, pages = 0; pages < 10; pages++) {
      const page = await list(s.ownerKey, { first: 2, after });
      expect(page.totalCount).toBe(5);
      seen.push(...page.edges.map((e) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(all.edges.map((e) => e.node.id));
  });

  it("a plain user lists its own keys and no one else's (FORBIDDEN whether or not the user exists)", async () => {
    expect((await list(plain.key, { first: 500 })).edges.map((e) => `${e.node.user.email}:${e.node.name}`)).toEqual(['plain@keys.test:test', 'plain@keys.test:laptop']);
    expect(await idOf(plain.key, 'PLAIN@keys.test')).toHaveLength(2);
    for (const u of ['other@keys.test', 'owner@test.local', other.id, 'nobody@keys.test']) {
      refused(await s.gql(plain.key, LIST, { u }), 'FORBIDDEN', 'MANAGE_USERS or ADMINISTRATOR');
    }
    expect(ok(await s.gql(plain.key, '{ viewer { apiKeys { name } } }')).viewer.apiKeys.map((k: { name: string }) => k.name)).toEqual(['test', 'laptop']);
    const viewer = await userWithKey(s, s.ownerKey, 'viewer@keys.test', [{ permissions: ['VIEW_DIRECTORY'] }]);
    refused(await s.gql(viewer.key, '{ user(ref: "plain@keys.test") { apiKeys { id } } }'), 'FORBIDDEN', 'MANAGE_USERS or ADMINISTRATOR');
    const [plainKey] = await idOf(s.ownerKey, 'plain@keys.test');
    expect(ok(await s.gql(other.key, 'query($id: ID!) { node(id: $id) { id } }', { id: plainKey })).node).toBeNull();
  });

  it("MANAGE_USERS lists anyone's keys but the owner's; an unknown user is NOT_FOUND", async () => {
    const everyone = await ids(s.ownerKey);
    const owners = await idOf(s.ownerKey, 'owner@test.local');
    expect(await ids(manager.key)).toEqual(everyone.filter((id) => !owners.includes(id)));
    expect((await list(manager.key, { first: 0 })).totalCount).toBe(everyone.length - owners.length);
    expect(await idOf(manager.key, 'other@keys.test')).toEqual(await idOf(s.ownerKey, 'other@keys.test'));
    refused(await s.gql(manager.key, LIST, { u: 'owner@test.local' }), 'FORBIDDEN', 'MANAGE_USERS or ADMINISTRATOR');
    refused(await s.gql(manager.key, LIST, { u: 'nobody@keys.test' }), 'NOT_FOUND', 'nobody@keys.test');
    const users = ok(await s.gql(manager.key, '{ users(filter: { search: "@keys.test" }) { edges { node { email apiKeys { name } } } } }')).users.edges;
    expect(users.find((e: { node: { email: string } }) => e.node.email === 'plain@keys.test').node.apiKeys.map((k: { name: string }) => k.name)).toEqual(['test', 'laptop']);
    const [plainKey] = await idOf(manager.key, 'plain@keys.test');
    expect(ok(await s.gql(manager.key, 'query($id: ID!) { node(id: $id) { id } }', { id: plainKey })).node).toEqual({ id: plainKey });
    // Acting as a plain user lists that user's keys, as the plain user would.
    const actAs = await s.gql(s.ownerKey, LIST, { first: 500 }, { 'x-act-as': 'plain@keys.test' });
    expect(ok(actAs).apiKeys.edges.map((e: { node: Key }) => e.node.user.email)).toEqual(['plain@keys.test', 'plain@keys.test']);
  });

  it("another organization sees none of our keys, and our ids and cursors are not its own", async () => {
    const beta = await s.newOrg('beta-keys');
    const theirs = await ids(beta.ownerKey);
    expect(theirs).toHaveLength(1);
    expect(theirs.some((id) => secrets.some((k) => k.startsWith(`${id}.`)))).toBe(false);
    refused(await s.gql(beta.ownerKey, LIST, { u: plain.id }), 'NOT_FOUND');
    refused(await s.gql(beta.ownerKey, LIST, { u: 'plain@keys.test' }), 'NOT_FOUND');
    const [plainKey] = await idOf(s.ownerKey, 'plain@keys.test');
    expect(ok(await s.gql(beta.ownerKey, 'query($id: ID!) { node(id: $id) { id } }', { id: plainKey })).node).toBeNull();
    const ourCursor = (await list(s.ownerKey, { first: 1 })).pageInfo.endCursor!;
    refused(await s.gql(beta.ownerKey, LIST, { after: ourCursor }), 'BAD_USER_INPUT', 'another organization');
    refused(await s.gql(beta.ownerKey, 'mutation($id: ID!) { revokeApiKey(id: $id) { revision } }', { id: plainKey }), 'NOT_FOUND');
  });

  it('bad first, a malformed cursor or a cursor of another list is BAD_USER_INPUT naming it, and nothing else happens', async () => {
    refused(await s.gql(s.ownerKey, LIST, { first: -1 }), 'BAD_USER_INPUT', '-1');
    refused(await s.gql(s.ownerKey, LIST, { first: 501 }), 'BAD_USER_INPUT', '501');
    refused(await s.gql(s.ownerKey, LIST, { after: 'not-a-cursor' }), 'BAD_USER_INPUT', 'not-a-cursor');
    const usersCursor = ok(await s.gql(s.ownerKey, '{ users(first: 1) { pageInfo { endCursor } } }')).users.pageInfo.endCursor as string;
    refused(await s.gql(s.ownerKey, LIST, { after: usersCursor }), 'BAD_USER_INPUT', usersCursor.slice(0, 20));
    const [keyId] = await ids(s.ownerKey);
    refused(await s.gql(s.ownerKey, LIST, { after: keyId }), 'BAD_USER_INPUT', keyId!);
  });

  it('a revoked or expired key is still listed, with revokedAt and expiresAt; the listed id revokes the key', async () => {
    const temp = await userWithKey(s, s.ownerKey, 'temp@keys.test');
    const soon = new Date(Date.now() + 1500).toISOString();
    ok(await s.gql(s.ownerKey, 'mutation($t: DateTime) { createApiKey(user: "temp@keys.test", name: "short", expiresAt: $t) { secret } }', { t: soon }));
    const [listed] = (await list(s.ownerKey, { u: 'temp@keys.test' })).edges.map((e) => e.node).filter((k) => k.name === 'test');
    expect(ok(await s.gql(temp.key, '{ viewer { email } }')).viewer.email).toBe('temp@keys.test');
    const revoked = ok(await s.gql(s.ownerKey, 'mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { id revokedAt } } }', { id: listed!.id })).revokeApiKey.apiKey;
    expect(revoked.id).toBe(listed!.id);
    expect(codeOf(await s.gql(temp.key, '{ viewer { email } }'))).toBe('UNAUTHENTICATED');
    await new Promise((r) => setTimeout(r, Date.parse(soon) - Date.now() + 50));
    const after = (await list(s.ownerKey, { u: 'temp@keys.test' })).edges.map((e) => e.node);
    expect(after.map((k) => [k.name, k.revokedAt, k.expiresAt])).toEqual([['test', revoked.revokedAt, null], ['short', null, soon]]);
    expect(Date.parse(after[1]!.expiresAt!)).toBeLessThan(Date.now());
  });
});
