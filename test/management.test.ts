// The management API's refusal paths and rules beyond the four seed documents:
// users and scopes, delegation limits, tenancy, all-or-nothing batches, no-ops,
// revisions, and the users / grants connections.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPreset } from '../src/services/presets.js';
import { codeOf, ok, startServer, userWithKey, type GqlResult, type TestServer } from './helpers/server.js';

const PATCH = 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision } }';
const CAN = 'query($u: String!, $p: String!, $s: String) { can(user: $u, permission: $p, scope: $s) }';
const SCOPE = 'mutation($i: CreateScopeInput!) { createScope(input: $i) { revision scope { key parent { key } } } }';
const GRANTS = 'query($f: GrantFilter, $first: Int, $after: String) { grants(filter: $f, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id user { email } scope { key } permission role { name } } } } }';

let s: TestServer;
const owner = (q: string, v?: Record<string, unknown>) => s.gql(s.ownerKey, q, v);
const head = async () => ok(await owner('{ changes(first: 0) { totalCount } }')).changes.totalCount as number;
const can = async (u: string, p: string, scope?: string) => ok(await owner(CAN, { u, p, s: scope })).can as boolean;
const grantList = async (f: Record<string, unknown>) =>
  (ok(await owner(GRANTS, { f, first: 500 })).grants.edges as Array<{ node: { user: { email: string }; scope: { key: string } | null; permission: string | null; role: { name: string } | null } }>)
    .map(({ node: g }) => `${g.user.email}@${g.scope?.key ?? 'ORG'}:${g.permission ?? `role ${g.role!.name}`}`)
    .sort();
const refused = (r: GqlResult, code: string, ...named: string[]) => {
  expect(codeOf(r), JSON.stringify(r.errors)).toBe(code);
  expect(r.data ?? null).toBeNull();
  for (const n of named) expect(r.errors![0]!.message).toContain(n);
};

beforeAll(async () => {
  s = await startServer();
  await importPreset(s.services, s.orgId, 'org-property');
  for (const [key, parent] of [['p1', null], ['p1-a', 'p1'], ['p2', null]]) ok(await owner(SCOPE, { i: { key, type: 'property', parent } }));
});
afterAll(() => s.stop());

