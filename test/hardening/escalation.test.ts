import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, ok, startServer, userWithKey, type TestServer } from '../helpers/server.js';
import { headOf } from './fixtures.js';

let s: TestServer;
let owner: string;
let admin: string;
/** MANAGE_GRANTS + SECRET at ORG, P_VIEW on p1 only. */
let mg: string;
/** MANAGE_GRANTS and MANAGE_ROLES through the custom role "Helpers". */
let mgr: string;

const PATCH = 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision } }';
const add = (user: string, scope: string, permissions: string[] = [], roles: string[] = []) => ({ p: [{ user, scope, operation: 'ADD', permissions, roles }] });

beforeAll(async () => {
  s = await startServer();
  owner = s.ownerKey;
  ok(await s.gql(owner, `mutation {
    definePermissions(permissions: [{ key: "SECRET", level: ORG }, { key: "P_VIEW", level: RESOURCE, resourceTypes: ["property"] }]) { revision }
    p1: createScope(input: { key: "p1", type: "property" }) { revision }
    p2: createScope(input: { key: "p2", type: "property" }) { revision }
    createRole(input: { name: "Helpers", permissions: ["MANAGE_GRANTS", "MANAGE_ROLES"] }) { revision }
    viewers: createRole(input: { name: "Directory", permissions: ["VIEW_DIRECTORY"] }) { revision }
  }`));
  ok(await s.gql(owner, 'mutation { createScope(input: { key: "p1-child", type: "property", parent: "p1" }) { revision } }'));
  admin = (await userWithKey(s, owner, 'admin@test.local', [{ permissions: ['ADMINISTRATOR'] }])).key;
  mg = (await userWithKey(s, owner, 'mg@test.local', [{ permissions: ['MANAGE_GRANTS', 'SECRET'] }, { scope: 'p1', permissions: ['P_VIEW'] }])).key;
  mgr = (await userWithKey(s, owner, 'mgr@test.local', [{ roles: ['Helpers'] }])).key;
  await userWithKey(s, owner, 'victim@test.local');
  ok(await s.gql(owner, 'mutation { patchPermissions(patches: [{ user: "victim@test.local", scope: "ORG", operation: ADD, permissions: ["VIEW_DIRECTORY"] }]) { revision } }'));
});
afterAll(async () => s?.stop());

/** Refused with FORBIDDEN and a message naming why, and nothing was written. */
async function refused(key: string, query: string, variables: Record<string, unknown>, message: RegExp, headers?: Record<string, string>) {
  const before = await headOf(s, owner);
  const r = await s.gql(key, query, variables, headers);
  expect(codeOf(r), JSON.stringify(r)).toBe('FORBIDDEN');
  expect(r.errors![0]!.message).toMatch(message);
  expect(await headOf(s, owner)).toBe(before);
}

const adminHeld = async (email: string) => ok(await s.gql(owner, 'query($u: String!) { can(user: $u, permission: "ADMINISTRATOR") }', { u: email })).can;

