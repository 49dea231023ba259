// shared/seeds/002: roles with a 1–50 character name, rights grouped from group.action
// and replaced as a whole, read-only system roles, a scope set on create only, at least
// one account (ORG) default role, soft delete, and the can-edit / can-delete meta actions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { draft } from '../../src/services/drafts.js';
import { importPreset } from '../../src/services/presets.js';
import { codeOf, ok, startServer, userWithKey, type TestServer } from '../helpers/server.js';

const ROLE_FIELDS = 'id name roleType scopeType isDefault permissions rights { group actions } discardedAt canEdit canDelete';
const CREATE = `mutation($i: CreateRoleInput!) { createRole(input: $i) { revision role { ${ROLE_FIELDS} } } }`;
const UPDATE = `mutation($r: String!, $i: UpdateRoleInput!) { updateRole(role: $r, input: $i) { revision role { ${ROLE_FIELDS} } } }`;
const DELETE = `mutation($r: String!) { deleteRole(role: $r) { revision role { ${ROLE_FIELDS} } } }`;
const ROLE = `query($r: String!) { role(ref: $r) { ${ROLE_FIELDS} } }`;
const ROLES = 'query($f: RoleFilter) { roles(filter: $f) { totalCount edges { node { name } } } }';
const CAN = 'query($u: String!, $p: String!, $s: String) { can(user: $u, permission: $p, scope: $s) }';
const SET = 'mutation($u: String!, $s: String, $p: [String!], $r: [String!]) { setPermissions(user: $u, scope: $s, permissions: $p, roles: $r) { revision } }';

let s: TestServer;
let reader: { id: string; key: string };
const gqlOwner = (q: string, v?: Record<string, unknown>) => s.gql(s.ownerKey, q, v);
const create = (i: Record<string, unknown>) => gqlOwner(CREATE, { i });
const names = async (f: Record<string, unknown>) => {
  const c = ok(await gqlOwner(ROLES, { f })).roles;
  return { total: c.totalCount as number, names: c.edges.map((e: { node: { name: string } }) => e.node.name).sort() };
};
const can = async (u: string, p: string, scope?: string) => ok(await gqlOwner(CAN, { u, p, s: scope })).can as boolean;
const changeCount = async () => ok(await gqlOwner('{ changes(first: 0) { totalCount } }')).changes.totalCount as number;

beforeAll(async () => {
  s = await startServer();
  await importPreset(s.services, s.orgId, 'roles');
  for (const [key, type, parent] of [['team-1', 'team', null], ['chat-1', 'chat', 'team-1'], ['team-2', 'team', null]]) {
    ok(await gqlOwner('mutation($i: CreateScopeInput!) { createScope(input: $i) { revision } }', { i: { key, type, parent } }));
  }
  reader = await userWithKey(s, s.ownerKey, 'reader@example.com', [{ permissions: ['VIEW_DIRECTORY'] }]);
});
afterAll(() => s.stop());

describe('seed 002: role name', () => {
  it.each([
    ['empty', '', 0],
    ['blank', '   ', 0],
    ['51 characters', 'x'.repeat(51), 51],
  ])('refuses a name that is %s', async (_what, name, length) => {
    const r = await create({ name });
    expect(codeOf(r)).toBe('BAD_USER_INPUT');
    expect(r.errors![0]!.message).toContain(`got ${length}`);
  });

  it('accepts names of 1 and 50 characters', async () => {
    expect(ok(await create({ name: 'R' })).createRole.role.name).toBe('R');
    expect(ok(await create({ name: 'y'.repeat(50) })).createRole.role.name).toBe('y'.repeat(50));
  });

  it('keeps names unique among roles not discarded (CONFLICT), and frees the name on discard', async () => {
    ok(await create({ name: 'Role' }));
    const dup = await create({ name: 'role' });
    expect(codeOf(dup)).toBe('CONFLICT');
    expect(dup.errors![0]!.message).toContain('role');
    const other = ok(await create({ name: 'Updated Role' })).createRole.role.id;
    expect(codeOf(await gqlOwner(UPDATE, { r: other, i: { name: 'Role' } }))).toBe('CONFLICT');
    const discarded = ok(await gqlOwner(DELETE, { r: 'Role' })).deleteRole.role;
    const again = ok(await create({ name: 'Role' })).createRole.role;
    expect(again.id).not.toBe(discarded.id);
    // The name now means the live role; the discarded one is still reachable by id.
    expect(ok(await gqlOwner(ROLE, { r: 'Role' })).role.id).toBe(again.id);
    expect(ok(await gqlOwner(ROLE, { r: discarded.id })).role.discardedAt).not.toBeNull();
  });
});

