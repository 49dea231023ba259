// What groups (issue 14) let a caller learn or reach beyond its rights: another organization's
// groups are NOT_FOUND and never leaked; a user without MANAGE_GROUPS cannot tell which group
// keys exist by trying to change them; a group reference names one group; and an X-Act-As
// stream ends when the impersonator's IMPERSONATE, held through a group, goes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headOf } from '../hardening/fixtures.js';
import { codeOf, collect, ok, startServer, userWithKey, type GqlResult, type TestServer } from '../helpers/server.js';

let s: TestServer;
let beta: { ownerKey: string };
const ADD = 'mutation($g: String!, $u: [String!], $gs: [String!]) { addGroupMembers(group: $g, users: $u, groups: $gs) { revision } }';
const REMOVE = 'mutation($g: String!, $u: [String!], $gs: [String!]) { removeGroupMembers(group: $g, users: $u, groups: $gs) { revision } }';
const CREATE = 'mutation($k: String!) { createGroup(input: { key: $k }) { group { id } } }';
const groupId = async (key: string, k: string) => ok(await s.gql(key, CREATE, { k })).createGroup.group.id as string;
const answer = (r: GqlResult) => ({ code: codeOf(r), message: r.errors?.[0]?.message, data: r.data ?? null });

beforeAll(async () => {
  s = await startServer();
  beta = await s.newOrg('beta');
});
afterAll(async () => s?.stop());

describe("another organization's groups", () => {
  it('are NOT_FOUND or null wherever they are named, by id or key, and nothing is written in either organization', async () => {
    const spy = await userWithKey(s, beta.ownerKey, 'spy@beta.test');
    const secret = await groupId(beta.ownerKey, 'secret');
    ok(await s.gql(beta.ownerKey, ADD, { g: 'secret', u: [spy.id] }));
    ok(await s.gql(beta.ownerKey, 'mutation { patchPermissions(patches: [{ group: "secret", scope: "ORG", operation: ADD, permissions: ["MANAGE_USERS"] }]) { revision } }'));
    const mine = await userWithKey(s, s.ownerKey, 'me@alpha.test');
    await groupId(s.ownerKey, 'ours');
    const heads = async () => [await headOf(s, s.ownerKey), await headOf(s, beta.ownerKey)];
    const before = await heads();

    const alpha = (q: string, v?: Record<string, unknown>) => s.gql(s.ownerKey, q, v);
    for (const ref of [secret, 'secret']) {
      expect(ok(await alpha('query($r: String!) { group(ref: $r) { id } }', { r: ref })).group).toBeNull();
      for (const r of [
        await alpha(ADD, { g: ref, u: [mine.id] }),
        await alpha(REMOVE, { g: ref, u: [spy.id] }),
        await alpha(ADD, { g: 'ours', gs: [ref] }),
        await alpha('mutation($g: String!) { deleteGroup(group: $g) { revision } }', { g: ref }),
        await alpha('mutation($g: String!) { updateGroup(group: $g, input: { name: "mine" }) { revision } }', { g: ref }),
        await alpha('mutation($g: String) { setPermissions(group: $g, permissions: ["MANAGE_USERS"]) { revision } }', { g: ref }),
      ]) {
        expect(codeOf(r), JSON.stringify(r)).toBe('NOT_FOUND');
        expect(r.errors![0]!.message).toContain(ref);
      }
      expect(ok(await alpha('query($r: String) { grants(filter: { group: $r }) { totalCount } }', { r: ref })).grants.totalCount).toBe(0);
    }
    // Their members, by id, are not users here.
    const r = await alpha(ADD, { g: 'ours', u: [spy.id] });
    expect([codeOf(r), r.errors?.[0]?.message]).toEqual(['NOT_FOUND', `user "${spy.id}" does not exist in this organization`]);
    expect(ok(await alpha('query($m: String) { groups(filter: { member: $m }) { totalCount } }', { m: spy.id })).groups.totalCount).toBe(0);
    expect(ok(await alpha('query($id: ID!) { node(id: $id) { id } }', { id: secret })).node).toBeNull();
    // Its history, which beta's log holds, is not read through a group id filter.
    expect(ok(await alpha('query($g: String) { changes(filter: { group: $g }) { totalCount } }', { g: secret })).changes.totalCount).toBe(0);
    expect(ok(await s.gql(beta.ownerKey, 'query($g: String) { changes(filter: { group: $g }) { totalCount } }', { g: secret })).changes.totalCount).toBe(3);
    expect(await heads()).toEqual(before);
    expect(ok(await s.gql(beta.ownerKey, '{ group(ref: "secret") { members { totalCount } } }')).group.members.totalCount).toBe(1);
  });
});