describe('a MANAGE_GRANTS holder cannot grant what it lacks', () => {
  it.each([
    ['an ORG permission it lacks', add('victim@test.local', 'ORG', ['MANAGE_USERS']), /you lack MANAGE_USERS/],
    ['a role holding a permission it lacks', add('victim@test.local', 'ORG', [], ['Directory']), /you lack VIEW_DIRECTORY \(in role "Directory"\)/],
    ['a resource permission on a scope where it lacks it', add('victim@test.local', 'p2', ['P_VIEW']), /at "p2": you lack P_VIEW/],
    ['a resource permission at ORG', add('victim@test.local', 'ORG', ['SECRET', 'MANAGE_SCOPES']), /you lack MANAGE_SCOPES/],
    ['the removal of a permission it lacks', { p: [{ user: 'victim@test.local', scope: 'ORG', operation: 'DELETE', permissions: ['VIEW_DIRECTORY'] }] }, /you lack VIEW_DIRECTORY/],
  ])('%s', async (_name, variables, message) => {
    await refused(mg, PATCH, variables, message);
  });

  it('refuses a whole batch when one step escalates, through every grant mutation', async () => {
    await refused(mg, PATCH, { p: [...add('victim@test.local', 'p1', ['P_VIEW']).p, ...add('victim@test.local', 'ORG', ['MANAGE_USERS']).p] }, /you lack MANAGE_USERS/);
    // SET first takes away what the victim holds there (VIEW_DIRECTORY, which mg lacks too).
    await refused(mg, 'mutation { setPermissions(user: "victim@test.local", permissions: ["SECRET", "MANAGE_ROLES"]) { revision } }', {}, /you lack VIEW_DIRECTORY/);
    await refused(mg, 'mutation { setPermissions(user: "victim@test.local", scope: "p2", permissions: ["P_VIEW"]) { revision } }', {}, /at "p2": you lack P_VIEW/);
    await refused(mg, 'mutation { replaceGrants(user: "victim@test.local", grants: [{ permissions: ["SECRET"] }]) { revision } }', {}, /you lack VIEW_DIRECTORY/);
    await refused(mg, 'mutation { revokeAllPermissions(user: "victim@test.local") { revision } }', {}, /you lack VIEW_DIRECTORY/);
  });

  it('grants what it holds, where it holds it (scope and descendants)', async () => {
    ok(await s.gql(mg, PATCH, { p: [...add('victim@test.local', 'p1', ['P_VIEW']).p, ...add('victim@test.local', 'p1-child', ['P_VIEW']).p, ...add('victim@test.local', 'ORG', ['SECRET']).p] }));
    expect(ok(await s.gql(owner, '{ effectivePermissions(user: "victim@test.local", scope: "p1-child") }')).effectivePermissions).toEqual(['P_VIEW']);
  });

  it('cannot mint an API key for another user (that would be acting as them)', async () => {
    await refused(mg, 'mutation { createApiKey(user: "victim@test.local", name: "x") { secret } }', {}, /ADMINISTRATOR/);
  });
});