describe('users', () => {
  it('keeps e-mails unique case-insensitively and externalIds unique (CONFLICT)', async () => {
    ok(await owner('mutation { createUser(input: { email: "Dup@Example.com", externalId: "x-1" }) { revision } }'));
    const before = await head();
    refused(await owner('mutation { createUser(input: { email: "dup@example.COM" }) { revision } }'), 'CONFLICT', 'dup@example.COM');
    refused(await owner('mutation { createUser(input: { email: "other@example.com", externalId: "x-1" }) { revision } }'), 'CONFLICT', 'x-1');
    ok(await owner('mutation { createUser(input: { email: "second@example.com" }) { revision } }'));
    refused(await owner('mutation { updateUser(user: "second@example.com", input: { email: "DUP@example.com" }) { revision } }'), 'CONFLICT', 'DUP@example.com');
    refused(await owner('mutation { updateUser(user: "second@example.com", input: { externalId: "x-1" }) { revision } }'), 'CONFLICT', 'x-1');
    refused(await owner('mutation { createUser(input: { email: "not-an-email" }) { revision } }'), 'BAD_USER_INPUT', 'not-an-email');
    expect(await head()).toBe(before + 2);
  });

  it('refuses an e-mail or externalId that would make a user reference name two users (CONFLICT)', async () => {
    const ext = ok(await owner('mutation { createUser(input: { email: "ext-holder@example.com", externalId: "taken@example.com" }) { user { id } } }')).createUser.user.id;
    const before = await head();
    refused(await owner('mutation { createUser(input: { email: "taken@example.com" }) { revision } }'), 'CONFLICT', 'taken@example.com');
    refused(await owner('mutation { createUser(input: { email: "z@example.com", externalId: "DUP@example.com" }) { revision } }'), 'CONFLICT', 'DUP@example.com');
    refused(await owner('mutation($x: String) { createUser(input: { email: "z@example.com", externalId: $x }) { revision } }', { x: ext }), 'CONFLICT', ext);
    refused(await owner('mutation { updateUser(user: "second@example.com", input: { email: "taken@example.com" }) { revision } }'), 'CONFLICT', 'taken@example.com');
    expect(await head()).toBe(before);
    // Its own e-mail as its own externalId names one user only.
    ok(await owner('mutation { updateUser(user: "second@example.com", input: { externalId: "second@example.com" }) { revision } }'));
    expect(ok(await owner('{ user(ref: "taken@example.com") { email } }')).user.email).toBe('ext-holder@example.com');
  });

  it('deleteUser removes the grants and keys: the deleted user\'s key stops working', async () => {
    const gone = await userWithKey(s, s.ownerKey, 'gone@example.com', [{ permissions: ['VIEW_USERS'] }, { scope: 'p1', permissions: ['P_VIEW_USERS'] }]);
    expect(ok(await s.gql(gone.key, '{ viewer { email } }')).viewer.email).toBe('gone@example.com');
    const grantsBefore = ok(await owner('{ grants { totalCount } }')).grants.totalCount as number;
    const before = await head();
    const r = ok(await owner('mutation { deleteUser(user: "gone@example.com") { revision id } }')).deleteUser;
    expect(r.id).toBe(gone.id);
    // Two grants removed, one key revoked, the user deleted: one change each.
    expect(r.revision).toBe(before + 4);
    const last = ok(await owner('{ changes(first: 500) { edges { node { type userId } } } }')).changes.edges.slice(-4).map((e: any) => e.node);
    expect(last.map((e: { type: string }) => e.type).sort()).toEqual(['API_KEY_REVOKED', 'GRANT_REMOVED', 'GRANT_REMOVED', 'USER_DELETED']);
    expect(new Set(last.map((e: { userId: string }) => e.userId))).toEqual(new Set([gone.id]));
    expect(codeOf(await s.gql(gone.key, '{ viewer { email } }'))).toBe('UNAUTHENTICATED');
    expect(ok(await owner('{ grants { totalCount } }')).grants.totalCount).toBe(grantsBefore - 2);
    expect(ok(await owner('{ user(ref: "gone@example.com") { id } }')).user).toBeNull();
    refused(await owner('mutation { deleteUser(user: "gone@example.com") { revision } }'), 'NOT_FOUND', 'gone@example.com');
    // The e-mail is free again.
    ok(await owner('mutation { createUser(input: { email: "gone@example.com" }) { revision } }'));
  });

  it('never deletes the owner, whoever asks', async () => {
    const admin = await userWithKey(s, s.ownerKey, 'admin-del@example.com', [{ permissions: ['ADMINISTRATOR'] }]);
    for (const key of [s.ownerKey, admin.key]) refused(await s.gql(key, 'mutation { deleteUser(user: "owner@test.local") { revision } }'), 'FORBIDDEN', 'owner');
    refused(await s.gql(admin.key, 'mutation { updateUser(user: "owner@test.local", input: { firstName: "X" }) { revision } }'), 'FORBIDDEN', 'owner');
  });

  it('needs MANAGE_USERS to create or delete users, and MANAGE_GRANTS to give initial grants', async () => {
    const hr = await userWithKey(s, s.ownerKey, 'hr@example.com', [{ permissions: ['MANAGE_USERS'] }]);
    const plain = await userWithKey(s, s.ownerKey, 'plain@example.com');
    refused(await s.gql(plain.key, 'mutation { createUser(input: { email: "new@example.com" }) { revision } }'), 'FORBIDDEN', 'MANAGE_USERS');
    const made = ok(await s.gql(hr.key, 'mutation { createUser(input: { email: "new@example.com" }) { user { grants { role { name } } } } }'));
    expect(made.createUser.user.grants).toEqual([{ role: { name: 'Member' } }]);
    refused(await s.gql(hr.key, 'mutation { createUser(input: { email: "new2@example.com", grants: [{ permissions: ["VIEW_USERS"] }] }) { revision } }'), 'FORBIDDEN', 'MANAGE_GRANTS');
    refused(await s.gql(plain.key, 'mutation { deleteUser(user: "new@example.com") { revision } }'), 'FORBIDDEN', 'MANAGE_USERS');
    ok(await s.gql(hr.key, 'mutation { deleteUser(user: "new@example.com") { revision } }'));
  });
});

