// Groups end to end over HTTP (issue 14): nesting, cycles and depth, grants to groups, the
// evaluator through groups (can, check reasons, whoCan, effective permissions), deletion cascades.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, ok, startServer, type GqlResult, type TestServer } from '../helpers/server.js';

let s: TestServer;
const owner = (q: string, v?: Record<string, unknown>) => s.gql(s.ownerKey, q, v);
const head = async () => ok(await owner('{ changes(first: 0) { totalCount } }')).changes.totalCount as number;
const refused = (r: GqlResult, code: string, ...named: string[]) => {
  expect(codeOf(r), JSON.stringify(r.errors)).toBe(code);
  for (const n of named) expect(r.errors![0]!.message).toContain(n);
};
const CREATE = 'mutation($k: String!) { createGroup(input: { key: $k, name: $k }) { revision group { id key } } }';
const ADD = 'mutation($g: String!, $u: [String!], $gs: [String!]) { addGroupMembers(group: $g, users: $u, groups: $gs) { revision changed unchanged } }';
const REMOVE = 'mutation($g: String!, $u: [String!], $gs: [String!]) { removeGroupMembers(group: $g, users: $u, groups: $gs) { revision changed unchanged } }';
const PATCH = 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision users { email } groups { key } } }';
const CAN = 'query($u: String!, $p: String!, $s: String) { can(user: $u, permission: $p, scope: $s) }';
const can = async (u: string, p: string, scope?: string) => ok(await owner(CAN, { u, p, s: scope })).can as boolean;
const user = async (email: string) => ok(await owner('mutation($e: String!) { createUser(input: { email: $e, grants: [] }) { user { id } } }', { e: email })).createUser.user.id as string;

beforeAll(async () => {
  s = await startServer();
  ok(await owner('mutation { definePermissions(permissions: [{ key: "EDIT", level: ANY }, { key: "VIEW", level: ANY }]) { revision } }'));
  ok(await owner('mutation { createScope(input: { key: "p1", type: "property" }) { revision } }'));
  ok(await owner('mutation { createScope(input: { key: "p1-a", type: "property", parent: "p1" }) { revision } }'));
  for (const k of ['staff', 'eng', 'web']) ok(await owner(CREATE, { k }));
  for (const e of ['ann@x.test', 'bob@x.test', 'cy@x.test']) await user(e);
});
afterAll(() => s.stop());

describe('nesting', () => {
  it('adds users and groups atomically, reports what changed nothing, and refuses cycles naming the groups', async () => {
    expect(ok(await owner(ADD, { g: 'web', u: ['ann@x.test'] })).addGroupMembers.changed).toBe(1);
    expect(ok(await owner(ADD, { g: 'eng', gs: ['web'] })).addGroupMembers.changed).toBe(1);
    expect(ok(await owner(ADD, { g: 'staff', gs: ['eng'], u: ['bob@x.test'] })).addGroupMembers.changed).toBe(2);
    const again = ok(await owner(ADD, { g: 'staff', u: ['BOB@x.test'] })).addGroupMembers;
    expect(again).toMatchObject({ changed: 0, unchanged: ['BOB@x.test'] });
    const before = await head();
    refused(await owner(ADD, { g: 'web', gs: ['staff'] }), 'BAD_USER_INPUT', 'cycle', 'staff', 'eng', 'web');
    refused(await owner(ADD, { g: 'web', gs: ['web'] }), 'BAD_USER_INPUT', 'web');
    refused(await owner(ADD, { g: 'web', u: ['cy@x.test', 'nobody@x.test'] }), 'NOT_FOUND', 'nobody@x.test');
    refused(await owner(ADD, { g: 'nope', u: ['cy@x.test'] }), 'NOT_FOUND', 'nope');
    refused(await owner(ADD, { g: 'web' }), 'BAD_USER_INPUT');
    refused(await owner(CREATE, { k: 'web' }), 'CONFLICT', 'web');
    expect(ok(await owner(REMOVE, { g: 'web', u: ['cy@x.test'] })).removeGroupMembers).toMatchObject({ changed: 0, unchanged: ['cy@x.test'] });
    expect(await head()).toBe(before);
  });

  it('refuses nesting deeper than 25 levels', async () => {
    let prev: string | null = null;
    for (let i = 0; i < 25; i++) {
      ok(await owner(CREATE, { k: `d${i}` }));
      if (prev) ok(await owner(ADD, { g: `d${i}`, gs: [prev] }));
      prev = `d${i}`;
    }
    ok(await owner(CREATE, { k: 'd25' }));
    refused(await owner(ADD, { g: 'd25', gs: ['d24'] }), 'BAD_USER_INPUT', '26 levels', '25');
  });

  it('reads members (paged), memberOf, User.groups and groups(filter: member) transitively', async () => {
    const r = ok(await owner('{ group(ref: "staff") { members(first: 1) { totalCount pageInfo { hasNextPage endCursor } edges { node { __typename ... on Group { key } ... on User { email } } } } memberOf { key } } }'));
    expect(r.group.members.totalCount).toBe(2);
    expect(r.group.members.edges[0].node).toEqual({ __typename: 'Group', key: 'eng' });
    const next = ok(await owner('query($a: String) { group(ref: "staff") { members(first: 5, after: $a) { edges { node { ... on User { email } } } } } }', { a: r.group.members.pageInfo.endCursor }));
    expect(next.group.members.edges.map((e: { node: { email: string } }) => e.node.email)).toEqual(['bob@x.test']);
    expect(ok(await owner('{ group(ref: "web") { memberOf { key } } }')).group.memberOf).toEqual([{ key: 'eng' }]);
    expect(ok(await owner('{ user(ref: "ann@x.test") { groups { key } } }')).user.groups).toEqual([{ key: 'web' }]);
    const mine = ok(await owner('{ groups(filter: { member: "ann@x.test" }) { totalCount edges { node { key } } } }')).groups;
    expect(mine.edges.map((e: { node: { key: string } }) => e.node.key).sort()).toEqual(['eng', 'staff', 'web']);
    expect(ok(await owner('{ groups(filter: { search: "EN" }) { edges { node { key } } } }')).groups.edges).toEqual([{ node: { key: 'eng' } }]);
  });
});

