// shared/seeds/000: organization flags vs property flags (P_), patches with add/delete
// per scope, target by user id or e-mail, caller needs ADMINISTRATOR, owner unmodifiable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPreset } from '../../src/services/presets.js';
import { codeOf, ok, startServer, userWithKey, type TestServer } from '../helpers/server.js';

const PROPERTY = 'D#1234567003789492274';
const PATCH = 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision users { email } } }';
const CAN = 'query($u: String!, $p: String!, $s: String) { can(user: $u, permission: $p, scope: $s) }';
const GRANTS = 'query($u: String!) { user(ref: $u) { grants { permission scope { key } } } }';
const REVISION = '{ changes(first: 0) { totalCount } }';

let s: TestServer;
let admin: { id: string; key: string };
let alice: { id: string; key: string };

const patch = (key: string, p: unknown[]) => s.gql(key, PATCH, { p });
const can = async (u: string, p: string, scope?: string) => ok(await s.gql(s.ownerKey, CAN, { u, p, s: scope })).can as boolean;
const grantsOf = async (u: string) =>
  (ok(await s.gql(s.ownerKey, GRANTS, { u })).user.grants as Array<{ permission: string; scope: { key: string } | null }>)
    .map((g) => `${g.scope?.key ?? 'ORG'}:${g.permission}`)
    .sort();
const changeCount = async () => ok(await s.gql(s.ownerKey, REVISION)).changes.totalCount as number;

beforeAll(async () => {
  s = await startServer();
  await importPreset(s.services, s.orgId, 'org-property');
  ok(await s.gql(s.ownerKey, 'mutation($k: String!) { createScope(input: { key: $k, type: "property" }) { revision } }', { k: PROPERTY }));
  ok(await s.gql(s.ownerKey, 'mutation { createScope(input: { key: "D#other", type: "property" }) { revision } }'));
  admin = await userWithKey(s, s.ownerKey, 'admin@example.com', [{ permissions: ['ADMINISTRATOR'] }]);
  alice = await userWithKey(s, s.ownerKey, 'alice@example.com', [{ roles: ['Member'] }]);
});
afterAll(() => s.stop());