describe('scopes', () => {
  it('reserves the key and the type "ORG", and keeps keys unique', async () => {
    refused(await owner(SCOPE, { i: { key: 'ORG', type: 'property' } }), 'BAD_USER_INPUT', 'ORG');
    refused(await owner(SCOPE, { i: { key: 'x', type: 'ORG' } }), 'BAD_USER_INPUT', 'ORG');
    refused(await owner(SCOPE, { i: { key: 'p1', type: 'property' } }), 'CONFLICT', 'p1');
    refused(await owner(SCOPE, { i: { key: 'x', type: 'property', parent: 'nope' } }), 'NOT_FOUND', 'nope');
  });

  it('re-parents with a cycle check (BAD_USER_INPUT)', async () => {
    for (const [key, parent] of [['t1', null], ['t2', 't1'], ['t3', 't2']]) ok(await owner(SCOPE, { i: { key, type: 'team', parent } }));
    const before = await head();
    refused(await owner('mutation { updateScope(scope: "t1", input: { parent: "t3" }) { revision } }'), 'BAD_USER_INPUT', 't1', 't3');
    refused(await owner('mutation { updateScope(scope: "t2", input: { parent: "t2" }) { revision } }'), 'BAD_USER_INPUT', 't2');
    expect(await head()).toBe(before);
    const moved = ok(await owner('mutation { updateScope(scope: "t3", input: { parent: "ORG", name: "Three" }) { revision scope { key name parent { key } } } }')).updateScope;
    expect(moved.scope).toEqual({ key: 't3', name: 'Three', parent: null });
    expect(moved.revision).toBe(before + 1);
    ok(await owner('mutation { updateScope(scope: "t1", input: { parent: "t3" }) { revision } }'));
    expect(ok(await owner('{ scope(key: "t3") { children { key children { key } } } }')).scope.children).toEqual([{ key: 't1', children: [{ key: 't2' }] }]);
  });

  it('refuses to delete a scope with children (CONFLICT); deleting removes its grants', async () => {
    ok(await owner(PATCH, { p: [{ user: 'plain@example.com', scope: 'p1-a', operation: 'ADD', permissions: ['P_VIEW_USERS', 'P_EDIT_USERS'] }] }));
    const before = await head();
    refused(await owner('mutation { deleteScope(scope: "p1") { revision } }'), 'CONFLICT', 'p1');
    expect(await head()).toBe(before);
    const r = ok(await owner('mutation { deleteScope(scope: "p1-a") { revision } }')).deleteScope;
    expect(r.revision).toBe(before + 3);
    expect(await grantList({ user: 'plain@example.com' })).toEqual(['plain@example.com@ORG:role Member']);
    expect(ok(await owner('{ scope(key: "p1-a") { key } }')).scope).toBeNull();
    refused(await owner('mutation { deleteScope(scope: "ORG") { revision } }'), 'BAD_USER_INPUT', 'ORG');
    ok(await owner(SCOPE, { i: { key: 'p1-a', type: 'property', parent: 'p1' } }));
  });

  it('lists scopes by type and parent', async () => {
    const list = async (f: Record<string, unknown>) =>
      ok(await owner('query($f: ScopeFilter) { scopes(filter: $f) { edges { node { key } } } }', { f })).scopes.edges.map((e: any) => e.node.key).sort();
    expect(await list({ type: 'property' })).toEqual(['p1', 'p1-a', 'p2']);
    expect(await list({ parent: 'p1' })).toEqual(['p1-a']);
    expect(await list({ parent: 'ORG', type: 'team' })).toEqual(['t3']);
  });
});

