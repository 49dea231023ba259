import { afterEach, describe, expect, it } from 'vitest';
import { encodeRevisionCursor } from '../../src/graphql/paging.js';
import { collect, ok, startServer, userWithKey, type TestServer } from '../helpers/server.js';

let s: TestServer;
afterEach(async () => s?.stop());

const SUB = 'subscription($after: String, $f: ChangeFilter) { permissionChanged(after: $after, filter: $f) { cursor revision type scopeKey } }';
type Msg = { data?: { permissionChanged: { cursor: string; revision: number; type: string; scopeKey: string | null } } | null; errors?: ReadonlyArray<{ message: string; extensions?: Record<string, any> }> };

/** Several clients writing at once; resolves to the head revision when all are done. */
async function writers(count: number, each: number, prefix: string): Promise<number> {
  let head = 0;
  await Promise.all(
    Array.from({ length: count }, async (_, w) => {
      for (let i = 0; i < each; i++) {
        const r = ok(await s.gql(s.ownerKey, 'mutation($k: String!) { createScope(input: { key: $k, type: "property" }) { revision } }', { k: `${prefix}-${w}-${i}` }));
        head = Math.max(head, r.createScope.revision);
      }
    }),
  );
  return head;
}

async function headRevision(): Promise<number> {
  return ok(await s.gql(s.ownerKey, '{ changes(first: 0) { totalCount } }')).changes.totalCount;
}

for (const transport of ['graphql-ws', 'sse'] as const) {
  describe(`resume over ${transport}`, () => {
    it('delivers every event exactly once, in order, across a disconnect with concurrent writers', async () => {
      s = await startServer();
      const start = await headRevision();
      const client = () => (transport === 'sse' ? s.sse(s.ownerKey) : s.ws(s.ownerKey));
      const first = collect<Msg>((sink) => client().subscribe({ query: SUB, variables: { after: encodeRevisionCursor(start) } }, sink));
      const writing = writers(3, 25, transport);
      await first.waitFor(20, 15_000);
      first.unsubscribe();
      const received = first.items.map((m) => m.data!.permissionChanged);
      const lastCursor = received.at(-1)!.cursor;
      const head = await writing;
      const second = collect<Msg>((sink) => client().subscribe({ query: SUB, variables: { after: lastCursor } }, sink));
      const expected = head - received.at(-1)!.revision;
      await second.waitFor(expected, 15_000);
      const more = collect<Msg>((sink) => client().subscribe({ query: SUB, variables: { after: lastCursor } }, sink));
      await more.waitFor(expected, 15_000);
      // Then live: a write after the replay arrives once, right behind it.
      const live = ok(await s.gql(s.ownerKey, 'mutation { createScope(input: { key: "live", type: "property" }) { revision } }')).createScope.revision;
      await second.waitFor(expected + 1, 15_000);
      const all = [...received, ...second.items.map((m) => m.data!.permissionChanged)];
      expect(all.map((e) => e.revision)).toEqual(Array.from({ length: live - start }, (_, i) => start + 1 + i));
      expect(second.items.every((m) => !m.errors)).toBe(true);
      second.unsubscribe();
      more.unsubscribe();
    });
  });
}

describe('effectivePermissionsChanged', () => {
  const EFF = 'subscription($u: String!, $s: String) { effectivePermissionsChanged(user: $u, scope: $s) { permissions revision scope { key } user { email } } }';

  it('pushes the current set, then only real changes, for every cause', async () => {
    s = await startServer();
    const k = s.ownerKey;
    ok(await s.gql(k, 'mutation { definePermissions(permissions: [{ key: "P_VIEW", level: RESOURCE, resourceTypes: ["property"] }, { key: "P_EDIT", level: RESOURCE, resourceTypes: ["property"] }]) { revision } }'));
    ok(await s.gql(k, 'mutation { createScope(input: { key: "r1", type: "region" }) { revision } }'));
    ok(await s.gql(k, 'mutation { createScope(input: { key: "p1", type: "property", parent: "r1" }) { revision } }'));
    ok(await s.gql(k, 'mutation { createRole(input: { name: "Editor", scopeType: "property", permissions: ["P_EDIT"] }) { revision } }'));
    const ana = await userWithKey(s, k, 'ana@example.com');
    await userWithKey(s, k, 'bob@example.com');
    // Ana watches herself with her own key.
    const sub = collect<any>((sink) => s.ws(ana.key).subscribe({ query: EFF, variables: { u: 'ana@example.com', s: 'p1' } }, sink));
    const sets = async (n: number) => (await sub.waitFor(n)).map((m) => m.data?.effectivePermissionsChanged.permissions);
    expect(await sets(1)).toEqual([[]]);
    ok(await s.gql(k, 'mutation { patchPermissions(patches: [{ user: "ana@example.com", scope: "r1", operation: ADD, permissions: ["P_VIEW"] }]) { revision } }'));
    expect((await sets(2))[1]).toEqual(['P_VIEW']); // a grant at an ancestor scope
    ok(await s.gql(k, 'mutation { patchPermissions(patches: [{ user: "ana@example.com", scope: "p1", operation: ADD, roles: ["Editor"] }]) { revision } }'));
    expect((await sets(3))[2]).toEqual(['P_EDIT', 'P_VIEW']);
    ok(await s.gql(k, 'mutation { updateRole(role: "Editor", input: { permissions: [] }) { revision } }'));
    expect((await sets(4))[3]).toEqual(['P_VIEW']); // a role edit
    ok(await s.gql(k, 'mutation { updateRole(role: "Editor", input: { permissions: ["P_EDIT"] }) { revision } }'));
    expect((await sets(5))[4]).toEqual(['P_EDIT', 'P_VIEW']);
    // Unrelated changes push nothing.
    ok(await s.gql(k, 'mutation { patchPermissions(patches: [{ user: "bob@example.com", scope: "p1", operation: ADD, permissions: ["P_VIEW"] }]) { revision } }'));
    ok(await s.gql(k, 'mutation { createScope(input: { key: "p2", type: "property" }) { revision } }'));
    ok(await s.gql(k, 'mutation { patchPermissions(patches: [{ user: "ana@example.com", scope: "p1", operation: ADD, permissions: ["P_VIEW"] }]) { revision } }'));
    ok(await s.gql(k, 'mutation { deleteRole(role: "Editor") { revision } }'));
    const after = await sets(6);
    expect(after).toHaveLength(6);
    expect(after[5]).toEqual(['P_VIEW']); // the discard, and nothing for the three unrelated or unchanged writes
    expect(after[5]).not.toEqual(after[4]);
  });

  it('ends when the watched user is deleted, and refuses watching others without VIEW_DIRECTORY', async () => {
    s = await startServer();
    const ana = await userWithKey(s, s.ownerKey, 'ana@example.com');
    await userWithKey(s, s.ownerKey, 'bob@example.com');
    const refused = collect<any>((sink) => s.ws(ana.key).subscribe({ query: EFF, variables: { u: 'bob@example.com' } }, sink));
    await refused.waitFor(1);
    expect(refused.items[0].errors[0].extensions.code).toBe('FORBIDDEN');
    const watch = collect<any>((sink) => s.ws(s.ownerKey).subscribe({ query: EFF, variables: { u: 'bob@example.com' } }, sink));
    await watch.waitFor(1);
    ok(await s.gql(s.ownerKey, 'mutation { deleteUser(user: "bob@example.com") { revision } }'));
    await watch.waitFor(2);
    expect(watch.items[1].errors[0].extensions.code).toBe('UNAUTHENTICATED');
    await expect.poll(() => watch.done).toBe(true);
  });
});

