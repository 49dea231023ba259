import { spawn } from 'node:child_process';
import { createGrantqlClient, GrantqlError } from 'grantql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScopeRecord } from '../../src/domain/types.js';
import { newId } from '../../src/ids.js';
import { draft } from '../../src/services/drafts.js';
import { codeOf, ok, startServer, type TestServer } from '../helpers/server.js';
import { buildFixture, email, keysOf, SCOPES_WHERE, WHO_CAN, type Fixture } from './fixture.js';

/** scopesWhere's arguments: page sizes and cursors are validated, and a walk survives writes between pages. */
let s: TestServer;
let f: Fixture;
beforeAll(async () => {
  s = await startServer();
  f = await buildFixture(s);
});
afterAll(() => s?.stop());

const gql = (query: string, vars?: Record<string, unknown>, as = 'owner') => s.gql(f.keys[as]!, query, vars);
const page = async (vars: Record<string, unknown>) => ok(await gql(SCOPES_WHERE, vars)).scopesWhere;
const bob = { u: email('bob'), p: 'EXPORT' };
const refused = async (vars: Record<string, unknown>, message: RegExp) => {
  const r = await gql(SCOPES_WHERE, vars);
  expect(codeOf(r)).toBe('BAD_USER_INPUT');
  expect(r.errors![0]!.message).toMatch(message);
  expect(r.data ?? null).toBeNull();
};

describe('scopesWhere: page sizes', () => {
  it('pages in scope creation order, with an exact total on each page', async () => {
    const one = await page({ ...bob, first: 2 });
    expect(keysOf(one)).toEqual(['acme', 'acme-hq']);
    expect(one).toMatchObject({ totalCount: 4, pageInfo: { hasNextPage: true } });
    const two = await page({ ...bob, first: 2, after: one.pageInfo.endCursor });
    expect(keysOf(two)).toEqual(['hq-annex', 'acme-staff']);
    expect(two).toMatchObject({ totalCount: 4, pageInfo: { hasNextPage: false } });
  });

  it('first: 0 counts without listing; no first gives a default page', async () => {
    expect(await page({ ...bob, first: 0 })).toEqual({ totalCount: 4, edges: [], pageInfo: { hasNextPage: true, endCursor: null } });
    expect(keysOf(await page(bob))).toHaveLength(4);
  });

  it.each([-1, 1001, 2.5])('first: %d is BAD_USER_INPUT naming it', async (first) => {
    await refused({ ...bob, first }, first === 2.5 ? /Int cannot represent non-integer value: 2\.5/ : new RegExp(`first must be between 0 and 1000 \\(got ${first}\\)`));
  });

  it('pages 100 scopes by default and up to 1,000 when asked, walking 1,050 in two pages', async () => {
    const { orgId, ownerKey } = await s.newOrg('many-scopes');
    const ix = s.services.registry.get(orgId);
    const actor = { orgId, userId: ix.ownerId!, keyUserId: ix.ownerId!, apiKeyId: null };
    const now = Date.now();
    const drafts = Array.from({ length: 1050 }, (_, i) => {
      const scope: ScopeRecord = { id: newId('Scope'), orgId, key: `s${String(i).padStart(4, '0')}`, type: 'project', name: null, parentId: null, createdAt: now };
      return draft(actor, 'SCOPE_CREATED', { scopeKey: scope.key, data: { kind: 'scope', scope } });
    });
    s.services.feed.apply(await s.services.store.commit(orgId, ix.revision, drafts));
    const q = 'query($first: Int, $after: String) { scopesWhere(user: "owner@many.test", permission: "VIEW_DIRECTORY", first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { key } } } }';
    const owner = ok(await s.gql(ownerKey, '{ viewer { email } }')).viewer.email;
    const ask = async (vars: Record<string, unknown>) => ok(await s.gql(ownerKey, q.replace('owner@many.test', owner), vars)).scopesWhere;
    const byDefault = await ask({});
    expect(byDefault.edges).toHaveLength(100);
    expect(byDefault).toMatchObject({ totalCount: 1050, pageInfo: { hasNextPage: true } });
    const big = await ask({ first: 1000 });
    expect(big.edges).toHaveLength(1000);
    const rest = await ask({ first: 1000, after: big.pageInfo.endCursor });
    expect(rest.edges).toHaveLength(50);
    expect(rest.pageInfo.hasNextPage).toBe(false);
    expect([...big.edges, ...rest.edges].map((e: { node: { key: string } }) => e.node.key)).toEqual(drafts.map((d) => (d.data as { scope: ScopeRecord }).scope.key));
  });
});

