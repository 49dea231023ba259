// shared/seeds/001: the per-project permission set, replaced as a whole, and
// CAN_IMPERSONATE_OTHER_USERS, which grantql offers as the owner-only IMPERSONATE.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPreset } from '../../src/services/presets.js';
import { codeOf, ok, startServer, userWithKey, type TestServer } from '../helpers/server.js';

const PROJECT = '3c90c3cc-0d44-4b50-8888-8dd25736052a';
const OTHER = '7f0d0f1a-6852-4634-89c0-9418fb8dc71b';
const SET = `mutation($u: String!, $s: String, $p: [String!], $r: [String!]) {
  setPermissions(user: $u, scope: $s, permissions: $p, roles: $r) { revision users { id email dateJoined effectivePermissions(scope: "${PROJECT}") } } }`;
const EFFECTIVE = 'query($u: String!, $s: String) { effectivePermissions(user: $u, scope: $s) }';
const PATCH = 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision } }';
const VIEWER = '{ viewer { email } }';

let s: TestServer;
let jsmith: { id: string; key: string };
let admin: { id: string; key: string };

const effective = async (u: string, scope: string) => ok(await s.gql(s.ownerKey, EFFECTIVE, { u, s: scope })).effectivePermissions as string[];
const changeCount = async () => ok(await s.gql(s.ownerKey, '{ changes(first: 0) { totalCount } }')).changes.totalCount as number;
const grantImpersonate = (key: string, user: string, operation = 'ADD') =>
  s.gql(key, PATCH, { p: [{ user, scope: 'ORG', operation, permissions: ['IMPERSONATE'] }] });

beforeAll(async () => {
  s = await startServer();
  await importPreset(s.services, s.orgId, 'project');
  for (const key of [PROJECT, OTHER]) {
    ok(await s.gql(s.ownerKey, 'mutation($k: String!) { createScope(input: { key: $k, type: "project" }) { revision } }', { k: key }));
  }
  admin = await userWithKey(s, s.ownerKey, 'admin@example.com', [{ permissions: ['ADMINISTRATOR'] }]);
  jsmith = await userWithKey(s, s.ownerKey, 'jsmith@example.com');
});
afterAll(() => s.stop());

