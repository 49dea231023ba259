import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, ok, startServer, userWithKey, type TestServer } from '../helpers/server.js';

let s: TestServer;
afterEach(async () => s?.stop());

const CHANGES = `query($after: String, $first: Int, $f: ChangeFilter) {
  changes(after: $after, first: $first, filter: $f) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { revision type userId scopeKey roleId permissions actor { email } } } }
}`;

async function allChanges(key: string, filter?: Record<string, unknown>) {
  const out: any[] = [];
  let after: string | null = null;
  for (;;) {
    const page: any = ok(await s.gql(key, CHANGES, { after, first: 7, f: filter })).changes;
    out.push(...page.edges.map((e: any) => e.node));
    if (!page.pageInfo.hasNextPage) return out;
    after = page.pageInfo.endCursor;
  }
}

describe('change log', () => {
  it('records exactly one gap-free event per committed change, for every kind of write', async () => {
    s = await startServer();
    const k = s.ownerKey;
    ok(await s.gql(k, 'mutation { definePermissions(permissions: [{ key: "P_VIEW", level: RESOURCE, resourceTypes: ["property"] }, { key: "VIEW_USERS", level: ORG }]) { revision } }'));
    ok(await s.gql(k, 'mutation { createScope(input: { key: "r1", type: "region" }) { revision } }'));
    ok(await s.gql(k, 'mutation { createScope(input: { key: "p1", type: "property", parent: "r1" }) { revision } }'));
    ok(await s.gql(k, 'mutation { updateScope(scope: "p1", input: { name: "Main" }) { revision } }'));
    ok(await s.gql(k, 'mutation { createRole(input: { name: "Viewer", scopeType: "property", permissions: ["P_VIEW"] }) { revision } }'));
    const u = await userWithKey(s, k, 'ana@example.com');
    ok(await s.gql(k, 'mutation { patchPermissions(patches: [{ user: "ana@example.com", scope: "p1", operation: ADD, roles: ["Viewer"] }, { user: "ana@example.com", scope: "ORG", operation: ADD, permissions: ["VIEW_USERS"] }]) { revision } }'));
    ok(await s.gql(k, 'mutation { updateUser(user: "ana@example.com", input: { firstName: "Ana" }) { revision } }'));
    ok(await s.gql(k, 'mutation { updateRole(role: "Viewer", input: { description: "reads" }) { revision } }'));
    ok(await s.gql(k, 'mutation { deleteRole(role: "Viewer") { revision } }'));
    const last = ok(await s.gql(k, 'mutation { deleteUser(user: "ana@example.com") { revision } }')).deleteUser.revision;

    const events = await allChanges(k);
    expect(events.map((e) => e.revision)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    const types = events.map((e) => e.type);
    for (const t of ['USER_CREATED', 'USER_UPDATED', 'USER_DELETED', 'ROLE_CREATED', 'ROLE_UPDATED', 'ROLE_DELETED', 'SCOPE_CREATED', 'SCOPE_UPDATED', 'GRANT_ADDED', 'GRANT_REMOVED', 'CATALOG_CHANGED', 'API_KEY_CREATED', 'API_KEY_REVOKED']) {
      expect(types).toContain(t);
    }
    // The user's deletion removed its grants and keys one change each, before the user itself.
    const tail = events.slice(-5).map((e) => e.type);
    expect(tail.slice(-1)).toEqual(['USER_DELETED']);
    expect(tail.filter((t) => t === 'GRANT_REMOVED')).toHaveLength(3); // Member (default), Viewer, VIEW_USERS
    expect(tail).toContain('API_KEY_REVOKED');
    const roleGrant = events.find((e) => e.type === 'GRANT_ADDED' && e.scopeKey === 'p1');
    expect(roleGrant).toMatchObject({ userId: u.id, permissions: ['P_VIEW'], actor: { email: 'owner@test.local' } });
    expect(events.find((e) => e.type === 'GRANT_ADDED' && e.scopeKey === 'ORG' && e.permissions[0] === 'VIEW_USERS')).toBeTruthy();
  });

  it('writes no event for a refused write or a no-op', async () => {
    s = await startServer();
    const k = s.ownerKey;
    ok(await s.gql(k, 'mutation { definePermissions(permissions: [{ key: "VIEW_USERS", level: ORG }]) { revision } }'));
    await userWithKey(s, k, 'ana@example.com');
    const before = ok(await s.gql(k, CHANGES, { first: 1 })).changes.totalCount;
    const add = 'mutation { patchPermissions(patches: [{ user: "ana@example.com", scope: "ORG", operation: ADD, permissions: ["VIEW_USERS"] }]) { revision } }';
    const r1 = ok(await s.gql(k, add)).patchPermissions.revision;
    const r2 = ok(await s.gql(k, add)).patchPermissions.revision;
    expect(r2).toBe(r1);
    const refused = await s.gql(k, 'mutation { patchPermissions(patches: [{ user: "ana@example.com", scope: "ORG", operation: DELETE, permissions: ["VIEW_USERS"] }, { user: "nobody@example.com", scope: "ORG", operation: ADD, permissions: ["VIEW_USERS"] }]) { revision } }');
    expect(codeOf(refused)).toBe('NOT_FOUND');
    expect(ok(await s.gql(k, CHANGES, { first: 1 })).changes.totalCount).toBe(before + 1);
    expect(ok(await s.gql(k, '{ can(user: "ana@example.com", permission: "VIEW_USERS") }')).can).toBe(true);
  });

  it('filters by user, scope, role and type, and pages with cursors', async () => {
    s = await startServer();
    const k = s.ownerKey;
    ok(await s.gql(k, 'mutation { createScope(input: { key: "p1", type: "property" }) { revision } }'));
    const a = await userWithKey(s, k, 'a@example.com');
    await userWithKey(s, k, 'b@example.com');
    const forA = await allChanges(k, { user: 'a@example.com' });
    expect(forA.length).toBeGreaterThan(0);
    expect(forA.every((e) => e.userId === a.id)).toBe(true);
    expect((await allChanges(k, { scope: 'p1' })).map((e) => e.type)).toEqual(['SCOPE_CREATED']);
    const member = ok(await s.gql(k, '{ role(ref: "Member") { id } }')).role.id;
    expect((await allChanges(k, { role: 'Member' })).every((e) => e.roleId === member)).toBe(true);
    expect((await allChanges(k, { types: ['USER_CREATED'] })).length).toBe(3);
    expect(codeOf(await s.gql(k, CHANGES, { after: 'not-a-cursor' }))).toBe('BAD_USER_INPUT');
  });

  it('lets a plain user read only its own changes', async () => {
    s = await startServer();
    const a = await userWithKey(s, s.ownerKey, 'a@example.com');
    await userWithKey(s, s.ownerKey, 'b@example.com');
    expect(codeOf(await s.gql(a.key, CHANGES, {}))).toBe('FORBIDDEN');
    expect(codeOf(await s.gql(a.key, CHANGES, { f: { user: 'b@example.com' } }))).toBe('FORBIDDEN');
    const own = ok(await s.gql(a.key, CHANGES, { f: { user: 'a@example.com' } })).changes.edges.map((e: any) => e.node);
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((e: any) => e.userId === a.id)).toBe(true);
  });

  it('never shows another organization its events, and counts revisions per organization', async () => {
    s = await startServer();
    const other = await s.newOrg('acme');
    ok(await s.gql(s.ownerKey, 'mutation { createScope(input: { key: "p1", type: "property" }) { revision } }'));
    const theirs = await allChanges(other.ownerKey);
    expect(theirs.map((e) => e.revision)).toEqual(Array.from({ length: theirs.length }, (_, i) => i + 1));
    expect(theirs.some((e) => e.scopeKey === 'p1')).toBe(false);
  });
});
