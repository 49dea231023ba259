// Live pushes through groups (issue 14), over graphql-ws and SSE alike: effectivePermissionsChanged
// pushes to every member whose set actually changes (a member of a member group included) and
// never an unchanged set; permissionChanged(filter: { group }) streams the group's whole history,
// one event per change, resumable from a cursor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeChangeCursor } from '../../src/changes/cursor.js';
import { collect, ok, startServer, userWithKey, type TestServer } from '../helpers/server.js';

let s: TestServer;
const owner = (q: string, v?: Record<string, unknown>) => s.gql(s.ownerKey, q, v);
/** Runs one mutation and returns the revision its payload reports. */
const step = async (q: string, v?: Record<string, unknown>): Promise<number> => {
  const data = ok(await owner(q, v));
  return (Object.values(data)[0] as { revision: number }).revision;
};
const head = async () => ok(await owner('{ changes(first: 0) { totalCount } }')).changes.totalCount as number;
const ADD = 'mutation($g: String!, $u: [String!], $gs: [String!]) { addGroupMembers(group: $g, users: $u, groups: $gs) { revision changed } }';
const REMOVE = 'mutation($g: String!, $u: [String!], $gs: [String!]) { removeGroupMembers(group: $g, users: $u, groups: $gs) { revision changed } }';
const PATCH = 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision } }';
const CREATE = 'mutation($k: String!) { createGroup(input: { key: $k }) { revision } }';
const EFFECTIVE = 'subscription($u: String!) { effectivePermissionsChanged(user: $u) { permissions revision } }';
const CHANGES =
  'subscription($a: String, $f: ChangeFilter) { permissionChanged(after: $a, filter: $f) { cursor revision type groupId memberGroupId userId group { key } permissions } }';

type Msg = { data?: any; errors?: unknown };
type Transport = 'graphql-ws' | 'sse';
const client = (t: Transport, key: string) => (t === 'sse' ? s.sse(key) : s.ws(key));

beforeAll(async () => {
  s = await startServer();
  ok(await owner('mutation { definePermissions(permissions: [{ key: "EDIT", level: ANY }, { key: "VIEW", level: ANY }, { key: "NOTE", level: ANY }, { key: "SENTINEL", level: ORG }]) { revision } }'));
});
afterAll(() => s.stop());

describe('effectivePermissionsChanged through groups', () => {
  it('pushes each member whose set changes, once per change, and nobody else, over WebSocket and SSE', async () => {
    const users: Record<string, { id: string; key: string }> = {};
    for (const n of ['ann', 'bob', 'cy', 'dan', 'eve']) users[n] = await userWithKey(s, s.ownerKey, `${n}@push.test`, []);
    // staff ⊃ eng ⊃ web; ann in web, bob in staff, cy in eng and holding EDIT itself; dan joins later; eve in an unrelated group.
    for (const k of ['staff', 'eng', 'web', 'elsewhere']) ok(await owner(CREATE, { k }));
    ok(await owner(ADD, { g: 'web', u: ['ann@push.test'] }));
    ok(await owner(ADD, { g: 'eng', gs: ['web'], u: ['cy@push.test'] }));
    ok(await owner(ADD, { g: 'staff', gs: ['eng'], u: ['bob@push.test'] }));
    ok(await owner(ADD, { g: 'elsewhere', u: ['eve@push.test'] }));
    ok(await owner(PATCH, { p: [{ user: 'cy@push.test', scope: 'ORG', operation: 'ADD', permissions: ['EDIT'] }] }));
    ok(await owner('mutation { createRole(input: { name: "Reviewer", permissions: ["VIEW"] }) { revision } }'));

    // Every user watched twice: by the owner over graphql-ws, by itself over SSE.
    const streams = Object.entries(users).flatMap(([name, u]) =>
      (['graphql-ws', 'sse'] as const).map((t) => ({
        name,
        t,
        sub: collect<Msg>((sink) => client(t, t === 'sse' ? u.key : s.ownerKey).subscribe({ query: EFFECTIVE, variables: { u: `${name}@push.test` } }, sink)),
      })),
    );
    for (const x of streams) await x.sub.waitFor(1);

    const r: number[] = [];
    r[1] = await step(PATCH, { p: [{ group: 'staff', scope: 'ORG', operation: 'ADD', permissions: ['EDIT'] }] }); // a group grant
    r[2] = await step(ADD, { g: 'web', u: ['dan@push.test'] }); // a user joins (inside a member group)
    r[3] = await step(REMOVE, { g: 'web', u: ['dan@push.test'] }); // and leaves
    r[4] = await step(REMOVE, { g: 'eng', gs: ['web'] }); // a member group leaves
    r[5] = await step(ADD, { g: 'eng', gs: ['web'] }); // and joins again
    r[6] = await step('mutation { setPermissions(group: "eng", permissions: [], roles: ["Reviewer"]) { revision } }'); // a role to a group
    r[7] = await step('mutation { updateRole(role: "Reviewer", input: { permissions: ["NOTE", "VIEW"] }) { revision } }'); // that role edited
    r[8] = await step(PATCH, { p: [{ group: 'staff', scope: 'ORG', operation: 'DELETE', permissions: ['EDIT'] }] }); // a group grant removed
    r[9] = await step('mutation { deleteGroup(group: "eng") { revision } }'); // a group deleted
    r[10] = await step(PATCH, { p: Object.keys(users).map((n) => ({ user: `${n}@push.test`, scope: 'ORG', operation: 'ADD', permissions: ['SENTINEL'] })) });

    // [revision, set]: the set each one starts with (revision before step 1), then one push per change of it.
    const start = r[1]! - 1;
    const expected: Record<string, Array<[number, string[]]>> = {
      ann: [[start, []], [r[1]!, ['EDIT']], [r[4]!, []], [r[5]!, ['EDIT']], [r[6]!, ['EDIT', 'VIEW']], [r[7]!, ['EDIT', 'NOTE', 'VIEW']], [r[8]!, ['NOTE', 'VIEW']], [r[9]!, []], [r[10]!, ['SENTINEL']]],
      bob: [[start, []], [r[1]!, ['EDIT']], [r[8]!, []], [r[10]!, ['SENTINEL']]],
      // cy holds EDIT itself: its group gaining or losing EDIT pushes nothing.
      cy: [[start, ['EDIT']], [r[6]!, ['EDIT', 'VIEW']], [r[7]!, ['EDIT', 'NOTE', 'VIEW']], [r[9]!, ['EDIT']], [r[10]!, ['EDIT', 'SENTINEL']]],
      dan: [[start, []], [r[2]!, ['EDIT']], [r[3]!, []], [r[10]!, ['SENTINEL']]],
      eve: [[start, []], [r[10]!, ['SENTINEL']]],
    };
    // The sentinel pushes last on every stream, after everything before it on that stream.
    for (const x of streams) {
      const want = expected[x.name]!;
      const got = (await x.sub.waitFor(want.length, 10_000)).map((m) => {
        expect(m.errors, `${x.name} over ${x.t}`).toBeUndefined();
        return [m.data.effectivePermissionsChanged.revision, m.data.effectivePermissionsChanged.permissions];
      });
      expect(got, `${x.name} over ${x.t}`).toEqual(want);
      x.sub.unsubscribe();
    }
    // And what was pushed is what a query answers now.
    for (const [n, want] of Object.entries(expected)) {
      expect(ok(await owner('query($u: String!) { effectivePermissions(user: $u) }', { u: `${n}@push.test` })).effectivePermissions).toEqual(want.at(-1)![1]);
    }
  });
});

