// Escalation through groups (issue 14), tried as an attacker with partial rights would, over
// GraphQL: joining a group is being granted everything it carries, so each way of changing who
// is in a group, or what a group holds, is refused with FORBIDDEN naming what, and writes
// nothing; and the allowed paths work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headOf } from '../hardening/fixtures.js';
import { codeOf, ok, startServer, userWithKey, type TestServer } from '../helpers/server.js';

let s: TestServer;
let owner: string;
const k: Record<string, string> = {};

const ADD = 'mutation($g: String!, $u: [String!], $gs: [String!]) { addGroupMembers(group: $g, users: $u, groups: $gs) { revision changed } }';
const REMOVE = 'mutation($g: String!, $u: [String!], $gs: [String!]) { removeGroupMembers(group: $g, users: $u, groups: $gs) { revision changed } }';
const DELETE = 'mutation($g: String!) { deleteGroup(group: $g) { revision } }';
const PATCH = 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision } }';
const grant = (group: string, permissions: string[], scope = 'ORG', operation = 'ADD') => ({ p: [{ group, scope, operation, permissions }] });
const mail = (n: string) => `${n}@esc.test`;
const can = async (user: string, permission: string, scope?: string) =>
  ok(await s.gql(owner, 'query($u: String!, $p: String!, $s: String) { can(user: $u, permission: $p, scope: $s) }', { u: mail(user), p: permission, s: scope })).can as boolean;

/** Refused with FORBIDDEN (or `code`) and a message matching `message`, and nothing was written. */
async function refused(key: string, query: string, variables: Record<string, unknown>, message: RegExp, headers?: Record<string, string>, code = 'FORBIDDEN') {
  const before = await headOf(s, owner);
  const r = await s.gql(key, query, variables, headers);
  expect(codeOf(r), JSON.stringify(r)).toBe(code);
  expect(r.errors![0]!.message).toMatch(message);
  expect(await headOf(s, owner)).toBe(before);
}
const allowed = async (key: string, query: string, variables: Record<string, unknown> = {}, headers?: Record<string, string>) => ok(await s.gql(key, query, variables, headers));

beforeAll(async () => {
  s = await startServer();
  owner = s.ownerKey;
  ok(await s.gql(owner, `mutation {
    definePermissions(permissions: [{ key: "EDIT", level: ANY }, { key: "REPORTS", level: ORG }, { key: "P_EDIT", level: RESOURCE, resourceTypes: ["property"] }]) { revision }
    s1: createScope(input: { key: "s1", type: "property" }) { revision }
    s2: createScope(input: { key: "s2", type: "property" }) { revision }
    actors: createRole(input: { name: "Actors", permissions: ["IMPERSONATE", "REPORTS"] }) { revision }
    reporters: createRole(input: { name: "Reporters", permissions: ["REPORTS"] }) { revision }
  }`));
  const users: Record<string, unknown[]> = {
    mgr: [{ permissions: ['MANAGE_GROUPS'] }],
    mgrEdit: [{ permissions: ['MANAGE_GROUPS', 'EDIT', 'REPORTS'] }],
    mga: [{ permissions: ['MANAGE_GRANTS'] }, { scope: 's1', permissions: ['P_EDIT'] }],
    ms: [{ permissions: ['MANAGE_SCOPES'] }],
    msP: [{ permissions: ['MANAGE_SCOPES'] }],
    mu: [{ permissions: ['MANAGE_USERS'] }],
    admin: [{ permissions: ['ADMINISTRATOR'] }],
    imp: [{ permissions: ['IMPERSONATE'] }],
    tgt: [{ permissions: ['MANAGE_GROUPS', 'MANAGE_GRANTS', 'MANAGE_ROLES', 'EDIT', 'REPORTS'] }],
    pat: [],
    boss: [],
    actor: [],
    act2: [],
  };
  for (const [n, grants] of Object.entries(users)) k[n] = (await userWithKey(s, owner, mail(n), grants)).key;
  const groups: Record<string, { perms?: string[]; scope?: string; roles?: string[]; users?: string[] }> = {
    editors: { perms: ['EDIT'] },
    reporters: { perms: ['REPORTS'] },
    'reporters-inner': {},
    admins: { perms: ['ADMINISTRATOR'], users: ['boss'] },
    impers: { perms: ['IMPERSONATE'], users: ['actor'] },
    'actors-g': { roles: ['Actors'], users: ['act2'] },
    props: { perms: ['P_EDIT'], scope: 's1', users: ['pat'] },
    team: { users: ['pat'] },
    empty: {},
    imps: { roles: ['Reporters'], users: ['imp'] },
  };
  for (const [key, g] of Object.entries(groups)) {
    ok(await s.gql(owner, 'mutation($k: String!) { createGroup(input: { key: $k }) { revision } }', { k: key }));
    if (g.perms || g.roles) ok(await s.gql(owner, PATCH, { p: [{ group: key, scope: g.scope ?? 'ORG', operation: 'ADD', permissions: g.perms, roles: g.roles }] }));
    if (g.users) ok(await s.gql(owner, ADD, { g: key, u: g.users.map(mail) }));
  }
  ok(await s.gql(owner, ADD, { g: 'reporters', gs: ['reporters-inner'] }));
});
afterAll(async () => s?.stop());