describe('who may write: delegation without escalation', () => {
  let delegate: { id: string; key: string };
  const patchAs = (key: string, p: unknown[]) => s.gql(key, PATCH, { p });
  beforeAll(async () => {
    delegate = await userWithKey(s, s.ownerKey, 'delegate@example.com', [{ permissions: ['MANAGE_GRANTS'] }, { scope: 'p1', permissions: ['P_VIEW_USERS'] }]);
    await userWithKey(s, s.ownerKey, 'target@example.com');
    ok(await owner(PATCH, { p: [{ user: 'target@example.com', scope: 'p1', operation: 'ADD', permissions: ['P_EDIT_USERS'] }] }));
  });

  it('grants only what it holds at that scope (or above it)', async () => {
    ok(await patchAs(delegate.key, [{ user: 'target@example.com', scope: 'p1', operation: 'ADD', permissions: ['P_VIEW_USERS'] }]));
    ok(await patchAs(delegate.key, [{ user: 'target@example.com', scope: 'p1-a', operation: 'ADD', permissions: ['P_VIEW_USERS'] }]));
    const before = await head();
    refused(await patchAs(delegate.key, [{ user: 'target@example.com', scope: 'p2', operation: 'ADD', permissions: ['P_VIEW_USERS'] }]), 'FORBIDDEN', 'P_VIEW_USERS', 'p2');
    refused(await patchAs(delegate.key, [{ user: 'target@example.com', scope: 'p1', operation: 'ADD', permissions: ['P_VIEW_PROPERTY'] }]), 'FORBIDDEN', 'P_VIEW_PROPERTY');
    refused(await patchAs(delegate.key, [{ user: 'target@example.com', scope: 'p1', operation: 'ADD', roles: ['Property viewer'] }]), 'FORBIDDEN', 'Property viewer');
    refused(await patchAs(delegate.key, [{ user: 'target@example.com', scope: 'p1', operation: 'DELETE', permissions: ['P_EDIT_USERS'] }]), 'FORBIDDEN', 'P_EDIT_USERS');
    // One refused step refuses the whole batch.
    refused(
      await patchAs(delegate.key, [
        { user: 'target@example.com', scope: 'p1', operation: 'DELETE', permissions: ['P_VIEW_USERS'] },
        { user: 'target@example.com', scope: 'p2', operation: 'ADD', permissions: ['P_VIEW_USERS'] },
      ]),
      'FORBIDDEN',
    );
    expect(await head()).toBe(before);
    expect(await can('target@example.com', 'P_VIEW_USERS', 'p1')).toBe(true);
    ok(await patchAs(delegate.key, [{ user: 'target@example.com', scope: 'p1', operation: 'DELETE', permissions: ['P_VIEW_USERS'] }]));
    expect(await can('target@example.com', 'P_EDIT_USERS', 'p1')).toBe(true);
  });

  it('never grants ADMINISTRATOR or IMPERSONATE, directly, in a role or to itself', async () => {
    const before = await head();
    for (const p of [
      { user: 'target@example.com', scope: 'ORG', operation: 'ADD', permissions: ['ADMINISTRATOR'] },
      { user: 'target@example.com', scope: 'ORG', operation: 'ADD', permissions: ['IMPERSONATE'] },
      { user: 'target@example.com', scope: 'ORG', operation: 'ADD', roles: ['Administrator'] },
      { user: delegate.id, scope: 'ORG', operation: 'SET', permissions: ['MANAGE_GRANTS', 'ADMINISTRATOR'] },
    ]) {
      refused(await patchAs(delegate.key, [p]), 'FORBIDDEN');
    }
    refused(await s.gql(delegate.key, 'mutation($u: String!) { replaceGrants(user: $u, grants: [{ permissions: ["ADMINISTRATOR"] }]) { revision } }', { u: delegate.id }), 'FORBIDDEN', 'ADMINISTRATOR');
    expect(await head()).toBe(before);
    expect(await can(delegate.id, 'ADMINISTRATOR')).toBe(false);
  });

  it('a role manager cannot make itself administrator through a role edit', async () => {
    const roleman = await userWithKey(s, s.ownerKey, 'roleman@example.com', [{ permissions: ['MANAGE_ROLES', 'VIEW_USERS'] }]);
    ok(await owner('mutation { createRole(input: { name: "Helpers", permissions: ["VIEW_USERS"] }) { revision } }'));
    ok(await owner(PATCH, { p: [{ user: roleman.id, scope: 'ORG', operation: 'ADD', roles: ['Helpers'] }] }));
    const before = await head();
    const edit = (permissions: string[]) => s.gql(roleman.key, 'mutation($p: [String!]) { updateRole(role: "Helpers", input: { permissions: $p }) { revision } }', { p: permissions });
    refused(await edit(['VIEW_USERS', 'ADMINISTRATOR']), 'FORBIDDEN', 'ADMINISTRATOR');
    refused(await edit(['VIEW_USERS', 'IMPERSONATE']), 'FORBIDDEN', 'IMPERSONATE');
    refused(await edit(['VIEW_USERS', 'MANAGE_GRANTS']), 'FORBIDDEN', 'MANAGE_GRANTS');
    refused(await s.gql(roleman.key, 'mutation { createRole(input: { name: "Root", permissions: ["ADMINISTRATOR"] }) { revision } }'), 'FORBIDDEN', 'ADMINISTRATOR');
    expect(await head()).toBe(before);
    expect(await can(roleman.id, 'ADMINISTRATOR')).toBe(false);
    // What it holds itself it may put in a role.
    expect(ok(await edit(['VIEW_USERS', 'MANAGE_ROLES'])).updateRole.revision).toBe(before + 1);
  });
});