describe('nobody but the owner touches the owner', () => {
  it.each([
    ['patchPermissions', PATCH, add('owner@test.local', 'ORG', ['SECRET'])],
    ['setPermissions', 'mutation { setPermissions(user: "owner@test.local", permissions: ["SECRET"]) { revision } }', {}],
    ['replaceGrants', 'mutation { replaceGrants(user: "owner@test.local", grants: []) { revision } }', {}],
    ['revokeAllPermissions', 'mutation { revokeAllPermissions(user: "owner@test.local") { revision } }', {}],
  ])('%s on the owner is refused for a MANAGE_GRANTS holder and an administrator', async (_name, query, variables) => {
    for (const key of [mg, admin]) await refused(key, query, variables, /owner \(owner@test\.local\) cannot be modified/);
  });

  it("refuses an administrator the owner's profile, keys and account", async () => {
    await refused(admin, 'mutation { updateUser(user: "owner@test.local", input: { email: "evil@test.local" }) { revision } }', {}, /only the organization owner can change the owner/);
    await refused(admin, 'mutation { createApiKey(user: "owner@test.local", name: "x") { secret } }', {}, /only the organization owner can manage the owner's API keys/);
    await refused(admin, 'mutation { deleteUser(user: "owner@test.local") { revision } }', {}, /owner cannot be deleted/);
  });
});

describe('no way to become administrator', () => {
  it('refuses ADMINISTRATOR directly or through the Administrator role', async () => {
    await refused(mg, PATCH, add('mg@test.local', 'ORG', ['ADMINISTRATOR']), /only an administrator can grant or revoke ADMINISTRATOR/);
    await refused(mg, PATCH, add('mg@test.local', 'ORG', [], ['Administrator']), /only an administrator can grant or revoke ADMINISTRATOR \(in role "Administrator"\)/);
    expect(await adminHeld('mg@test.local')).toBe(false);
  });

  it('refuses a MANAGE_ROLES holder who edits its own role to gain ADMINISTRATOR or anything it lacks', async () => {
    const edit = 'mutation($p: [String!]) { updateRole(role: "Helpers", input: { permissions: $p }) { revision } }';
    await refused(mgr, edit, { p: ['MANAGE_GRANTS', 'MANAGE_ROLES', 'ADMINISTRATOR'] }, /only an administrator can put ADMINISTRATOR in a role/);
    await refused(mgr, edit, { p: ['MANAGE_GRANTS', 'MANAGE_ROLES', 'MANAGE_USERS'] }, /you lack MANAGE_USERS/);
    await refused(mgr, 'mutation { createRole(input: { name: "Boss", permissions: ["ADMINISTRATOR"] }) { revision } }', {}, /only an administrator can put ADMINISTRATOR/);
    await refused(mgr, 'mutation { updateRole(role: "Member", input: { permissions: ["VIEW_DIRECTORY"] }) { revision } }', {}, /system role "Member" cannot be edited/);
    await refused(mgr, 'mutation { updateRole(role: "Administrator", input: { name: "Admins" }) { revision } }', {}, /system role "Administrator" cannot be edited/);
    expect(await adminHeld('mgr@test.local')).toBe(false);
    expect(ok(await s.gql(mgr, 'mutation { updateRole(role: "Helpers", input: { description: "still allowed" }) { role { permissions } } }')).updateRole.role.permissions).toEqual(['MANAGE_GRANTS', 'MANAGE_ROLES']);
  });
});

describe('IMPERSONATE is the owner\'s to give', () => {
  it('refuses it to a MANAGE_GRANTS holder and to an administrator, in grants and in roles', async () => {
    await refused(mg, PATCH, add('victim@test.local', 'ORG', ['IMPERSONATE']), /only the organization owner can grant or revoke IMPERSONATE/);
    await refused(admin, PATCH, add('admin@test.local', 'ORG', ['IMPERSONATE']), /only the organization owner can grant or revoke IMPERSONATE/);
    await refused(admin, 'mutation { createRole(input: { name: "Actors", permissions: ["IMPERSONATE"] }) { revision } }', {}, /only the organization owner can put IMPERSONATE in a role/);
    await refused(mg, '{ viewer { email } }', {}, /you need IMPERSONATE/, { 'x-act-as': 'victim@test.local' });
  });

  it("refuses an impersonator a scope move that takes away its own rights there, held directly or through a group", async () => {
    ok(await s.gql(owner, 'mutation { createScope(input: { key: "m0", type: "property" }) { revision } }'));
    ok(await s.gql(owner, 'mutation { a: createScope(input: { key: "m1", type: "property", parent: "m0" }) { revision } b: createScope(input: { key: "m2", type: "property", parent: "m0" }) { revision } }'));
    await userWithKey(s, owner, 'scoper@test.local', [{ permissions: ['MANAGE_SCOPES'] }]);
    const mover = await userWithKey(s, owner, 'mover@test.local', [{ permissions: ['IMPERSONATE', 'MANAGE_SCOPES'] }]);
    ok(await s.gql(owner, 'mutation { createGroup(input: { key: "movers" }) { revision } }'));
    ok(await s.gql(owner, 'mutation { addGroupMembers(group: "movers", users: ["mover@test.local"]) { revision } }'));
    // Through the group: P_VIEW at m0 reaches m1 below it; moving m1 to the top takes it away.
    ok(await s.gql(owner, PATCH, { p: [{ group: 'movers', scope: 'm0', operation: 'ADD', permissions: ['P_VIEW'] }] }));
    const move = 'mutation($s: String!) { updateScope(scope: $s, input: { parent: "ORG" }) { revision } }';
    await refused(mover.key, move, { s: 'm1' }, /while acting as another user \(X-Act-As\) you cannot change your own permissions/, { 'x-act-as': 'scoper@test.local' });
    // Held directly.
    ok(await s.gql(owner, PATCH, { p: [{ group: 'movers', scope: 'm0', operation: 'DELETE', permissions: ['P_VIEW'] }] }));
    ok(await s.gql(owner, PATCH, add('mover@test.local', 'm0', ['P_VIEW'])));
    await refused(mover.key, move, { s: 'm2' }, /while acting as another user \(X-Act-As\) you cannot change your own permissions/, { 'x-act-as': 'scoper@test.local' });
    // The same move of a scope the impersonator holds nothing above goes through.
    ok(await s.gql(owner, PATCH, { p: [{ user: 'mover@test.local', scope: 'm0', operation: 'DELETE', permissions: ['P_VIEW'] }] }));
    ok(await s.gql(mover.key, move, { s: 'm2' }, { 'x-act-as': 'scoper@test.local' }));
  });

  it('lets the owner grant it; the administrator can then neither revoke it nor act as the owner', async () => {
    const holder = await userWithKey(s, owner, 'actor@test.local', [{ permissions: ['IMPERSONATE'] }]);
    await refused(admin, PATCH, { p: [{ user: 'actor@test.local', scope: 'ORG', operation: 'DELETE', permissions: ['IMPERSONATE'] }] }, /only the organization owner/);
    expect(ok(await s.gql(holder.key, '{ viewer { email } }', {}, { 'x-act-as': 'victim@test.local' })).viewer.email).toBe('victim@test.local');
    await refused(holder.key, '{ viewer { email } }', {}, /only the owner can act as the owner/, { 'x-act-as': 'owner@test.local' });
  });
});