describe('MANAGE_GROUPS without what a group carries', () => {
  it('cannot add itself or anyone, user or group, to a group carrying a permission it lacks, directly or through a parent group', async () => {
    await refused(k.mgr!, ADD, { g: 'editors', u: [mail('mgr')] }, /you hold yourself at ORG: you lack EDIT \(carried by group editors\)$/);
    await refused(k.mgr!, ADD, { g: 'editors', u: [mail('pat')] }, /lack EDIT/);
    await refused(k.mgr!, ADD, { g: 'reporters-inner', u: [mail('mgr')] }, /lack REPORTS \(carried by group reporters\)$/);
    // Adding a group to a group hands the second's grants to the first's members.
    await refused(k.mgr!, ADD, { g: 'editors', gs: ['team'] }, /lack EDIT/);
    await refused(k.mgr!, ADD, { g: 'reporters-inner', gs: ['team'] }, /lack REPORTS/);
    await refused(k.mgr!, ADD, { g: 'props', u: [mail('mgr')] }, /"s1".*lack P_EDIT/);
    // One refused member refuses the whole call.
    await refused(k.mgr!, ADD, { g: 'editors', u: [mail('boss')], gs: ['empty'] }, /EDIT/);
    expect([await can('mgr', 'EDIT'), await can('pat', 'EDIT'), await can('mgr', 'REPORTS'), await can('pat', 'REPORTS')]).toEqual([false, false, false, false]);
  });

  it('cannot take away what it could not give: removing members, or deleting the group or a group inside it', async () => {
    await allowed(owner, ADD, { g: 'editors', u: [mail('pat')] });
    await refused(k.mgr!, REMOVE, { g: 'editors', u: [mail('pat')] }, /lack EDIT/);
    await refused(k.mgr!, DELETE, { g: 'editors' }, /lack EDIT/);
    // reporters-inner holds nothing itself, but leaving reporters takes REPORTS from whoever is in it.
    await refused(k.mgr!, DELETE, { g: 'reporters-inner' }, /lack REPORTS/);
    await refused(k.mgr!, REMOVE, { g: 'reporters', gs: ['reporters-inner'] }, /lack REPORTS/);
    expect(await can('pat', 'EDIT')).toBe(true);
    await allowed(owner, REMOVE, { g: 'editors', u: [mail('pat')] });
  });

  it('may change who is in groups carrying only what it holds, and nest a group where nothing is handed out', async () => {
    expect((await allowed(k.mgrEdit!, ADD, { g: 'reporters-inner', u: [mail('pat')] })).addGroupMembers.changed).toBe(1);
    expect(await can('pat', 'REPORTS')).toBe(true);
    await allowed(k.mgrEdit!, ADD, { g: 'editors', gs: ['team'] });
    expect(await can('pat', 'EDIT')).toBe(true);
    await allowed(k.mgrEdit!, REMOVE, { g: 'editors', gs: ['team'] });
    await allowed(k.mgrEdit!, REMOVE, { g: 'reporters-inner', u: [mail('pat')] });
    expect([await can('pat', 'EDIT'), await can('pat', 'REPORTS')]).toEqual([false, false]);
    // editors' members gain what empty carries: nothing.
    await allowed(k.mgr!, ADD, { g: 'empty', gs: ['editors'], u: [mail('mgr')] });
    await allowed(k.mgr!, REMOVE, { g: 'empty', gs: ['editors'], u: [mail('mgr')] });
  });

  it('cannot hand out for ever, through a group, what it holds only for a while', async () => {
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const temp = (await userWithKey(s, owner, mail('temp'), [{ permissions: ['MANAGE_GROUPS'] }, { permissions: ['EDIT'], expiresAt: tomorrow }])).key;
    await refused(temp, ADD, { g: 'editors', u: [mail('pat')] }, /EDIT.*for as long as you hold it|for as long as you hold it.*EDIT/);
    expect(await can('pat', 'EDIT')).toBe(false);
  });
});