describe('tenancy: another organization\'s objects are NOT_FOUND', () => {
  it('refuses every cross-organization reference as not existing, never FORBIDDEN or data', async () => {
    const other = await s.newOrg('acme');
    const as = (q: string, v?: Record<string, unknown>) => s.gql(other.ownerKey, q, v);
    ok(await as('mutation { createUser(input: { email: "mine@acme.test" }) { revision } }'));
    const a = ok(await owner('{ user(ref: "plain@example.com") { id grants { id } } role(ref: "Property viewer") { id } }'));
    const userId = a.user.id as string;
    const roleId = a.role.id as string;
    const grantId = a.user.grants[0].id as string;
    const keyId = ok(await owner('mutation { createApiKey(user: "plain@example.com", name: "k") { apiKey { id } } }')).createApiKey.apiKey.id;
    const before = await head();
    const mutations: Array<[string, Record<string, unknown>]> = [
      [PATCH, { p: [{ user: userId, scope: 'ORG', operation: 'ADD', permissions: ['ADMINISTRATOR'] }] }],
      [PATCH, { p: [{ user: 'plain@example.com', scope: 'ORG', operation: 'ADD', permissions: ['ADMINISTRATOR'] }] }],
      [PATCH, { p: [{ user: 'mine@acme.test', scope: 'p2', operation: 'ADD', permissions: ['ADMINISTRATOR'] }] }],
      ['mutation($r: [String!]) { setPermissions(user: "mine@acme.test", roles: $r) { revision } }', { r: [roleId] }],
      ['mutation($u: String!) { revokeAllPermissions(user: $u) { revision } }', { u: userId }],
      ['mutation($u: String!) { updateUser(user: $u, input: { firstName: "x" }) { revision } }', { u: userId }],
      ['mutation($u: String!) { deleteUser(user: $u) { revision } }', { u: userId }],
      ['mutation($r: String!) { updateRole(role: $r, input: { name: "x" }) { revision } }', { r: roleId }],
      ['mutation($r: String!) { deleteRole(role: $r) { revision } }', { r: roleId }],
      ['mutation { updateScope(scope: "p2", input: { name: "x" }) { revision } }', {}],
      ['mutation { deleteScope(scope: "p2") { revision } }', {}],
      ['mutation { createScope(input: { key: "c", type: "property", parent: "p2" }) { revision } }', {}],
      ['mutation($u: String!) { createApiKey(user: $u, name: "x") { secret } }', { u: userId }],
      ['mutation($k: ID!) { revokeApiKey(id: $k) { revision } }', { k: keyId }],
      ['query($u: String!) { can(user: $u, permission: "VIEW_USERS") }', { u: userId }],
      ['query($r: String!) { grants(filter: { role: $r }) { totalCount } }', { r: roleId }],
      ['query($r: String!) { users(filter: { role: $r }) { totalCount } }', { r: roleId }],
    ];
    for (const [q, v] of mutations) {
      const r = await as(q, v);
      refused(r, 'NOT_FOUND');
      // Nothing of the other tenant comes back that the request did not itself carry.
      for (const secret of ['plain@example.com', 'Property viewer']) {
        if (!JSON.stringify(v).includes(secret)) expect(JSON.stringify(r)).not.toContain(secret);
      }
    }
    const reads = ok(await as('query($u: String!, $r: String!, $g: ID!) { user(ref: $u) { id } role(ref: $r) { id } scope(key: "p2") { id } node(id: $g) { id } grants(filter: { user: $u }) { totalCount } }', { u: userId, r: roleId, g: grantId }));
    expect(reads).toEqual({ user: null, role: null, scope: null, node: null, grants: { totalCount: 0 } });
    expect(await head()).toBe(before);
  });
});

