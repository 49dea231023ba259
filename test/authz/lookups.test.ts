import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, ok, startServer, type TestServer } from '../helpers/server.js';
import { buildFixture, CAN, CHECK, EFFECTIVE, email, keysOf, SCOPES_WHERE, WHO_CAN, type Fixture } from './fixture.js';

let s: TestServer;
let f: Fixture;
beforeAll(async () => {
  s = await startServer();
  f = await buildFixture(s);
});
afterAll(() => s?.stop());

const gql = (query: string, vars?: Record<string, unknown>, as = 'owner') => s.gql(f.keys[as]!, query, vars);
const check = (user: string, permission: string, scope: string | null = null) => ({ user: email(user), permission, scope });

describe('check: reasons a person can read, and the grants that allow', () => {
  it.each([
    ['a direct grant above', check('alice', 'P_EDIT', 'hq-annex'), true, /direct grant at "acme-hq"/, [{ permission: 'P_EDIT', role: null, scope: { key: 'acme-hq' } }]],
    ['a typed role at ORG', check('ivan', 'P_EDIT', 'globex-hq'), true, /role "Property Manager" at ORG/, [{ permission: null, role: { name: 'Property Manager' }, scope: null }]],
    ['two grants', check('nora', 'EXPORT', 'hq-annex'), true, /"acme".*ORG/, [{ permission: 'EXPORT', role: null, scope: { key: 'acme' } }, { permission: 'EXPORT', role: null, scope: null }]],
    ['the owner', check('owner', 'P_EDIT', null), true, /owner/, []],
    ['an administrator', check('admin', 'REPORTS', 'acme'), true, /ADMINISTRATOR/, [{ permission: null, role: { name: 'Administrator' }, scope: null }]],
    ['RESOURCE at ORG', check('alice', 'P_EDIT', null), false, /P_EDIT is a RESOURCE permission and never takes effect at ORG/, []],
    ['ORG on a scope', check('dave', 'REPORTS', 'acme'), false, /REPORTS is an ORG permission and takes effect only at ORG/, []],
    ['another type', check('erin', 'P_EDIT', 'acme'), false, /only on scopes of type property, not company/, []],
    ['no grant', check('mia', 'EXPORT', 'acme'), false, /no grant of EXPORT at scope "acme" or above it/, []],
  ])('%s', async (_what, entry, allowed, reason, grants) => {
    const [r] = ok(await gql(CHECK, { c: [entry] })).check;
    expect(r).toMatchObject({ user: entry.user, permission: entry.permission, scope: entry.scope, allowed });
    expect(r.reason).toMatch(reason);
    expect(r.grants.map(({ user, ...g }: { user: { email: string } }) => (expect(user.email).toBe(entry.user), g))).toEqual(grants);
  });

  it('answers a batch of 1,000 in order, and refuses 1,001', async () => {
    const batch = Array.from({ length: 1000 }, (_, i) => check(i % 2 ? 'alice' : 'carol', 'P_EDIT', 'acme-hq'));
    const results = ok(await gql(CHECK, { c: batch })).check as Array<{ user: string; allowed: boolean }>;
    expect(results.map((r) => [r.user, r.allowed])).toEqual(batch.map((c, i) => [c.user, i % 2 === 1]));
    const r = await gql(CHECK, { c: [...batch, check('alice', 'P_EDIT')] });
    expect(codeOf(r)).toBe('BAD_USER_INPUT');
    expect(r.errors![0]!.message).toMatch(/1000.*1001/);
  });

  it.each([
    ['an unknown permission', check('alice', 'NOPE', 'acme'), 'BAD_USER_INPUT', /NOPE/],
    ['an unknown scope', check('alice', 'P_EDIT', 'nowhere'), 'NOT_FOUND', /nowhere/],
    ['an unknown user', check('nobody', 'P_EDIT', 'acme'), 'NOT_FOUND', /nobody@acme.test/],
  ])('one bad entry (%s) refuses the whole batch', async (_what, bad, code, message) => {
    const r = await gql(CHECK, { c: [check('alice', 'P_EDIT', 'acme-hq'), bad, check('bob', 'EXPORT', 'acme')] });
    expect(codeOf(r)).toBe(code);
    expect(r.errors![0]!.message).toMatch(message);
    expect(r.data ?? null).toBeNull();
  });
});