describe('ADMINISTRATOR and IMPERSONATE through groups', () => {
  it('only an administrator changes who is in an ADMINISTRATOR group, and only the owner who is in an IMPERSONATE group', async () => {
    await refused(k.mgrEdit!, ADD, { g: 'admins', u: [mail('pat')] }, /ADMINISTRATOR/);
    await refused(k.mgrEdit!, REMOVE, { g: 'admins', u: [mail('boss')] }, /ADMINISTRATOR/);
    await refused(k.mgrEdit!, DELETE, { g: 'admins' }, /ADMINISTRATOR/);
    await refused(k.admin!, ADD, { g: 'impers', u: [mail('pat')] }, /IMPERSONATE/);
    await refused(k.admin!, ADD, { g: 'impers', gs: ['team'] }, /IMPERSONATE/);
    await refused(k.admin!, ADD, { g: 'actors-g', u: [mail('boss')] }, /IMPERSONATE \(carried by role "Actors" of group actors-g\)$/);
    await refused(k.admin!, REMOVE, { g: 'impers', u: [mail('actor')] }, /IMPERSONATE/);
    await refused(k.admin!, DELETE, { g: 'impers' }, /IMPERSONATE/);
    expect([await can('pat', 'ADMINISTRATOR'), await can('pat', 'IMPERSONATE'), await can('actor', 'IMPERSONATE')]).toEqual([false, false, true]);
    expect(ok(await s.gql(owner, '{ a: group(ref: "admins") { members { totalCount } } i: group(ref: "actors-g") { members { totalCount } } }'))).toEqual({ a: { members: { totalCount: 1 } }, i: { members: { totalCount: 1 } } });
    // The ones who may.
    await allowed(k.admin!, ADD, { g: 'admins', u: [mail('pat')] });
    expect(await can('pat', 'ADMINISTRATOR')).toBe(true);
    await allowed(k.admin!, REMOVE, { g: 'admins', u: [mail('pat')] });
    await allowed(owner, ADD, { g: 'impers', u: [mail('pat')] });
    expect(await can('pat', 'IMPERSONATE')).toBe(true);
    await allowed(owner, REMOVE, { g: 'impers', u: [mail('pat')] });
  });

  it('granting or revoking ADMINISTRATOR or IMPERSONATE on a group, even an empty one, takes an administrator or the owner', async () => {
    await refused(k.mga!, PATCH, grant('empty', ['ADMINISTRATOR']), /ADMINISTRATOR/);
    await refused(k.tgt!, PATCH, grant('empty', ['ADMINISTRATOR']), /ADMINISTRATOR/);
    await refused(k.admin!, PATCH, grant('empty', ['IMPERSONATE']), /IMPERSONATE/);
    await refused(k.admin!, 'mutation { setPermissions(group: "empty", roles: ["Actors"]) { revision } }', {}, /IMPERSONATE/);
    await refused(k.admin!, PATCH, grant('impers', ['IMPERSONATE'], 'ORG', 'DELETE'), /IMPERSONATE/);
    await refused(k.tgt!, PATCH, grant('admins', ['ADMINISTRATOR'], 'ORG', 'DELETE'), /ADMINISTRATOR/);
    expect(ok(await s.gql(owner, '{ group(ref: "empty") { grants { id } } }')).group.grants).toEqual([]);
  });

  it("a role edit or discard that reaches a group's members is checked like a grant", async () => {
    // Actors is held only by the group actors-g: its member act2 would lose IMPERSONATE.
    await refused(k.admin!, 'mutation { updateRole(role: "Actors", input: { permissions: ["REPORTS"] }) { revision } }', {}, /IMPERSONATE/);
    await refused(k.admin!, 'mutation { deleteRole(role: "Actors") { revision } }', {}, /IMPERSONATE/);
    expect(await can('act2', 'IMPERSONATE')).toBe(true);
  });

  it('holding one of them through a group counts wherever it protects its holder', async () => {
    await refused(k.mu!, 'mutation { deleteUser(user: "boss@esc.test") { revision } }', {}, /administrator/);
    await refused(k.imp!, '{ viewer { email } }', {}, /administrator/, { 'x-act-as': mail('boss') });
    await refused(k.admin!, 'mutation { createApiKey(user: "actor@esc.test", name: "x") { secret } }', {}, /IMPERSONATE/);
    // And it works as IMPERSONATE: actor holds it only through impers.
    expect((await allowed(k.actor!, '{ viewer { email } }', {}, { 'x-act-as': mail('pat') })).viewer.email).toBe(mail('pat'));
  });
});