describe('all-or-nothing writes and no-ops', () => {
  it('a batch with one bad patch changes nothing (changes and grants identical before and after)', async () => {
    const grantsBefore = await grantList({});
    const before = await head();
    const bad: Array<[unknown[], string, string]> = [
      [[{ user: 'plain@example.com', scope: 'ORG', operation: 'ADD', permissions: ['VIEW_USERS'] }, { user: 'ghost@example.com', scope: 'ORG', operation: 'ADD', permissions: ['VIEW_USERS'] }], 'NOT_FOUND', 'ghost@example.com'],
      [[{ user: 'plain@example.com', scope: 'p2', operation: 'SET', permissions: ['P_VIEW_USERS'] }, { user: 'plain@example.com', scope: 'nowhere', operation: 'DELETE', permissions: ['P_VIEW_USERS'] }], 'NOT_FOUND', 'nowhere'],
      [[{ user: 'plain@example.com', scope: 'ORG', operation: 'DELETE', roles: ['Member'] }, { user: 'plain@example.com', scope: 'p2', operation: 'ADD', permissions: ['P_BOGUS'] }], 'BAD_USER_INPUT', 'P_BOGUS'],
      [[{ user: 'plain@example.com', scope: 'p2', operation: 'ADD', permissions: ['P_VIEW_USERS'] }, { user: 'owner@test.local', scope: 'p2', operation: 'ADD', permissions: ['P_VIEW_USERS'] }], 'FORBIDDEN', 'owner@test.local'],
    ];
    for (const [p, code, named] of bad) refused(await owner(PATCH, { p }), code, named);
    refused(await owner('mutation { replaceGrants(user: "plain@example.com", grants: [{ scope: "p2", permissions: ["P_VIEW_USERS"] }, { scope: "gone", permissions: ["P_VIEW_USERS"] }]) { revision } }'), 'NOT_FOUND', 'gone');
    refused(await owner('mutation { createUser(input: { email: "half@example.com", grants: [{ permissions: ["VIEW_USERS"] }, { scope: "p2", permissions: ["VIEW_USERS"] }] }) { revision } }'), 'BAD_USER_INPUT', 'VIEW_USERS');
    expect(ok(await owner('{ user(ref: "half@example.com") { id } }')).user).toBeNull();
    expect(await head()).toBe(before);
    expect(await grantList({})).toEqual(grantsBefore);
  });

  it('adding a held grant or deleting an absent one is a no-op: same revision, no change', async () => {
    ok(await owner(PATCH, { p: [{ user: 'plain@example.com', scope: 'p2', operation: 'ADD', permissions: ['P_VIEW_USERS'] }] }));
    const before = await head();
    const noops: unknown[][] = [
      [{ user: 'plain@example.com', scope: 'p2', operation: 'ADD', permissions: ['P_VIEW_USERS'] }],
      [{ user: 'plain@example.com', scope: 'p2', operation: 'DELETE', permissions: ['P_EDIT_USERS'] }],
      [{ user: 'plain@example.com', scope: 'ORG', operation: 'ADD', roles: ['Member'] }],
      [{ user: 'plain@example.com', scope: 'p2', operation: 'SET', permissions: ['P_VIEW_USERS'] }],
      [
        { user: 'plain@example.com', scope: 'p2', operation: 'ADD', permissions: ['P_VIEW_USERS'] },
        { user: 'plain@example.com', scope: 'p1', operation: 'DELETE', permissions: ['P_VIEW_USERS'] },
      ],
    ];
    for (const p of noops) expect(ok(await owner(PATCH, { p })).patchPermissions.revision).toBe(before);
    ok(await owner('mutation { createUser(input: { email: "empty@example.com", grants: [{ permissions: ["VIEW_USERS"] }] }) { revision } }'));
    ok(await owner('mutation { revokeAllPermissions(user: "empty@example.com") { revision } }'));
    const now = await head();
    expect(ok(await owner('mutation { revokeAllPermissions(user: "empty@example.com") { revision } }')).revokeAllPermissions.revision).toBe(now);
    expect(await head()).toBe(now);
  });

  it('every mutation returns the revision of its last change', async () => {
    const steps: Array<[string, string]> = [
      ['createUser', 'mutation { createUser(input: { email: "rev@example.com", grants: [{ permissions: ["VIEW_USERS", "VIEW_BILLING"] }] }) { revision } }'],
      ['updateUser', 'mutation { updateUser(user: "rev@example.com", input: { lastName: "Rev" }) { revision } }'],
      ['createScope', 'mutation { createScope(input: { key: "rev", type: "property" }) { revision } }'],
      ['updateScope', 'mutation { updateScope(scope: "rev", input: { parent: "p2" }) { revision } }'],
      ['createRole', 'mutation { createRole(input: { name: "Rev", scopeType: "property", permissions: ["P_VIEW_USERS"] }) { revision } }'],
      ['updateRole', 'mutation { updateRole(role: "Rev", input: { permissions: ["P_EDIT_USERS"] }) { revision } }'],
      ['patchPermissions', 'mutation { patchPermissions(patches: [{ user: "rev@example.com", scope: "rev", operation: ADD, roles: ["Rev"] }, { user: "rev@example.com", scope: "ORG", operation: DELETE, permissions: ["VIEW_USERS"] }]) { revision } }'],
      ['setPermissions', 'mutation { setPermissions(user: "rev@example.com", scope: "rev", permissions: ["P_VIEW_USERS"]) { revision } }'],
      ['replaceGrants', 'mutation { replaceGrants(user: "rev@example.com", grants: [{ scope: "p2", permissions: ["P_VIEW_USERS"] }]) { revision } }'],
      ['revokeAllPermissions', 'mutation { revokeAllPermissions(user: "rev@example.com") { revision } }'],
      ['deleteRole', 'mutation { deleteRole(role: "Rev") { revision } }'],
      ['definePermissions', 'mutation { definePermissions(permissions: [{ key: "P_REV", level: RESOURCE, resourceTypes: ["property"] }]) { revision } }'],
      ['createApiKey', 'mutation { createApiKey(user: "rev@example.com", name: "rev") { revision } }'],
      ['deleteScope', 'mutation { deleteScope(scope: "rev") { revision } }'],
      ['deleteUser', 'mutation { deleteUser(user: "rev@example.com") { revision } }'],
    ];
    let last = await head();
    for (const [field, q] of steps) {
      const revision = ok(await owner(q))[field].revision as number;
      expect(revision, field).toBeGreaterThan(last);
      expect(revision, field).toBe(await head());
      last = revision;
    }
    const made = ok(await owner('mutation { createApiKey(user: "owner@test.local", name: "rev") { revision apiKey { id } } }')).createApiKey;
    const revoked = ok(await owner('mutation($k: ID!) { revokeApiKey(id: $k) { revision } }', { k: made.apiKey.id })).revokeApiKey;
    expect(revoked.revision).toBe(made.revision + 1);
    expect(revoked.revision).toBe(await head());
  });
});