describe('grants to groups', () => {
  it('every member holds them, transitively; check names the path; whoCan counts members', async () => {
    expect(await can('ann@x.test', 'EDIT', 'p1-a')).toBe(false);
    const r = ok(await owner(PATCH, { p: [{ group: 'staff', scope: 'p1', operation: 'ADD', permissions: ['EDIT'] }] })).patchPermissions;
    expect(r.groups).toEqual([{ key: 'staff' }]);
    expect(await can('ann@x.test', 'EDIT', 'p1-a')).toBe(true);
    expect(await can('bob@x.test', 'EDIT', 'p1')).toBe(true);
    expect(await can('cy@x.test', 'EDIT', 'p1')).toBe(false);
    const check = ok(await owner('{ check(checks: [{ user: "ann@x.test", permission: "EDIT", scope: "p1-a" }]) { allowed reason grants { group { key } user { email } permission scope { key } } } }')).check[0];
    expect(check.allowed).toBe(true);
    expect(check.reason).toContain('through group web, member of eng, member of staff');
    expect(check.grants).toEqual([{ group: { key: 'staff' }, user: null, permission: 'EDIT', scope: { key: 'p1' } }]);
    const who = ok(await owner('{ whoCan(permission: "EDIT", scope: "p1") { edges { node { email } } } }')).whoCan.edges.map((e: { node: { email: string } }) => e.node.email);
    expect(who).toEqual(expect.arrayContaining(['ann@x.test', 'bob@x.test']));
    expect(who).not.toContain('cy@x.test');
    expect(ok(await owner('{ effectivePermissions(user: "ann@x.test", scope: "p1") }')).effectivePermissions).toContain('EDIT');
    expect(ok(await owner('{ group(ref: "staff") { grants { permission scope { key } } } }')).group.grants).toEqual([{ permission: 'EDIT', scope: { key: 'p1' } }]);
    expect(ok(await owner('{ grants(filter: { group: "staff" }) { totalCount } }')).grants.totalCount).toBe(1);
  });

  it('setPermissions takes a group; naming both or neither subject is refused', async () => {
    ok(await owner('mutation { setPermissions(group: "eng", scope: "p1", permissions: ["VIEW"]) { revision } }'));
    expect(await can('ann@x.test', 'VIEW', 'p1')).toBe(true);
    expect(await can('bob@x.test', 'VIEW', 'p1')).toBe(false);
    refused(await owner('mutation { setPermissions(user: "ann@x.test", group: "eng", scope: "p1", permissions: ["VIEW"]) { revision } }'), 'BAD_USER_INPUT', 'ann@x.test', 'eng');
    refused(await owner('mutation { setPermissions(scope: "p1", permissions: ["VIEW"]) { revision } }'), 'BAD_USER_INPUT');
  });

  it('leaving a group ends what it carried', async () => {
    ok(await owner(REMOVE, { g: 'eng', gs: ['web'] }));
    expect(await can('ann@x.test', 'EDIT', 'p1')).toBe(false);
    expect(ok(await owner('{ groups(filter: { member: "ann@x.test" }) { edges { node { key } } } }')).groups.edges).toEqual([{ node: { key: 'web' } }]);
    ok(await owner(ADD, { g: 'eng', gs: ['web'] }));
    expect(await can('ann@x.test', 'EDIT', 'p1')).toBe(true);
  });
});

describe('deletion', () => {
  it('deleting a group removes its members, memberships and grants, one event each', async () => {
    const before = await head();
    const types = 'query($a: String) { changes(after: $a, first: 100) { edges { node { type groupId memberGroupId userId } } } }';
    const cursor = ok(await owner('{ changes(first: 500) { pageInfo { endCursor } } }')).changes.pageInfo.endCursor;
    ok(await owner('mutation { deleteGroup(group: "eng") { revision } }'));
    // eng: member web, member of staff, one grant (VIEW at p1), then the group.
    expect(await head()).toBe(before + 4);
    const evs = ok(await owner(types, { a: cursor })).changes.edges.map((e: { node: { type: string } }) => e.node.type);
    expect(evs).toEqual(['GROUP_MEMBER_REMOVED', 'GROUP_MEMBER_REMOVED', 'GRANT_REMOVED', 'GROUP_DELETED']);
    expect(await can('ann@x.test', 'EDIT', 'p1')).toBe(false);
    expect(await can('bob@x.test', 'EDIT', 'p1')).toBe(true);
  });

  it('deleting a user removes its memberships, each with its event', async () => {
    const id = await user('leaver@x.test');
    ok(await owner(ADD, { g: 'staff', u: [id] }));
    ok(await owner(ADD, { g: 'web', u: [id] }));
    const before = await head();
    ok(await owner('mutation($u: String!) { deleteUser(user: $u) { revision } }', { u: id }));
    // Its default role grant, its two memberships, then the user.
    expect(await head()).toBe(before + 4);
    expect(ok(await owner('{ group(ref: "staff") { members { totalCount } } }')).group.members.totalCount).toBe(1);
    const f = ok(await owner('query($u: String) { changes(filter: { user: $u, types: [GROUP_MEMBER_REMOVED] }) { totalCount } }', { u: id })).changes.totalCount;
    expect(f).toBe(2);
  });
});
