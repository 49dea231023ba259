import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, ok, startServer, type TestServer } from '../helpers/server.js';
import { buildFixture, can, CATALOG, CHECK, EFFECTIVE, email, PATCH, SCOPES } from './fixture.js';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
  await buildFixture(s);
});
afterAll(() => s?.stop());

type Row = [user: string, permission: string, scope: string | null, allowed: boolean];
/** Each rule of DESIGN.md's "Effective permissions", with the rows that allow and the rows that deny. */
const RULES: Record<string, Row[]> = {
  'a direct grant counts at its scope, not on another branch': [
    ['alice', 'P_EDIT', 'acme-hq', true],
    ['alice', 'P_EDIT', 'globex-hq', false],
  ],
  'a grant on an ancestor applies to every descendant': [
    ['alice', 'P_EDIT', 'hq-annex', true],
    ['bob', 'EXPORT', 'acme', true],
    ['bob', 'EXPORT', 'hq-annex', true],
    ['bob', 'EXPORT', 'acme-staff', true],
  ],
  'a grant on a child never applies to its parent or to ORG': [
    ['carol', 'P_EDIT', 'hq-annex', true],
    ['carol', 'P_EDIT', 'acme-hq', false],
    ['bob', 'EXPORT', null, false],
    ['bob', 'EXPORT', 'globex', false],
  ],
  'an ORG permission takes effect at ORG only, never on a scope below': [
    ['dave', 'REPORTS', null, true],
    ['dave', 'REPORTS', 'acme', false],
    ['dave', 'REPORTS', 'hq-annex', false],
  ],
  'a RESOURCE permission never takes effect at ORG, and only on its resourceTypes': [
    ['alice', 'P_EDIT', null, false],
    ['erin', 'P_EDIT', 'acme', false],
    ['erin', 'P_EDIT', 'acme-hq', true],
    ['erin', 'P_EDIT', 'hq-annex', true],
    ['erin', 'P_EDIT', 'acme-staff', false],
    ['frank', 'P_VIEW', 'acme', true],
    ['frank', 'P_VIEW', 'acme-staff', true],
    ['frank', 'P_VIEW', null, false],
  ],
  'an ANY permission at ORG counts at ORG and on the matching scopes below': [
    ['gina', 'company.read', null, true],
    ['gina', 'company.read', 'acme', true],
    ['gina', 'company.read', 'globex', true],
    ['gina', 'company.read', 'acme-hq', false],
    ['hank', 'EXPORT', null, true],
    ['hank', 'EXPORT', 'hq-annex', true],
  ],
  'a typed role at ORG covers every scope of its type and nothing else': [
    ['ivan', 'P_EDIT', 'acme-hq', true],
    ['ivan', 'P_EDIT', 'hq-annex', true],
    ['ivan', 'P_EDIT', 'globex-hq', true],
    ['ivan', 'P_EDIT', 'acme', false],
    ['ivan', 'P_EDIT', null, false],
  ],
  'a typed role on a scope covers that scope only': [
    ['judy', 'P_EDIT', 'globex-hq', true],
    ['judy', 'P_EDIT', 'acme-hq', false],
    ['kim', 'company.read', 'acme', true],
    ['kim', 'company.read', 'globex', false],
    ['kim', 'company.read', null, false],
  ],
  "an ORG role contributes each permission subject to that permission's own level": [
    ['leo', 'REPORTS', null, true],
    ['leo', 'REPORTS', 'acme', false],
    ['leo', 'EXPORT', 'acme-hq', true],
    ['leo', 'P_EDIT', 'acme-hq', false],
  ],
  'without grants nothing is allowed': [
    ['mia', 'EXPORT', null, false],
    ['mia', 'P_VIEW', 'acme', false],
  ],
};

describe.each(Object.entries(RULES))('%s', (_rule, rows) => {
  it.each(rows)('can(%s, %s, %s) is %s', async (user, permission, scope, allowed) => {
    expect(await can(s, user, permission, scope)).toBe(allowed);
  });
});

describe('effective permissions', () => {
  it.each([
    ['ivan', 'hq-annex', ['P_EDIT']],
    ['ivan', null, []],
    ['leo', null, ['EXPORT', 'REPORTS']],
    ['leo', 'acme', ['EXPORT']],
    ['gina', 'acme', ['company.read']],
    ['nora', 'hq-annex', ['EXPORT']],
    ['erin', 'acme', []],
    ['admin', 'acme-hq', ['EXPORT', 'P_EDIT', 'P_VIEW']],
    ['owner', 'acme', ['EXPORT', 'P_VIEW', 'company.read']],
  ] as Array<[string, string | null, string[]]>)('of %s at %s', async (user, scope, want) => {
    expect(ok(await s.gql(s.ownerKey, EFFECTIVE, { u: email(user), s: scope })).effectivePermissions).toEqual(want);
    const field = ok(await s.gql(s.ownerKey, 'query($u: String!, $s: String) { user(ref: $u) { effectivePermissions(scope: $s) } }', { u: email(user), s: scope }));
    expect(field.user.effectivePermissions).toEqual(want);
  });
});

describe('the owner and administrators', () => {
  const all = CATALOG.map((p) => p.key).concat(['ADMINISTRATOR', 'IMPERSONATE', 'MANAGE_GRANTS']);
  const places = [null, ...SCOPES.map(([key]) => key)];
  it.each(['owner', 'admin'])('%s passes every check, wherever a permission takes effect or not', async (user) => {
    const checks = all.flatMap((permission) => places.map((scope) => ({ user: email(user), permission, scope })));
    const results = ok(await s.gql(s.ownerKey, CHECK, { c: checks })).check as Array<{ allowed: boolean }>;
    expect(results.length).toBe(checks.length);
    expect(results.every((r) => r.allowed)).toBe(true);
  });

  it("the owner's grants cannot be changed, and a plain user does not pass by default", async () => {
    const r = await s.gql(s.ownerKey, PATCH, { p: [{ user: email('owner'), scope: 'ORG', operation: 'DELETE', permissions: ['ADMINISTRATOR'] }] });
    expect(codeOf(r)).toBe('FORBIDDEN');
    expect(await can(s, 'mia', 'REPORTS', null)).toBe(false);
  });
});

describe('grants that the levels refuse never exist', () => {
  it.each([
    ['a RESOURCE permission at ORG', 'ORG', { permissions: ['P_EDIT'] }],
    ['an ORG permission on a scope', 'acme', { permissions: ['REPORTS'] }],
    ['a typed role on a scope of another type', 'acme', { roles: ['Property Manager'] }],
    ['an ORG role on a scope', 'acme-hq', { roles: ['Auditor'] }],
  ])('%s is BAD_USER_INPUT', async (_what, scope, item) => {
    const r = await s.gql(s.ownerKey, PATCH, { p: [{ user: email('mia'), scope, operation: 'ADD', ...item }] });
    expect(codeOf(r)).toBe('BAD_USER_INPUT');
    expect(ok(await s.gql(s.ownerKey, EFFECTIVE, { u: email('mia'), s: scope })).effectivePermissions).toEqual([]);
  });
});