describe('unknown names are errors, never a silent false', () => {
  it.each([
    ['can: permission', CAN, { u: email('alice'), p: 'NOPE', s: 'acme' }, 'BAD_USER_INPUT', /"NOPE"/],
    ['can: scope', CAN, { u: email('alice'), p: 'P_EDIT', s: 'nowhere' }, 'NOT_FOUND', /"nowhere"/],
    ['can: user', CAN, { u: 'nobody@acme.test', p: 'P_EDIT', s: 'acme' }, 'NOT_FOUND', /nobody@acme.test/],
    ['effectivePermissions: scope', EFFECTIVE, { u: email('alice'), s: 'nowhere' }, 'NOT_FOUND', /"nowhere"/],
    ['effectivePermissions: user', EFFECTIVE, { u: 'nobody', s: null }, 'NOT_FOUND', /"nobody"/],
    ['whoCan: permission', WHO_CAN, { p: 'NOPE' }, 'BAD_USER_INPUT', /"NOPE"/],
    ['whoCan: scope', WHO_CAN, { p: 'P_EDIT', s: 'nowhere' }, 'NOT_FOUND', /"nowhere"/],
    ['scopesWhere: permission', SCOPES_WHERE, { u: email('alice'), p: 'NOPE' }, 'BAD_USER_INPUT', /"NOPE"/],
    ['scopesWhere: user', SCOPES_WHERE, { u: 'nobody', p: 'P_EDIT' }, 'NOT_FOUND', /"nobody"/],
  ])('%s', async (_what, query, vars, code, message) => {
    const r = await gql(query, vars);
    expect(codeOf(r)).toBe(code);
    expect(r.errors![0]!.message).toMatch(message);
  });
});

it("another organization's users and scopes are NOT_FOUND, never leaked", async () => {
  const other = await s.newOrg('other-tenant');
  for (const vars of [{ u: email('alice'), p: 'EXPORT' }, { u: 'owner@other-tenant.test', p: 'VIEW_DIRECTORY', s: 'acme' }]) {
    const r = await s.gql(other.ownerKey, CAN, vars);
    expect(codeOf(r)).toBe('NOT_FOUND');
  }
  expect(ok(await s.gql(other.ownerKey, CAN, { u: 'owner@other-tenant.test', p: 'ADMINISTRATOR' })).can).toBe(true);
  expect(codeOf(await s.gql(other.ownerKey, CAN, { u: 'owner@other-tenant.test', p: 'P_EDIT' }))).toBe('BAD_USER_INPUT');
});

describe('who may ask', () => {
  const aboutOthers: Array<[string, string, Record<string, unknown>]> = [
    ['can', CAN, { u: email('alice'), p: 'P_EDIT', s: 'acme-hq' }],
    ['check', CHECK, { c: [check('mia', 'EXPORT'), check('alice', 'P_EDIT', 'acme-hq')] }],
    ['effectivePermissions', EFFECTIVE, { u: email('alice'), s: 'acme-hq' }],
    ['User.effectivePermissions', 'query($u: String!) { user(ref: $u) { effectivePermissions } }', { u: email('alice') }],
    ['scopesWhere', SCOPES_WHERE, { u: email('alice'), p: 'P_EDIT' }],
    ['whoCan', WHO_CAN, { p: 'P_EDIT', s: 'acme-hq' }],
    ['can about a user that does not exist (existence is not revealed)', CAN, { u: 'nobody@acme.test', p: 'P_EDIT' }],
  ];
  it.each(aboutOthers)('%s about others is FORBIDDEN without VIEW_DIRECTORY or ADMINISTRATOR', async (_what, query, vars) => {
    for (const as of ['mia', 'erin']) {
      const r = await gql(query, vars, as);
      expect(codeOf(r)).toBe('FORBIDDEN');
      // Every permission that would do is named (reading a user also takes a MANAGE_* one).
      expect(r.errors![0]!.message).toMatch(/VIEW_DIRECTORY(, [A-Z_]+)* or ADMINISTRATOR/);
    }
  });

  it.each(aboutOthers.slice(0, 6))('%s about others is answered for VIEW_DIRECTORY and ADMINISTRATOR', async (_what, query, vars) => {
    const asOwner = ok(await gql(query, vars));
    expect(ok(await gql(query, vars, 'viewer'))).toEqual(asOwner);
    expect(ok(await gql(query, vars, 'admin'))).toEqual(asOwner);
  });

  it('a directory reader asking about a user that does not exist gets NOT_FOUND', async () => {
    expect(codeOf(await gql(CAN, { u: 'nobody@acme.test', p: 'P_EDIT' }, 'viewer'))).toBe('NOT_FOUND');
  });

  it('anyone may ask about itself', async () => {
    expect(ok(await gql(CAN, { u: email('alice'), p: 'P_EDIT', s: 'hq-annex' }, 'alice')).can).toBe(true);
    expect(ok(await gql(CAN, { u: email('mia'), p: 'EXPORT', s: null }, 'mia')).can).toBe(false);
    expect(ok(await gql(CHECK, { c: [check('alice', 'P_EDIT', 'acme')] }, 'alice')).check[0].allowed).toBe(false);
    expect(ok(await gql(EFFECTIVE, { u: email('alice'), s: 'acme-hq' }, 'alice')).effectivePermissions).toEqual(['P_EDIT']);
    expect(ok(await gql('{ viewer { effectivePermissions(scope: "hq-annex") } }', {}, 'alice')).viewer.effectivePermissions).toEqual(['P_EDIT']);
    expect(keysOf(ok(await gql(SCOPES_WHERE, { u: email('alice'), p: 'P_EDIT' }, 'alice')).scopesWhere).sort()).toEqual(['acme-hq', 'hq-annex']);
  });
});