describe('a MANAGE_GRANTS holder and group grants', () => {
  it('grants or revokes a group only what it holds, where it holds it', async () => {
    await refused(k.mga!, PATCH, grant('empty', ['EDIT']), /lack EDIT/);
    await refused(k.mga!, PATCH, grant('empty', ['P_EDIT'], 's2'), /"s2".*lack P_EDIT/);
    await refused(k.mga!, 'mutation { setPermissions(group: "empty", roles: ["Reporters"]) { revision } }', {}, /REPORTS/);
    await refused(k.mga!, PATCH, grant('editors', ['EDIT'], 'ORG', 'DELETE'), /lack EDIT/);
    await allowed(k.mga!, PATCH, grant('team', ['P_EDIT'], 's1'));
    expect(await can('pat', 'P_EDIT', 's1')).toBe(true);
    await allowed(k.mga!, PATCH, grant('team', ['P_EDIT'], 's1', 'DELETE'));
  });
});

describe('a scope move reaches group grants', () => {
  it('moving a scope under one where a group holds a permission is giving it to its members there', async () => {
    // Only the group g-props holds P_EDIT at g1 (pat is in it): moving g2 under g1 gives pat P_EDIT at g2.
    ok(await s.gql(owner, 'mutation { a: createScope(input: { key: "g1", type: "property" }) { revision } b: createScope(input: { key: "g2", type: "property" }) { revision } c: createGroup(input: { key: "g-props" }) { revision } }'));
    ok(await s.gql(owner, PATCH, grant('g-props', ['P_EDIT'], 'g1')));
    ok(await s.gql(owner, ADD, { g: 'g-props', u: [mail('pat')] }));
    const MOVE = 'mutation { updateScope(scope: "g2", input: { parent: "g1" }) { revision } }';
    await refused(k.ms!, MOVE, {}, /members of group g-props would gain P_EDIT at "g2", where you lack it/);
    expect(await can('pat', 'P_EDIT', 'g2')).toBe(false);
    // Someone who holds P_EDIT at g2 may.
    ok(await s.gql(owner, PATCH, { p: [{ user: mail('msP'), scope: 'g2', operation: 'ADD', permissions: ['P_EDIT'] }] }));
    await allowed(k.msP!, MOVE);
    expect(await can('pat', 'P_EDIT', 'g2')).toBe(true);
  });
});

describe('an impersonator (X-Act-As) cannot change its own rights through a group', () => {
  const asTgt = { 'x-act-as': mail('tgt') };
  it('neither by joining a group as the user it acts as, nor by a grant, role edit or removal that reaches a group it is in', async () => {
    await refused(k.imp!, ADD, { g: 'editors', u: [mail('imp')] }, /own permissions/, asTgt);
    await refused(k.imp!, ADD, { g: 'editors', gs: ['imps'] }, /own permissions/, asTgt);
    await refused(k.imp!, PATCH, grant('imps', ['EDIT']), /own permissions/, asTgt);
    await refused(k.imp!, 'mutation { updateRole(role: "Reporters", input: { permissions: ["EDIT", "REPORTS"] }) { revision } }', {}, /own permissions/, asTgt);
    await refused(k.imp!, REMOVE, { g: 'imps', u: [mail('imp')] }, /own permissions/, asTgt);
    await refused(k.imp!, DELETE, { g: 'imps' }, /own permissions/, asTgt);
    expect([await can('imp', 'EDIT'), await can('imp', 'REPORTS')]).toEqual([false, true]);
    // The same changes to others, and by tgt itself, go through.
    await allowed(k.imp!, ADD, { g: 'editors', u: [mail('pat')] }, asTgt);
    await allowed(k.tgt!, ADD, { g: 'editors', u: [mail('imp')] });
    expect([await can('pat', 'EDIT'), await can('imp', 'EDIT')]).toEqual([true, true]);
    await allowed(owner, REMOVE, { g: 'editors', u: [mail('pat'), mail('imp')] });
  });
});