describe('seed 002: rights', () => {
  it('groups group.action permissions as rights, and an update replaces the whole set', async () => {
    const made = ok(await create({ name: 'Support', scopeType: 'team', permissions: ['user.read', 'team_membership.manage', 'user.create', 'message.read'] })).createRole.role;
    expect(made.rights).toEqual([
      { group: 'message', actions: ['read'] },
      { group: 'team_membership', actions: ['manage'] },
      { group: 'user', actions: ['create', 'read'] },
    ]);
    expect(made.permissions).toEqual(['message.read', 'team_membership.manage', 'user.create', 'user.read']);
    const renamed = ok(await gqlOwner(UPDATE, { r: made.id, i: { name: 'Support desk' } })).updateRole.role;
    expect(renamed.permissions).toEqual(made.permissions);
    const replaced = ok(await gqlOwner(UPDATE, { r: 'Support desk', i: { permissions: ['tag.delete', 'tag.create'] } })).updateRole.role;
    expect(replaced.rights).toEqual([{ group: 'tag', actions: ['create', 'delete'] }]);
    expect(replaced.permissions).toEqual(['tag.create', 'tag.delete']);
  });

  it('refuses permissions that do not take effect on the role scope, naming them', async () => {
    const chat = await create({ name: 'Chat mod', scopeType: 'chat', permissions: ['message.delete', 'team_membership.manage'] });
    expect(codeOf(chat)).toBe('BAD_USER_INPUT');
    expect(chat.errors![0]!.message).toContain('team_membership.manage');
    const team = await create({ name: 'Team admin', scopeType: 'team', permissions: ['ADMINISTRATOR'] });
    expect(codeOf(team)).toBe('BAD_USER_INPUT');
    expect(team.errors![0]!.message).toContain('ADMINISTRATOR');
    expect(codeOf(await create({ name: 'Nope', permissions: ['user.fly'] }))).toBe('BAD_USER_INPUT');
    const before = ok(await gqlOwner(ROLE, { r: 'Chat participant' })).role;
    const upd = await gqlOwner(UPDATE, { r: before.id, i: { permissions: ['chat.read', 'team_membership.manage'] } });
    expect(codeOf(upd)).toBe('BAD_USER_INPUT');
    expect(upd.errors![0]!.message).toContain('team_membership.manage');
    expect(ok(await gqlOwner(ROLE, { r: before.id })).role.permissions).toEqual(before.permissions);
  });

  it('fixes the scope at creation: UpdateRoleInput has no scopeType', async () => {
    const r = await gqlOwner('mutation { updateRole(role: "Support desk", input: { scopeType: "chat" }) { revision } }');
    expect(r.errors?.[0]?.message).toMatch(/scopeType/);
    expect(ok(await gqlOwner(ROLE, { r: 'Support desk' })).role.scopeType).toBe('team');
  });
});