describe('whoCan', () => {
  const pages = async (p: string, sc: string | null, first: number) => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let n = 0; n < 20; n++) {
      const page: any = ok(await gql(WHO_CAN, { p, s: sc, first, after })).whoCan;
      seen.push(...page.edges.map((e: { node: { email: string } }) => e.node.email));
      expect(page.edges.length).toBeLessThanOrEqual(first);
      if (!page.pageInfo.hasNextPage) return { seen, totalCount: page.totalCount as number };
      after = page.pageInfo.endCursor;
    }
    throw new Error('whoCan never reached its last page');
  };

  it('pages through holders by direct grants, ancestors, ORG roles, plus the owner and administrators', async () => {
    const { seen, totalCount } = await pages('EXPORT', 'hq-annex', 2);
    const want = ['owner', 'admin', 'bob', 'hank', 'leo', 'nora'].map(email).sort();
    expect([...seen].sort()).toEqual(want);
    expect(new Set(seen).size).toBe(seen.length);
    expect(totalCount).toBe(want.length);
  });

  it.each([
    ['P_EDIT', 'hq-annex', ['owner', 'admin', 'alice', 'carol', 'erin', 'ivan']],
    ['P_EDIT', null, ['owner', 'admin']],
    ['company.read', 'globex', ['owner', 'admin', 'gina']],
    ['REPORTS', 'acme', ['owner', 'admin']],
  ])('whoCan(%s, %s)', async (p, sc, users) => {
    expect([...(await pages(p, sc, 500)).seen].sort()).toEqual(users.map(email).sort());
  });
});

describe('scopesWhere', () => {
  it.each([
    ['alice', 'P_EDIT', null, ['acme-hq', 'hq-annex']],
    ['alice', 'P_EDIT', 'company', []],
    ['erin', 'P_EDIT', null, ['acme-hq', 'hq-annex']],
    ['ivan', 'P_EDIT', 'property', ['acme-hq', 'globex-hq', 'hq-annex']],
    ['bob', 'EXPORT', null, ['acme', 'acme-hq', 'acme-staff', 'hq-annex']],
    ['bob', 'EXPORT', 'property', ['acme-hq', 'hq-annex']],
    ['gina', 'company.read', null, ['acme', 'globex']],
    ['dave', 'REPORTS', null, []],
    ['owner', 'P_EDIT', 'property', ['acme-hq', 'globex-hq', 'hq-annex']],
  ])('of %s for %s (type %s) includes descendants of granted scopes', async (user, p, type, keys) => {
    const got = ok(await gql(SCOPES_WHERE, { u: email(user), p, t: type })).scopesWhere;
    expect(keysOf(got).sort()).toEqual(keys);
    expect(got.totalCount).toBe(keys.length);
  });
});
