// The users and grants connections: Relay paging with totalCount, their filters, who
// may list them, and batched relations (a page of users with grants, roles and scopes
// costs the same number of SQL statements for 10 users as for 100).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { defaultConfig } from '../src/config.js';
import { createServices } from '../src/services/container.js';
import { importPreset } from '../src/services/presets.js';
import { codeOf, ok, startServer, userWithKey, type TestServer } from './helpers/server.js';

const USERS = 'query($f: UserFilter, $first: Int, $after: String) { users(filter: $f, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { email } } } }';
const GRANTS = 'query($f: GrantFilter, $first: Int, $after: String) { grants(filter: $f, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { user { email } scope { key } permission role { name } } } } }';
const PATCH = 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision } }';

let s: TestServer;
const owner = (q: string, v?: Record<string, unknown>) => s.gql(s.ownerKey, q, v);
const users = async (f: Record<string, unknown> | null, first?: number, after?: string) => ok(await owner(USERS, { f, first, after })).users;
const emails = (c: { edges: Array<{ node: { email: string } }> }) => c.edges.map((e) => e.node.email);
const grants = async (f: Record<string, unknown>, first?: number, after?: string) => {
  const c = ok(await owner(GRANTS, { f, first, after })).grants;
  return { ...c, list: c.edges.map(({ node: g }: any) => `${g.user.email}@${g.scope?.key ?? 'ORG'}:${g.permission ?? `role ${g.role.name}`}`).sort() };
};

beforeAll(async () => {
  s = await startServer();
  await importPreset(s.services, s.orgId, 'org-property');
  for (const key of ['p1', 'p2']) ok(await owner('mutation($k: String!) { createScope(input: { key: $k, type: "property" }) { revision } }', { k: key }));
  for (let i = 0; i < 7; i++) {
    ok(await owner('mutation($i: CreateUserInput!) { createUser(input: $i) { revision } }', { i: { email: `page-${i}@paging.test`, firstName: 'Pager', lastName: `Smith${i}`, externalId: `pg-${i}` } }));
  }
  ok(await owner(PATCH, {
    p: [
      ...[0, 1, 2].map((i) => ({ user: `pg-${i}`, scope: 'ORG', operation: 'ADD', roles: ['Organization auditor'] })),
      ...[3, 4].map((i) => ({ user: `pg-${i}`, scope: 'p2', operation: 'ADD', permissions: ['P_VIEW_USERS', 'P_EDIT_USERS'] })),
      { user: 'pg-5', scope: 'p1', operation: 'ADD', permissions: ['P_VIEW_USERS'] },
    ],
  }));
});
afterAll(() => s.stop());

describe('users connection', () => {
  it('pages with first/after, hasNextPage and totalCount', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    const pages: number[] = [];
    for (;;) {
      const page = await users({ search: 'PAGING.test' }, 3, after);
      expect(page.totalCount).toBe(7);
      pages.push(page.edges.length);
      seen.push(...emails(page));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
      expect(page.edges.at(-1).cursor).toBe(after);
    }
    expect(pages).toEqual([3, 3, 1]);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `page-${i}@paging.test`));
    const none = await users({ search: 'paging.test' }, 0);
    expect({ total: none.totalCount, edges: none.edges, next: none.pageInfo.hasNextPage }).toEqual({ total: 7, edges: [], next: true });
    for (const first of [-1, 501]) expect(codeOf(await owner(USERS, { first }))).toBe('BAD_USER_INPUT');
  });

  it('searches e-mail, first and last name, full name and externalId, in any case', async () => {
    expect(emails(await users({ search: 'smith3' }))).toEqual(['page-3@paging.test']);
    expect(emails(await users({ search: 'PAGER SMITH4' }))).toEqual(['page-4@paging.test']);
    expect(emails(await users({ search: 'pg-6' }))).toEqual(['page-6@paging.test']);
    expect((await users({ search: 'pager' })).totalCount).toBe(7);
    expect((await users({ search: '%' })).totalCount).toBe(0); // LIKE wildcards are matched literally
  });

  it('filters by role, scope and permission, combined with each other and with search', async () => {
    expect(emails(await users({ role: 'Organization auditor' }))).toEqual([0, 1, 2].map((i) => `page-${i}@paging.test`));
    expect(emails(await users({ role: 'Organization auditor', search: 'smith1' }))).toEqual(['page-1@paging.test']);
    expect(emails(await users({ scope: 'p2' }))).toEqual(['page-3@paging.test', 'page-4@paging.test']);
    expect(emails(await users({ scope: 'p2', role: 'Organization auditor' }))).toEqual([]);
    expect((await users({ scope: 'ORG', search: 'paging' })).totalCount).toBe(7); // the Member default role
    expect(emails(await users({ permission: 'P_VIEW_USERS' }))).toEqual([3, 4, 5].map((i) => `page-${i}@paging.test`));
    expect(emails(await users({ permission: 'VIEW_BILLING' }))).toEqual([0, 1, 2].map((i) => `page-${i}@paging.test`)); // through the role
    expect(emails(await users({ permission: 'P_VIEW_USERS', scope: 'p1' }))).toEqual(['page-5@paging.test']);
    for (const [f, named] of [[{ role: 'Nope' }, 'Nope'], [{ scope: 'nowhere' }, 'nowhere']] as const) {
      const r = await owner(USERS, { f });
      expect(codeOf(r)).toBe('NOT_FOUND');
      expect(r.errors![0]!.message).toContain(named);
    }
  });

  it('is refused without directory rights', async () => {
    const plain = await userWithKey(s, s.ownerKey, 'plain@paging.test');
    const r = await s.gql(plain.key, USERS, {});
    expect(codeOf(r)).toBe('FORBIDDEN');
    expect(r.errors![0]!.message).toContain('VIEW_DIRECTORY');
  });
});