describe('effectivePermissionsChanged and windowed group grants', () => {
  it("pushes each member when a group grant's window opens and when it closes, and nothing when the grant is made", async () => {
    for (const n of ['win', 'out']) ok(await owner('mutation($e: String!) { createUser(input: { email: $e, grants: [] }) { revision } }', { e: `${n}@push.test` }));
    ok(await owner(CREATE, { k: 'windowed' }));
    ok(await owner(ADD, { g: 'windowed', u: ['win@push.test'] }));
    const subs = ['win', 'out'].map((n) => collect<Msg>((sink) => s.ws(s.ownerKey).subscribe({ query: EFFECTIVE, variables: { u: `${n}@push.test` } }, sink)));
    for (const x of subs) await x.waitFor(1);
    const now = Date.now();
    const window = { startsAt: new Date(now + 1500).toISOString(), expiresAt: new Date(now + 3000).toISOString() };
    const added = await step(PATCH, { p: [{ group: 'windowed', scope: 'ORG', operation: 'ADD', permissions: ['VIEW'], ...window }] });
    const [win, out] = subs as [ReturnType<typeof collect<Msg>>, ReturnType<typeof collect<Msg>>];
    await win.waitFor(3, 10_000);
    const bounds = ok(await owner('{ changes(filter: { group: "windowed", types: [GRANT_STARTED, GRANT_EXPIRED] }) { edges { node { type revision } } } }')).changes.edges.map((e: any) => e.node);
    expect(bounds.map((b: { type: string }) => b.type)).toEqual(['GRANT_STARTED', 'GRANT_EXPIRED']);
    expect(bounds[0].revision).toBeGreaterThan(added);
    const sentinel = await step(PATCH, { p: ['win', 'out'].map((n) => ({ user: `${n}@push.test`, scope: 'ORG', operation: 'ADD', permissions: ['SENTINEL'] })) });
    const sets = (c: typeof win, n: number) => c.waitFor(n, 10_000).then((items) => items.map((m) => [m.data.effectivePermissionsChanged.revision, m.data.effectivePermissionsChanged.permissions]));
    expect(await sets(win, 4)).toEqual([[added - 1, []], [bounds[0].revision, ['VIEW']], [bounds[1].revision, []], [sentinel, ['SENTINEL']]]);
    expect(await sets(out, 2)).toEqual([[added - 1, []], [sentinel, ['SENTINEL']]]);
    for (const x of subs) x.unsubscribe();
  });
});