describe('seed 002: system roles and meta actions', () => {
  it.each(['Administrator', 'Member'])('system role %s refuses edit and delete with FORBIDDEN', async (name) => {
    const role = ok(await gqlOwner(ROLE, { r: name })).role;
    expect(role).toMatchObject({ roleType: 'SYSTEM', scopeType: 'ORG', canEdit: false, canDelete: false, discardedAt: null });
    const before = await changeCount();
    for (const r of [
      await gqlOwner(UPDATE, { r: name, i: { name: `${name} 2` } }),
      await gqlOwner(UPDATE, { r: role.id, i: { permissions: [] } }),
      await gqlOwner(DELETE, { r: name }),
    ]) {
      expect(codeOf(r)).toBe('FORBIDDEN');
      expect(r.errors![0]!.message).toContain(name);
    }
    expect(await changeCount()).toBe(before);
    expect(ok(await gqlOwner(ROLE, { r: role.id })).role).toEqual(role);
  });

  it('shows canEdit / canDelete true on custom roles for role managers only', async () => {
    const role = ok(await create({ name: 'Meta', scopeType: 'chat', permissions: ['chat.read'] })).createRole.role;
    expect(role).toMatchObject({ roleType: 'CUSTOM', canEdit: true, canDelete: true });
    const seen = ok(await s.gql(reader.key, ROLE, { r: 'Meta' })).role;
    expect(seen).toMatchObject({ canEdit: false, canDelete: false });
    const refused = await s.gql(reader.key, UPDATE, { r: 'Meta', i: { name: 'Meta 2' } });
    expect(codeOf(refused)).toBe('FORBIDDEN');
    expect(codeOf(await s.gql(reader.key, DELETE, { r: 'Meta' }))).toBe('FORBIDDEN');
  });
});

describe('seed 002: default roles', () => {
  it('gives a team grant that names no role the team default role', async () => {
    const u = await userWithKey(s, s.ownerKey, 'teammate@example.com');
    ok(await gqlOwner(SET, { u: u.id, s: 'team-1' }));
    const grants = ok(await gqlOwner('query($u: String!) { user(ref: $u) { grants { scope { key } role { name } } } }', { u: u.id })).user.grants;
    expect(grants).toEqual(expect.arrayContaining([{ scope: { key: 'team-1' }, role: { name: 'Team member' } }, { scope: null, role: { name: 'Member' } }]));
  });

  it('keeps at least one ORG default role: the last one can be neither undefaulted nor deleted (CONFLICT)', async () => {
    const staff = ok(await create({ name: 'Staff', isDefault: true })).createRole.role;
    expect(staff.canDelete).toBe(true);
    // Member (SYSTEM) cannot be edited through the API; a store-level edit stands in for an
    // organization whose only other default role is gone, so the rule itself is exercised.
    const ix = s.services.registry.get(s.orgId);
    const [member] = await s.services.store.rolesByIds(s.orgId, [ix.liveRoleByName.get('member')!]);
    const events = await s.services.store.commit(s.orgId, ix.revision, [draft(null, 'ROLE_UPDATED', { roleId: member!.id, data: { kind: 'role', role: { ...member!, isDefault: false } } })]);
    // Committed past the Writer (as an old migration could have left it): applied like any commit.
    s.services.feed.apply(events);
    expect(ok(await gqlOwner(ROLE, { r: 'Staff' })).role.canDelete).toBe(false);
    const before = await changeCount();
    const del = await gqlOwner(DELETE, { r: 'Staff' });
    expect(codeOf(del)).toBe('CONFLICT');
    expect(del.errors![0]!.message).toContain('Staff');
    expect(codeOf(await gqlOwner(UPDATE, { r: 'Staff', i: { isDefault: false } }))).toBe('CONFLICT');
    expect(await changeCount()).toBe(before);
    ok(await create({ name: 'Guest', isDefault: true }));
    expect(ok(await gqlOwner(DELETE, { r: 'Staff' })).deleteRole.role.discardedAt).not.toBeNull();
  });
});

