import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, ok, startServer, userWithKey, type TestServer } from '../helpers/server.js';
import { buildFixture, can, CHECK, EFFECTIVE, email, keysOf, PATCH, SCOPES_WHERE, WHO_CAN } from './fixture.js';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
  await buildFixture(s);
});
afterAll(() => s?.stop());

const gql = (query: string, vars?: Record<string, unknown>) => s.gql(s.ownerKey, query, vars);
const createRole = async (input: Record<string, unknown>) =>
  ok(await gql('mutation($i: CreateRoleInput!) { createRole(input: $i) { role { id } } }', { i: input })).createRole.role.id as string;
const updateRole = (role: string, input: Record<string, unknown>) =>
  gql('mutation($r: String!, $i: UpdateRoleInput!) { updateRole(role: $r, input: $i) { revision } }', { r: role, i: input });
const deleteRole = (role: string) => gql('mutation($r: String!) { deleteRole(role: $r) { revision } }', { r: role });
const patch = (user: string, scope: string, operation: string, item: Record<string, unknown>) =>
  gql(PATCH, { p: [{ user: email(user), scope, operation, ...item }] });
const whoCan = async (p: string, sc: string | null) =>
  (ok(await gql(WHO_CAN, { p, s: sc, first: 500 })).whoCan.edges as Array<{ node: { email: string } }>).map((e) => e.node.email);

