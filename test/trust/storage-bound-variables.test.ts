import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, startServer, type TestServer } from '../helpers/server.js';
import { PAST_BIND_LIMIT, seedPermissions, seedRoleHolders, seedScopes } from './storage-seed.js';

/** Issue 11, "Storage edges": no answer breaks or shortens past SQLite's bound-variable limit. */
let s: TestServer;
let role: string;
let perm: string;

beforeAll(async () => {
  s = await startServer();
  role = await seedRoleHolders(s, PAST_BIND_LIMIT);
  perm = await seedScopes(s, PAST_BIND_LIMIT);
}, 60_000);
afterAll(async () => s?.stop());

const USERS = `query($f: UserFilter, $after: String, $counted: Boolean = true) {
  users(first: 500, after: $after, filter: $f) { totalCount @include(if: $counted) pageInfo { hasNextPage endCursor } edges { node { email } } }
}`;

describe('more matching rows than SQLite can bind', () => {
  it('users(filter: {role}) counts every holder and pages through all of them once, in order', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let total = 0;
    for (let more = true; more; ) {
      // Counted on the first page only: a count over 33,000 ids costs more than a page.
      const page: any = ok(await s.gql(s.ownerKey, USERS, { f: { role }, after, counted: after === null })).users;
      total = page.totalCount ?? total;
      seen.push(...page.edges.map((e: any) => e.node.email));
      more = page.pageInfo.hasNextPage;
      after = page.pageInfo.endCursor;
    }
    expect(total).toBe(PAST_BIND_LIMIT);
    expect(seen).toHaveLength(PAST_BIND_LIMIT);
    expect(new Set(seen).size).toBe(PAST_BIND_LIMIT);
    expect(seen[0]).toBe('crowd0@bulk.test');
    expect(seen.at(-1)).toBe(`crowd${PAST_BIND_LIMIT - 1}@bulk.test`);
  }, 30_000);

  it('users(filter: {scope: "ORG"}) and a role-and-search filter answer, with exact counts', async () => {
    const page = ok(await s.gql(s.ownerKey, USERS, { f: { scope: 'ORG' } })).users;
    expect(page.totalCount).toBe(PAST_BIND_LIMIT);
    expect(page.edges).toHaveLength(500);
    const narrowed = ok(await s.gql(s.ownerKey, USERS, { f: { role, search: 'crowd3278' } })).users;
    expect(narrowed.edges.map((e: any) => e.node.email).sort()).toEqual(['crowd3278@bulk.test', ...Array.from({ length: 10 }, (_, i) => `crowd3278${i}@bulk.test`)].sort());
  });

  it('scopesWhere counts every one of the scopes and pages through all of them once', async () => {
    const query = `query($u: String!, $p: String!, $after: String) {
      scopesWhere(user: $u, permission: $p, first: 500, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { key } } } }`;
    const seen: string[] = [];
    let after: string | null = null;
    for (let more = true; more; ) {
      const page: any = ok(await s.gql(s.ownerKey, query, { u: 'owner@test.local', p: perm, after })).scopesWhere;
      expect(page.totalCount).toBe(PAST_BIND_LIMIT);
      seen.push(...page.edges.map((e: any) => e.node.key));
      more = page.pageInfo.hasNextPage;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(PAST_BIND_LIMIT);
    expect(new Set(seen).size).toBe(PAST_BIND_LIMIT);
  }, 30_000);

  it('every lookup by many ids in the store returns each row', async () => {
    const { store } = s.services;
    const ix = s.services.registry.get(s.orgId);
    const userIds = [...ix.users.keys()];
    const scopeIds = [...ix.scopes.keys()];
    expect(userIds.length).toBeGreaterThan(PAST_BIND_LIMIT);
    expect(await store.usersByIds(s.orgId, userIds)).toHaveLength(userIds.length);
    expect(await store.scopesByIds(s.orgId, scopeIds)).toHaveLength(PAST_BIND_LIMIT);
    const grants = await store.grantsOfUsers(s.orgId, userIds);
    expect(grants.length).toBeGreaterThanOrEqual(PAST_BIND_LIMIT);
    expect(await store.grantsByIds(s.orgId, grants.map((g) => g.id))).toHaveLength(grants.length);
    const roleIds = [...ix.roles.keys()];
    // Unknown ids are left out, the known ones all come back.
    expect(await store.rolesByIds(s.orgId, [...userIds, ...roleIds])).toHaveLength(roleIds.length);
    const listed = await store.listUsers(s.orgId, { first: 10, after: null, ids: userIds });
    expect(await listed.count()).toBe(userIds.length);
  });
});

describe('a role with more permissions than one insert can bind (3 values a row)', () => {
  it('createRole with 11,000 permissions commits them all and reads them back', async () => {
    const keys = await seedPermissions(s, 11_000);
    const r = ok(await s.gql(s.ownerKey, 'mutation($p: [String!]) { createRole(input: { name: "Everything", permissions: $p }) { role { id permissions } } }', { p: keys }));
    expect(r.createRole.role.permissions).toHaveLength(keys.length);
    const read = ok(await s.gql(s.ownerKey, '{ role(ref: "Everything") { permissions } }'));
    expect(read.role.permissions).toEqual([...keys].sort());
  });
});