describe('seed 001: the project permission set', () => {
  it('lists the five project flags, CAN_IMPERSONATE_OTHER_USERS visible but not grantable', async () => {
    const perms = ok(await s.gql(s.ownerKey, '{ permissions(level: RESOURCE) { key grantable resourceTypes } }')).permissions;
    expect(perms).toEqual([
      { key: 'CAN_IMPERSONATE_OTHER_USERS', grantable: false, resourceTypes: ['project'] },
      { key: 'CAN_PERFORM_ADMIN_ACTIONS', grantable: true, resourceTypes: ['project'] },
      { key: 'CAN_RUN_TASKS', grantable: true, resourceTypes: ['project'] },
      { key: 'CAN_VIEW_DATA', grantable: true, resourceTypes: ['project'] },
      { key: 'CAN_VIEW_TECHNICAL_INTERFACE', grantable: true, resourceTypes: ['project'] },
    ]);
  });

  it('sets the example set, then replaces it as a whole (the documented response keeps only the new set)', async () => {
    const first = ok(await s.gql(admin.key, SET, { u: 'jsmith@example.com', s: PROJECT, p: ['CAN_VIEW_DATA', 'CAN_PERFORM_ADMIN_ACTIONS'] }));
    expect(first.setPermissions.users).toEqual([
      expect.objectContaining({ id: jsmith.id, email: 'jsmith@example.com', effectivePermissions: ['CAN_PERFORM_ADMIN_ACTIONS', 'CAN_VIEW_DATA'] }),
    ]);
    expect(first.setPermissions.users[0].dateJoined).toMatch(/^\d{4}-\d\d-\d\dT/);
    ok(await s.gql(admin.key, SET, { u: jsmith.id, s: OTHER, p: ['CAN_RUN_TASKS'] }));

    const second = ok(await s.gql(admin.key, SET, { u: jsmith.id, s: PROJECT, p: ['CAN_PERFORM_ADMIN_ACTIONS'] }));
    expect(second.setPermissions.users[0].effectivePermissions).toEqual(['CAN_PERFORM_ADMIN_ACTIONS']);
    expect(second.setPermissions.revision).toBe(await changeCount());
    // Other projects keep their own set.
    expect(await effective(jsmith.id, OTHER)).toEqual(['CAN_RUN_TASKS']);
  });

  it('replaces the set with a SET patch too, and an empty set clears the project', async () => {
    ok(await s.gql(admin.key, PATCH, { p: [{ user: jsmith.id, scope: PROJECT, operation: 'SET', permissions: ['CAN_VIEW_DATA', 'CAN_RUN_TASKS'] }] }));
    expect(await effective(jsmith.id, PROJECT)).toEqual(['CAN_RUN_TASKS', 'CAN_VIEW_DATA']);
    ok(await s.gql(admin.key, SET, { u: jsmith.id, s: PROJECT, p: ['CAN_VIEW_TECHNICAL_INTERFACE'], r: ['Project viewer'] }));
    expect(await effective(jsmith.id, PROJECT)).toEqual(['CAN_VIEW_DATA', 'CAN_VIEW_TECHNICAL_INTERFACE']);
    ok(await s.gql(admin.key, SET, { u: jsmith.id, s: PROJECT, p: [], r: [] }));
    expect(await effective(jsmith.id, PROJECT)).toEqual([]);
    expect(await effective(jsmith.id, OTHER)).toEqual(['CAN_RUN_TASKS']);
  });

  it('setting the same set again changes nothing and returns the current revision', async () => {
    ok(await s.gql(admin.key, SET, { u: jsmith.id, s: PROJECT, p: ['CAN_VIEW_DATA'] }));
    const before = await changeCount();
    const again = ok(await s.gql(admin.key, SET, { u: jsmith.id, s: PROJECT, p: ['CAN_VIEW_DATA'] }));
    expect(again.setPermissions.revision).toBe(before);
    expect(await changeCount()).toBe(before);
  });

  it('refuses CAN_IMPERSONATE_OTHER_USERS by name and leaves the set as it was', async () => {
    const before = await changeCount();
    const r = await s.gql(admin.key, SET, { u: jsmith.id, s: PROJECT, p: ['CAN_RUN_TASKS', 'CAN_IMPERSONATE_OTHER_USERS'] });
    expect(codeOf(r)).toBe('BAD_USER_INPUT');
    expect(r.errors![0]!.message).toContain('CAN_IMPERSONATE_OTHER_USERS');
    const asOwner = await s.gql(s.ownerKey, SET, { u: jsmith.id, s: PROJECT, p: ['CAN_IMPERSONATE_OTHER_USERS'] });
    expect(codeOf(asOwner)).toBe('BAD_USER_INPUT');
    expect(await changeCount()).toBe(before);
    expect(await effective(jsmith.id, PROJECT)).toEqual(['CAN_VIEW_DATA']);
  });

  it('refuses project flags at ORG (they are resource flags)', async () => {
    const r = await s.gql(admin.key, SET, { u: jsmith.id, p: ['CAN_VIEW_DATA'] });
    expect(codeOf(r)).toBe('BAD_USER_INPUT');
    expect(r.errors![0]!.message).toContain('CAN_VIEW_DATA');
  });
});

