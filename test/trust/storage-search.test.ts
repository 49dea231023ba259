import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, ok, startServer, type TestServer } from '../helpers/server.js';

/** Issue 11, "Storage edges": the users search pattern is bounded and matched literally. */
let s: TestServer;
const SEARCH = 'query($q: String) { users(first: 50, filter: { search: $q }) { totalCount edges { node { email } } } }';
const emails = async (q: string) => (ok(await s.gql(s.ownerKey, SEARCH, { q })).users.edges as any[]).map((e) => e.node.email).sort();

beforeAll(async () => {
  s = await startServer();
  for (const [email, firstName] of [
    ['percent@search.test', '100% sure'],
    ['underscore@search.test', 'snake_case'],
    ['backslash@search.test', 'back\\slash'],
    ['plain@search.test', '100 percent, snakeXcase'],
  ]) {
    ok(await s.gql(s.ownerKey, 'mutation($i: CreateUserInput!) { createUser(input: $i) { revision } }', { i: { email, firstName } }));
  }
});
afterAll(async () => s?.stop());

describe('users(filter: {search})', () => {
  it('a 30,000-character search is BAD_USER_INPUT naming the limit, not an internal error', async () => {
    for (const q of ['a'.repeat(30_000), '%'.repeat(30_000), '_'.repeat(201)]) {
      const r = await s.gql(s.ownerKey, SEARCH, { q });
      expect(codeOf(r)).toBe('BAD_USER_INPUT');
      expect(r.errors![0]!.message).toContain('200');
      expect(r.errors![0]!.message).toContain('search');
    }
  });

  it('a search of exactly 200 characters answers', async () => {
    expect(ok(await s.gql(s.ownerKey, SEARCH, { q: 'x'.repeat(200) })).users.totalCount).toBe(0);
  });

  it('%, _ and \\ match themselves, not any text', async () => {
    expect(await emails('%')).toEqual(['percent@search.test']);
    expect(await emails('0% s')).toEqual(['percent@search.test']);
    expect(await emails('snake_case')).toEqual(['underscore@search.test']);
    expect(await emails('_')).toEqual(['underscore@search.test']);
    expect(await emails('\\')).toEqual(['backslash@search.test']);
    expect(await emails('back\\s')).toEqual(['backslash@search.test']);
  });
});