describe('seed 002: soft delete', () => {
  it('sets discardedAt; the role\'s grants stay listed but stop counting', async () => {
    const role = ok(await create({ name: 'Reporter', scopeType: 'team', permissions: ['report.read'] })).createRole.role;
    const u = await userWithKey(s, s.ownerKey, 'reporter@example.com');
    ok(await gqlOwner(SET, { u: u.id, s: 'team-1', r: ['Reporter'] }));
    expect(await can(u.id, 'report.read', 'team-1')).toBe(true);
    const deleted = ok(await gqlOwner(DELETE, { r: 'Reporter' })).deleteRole;
    expect(deleted.role.discardedAt).toMatch(/^\d{4}-/);
    expect(deleted.role).toMatchObject({ canEdit: false, canDelete: false });
    expect(deleted.revision).toBe(await changeCount());
    expect(await can(u.id, 'report.read', 'team-1')).toBe(false);
    const listed = ok(await gqlOwner('query($r: String) { grants(filter: { role: $r }) { totalCount edges { node { user { email } scope { key } role { discardedAt } } } } }', { r: role.id })).grants;
    expect(listed.totalCount).toBe(1);
    expect(listed.edges[0].node).toMatchObject({ user: { email: 'reporter@example.com' }, scope: { key: 'team-1' } });
    expect(listed.edges[0].node.role.discardedAt).not.toBeNull();
    // Not granted, edited or deleted again once discarded.
    expect(codeOf(await gqlOwner(SET, { u: 'reader@example.com', s: 'team-2', r: [role.id] }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await gqlOwner(UPDATE, { r: role.id, i: { name: 'Reporter 2' } }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await gqlOwner(DELETE, { r: role.id }))).toBe('BAD_USER_INPUT');
    // Its name no longer resolves (it is free for a new role).
    expect(codeOf(await gqlOwner(SET, { u: u.id, s: 'team-1', r: ['Reporter'] }))).toBe('NOT_FOUND');
  });
});

describe('seed 002: scoped roles', () => {
  it('grants a team role on a team or at ORG (covering every team), never on a chat', async () => {
    const u = await userWithKey(s, s.ownerKey, 'lead@example.com');
    ok(await gqlOwner(SET, { u: u.id, s: 'team-1', r: ['Team lead'] }));
    expect(await can(u.id, 'team_membership.manage', 'team-1')).toBe(true);
    expect(await can(u.id, 'team_membership.manage', 'team-2')).toBe(false);
    const onChat = await gqlOwner(SET, { u: u.id, s: 'chat-1', r: ['Team lead'] });
    expect(codeOf(onChat)).toBe('BAD_USER_INPUT');
    expect(onChat.errors![0]!.message).toMatch(/Team lead.*team.*chat/);
    const orgRoleOnTeam = await gqlOwner(SET, { u: u.id, s: 'team-1', r: ['Account reader'] });
    expect(codeOf(orgRoleOnTeam)).toBe('BAD_USER_INPUT');
    expect(orgRoleOnTeam.errors![0]!.message).toContain('Account reader');
    ok(await gqlOwner('mutation($u: String!) { patchPermissions(patches: [{ user: $u, scope: "ORG", operation: ADD, roles: ["Team lead"] }]) { revision } }', { u: u.id }));
    expect(await can(u.id, 'team_membership.manage', 'team-2')).toBe(true);
  });
});

describe('seed 002: listing roles', () => {
  it('filters by scopeType, roleType and includeDiscarded', async () => {
    expect(await names({ roleType: 'SYSTEM' })).toEqual({ total: 2, names: ['Administrator', 'Member'] });
    const team = await names({ scopeType: 'team' });
    expect(team.names).toEqual(['Support desk', 'Team lead', 'Team member']);
    expect(team.total).toBe(3);
    const withDiscarded = await names({ scopeType: 'team', includeDiscarded: true });
    expect(withDiscarded.names).toEqual(['Reporter', 'Support desk', 'Team lead', 'Team member']);
    expect((await names({ roleType: 'CUSTOM', scopeType: 'chat' })).names).toEqual(['Chat participant', 'Meta']);
    const all = await names({});
    const discarded = await names({ includeDiscarded: true });
    expect(discarded.total - all.total).toBe(3); // the first "Role", Staff and Reporter
  });
});