describe('scopesWhere: cursors', () => {
  it.each([
    ['text that is no cursor', 'not-a-cursor'],
    ['a bare scope id', () => s.services.registry.get(s.orgId).scopeByKey.get('acme')!],
    ['a cut cursor', async () => (await page({ ...bob, first: 1 })).pageInfo.endCursor.slice(0, -2)],
    ['a cursor of another list (whoCan: users)', async () => ok(await gql(WHO_CAN, { p: 'EXPORT', first: 1 })).whoCan.pageInfo.endCursor],
  ])('%s is BAD_USER_INPUT naming it', async (_what, make) => {
    const after = typeof make === 'function' ? await make() : make;
    await refused({ ...bob, after }, new RegExp(`after: "${after.slice(0, 20)}.*is not a cursor of this list`));
  });

  it("another organization's scope cursor is BAD_USER_INPUT", async () => {
    const other = await s.newOrg('cursor-tenant');
    ok(await s.gql(other.ownerKey, 'mutation { createScope(input: { key: "elsewhere", type: "company" }) { revision } }'));
    const theirs = ok(await s.gql(other.ownerKey, SCOPES_WHERE, { u: 'owner@cursor-tenant.test', p: 'ADMINISTRATOR' })).scopesWhere;
    expect(keysOf(theirs)).toEqual(['elsewhere']);
    await refused({ ...bob, after: theirs.pageInfo.endCursor }, /is a cursor of another organization/);
  });

  it('a cursor at a scope of another type than asked for is BAD_USER_INPUT naming the scope and both types', async () => {
    const companies = await page({ ...bob, t: 'company' });
    expect(keysOf(companies)).toEqual(['acme']);
    await refused({ ...bob, t: 'property', after: companies.pageInfo.endCursor }, /scope "acme" of type company, not of type property/);
  });

  it("another user's or permission's cursor of this organization is a position: the page continues after that scope", async () => {
    const alice = await page({ u: email('alice'), p: 'P_EDIT', first: 1 });
    expect(keysOf(alice)).toEqual(['acme-hq']);
    expect(keysOf(await page({ ...bob, after: alice.pageInfo.endCursor }))).toEqual(['hq-annex', 'acme-staff']);
    const scopesCursor = ok(await gql('{ scopes(first: 1) { pageInfo { endCursor } } }')).scopes.pageInfo.endCursor;
    expect(keysOf(await page({ ...bob, after: scopesCursor }))).toEqual(['acme-hq', 'hq-annex', 'acme-staff']);
  });
});

describe('scopesWhere: a walk across writes', () => {
  it('never repeats a scope: new ones come last, deleted ones (even the cursor\'s) drop out', async () => {
    const create = (key: string, parent: string) => gql('mutation($i: CreateScopeInput!) { createScope(input: $i) { revision } }', { i: { key, type: 'property', parent } });
    ok(await create('walk-a', 'acme'));
    ok(await create('walk-b', 'acme'));
    const one = await page({ ...bob, first: 3 });
    expect(keysOf(one)).toEqual(['acme', 'acme-hq', 'hq-annex']);
    expect(one.totalCount).toBe(6);
    // Between pages: the cursor's own scope and an unseen one are deleted, one is created.
    ok(await gql('mutation { deleteScope(scope: "hq-annex") { revision } }'));
    ok(await gql('mutation { deleteScope(scope: "walk-a") { revision } }'));
    ok(await create('walk-c', 'acme'));
    const two = await page({ ...bob, first: 3, after: one.pageInfo.endCursor });
    expect(keysOf(two)).toEqual(['acme-staff', 'walk-b', 'walk-c']);
    expect(two).toMatchObject({ totalCount: 5, pageInfo: { hasNextPage: false } });
  });
});

describe('scopesWhere through the typed client and the example', () => {
  it('scopesWhere pages and eachScopeWhere walks them all', async () => {
    const c = createGrantqlClient({ url: s.url, apiKey: f.keys.owner! });
    const want = keysOf(await page({ u: email('ivan'), p: 'P_EDIT', t: 'property', first: 500 }));
    expect(want.length).toBeGreaterThan(2);
    const first = await c.scopesWhere({ user: email('ivan'), permission: 'P_EDIT', type: 'property', first: 1 });
    expect(first.totalCount).toBe(want.length);
    expect(first.edges.map((e) => e.node.key)).toEqual(want.slice(0, 1));
    const all: string[] = [];
    for await (const scope of c.eachScopeWhere({ user: email('ivan'), permission: 'P_EDIT', type: 'property', first: 1 })) all.push(scope.key);
    expect(all).toEqual(want);
    const bad = await c.scopesWhere({ user: email('ivan'), permission: 'P_EDIT', first: 1001 }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(GrantqlError);
    expect((bad as GrantqlError).code).toBe('BAD_USER_INPUT');
  });

  it('examples/scopes-where.ts prints every scope and the count', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/scopes-where.ts', email('bob'), 'EXPORT'], {
      env: { ...process.env, GRANTQL_URL: s.url, GRANTQL_KEY: f.keys.owner! },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, err).toBe(0);
    const want = keysOf(await page(bob));
    expect(out.trim().split('\n').map((line) => line.split('\t')[0])).toEqual(want);
    expect(err).toContain(`on ${want.length} scope(s)`);
  }, 30_000);
});