describe('administrators are protected from non-administrators', () => {
  it('an administrator without IMPERSONATE cannot act as another user', async () => {
    const admin = await userWithKey(s, s.ownerKey, 'imp-admin@example.com', [{ roles: ['Administrator'] }]);
    await userWithKey(s, s.ownerKey, 'imp-target@example.com');
    refused(await s.gql(admin.key, '{ viewer { email } }', {}, { 'x-act-as': 'imp-target@example.com' }), 'FORBIDDEN', 'IMPERSONATE');
    ok(await s.gql(s.ownerKey, PATCH, { p: [{ user: 'imp-admin@example.com', scope: 'ORG', operation: 'ADD', permissions: ['IMPERSONATE'] }] }));
    expect(ok(await s.gql(admin.key, '{ viewer { email } }', {}, { 'x-act-as': 'imp-target@example.com' })).viewer.email).toBe('imp-target@example.com');
  });

  it('MANAGE_USERS does not reach administrators', async () => {
    const manager = await userWithKey(s, s.ownerKey, 'um@example.com', [{ permissions: ['MANAGE_USERS'] }]);
    await userWithKey(s, s.ownerKey, 'victim-admin@example.com', [{ roles: ['Administrator'] }]);
    refused(await s.gql(manager.key, 'mutation { deleteUser(user: "victim-admin@example.com") { revision } }'), 'FORBIDDEN', 'victim-admin@example.com');
    refused(await s.gql(manager.key, 'mutation { updateUser(user: "victim-admin@example.com", input: { email: "mine@example.com" }) { revision } }'), 'FORBIDDEN');
    await userWithKey(s, s.ownerKey, 'plain-victim@example.com');
    ok(await s.gql(manager.key, 'mutation { deleteUser(user: "plain-victim@example.com") { revision } }'));
  });

  it("a deleted user's history stays readable by its id", async () => {
    const gone = await userWithKey(s, s.ownerKey, 'erased@example.com');
    ok(await owner('mutation { deleteUser(user: "erased@example.com") { revision } }'));
    const history = ok(await owner('query($u: String) { changes(filter: { user: $u }) { edges { node { type } } } }', { u: gone.id })).changes.edges.map((e: any) => e.node.type);
    expect(history[0]).toBe('USER_CREATED');
    expect(history.at(-1)).toBe('USER_DELETED');
    refused(await owner('{ changes(filter: { user: "nobody@example.com" }) { totalCount } }'), 'NOT_FOUND');
  });

  it('checks about other users need VIEW_DIRECTORY or ADMINISTRATOR, not a MANAGE_* permission', async () => {
    const granter = await userWithKey(s, s.ownerKey, 'checker-granter@example.com', [{ permissions: ['MANAGE_GRANTS'] }]);
    await userWithKey(s, s.ownerKey, 'checked@example.com');
    expect(ok(await s.gql(granter.key, '{ users(filter: { search: "checked@" }) { totalCount } }')).users.totalCount).toBe(1);
    refused(await s.gql(granter.key, '{ can(user: "checked@example.com", permission: "MANAGE_USERS") }'), 'FORBIDDEN', 'VIEW_DIRECTORY');
    refused(await s.gql(granter.key, '{ whoCan(permission: "MANAGE_USERS") { totalCount } }'), 'FORBIDDEN');
    expect(ok(await s.gql(granter.key, '{ can(user: "checker-granter@example.com", permission: "MANAGE_GRANTS") }')).can).toBe(true);
  });
});