describe('within an organization', () => {
  it('a user without MANAGE_GROUPS gets the same answer for a group that exists and one that does not', async () => {
    await groupId(s.ownerKey, 'layoffs');
    const plain = await userWithKey(s, s.ownerKey, 'plain@alpha.test');
    const viewer = await userWithKey(s, s.ownerKey, 'viewer@alpha.test', [{ permissions: ['VIEW_DIRECTORY'] }]);
    for (const key of [plain.key, viewer.key]) {
      const tries = (g: string) =>
        Promise.all([
          s.gql(key, 'query($g: String!) { group(ref: $g) { id } }', { g }),
          s.gql(key, ADD, { g, u: ['plain@alpha.test'] }),
          s.gql(key, REMOVE, { g, u: ['plain@alpha.test'] }),
          s.gql(key, 'mutation($g: String!) { updateGroup(group: $g, input: { name: "x" }) { revision } }', { g }),
          s.gql(key, 'mutation($g: String!) { deleteGroup(group: $g) { revision } }', { g }),
        ]);
      const [existing, missing] = [await tries('layoffs'), await tries('no-such-group')];
      // The directory reader may read groups (so group(ref) differs for it); the writes are refused alike.
      const from = key === viewer.key ? 1 : 0;
      expect(existing.slice(from).map(answer)).toEqual(missing.slice(from).map(answer));
      for (const r of existing.slice(1)) expect([codeOf(r), r.errors![0]!.message]).toEqual(['FORBIDDEN', expect.stringContaining('MANAGE_GROUPS')]);
    }
  });

  it("a group key that is another group's id is refused, so every reference still names one group", async () => {
    const admins = await groupId(s.ownerKey, 'admins-g');
    const mgr = await userWithKey(s, s.ownerKey, 'mgr@alpha.test', [{ permissions: ['MANAGE_GROUPS'] }]);
    const before = await headOf(s, s.ownerKey);
    const r = await s.gql(mgr.key, CREATE, { k: admins });
    expect([codeOf(r), r.errors?.[0]?.message]).toEqual(['CONFLICT', expect.stringContaining(admins)]);
    expect(await headOf(s, s.ownerKey)).toBe(before);
    expect(ok(await s.gql(s.ownerKey, 'query($g: String!) { group(ref: $g) { key } }', { g: admins })).group.key).toBe('admins-g');
  });
});

describe('an X-Act-As stream of an impersonator holding IMPERSONATE through a group', () => {
  it('ends when the impersonator leaves the group', async () => {
    const actor = await userWithKey(s, s.ownerKey, 'actor@alpha.test');
    await userWithKey(s, s.ownerKey, 'acted@alpha.test');
    await groupId(s.ownerKey, 'impersonators');
    ok(await s.gql(s.ownerKey, 'mutation { patchPermissions(patches: [{ group: "impersonators", scope: "ORG", operation: ADD, permissions: ["IMPERSONATE"] }]) { revision } }'));
    ok(await s.gql(s.ownerKey, ADD, { g: 'impersonators', u: ['actor@alpha.test'] }));
    const sub = collect<{ data?: any; errors?: any }>((sink) =>
      s.ws(actor.key, { 'X-Act-As': 'acted@alpha.test' }).subscribe({ query: 'subscription { effectivePermissionsChanged(user: "acted@alpha.test") { permissions } }' }, sink),
    );
    expect((await sub.waitFor(1))[0]!.data.effectivePermissionsChanged.permissions).toEqual([]);
    ok(await s.gql(s.ownerKey, REMOVE, { g: 'impersonators', u: ['actor@alpha.test'] }));
    const items = await sub.waitFor(2);
    const end = items[1]!.errors ?? sub.error;
    expect(JSON.stringify(end)).toMatch(/IMPERSONATE/);
    await new Promise((r) => setTimeout(r, 100));
    expect(sub.done).toBe(true);
  });
});