describe('grants connection', () => {
  it('filters by user, scope ("ORG" = the organization), role and permission', async () => {
    expect((await grants({ user: 'pg-0' })).list).toEqual(['page-0@paging.test@ORG:role Member', 'page-0@paging.test@ORG:role Organization auditor']);
    expect((await grants({ user: 'pg-3', scope: 'ORG' })).list).toEqual(['page-3@paging.test@ORG:role Member']);
    expect((await grants({ scope: 'p2' })).list).toEqual([
      'page-3@paging.test@p2:P_EDIT_USERS', 'page-3@paging.test@p2:P_VIEW_USERS', 'page-4@paging.test@p2:P_EDIT_USERS', 'page-4@paging.test@p2:P_VIEW_USERS',
    ]);
    expect((await grants({ role: 'Organization auditor' })).totalCount).toBe(3);
    expect((await grants({ permission: 'P_VIEW_USERS' })).list).toEqual(['page-3@paging.test@p2:P_VIEW_USERS', 'page-4@paging.test@p2:P_VIEW_USERS', 'page-5@paging.test@p1:P_VIEW_USERS']);
    expect((await grants({ permission: 'P_VIEW_USERS', scope: 'p1', user: 'pg-5' })).totalCount).toBe(1);
    expect((await grants({ permission: 'P_VIEW_USERS', user: 'pg-0' })).totalCount).toBe(0);
    expect(codeOf(await owner(GRANTS, { f: { permission: 'P_NOPE' } }))).toBe('BAD_USER_INPUT');
  });

  it('pages with first/after and totalCount', async () => {
    const all = await grants({ scope: 'p2' });
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await grants({ scope: 'p2' }, 3, after);
      expect(page.totalCount).toBe(4);
      seen.push(...page.list);
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : undefined;
    } while (after);
    expect(seen.sort()).toEqual(all.list);
  });

  it("lets a user list its own grants but not another user's", async () => {
    const me = await userWithKey(s, s.ownerKey, 'me@paging.test');
    const mine = ok(await s.gql(me.key, GRANTS, { f: { user: 'me@paging.test' } })).grants;
    expect(mine.totalCount).toBe(1);
    expect(codeOf(await s.gql(me.key, GRANTS, { f: { user: 'pg-0' } }))).toBe('FORBIDDEN');
    expect(codeOf(await s.gql(me.key, GRANTS, {}))).toBe('FORBIDDEN');
  });
});

describe('batched relations', () => {
  it('lists 100 users with their grants, roles and scopes in as many SQL statements as 10 users', async () => {
    let statements: string[] | null = null;
    const services = await createServices(':memory:', defaultConfig({ logLevel: 'silent' }), { verbose: (sql) => statements?.push(String(sql)) });
    const { org, ownerKey } = await services.organizations.create('default', 'owner@sql.test');
    await importPreset(services, org.id, 'org-property');
    const app = buildApp(services);
    const { port } = await app.start(0, '127.0.0.1');
    const post = async (query: string, variables: Record<string, unknown>) => {
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ownerKey}` },
        body: JSON.stringify({ query, variables }),
      });
      return ok((await res.json()) as never) as any;
    };
    try {
      for (let i = 0; i < 5; i++) await post('mutation($k: String!) { createScope(input: { key: $k, type: "property" }) { revision } }', { k: `p${i}` });
      for (let i = 0; i < 110; i++) {
        const grantsOf = [{ roles: ['Member'] }, { scope: `p${i % 5}`, roles: ['Property viewer'] }, { scope: `p${(i + 1) % 5}`, permissions: ['P_EDIT_USERS'] }];
        await post('mutation($i: CreateUserInput!) { createUser(input: $i) { revision } }', { i: { email: `u${i}@sql.test`, grants: grantsOf } });
      }
      const count = async (n: number) => {
        statements = [];
        const data = await post('query($n: Int) { users(first: $n) { totalCount edges { node { email grants { role { name } scope { key } } } } } }', { n });
        const made = statements.length;
        statements = null;
        expect(data.users.edges).toHaveLength(n);
        const withGrants = data.users.edges.filter((e: any) => e.node.grants.length === 3);
        expect(withGrants.length).toBeGreaterThanOrEqual(n - 1); // the owner has none
        expect(withGrants[0].node.grants.map((g: any) => g.role?.name ?? g.scope.key)).toContain('Property viewer');
        return made;
      };
      const ten = await count(10);
      const hundred = await count(100);
      expect(hundred).toBe(ten);
      expect(hundred).toBeLessThanOrEqual(10);
    } finally {
      await app.stop();
      await services.close();
    }
  });
});