for (const t of ['graphql-ws', 'sse'] as const) {
  describe(`permissionChanged(filter: { group }) over ${t}`, () => {
    it("streams the group's whole history, one event per change, and resumes from a cursor", async () => {
      const tag = t === 'sse' ? 'sse' : 'ws';
      const [ops, sub, parent, other] = [`ops-${tag}`, `sub-${tag}`, `parent-${tag}`, `other-${tag}`];
      const ann = `ann-${tag}@stream.test`;
      ok(await owner('mutation($e: String!) { createUser(input: { email: $e, grants: [] }) { revision } }', { e: ann }));
      for (const k of [sub, parent, other]) ok(await owner(CREATE, { k }));
      const before = await head();
      const ids: Record<string, string> = {};
      const rev: number[] = [];
      rev.push(await step(CREATE, { k: ops }));
      for (const k of [ops, sub, parent]) ids[k] = ok(await owner('query($k: String!) { group(ref: $k) { id } }', { k })).group.id;
      ids.ann = ok(await owner('query($e: String!) { user(ref: $e) { id } }', { e: ann })).user.id;

      // Opened after the group exists, from a cursor before it did: the replay starts with its creation.
      const cursor = encodeChangeCursor(s.orgId, before);
      const first = collect<Msg>((sink) => client(t, s.ownerKey).subscribe({ query: CHANGES, variables: { a: cursor, f: { group: ops } } }, sink));
      await first.waitFor(1);
      rev.push(await step('mutation($g: String!) { updateGroup(group: $g, input: { name: "Operations" }) { revision } }', { g: ops }));
      rev.push(await step(ADD, { g: ops, u: [ann] }));
      rev.push(await step(ADD, { g: ops, gs: [sub] }));
      // Not about ops: the user's own grant, another group's members.
      ok(await owner(PATCH, { p: [{ user: ann, scope: 'ORG', operation: 'ADD', permissions: ['VIEW'] }] }));
      ok(await owner(ADD, { g: other, u: [ann] }));
      rev.push(await step(ADD, { g: parent, gs: [ops] }));
      rev.push(await step(PATCH, { p: [{ group: ops, scope: 'ORG', operation: 'ADD', permissions: ['EDIT'] }] }));
      const got1 = (await first.waitFor(6, 10_000)).map((m) => m.data.permissionChanged);
      first.unsubscribe();

      // Resumed from the fourth event's cursor, while more happens.
      const second = collect<Msg>((sink) => client(t, s.ownerKey).subscribe({ query: CHANGES, variables: { a: got1[3].cursor, f: { group: ops } } }, sink));
      await second.waitFor(2, 10_000);
      rev.push(await step(REMOVE, { g: ops, u: [ann] }));
      // Received (and its group read) before the group goes.
      await second.waitFor(3, 10_000);
      const deleted = await step('mutation($g: String!) { deleteGroup(group: $g) { revision } }', { g: ops });
      // The deletion: its member group, its place in parent, its grant, then the group (revisions up to `deleted`).
      rev.push(deleted - 3, deleted - 2, deleted - 1, deleted);
      const got2 = (await second.waitFor(7, 10_000)).map((m) => m.data.permissionChanged);

      const ev = (type: string, groupId: string, group: string | null, more: { userId?: string; memberGroupId?: string; permissions?: string[] } = {}) => ({
        type,
        groupId,
        group: group === null ? null : { key: group },
        userId: more.userId ?? null,
        memberGroupId: more.memberGroupId ?? null,
        permissions: more.permissions ?? [],
      });
      const history = [
        ev('GROUP_CREATED', ids[ops]!, ops),
        ev('GROUP_UPDATED', ids[ops]!, ops),
        ev('GROUP_MEMBER_ADDED', ids[ops]!, ops, { userId: ids.ann }),
        ev('GROUP_MEMBER_ADDED', ids[ops]!, ops, { memberGroupId: ids[sub] }),
        ev('GROUP_MEMBER_ADDED', ids[parent]!, parent, { memberGroupId: ids[ops] }),
        ev('GRANT_ADDED', ids[ops]!, ops, { permissions: ['EDIT'] }),
        ev('GROUP_MEMBER_REMOVED', ids[ops]!, ops, { userId: ids.ann }),
        // Delivered once the deletion is committed: the group is gone (null), its parent is not.
        ev('GROUP_MEMBER_REMOVED', ids[ops]!, null, { memberGroupId: ids[sub] }),
        ev('GROUP_MEMBER_REMOVED', ids[parent]!, parent, { memberGroupId: ids[ops] }),
        ev('GRANT_REMOVED', ids[ops]!, null, { permissions: ['EDIT'] }),
        ev('GROUP_DELETED', ids[ops]!, null),
      ];
      const shape = ({ cursor: _c, revision: _r, ...e }: Record<string, unknown>) => e;
      expect(got1.map(shape)).toEqual(history.slice(0, 6));
      expect(got2.map(shape)).toEqual(history.slice(4));
      // One event per change, each at the revision its mutation reported, and nothing after.
      expect([...got1, ...got2.slice(2)].map((e) => e.revision)).toEqual(rev);
      expect(await head()).toBe(deleted);
      second.unsubscribe();
    });
  });
}
