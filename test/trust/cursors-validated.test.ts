import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, ok, startServer, type TestServer } from '../helpers/server.js';

/** Issue 11, "Smaller": the cursors of every id-keyed connection are opaque and validated. */
let s: TestServer;
let other: { orgId: string; ownerKey: string };
const PATCH = 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision } }';

/** Each connection, with the query that pages it and a root field to read. */
const LISTS = {
  users: 'query($a: String, $n: Int) { users(first: $n, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }',
  grants: 'query($a: String, $n: Int) { grants(first: $n, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }',
  roles: 'query($a: String, $n: Int) { roles(first: $n, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }',
  scopes: 'query($a: String, $n: Int) { scopes(first: $n, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }',
  whoCan: 'query($a: String, $n: Int) { whoCan(permission: "REPORTS", first: $n, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }',
} as const;
type List = keyof typeof LISTS;
const LIST_NAMES = Object.keys(LISTS) as List[];

async function page(key: string, list: List, after: string | null, first = 2) {
  return s.gql(key, LISTS[list], { a: after, n: first });
}

/** Every node id of the list, paging with the cursors it returns. */
async function walk(key: string, list: List, first = 2): Promise<{ ids: string[]; total: number; cursors: string[] }> {
  const ids: string[] = [];
  const cursors: string[] = [];
  let total = 0;
  for (let after: string | null = null, more = true; more; ) {
    const c: any = ok(await page(key, list, after, first))[list];
    total = c.totalCount;
    ids.push(...c.edges.map((e: any) => e.node.id));
    cursors.push(...c.edges.map((e: any) => e.cursor));
    more = c.pageInfo.hasNextPage;
    after = c.pageInfo.endCursor;
  }
  return { ids, total, cursors };
}

async function seed(key: string, tag: string) {
  ok(await s.gql(key, 'mutation { definePermissions(permissions: [{ key: "REPORTS", level: ORG }, { key: "VIEW", level: ANY }]) { revision } }'));
  for (let i = 0; i < 5; i++) {
    ok(await s.gql(key, 'mutation($e: String!) { createUser(input: { email: $e, grants: [{ permissions: ["REPORTS"] }] }) { revision } }', { e: `u${i}@${tag}.test` }));
    ok(await s.gql(key, 'mutation($k: String!) { createScope(input: { key: $k, type: "site" }) { revision } }', { k: `${tag}-s${i}` }));
    ok(await s.gql(key, 'mutation($n: String!) { createRole(input: { name: $n, permissions: ["VIEW"] }) { revision } }', { n: `${tag} role ${i}` }));
  }
}

beforeAll(async () => {
  s = await startServer();
  other = await s.newOrg('other');
  await seed(s.ownerKey, 'main');
  await seed(other.ownerKey, 'other');
});
afterAll(async () => s?.stop());

describe('id cursors of users, grants, roles, scopes and whoCan', () => {
  it.each(LIST_NAMES)('%s: paging with the returned cursors visits every node once, in order, and the count is exact', async (list) => {
    const all = ok(await page(s.ownerKey, list, null, 500))[list];
    const walked = await walk(s.ownerKey, list);
    expect(walked.ids).toEqual(all.edges.map((e: any) => e.node.id));
    expect(walked.total).toBe(all.edges.length);
    expect(all.edges.length).toBeGreaterThan(4);
    // Opaque: a cursor is not the node's id.
    for (const c of walked.cursors) expect(walked.ids).not.toContain(c);
  });

  it.each(LIST_NAMES)('%s: a malformed cursor, a bare id or a truncated cursor is BAD_USER_INPUT naming it', async (list) => {
    const good = ok(await page(s.ownerKey, list, null))[list].pageInfo.endCursor as string;
    const bareId = ok(await page(s.ownerKey, list, null))[list].edges[0].node.id as string;
    for (const bad of ['garbage', bareId, good.slice(0, -3), `${good}x`, '', '%%%', 'x'.repeat(5000)]) {
      const r = await page(s.ownerKey, list, bad);
      expect(codeOf(r), `${list} after ${bad.slice(0, 50)}`).toBe('BAD_USER_INPUT');
      expect(r.errors![0]!.message).toContain(bad.slice(0, 20));
      expect(r.errors![0]!.message).toContain('cursor');
      expect(r.data ?? null).toBeNull();
    }
  });

  it.each(LIST_NAMES)("%s: another organization's cursor, or another list's cursor, is BAD_USER_INPUT", async (list) => {
    const foreign = ok(await page(other.ownerKey, list, null))[list].pageInfo.endCursor as string;
    const r = await page(s.ownerKey, list, foreign);
    expect(codeOf(r)).toBe('BAD_USER_INPUT');
    expect(r.errors![0]!.message).toContain(foreign.slice(0, 20));
    const otherList = list === 'scopes' ? 'roles' : 'scopes';
    const mismatched = ok(await page(s.ownerKey, otherList, null))[otherList].pageInfo.endCursor as string;
    expect(codeOf(await page(s.ownerKey, list, mismatched))).toBe('BAD_USER_INPUT');
  });

  it("users and whoCan list the same nodes, so each accepts the other's cursor", async () => {
    const u = ok(await page(s.ownerKey, 'users', null, 3)).users.pageInfo.endCursor;
    expect(ok(await page(s.ownerKey, 'whoCan', u)).whoCan.edges.length).toBeGreaterThan(0);
  });

  it('a cursor whose node was deleted still pages on after it (Relay keyset)', async () => {
    const first = ok(await page(s.ownerKey, 'users', null, 3)).users;
    const last = first.edges.at(-1).node.id as string;
    const rest = (await walk(s.ownerKey, 'users')).ids;
    const expected = rest.slice(rest.indexOf(last) + 1);
    ok(await s.gql(s.ownerKey, 'mutation($u: String!) { deleteUser(user: $u) { revision } }', { u: last }));
    const after = ok(await page(s.ownerKey, 'users', first.pageInfo.endCursor, 500)).users;
    expect(after.edges.map((e: any) => e.node.id)).toEqual(expected);
  });

  it('a refused cursor changes nothing and a good one still works', async () => {
    void PATCH;
    const before = ok(await s.gql(s.ownerKey, '{ changes(first: 0) { totalCount } }')).changes.totalCount;
    expect(codeOf(await page(s.ownerKey, 'grants', 'nope'))).toBe('BAD_USER_INPUT');
    expect(ok(await s.gql(s.ownerKey, '{ changes(first: 0) { totalCount } }')).changes.totalCount).toBe(before);
  });
});