describe('seed 000: organization and property permissions', () => {
  it('grants VIEW_USERS at ORG to a user targeted by e-mail (the first example)', async () => {
    const r = ok(await patch(admin.key, [{ user: 'alice@example.com', scope: 'ORG', operation: 'ADD', permissions: ['VIEW_USERS'] }]));
    expect(r.patchPermissions.users).toEqual([{ email: 'alice@example.com' }]);
    expect(r.patchPermissions.revision).toBe(await changeCount());
    expect(await can('alice@example.com', 'VIEW_USERS')).toBe(true);
    expect(await grantsOf(alice.id)).toContain('ORG:VIEW_USERS');
    // An ORG flag takes effect at ORG only, never on a property.
    expect(await can('alice@example.com', 'VIEW_USERS', PROPERTY)).toBe(false);
  });

  it('grants P_VIEW_USERS on property D#1234567003789492274 to a user targeted by id (the second example)', async () => {
    ok(await patch(admin.key, [{ user: alice.id, scope: PROPERTY, operation: 'ADD', permissions: ['P_VIEW_USERS'] }]));
    expect(await can(alice.id, 'P_VIEW_USERS', PROPERTY)).toBe(true);
    expect(await can(alice.id, 'P_VIEW_USERS', 'D#other')).toBe(false);
    expect(await can(alice.id, 'P_VIEW_USERS')).toBe(false);
    expect(await grantsOf(alice.id)).toContain(`${PROPERTY}:P_VIEW_USERS`);
  });

  it('refuses an organization flag on a property, naming the flag and the scope, and changes nothing', async () => {
    const before = await changeCount();
    const r = await patch(admin.key, [{ user: alice.id, scope: PROPERTY, operation: 'ADD', permissions: ['EDIT_USERS'] }]);
    expect(codeOf(r)).toBe('BAD_USER_INPUT');
    expect(r.errors![0]!.message).toContain('EDIT_USERS');
    expect(r.errors![0]!.message).toContain(PROPERTY);
    expect(await changeCount()).toBe(before);
  });

  it('refuses a P_ flag at ORG, naming the flag', async () => {
    const before = await changeCount();
    const r = await patch(admin.key, [{ user: alice.id, scope: 'ORG', operation: 'ADD', permissions: ['P_EDIT_USERS'] }]);
    expect(codeOf(r)).toBe('BAD_USER_INPUT');
    expect(r.errors![0]!.message).toContain('P_EDIT_USERS');
    expect(await changeCount()).toBe(before);
  });

  it('refuses an unknown flag and an unknown property by name', async () => {
    const unknownFlag = await patch(admin.key, [{ user: alice.id, scope: 'ORG', operation: 'ADD', permissions: ['VIEW_EVERYTHING'] }]);
    expect(codeOf(unknownFlag)).toBe('BAD_USER_INPUT');
    expect(unknownFlag.errors![0]!.message).toContain('VIEW_EVERYTHING');
    const unknownScope = await patch(admin.key, [{ user: alice.id, scope: 'D#missing', operation: 'ADD', permissions: ['P_VIEW_USERS'] }]);
    expect(codeOf(unknownScope)).toBe('NOT_FOUND');
    expect(unknownScope.errors![0]!.message).toContain('D#missing');
    const unknownUser = await patch(admin.key, [{ user: 'nobody@example.com', scope: 'ORG', operation: 'ADD', permissions: ['VIEW_USERS'] }]);
    expect(codeOf(unknownUser)).toBe('NOT_FOUND');
    expect(unknownUser.errors![0]!.message).toContain('nobody@example.com');
  });

  it('deletes flags with the delete operation, at ORG and on a property', async () => {
    ok(await patch(admin.key, [
      { user: 'alice@example.com', scope: 'ORG', operation: 'DELETE', permissions: ['VIEW_USERS'] },
      { user: alice.id, scope: PROPERTY, operation: 'DELETE', permissions: ['P_VIEW_USERS'] },
    ]));
    expect(await can(alice.id, 'VIEW_USERS')).toBe(false);
    expect(await can(alice.id, 'P_VIEW_USERS', PROPERTY)).toBe(false);
    expect((await grantsOf(alice.id)).filter((g) => g.includes('VIEW_USERS'))).toEqual([]);
  });

  it('applies a batch over several users and scopes atomically: one bad patch and none apply', async () => {
    const bob = await userWithKey(s, s.ownerKey, 'bob@example.com', [{ roles: ['Member'] }]);
    const before = await changeCount();
    const bad = await patch(admin.key, [
      { user: alice.id, scope: 'ORG', operation: 'ADD', permissions: ['VIEW_BILLING'] },
      { user: bob.id, scope: PROPERTY, operation: 'ADD', permissions: ['P_VIEW_PROPERTY'] },
      { user: bob.id, scope: 'ORG', operation: 'ADD', permissions: ['P_VIEW_PROPERTY'] },
    ]);
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    expect(bad.errors![0]!.message).toContain('P_VIEW_PROPERTY');
    expect(await changeCount()).toBe(before);
    expect(await can(alice.id, 'VIEW_BILLING')).toBe(false);
    expect(await can(bob.id, 'P_VIEW_PROPERTY', PROPERTY)).toBe(false);

    const good = ok(await patch(admin.key, [
      { user: alice.id, scope: 'ORG', operation: 'ADD', permissions: ['VIEW_BILLING'] },
      { user: 'bob@example.com', scope: PROPERTY, operation: 'ADD', permissions: ['P_VIEW_PROPERTY', 'P_VIEW_CONVERSATIONS'] },
    ]));
    expect(good.patchPermissions.revision).toBe(before + 3);
    expect(good.patchPermissions.users.map((u: { email: string }) => u.email).sort()).toEqual(['alice@example.com', 'bob@example.com']);
    expect(await can(alice.id, 'VIEW_BILLING')).toBe(true);
    expect(await can(bob.id, 'P_VIEW_CONVERSATIONS', PROPERTY)).toBe(true);
  });

  it('refuses a caller without ADMINISTRATOR (and without MANAGE_GRANTS) with FORBIDDEN', async () => {
    const reader = await userWithKey(s, s.ownerKey, 'reader@example.com', [{ permissions: ['VIEW_DIRECTORY', 'MANAGE_USERS', 'VIEW_USERS'] }]);
    const before = await changeCount();
    for (const p of [
      { user: alice.id, scope: 'ORG', operation: 'ADD', permissions: ['VIEW_USERS'] },
      { user: 'reader@example.com', scope: PROPERTY, operation: 'ADD', permissions: ['P_VIEW_USERS'] },
      { user: alice.id, scope: 'ORG', operation: 'DELETE', permissions: ['VIEW_BILLING'] },
    ]) {
      const r = await patch(reader.key, [p]);
      expect(codeOf(r)).toBe('FORBIDDEN');
      expect(r.errors![0]!.message).toMatch(/ADMINISTRATOR/);
    }
    expect(await changeCount()).toBe(before);
    expect(await can(alice.id, 'VIEW_BILLING')).toBe(true);
  });

  it("cannot modify the owner's permissions, even as an administrator or as the owner", async () => {
    const before = await changeCount();
    for (const [key, user, operation] of [
      [admin.key, 'owner@test.local', 'ADD'],
      [admin.key, 'OWNER@test.local', 'DELETE'],
      [s.ownerKey, 'owner@test.local', 'ADD'],
    ] as const) {
      const r = await patch(key, [{ user, scope: 'ORG', operation, permissions: ['VIEW_USERS'] }]);
      expect(codeOf(r)).toBe('FORBIDDEN');
      expect(r.errors![0]!.message).toContain('owner@test.local');
    }
    const viaSet = await s.gql(admin.key, 'mutation { setPermissions(user: "owner@test.local", permissions: []) { revision } }');
    expect(codeOf(viaSet)).toBe('FORBIDDEN');
    const viaRevoke = await s.gql(admin.key, 'mutation { revokeAllPermissions(user: "owner@test.local") { revision } }');
    expect(codeOf(viaRevoke)).toBe('FORBIDDEN');
    expect(await changeCount()).toBe(before);
    // Whatever is (not) assigned, the owner holds every flag everywhere.
    expect(await can('owner@test.local', 'VIEW_USERS')).toBe(true);
    expect(await can('owner@test.local', 'P_EDIT_PROPERTY', PROPERTY)).toBe(true);
    expect(await grantsOf('owner@test.local')).toEqual([]);
  });

  it('lets an administrator who is not the owner set permissions of another administrator', async () => {
    const second = await userWithKey(s, s.ownerKey, 'admin2@example.com', [{ permissions: ['ADMINISTRATOR'] }]);
    ok(await patch(admin.key, [{ user: second.id, scope: PROPERTY, operation: 'ADD', permissions: ['P_EDIT_USERS'] }]));
    expect(await grantsOf(second.id)).toEqual([`${PROPERTY}:P_EDIT_USERS`, 'ORG:ADMINISTRATOR']);
  });
});