describe('authorization during a subscription', () => {
  it('ends with UNAUTHENTICATED when the subscriber’s key is revoked', async () => {
    s = await startServer();
    const made = ok(await s.gql(s.ownerKey, 'mutation { createApiKey(user: "owner@test.local", name: "listener") { secret apiKey { id } } }')).createApiKey;
    const sub = collect<Msg>((sink) => s.ws(made.secret).subscribe({ query: SUB }, sink));
    await new Promise((r) => setTimeout(r, 200));
    ok(await s.gql(s.ownerKey, 'mutation { createScope(input: { key: "a", type: "property" }) { revision } }'));
    await sub.waitFor(1);
    ok(await s.gql(s.ownerKey, 'mutation($id: ID!) { revokeApiKey(id: $id) { revision } }', { id: made.apiKey.id }));
    ok(await s.gql(s.ownerKey, 'mutation { createScope(input: { key: "b", type: "property" }) { revision } }'));
    await sub.waitFor(2);
    expect(sub.items[1]!.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    await expect.poll(() => sub.done).toBe(true);
    expect(sub.items.some((m) => m.data?.permissionChanged?.scopeKey === 'b')).toBe(false);
  });

  it('ends a subscription to other users’ changes when VIEW_DIRECTORY is lost', async () => {
    s = await startServer();
    const viewer = await userWithKey(s, s.ownerKey, 'auditor@example.com', [{ permissions: ['VIEW_DIRECTORY'] }]);
    const sub = collect<Msg>((sink) => s.ws(viewer.key).subscribe({ query: SUB }, sink));
    await new Promise((r) => setTimeout(r, 200));
    await userWithKey(s, s.ownerKey, 'x@example.com');
    await sub.waitFor(1);
    ok(await s.gql(s.ownerKey, 'mutation { patchPermissions(patches: [{ user: "auditor@example.com", scope: "ORG", operation: DELETE, permissions: ["VIEW_DIRECTORY"] }]) { revision } }'));
    await expect.poll(() => sub.done, { timeout: 5000 }).toBe(true);
    const last = sub.items.at(-1)!;
    expect(last.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    // A plain user may still follow its own changes.
    const own = collect<Msg>((sink) => s.ws(viewer.key).subscribe({ query: SUB, variables: { f: { user: 'auditor@example.com' } } }, sink));
    await new Promise((r) => setTimeout(r, 200));
    ok(await s.gql(s.ownerKey, 'mutation { patchPermissions(patches: [{ user: "auditor@example.com", scope: "ORG", operation: ADD, permissions: ["VIEW_DIRECTORY"] }]) { revision } }'));
    expect((await own.waitFor(1))[0]!.data!.permissionChanged.type).toBe('GRANT_ADDED');
  });

  it('never delivers another organization’s events', async () => {
    s = await startServer();
    const other = await s.newOrg('acme');
    const theirs = collect<Msg>((sink) => s.ws(other.ownerKey).subscribe({ query: SUB }, sink));
    const ours = collect<Msg>((sink) => s.ws(s.ownerKey).subscribe({ query: SUB }, sink));
    await new Promise((r) => setTimeout(r, 200));
    ok(await s.gql(s.ownerKey, 'mutation { createScope(input: { key: "mine", type: "property" }) { revision } }'));
    ok(await s.gql(other.ownerKey, 'mutation { createScope(input: { key: "theirs", type: "property" }) { revision } }'));
    await ours.waitFor(1);
    await theirs.waitFor(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(ours.items.map((m) => m.data!.permissionChanged.scopeKey)).toEqual(['mine']);
    expect(theirs.items.map((m) => m.data!.permissionChanged.scopeKey)).toEqual(['theirs']);
  });
});