describe('seed 001: impersonation (IMPERSONATE and X-Act-As)', () => {
  it('only the owner may grant or revoke IMPERSONATE', async () => {
    const delegate = await userWithKey(s, s.ownerKey, 'delegate@example.com', [{ permissions: ['MANAGE_GRANTS', 'VIEW_DIRECTORY'] }]);
    const before = await changeCount();
    for (const key of [admin.key, delegate.key]) {
      const r = await grantImpersonate(key, 'jsmith@example.com');
      expect(codeOf(r)).toBe('FORBIDDEN');
      expect(r.errors![0]!.message).toContain('IMPERSONATE');
    }
    const viaCreate = await s.gql(admin.key, 'mutation { createUser(input: { email: "imp@example.com", grants: [{ permissions: ["IMPERSONATE"] }] }) { revision } }');
    expect(codeOf(viaCreate)).toBe('FORBIDDEN');
    expect(await changeCount()).toBe(before);

    ok(await grantImpersonate(s.ownerKey, 'jsmith@example.com'));
    const revoke = await grantImpersonate(admin.key, 'jsmith@example.com', 'DELETE');
    expect(codeOf(revoke)).toBe('FORBIDDEN');
    const wipe = await s.gql(admin.key, 'mutation { revokeAllPermissions(user: "jsmith@example.com") { revision } }');
    expect(codeOf(wipe)).toBe('FORBIDDEN');
    expect(ok(await s.gql(s.ownerKey, 'query { can(user: "jsmith@example.com", permission: "IMPERSONATE") }')).can).toBe(true);
  });

  it('lets a holder act as another user with X-Act-As (id, e-mail or externalId)', async () => {
    const target = ok(
      await s.gql(s.ownerKey, 'mutation { createUser(input: { email: "target@example.com", externalId: "ext-7", grants: [{ scope: "' + PROJECT + '", roles: ["Project viewer"] }] }) { user { id } } }'),
    ).createUser.user.id as string;
    for (const ref of [target, 'target@example.com', 'ext-7']) {
      expect(ok(await s.gql(jsmith.key, VIEWER, {}, { 'x-act-as': ref })).viewer.email).toBe('target@example.com');
    }
    // The viewer is that user: its own permissions, not the caller's.
    const mine = ok(await s.gql(jsmith.key, `{ viewer { effectivePermissions(scope: "${PROJECT}") } }`, {}, { 'x-act-as': 'ext-7' }));
    expect(mine.viewer.effectivePermissions).toEqual(['CAN_VIEW_DATA']);
    // Acting as a user without MANAGE_GRANTS, the caller cannot change grants.
    const r = await s.gql(jsmith.key, PATCH, { p: [{ user: 'ext-7', scope: PROJECT, operation: 'ADD', permissions: ['CAN_RUN_TASKS'] }] }, { 'x-act-as': 'ext-7' });
    expect(codeOf(r)).toBe('FORBIDDEN');
  });

  it('refuses X-Act-As to callers without IMPERSONATE, and to an unknown user', async () => {
    const plain = await userWithKey(s, s.ownerKey, 'plain@example.com');
    const r = await s.gql(plain.key, VIEWER, {}, { 'x-act-as': 'jsmith@example.com' });
    expect(codeOf(r)).toBe('FORBIDDEN');
    expect(r.errors![0]!.message).toContain('IMPERSONATE');
    expect(r.data ?? null).toBeNull();
    const unknown = await s.gql(jsmith.key, VIEWER, {}, { 'x-act-as': 'ghost@example.com' });
    expect(codeOf(unknown)).toBe('FORBIDDEN');
    expect(unknown.errors![0]!.message).toContain('ghost@example.com');
  });

  it('never lets a non-owner act as the owner; the owner may act as anyone', async () => {
    const r = await s.gql(jsmith.key, VIEWER, {}, { 'x-act-as': 'owner@test.local' });
    expect(codeOf(r)).toBe('FORBIDDEN');
    expect(ok(await s.gql(s.ownerKey, VIEWER, {}, { 'x-act-as': 'jsmith@example.com' })).viewer.email).toBe('jsmith@example.com');
  });

  it('stops working as soon as the owner revokes IMPERSONATE', async () => {
    ok(await grantImpersonate(s.ownerKey, 'jsmith@example.com', 'DELETE'));
    expect(codeOf(await s.gql(jsmith.key, VIEWER, {}, { 'x-act-as': 'target@example.com' }))).toBe('FORBIDDEN');
    expect(ok(await s.gql(jsmith.key, VIEWER)).viewer.email).toBe('jsmith@example.com');
  });
});