describe('a discarded role stops counting, for good', () => {
  it('its grants stay listed but allow nothing; it cannot be edited or granted again; a new role of the same name does not revive them', async () => {
    const roleId = await createRole({ name: 'Temp Editors', scopeType: 'property', permissions: ['P_EDIT'] });
    await userWithKey(s, s.ownerKey, email('tina'), [{ scope: 'acme-hq', roles: ['Temp Editors'] }]);
    expect(await can(s, 'tina', 'P_EDIT', 'hq-annex')).toBe(true);

    ok(await deleteRole('Temp Editors'));
    expect(await can(s, 'tina', 'P_EDIT', 'acme-hq')).toBe(false);
    expect(await can(s, 'tina', 'P_EDIT', 'hq-annex')).toBe(false);
    expect(ok(await gql(EFFECTIVE, { u: email('tina'), s: 'acme-hq' })).effectivePermissions).toEqual([]);
    expect(await whoCan('P_EDIT', 'acme-hq')).not.toContain(email('tina'));
    expect(keysOf(ok(await gql(SCOPES_WHERE, { u: email('tina'), p: 'P_EDIT' })).scopesWhere)).toEqual([]);
    const [result] = ok(await gql(CHECK, { c: [{ user: email('tina'), permission: 'P_EDIT', scope: 'acme-hq' }] })).check;
    expect(result).toMatchObject({ allowed: false, grants: [] });
    const listed = ok(await gql('query($u: String!) { user(ref: $u) { grants { role { id discardedAt } } } }', { u: email('tina') })).user.grants;
    expect(listed).toEqual([{ role: { id: roleId, discardedAt: expect.any(String) } }]);

    expect(codeOf(await updateRole(roleId, { permissions: ['P_EDIT'] }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await patch('tina', 'globex-hq', 'ADD', { roles: [roleId] }))).toBe('BAD_USER_INPUT');
    await createRole({ name: 'Temp Editors', scopeType: 'property', permissions: ['P_EDIT'] });
    expect(await can(s, 'tina', 'P_EDIT', 'acme-hq')).toBe(false);
    ok(await patch('tina', 'globex-hq', 'ADD', { roles: ['Temp Editors'] }));
    expect(await can(s, 'tina', 'P_EDIT', 'globex-hq')).toBe(true);
    expect(await can(s, 'tina', 'P_EDIT', 'acme-hq')).toBe(false);
  });

  it('ADMINISTRATOR through a discarded role no longer passes every check, and is not listed as an allowing grant', async () => {
    const roleId = await createRole({ name: 'Old Admins', permissions: ['ADMINISTRATOR'] });
    await userWithKey(s, s.ownerKey, email('ex-admin'), [{ scope: 'ORG', roles: ['Old Admins'] }]);
    await userWithKey(s, s.ownerKey, email('still-admin'), [{ scope: 'ORG', roles: ['Old Admins'], permissions: ['ADMINISTRATOR'] }]);
    expect(await can(s, 'ex-admin', 'P_EDIT', 'acme-hq')).toBe(true);
    ok(await deleteRole(roleId));
    expect(await can(s, 'ex-admin', 'P_EDIT', 'acme-hq')).toBe(false);
    expect(await whoCan('ADMINISTRATOR', null)).not.toContain(email('ex-admin'));
    const [result] = ok(await gql(CHECK, { c: [{ user: email('still-admin'), permission: 'P_EDIT', scope: 'acme-hq' }] })).check;
    expect(result.allowed).toBe(true);
    expect(result.grants).toEqual([{ permission: 'ADMINISTRATOR', role: null, scope: null, user: { email: email('still-admin') } }]);
  });
});

describe('writes are visible to the very next read', () => {
  it("editing a role's permissions changes every holder's results at once", async () => {
    await createRole({ name: 'Shifting', permissions: ['EXPORT'] });
    await userWithKey(s, s.ownerKey, email('sam'), [{ scope: 'ORG', roles: ['Shifting'] }]);
    expect(await can(s, 'sam', 'EXPORT', 'hq-annex')).toBe(true);
    ok(await updateRole('Shifting', { permissions: ['REPORTS'] }));
    expect(await can(s, 'sam', 'EXPORT', 'hq-annex')).toBe(false);
    expect(await can(s, 'sam', 'REPORTS', null)).toBe(true);
    expect(ok(await gql(EFFECTIVE, { u: email('sam'), s: null })).effectivePermissions).toEqual(['REPORTS']);
    expect(await whoCan('REPORTS', null)).toContain(email('sam'));
    expect(await whoCan('EXPORT', 'hq-annex')).not.toContain(email('sam'));
  });

  it('a check right after a revoke never allows', async () => {
    await userWithKey(s, s.ownerKey, email('rw'), [{ scope: 'ORG', permissions: ['VIEW_DIRECTORY'] }]);
    for (let i = 0; i < 5; i++) {
      ok(await patch('rw', 'acme', 'ADD', { permissions: ['EXPORT'] }));
      expect(await can(s, 'rw', 'EXPORT', 'hq-annex')).toBe(true);
      ok(await patch('rw', 'acme', 'DELETE', { permissions: ['EXPORT'] }));
      expect(await can(s, 'rw', 'EXPORT', 'hq-annex')).toBe(false);
    }
    ok(await gql('mutation($u: String!) { setPermissions(user: $u, scope: "acme", permissions: ["EXPORT"]) { revision } }', { u: email('rw') }));
    expect(await can(s, 'rw', 'EXPORT', 'acme')).toBe(true);
    ok(await gql('mutation($u: String!) { revokeAllPermissions(user: $u) { revision } }', { u: email('rw') }));
    expect(await can(s, 'rw', 'EXPORT', 'acme')).toBe(false);
    expect(await can(s, 'rw', 'VIEW_DIRECTORY', null)).toBe(false);
  });

  it('moving a scope moves what it inherits', async () => {
    ok(await gql('mutation { createScope(input: { key: "loose", type: "property" }) { revision } }'));
    expect(await can(s, 'alice', 'P_EDIT', 'loose')).toBe(false);
    ok(await gql('mutation { updateScope(scope: "loose", input: { parent: "acme-hq" }) { revision } }'));
    expect(await can(s, 'alice', 'P_EDIT', 'loose')).toBe(true);
    expect(keysOf(ok(await gql(SCOPES_WHERE, { u: email('alice'), p: 'P_EDIT' })).scopesWhere).sort()).toEqual(['acme-hq', 'hq-annex', 'loose']);
    ok(await gql('mutation { updateScope(scope: "loose", input: { parent: "ORG" }) { revision } }'));
    expect(await can(s, 'alice', 'P_EDIT', 'loose')).toBe(false);
  });

  it('a deleted scope or user is NOT_FOUND afterwards, never a silent false', async () => {
    ok(await gql('mutation { createScope(input: { key: "doomed", type: "property", parent: "acme-hq" }) { revision } }'));
    await userWithKey(s, s.ownerKey, email('gone'), [{ scope: 'doomed', permissions: ['P_VIEW'] }]);
    expect(await can(s, 'gone', 'P_VIEW', 'doomed')).toBe(true);
    ok(await gql('mutation { deleteScope(scope: "doomed") { revision } }'));
    expect(codeOf(await gql('{ can(user: "gone@acme.test", permission: "P_VIEW", scope: "doomed") }'))).toBe('NOT_FOUND');
    expect(keysOf(ok(await gql(SCOPES_WHERE, { u: email('gone'), p: 'P_VIEW' })).scopesWhere)).toEqual([]);
    ok(await gql('mutation { deleteUser(user: "gone@acme.test") { revision } }'));
    expect(codeOf(await gql('{ can(user: "gone@acme.test", permission: "P_VIEW") }'))).toBe('NOT_FOUND');
  });
});
