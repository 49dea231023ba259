// Time-bound grants (issue 15) end to end over HTTP, with real short windows: exact checks at
// the instant, GRANT_STARTED / GRANT_EXPIRED in the log once and within a second, re-windowing,
// refusals that write nothing, and a delegate that cannot outlast its own window.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, ok, startServer, userWithKey, type GqlResult, type TestServer } from '../helpers/server.js';

let s: TestServer;
const owner = (q: string, v?: Record<string, unknown>) => s.gql(s.ownerKey, q, v);
const head = async () => ok(await owner('{ changes(first: 0) { totalCount } }')).changes.totalCount as number;
const PATCH = 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision changed } }';
const can = async (u: string, p: string, scope?: string) => ok(await owner('query($u: String!, $p: String!, $s: String) { can(user: $u, permission: $p, scope: $s) }', { u, p, s: scope })).can as boolean;
const iso = (ms: number) => new Date(ms).toISOString();
const refused = (r: GqlResult, code: string, ...named: string[]) => {
  expect(codeOf(r), JSON.stringify(r.errors)).toBe(code);
  for (const n of named) expect(r.errors![0]!.message).toContain(n);
};
const eventsOf = async (types: string[]) =>
  ok(await owner('query($t: [ChangeType!]) { changes(first: 500, filter: { types: $t }) { edges { node { type at actor { email } userId permissions } } } }', { t: types })).changes.edges.map(
    (e: { node: unknown }) => e.node,
  ) as Array<{ type: string; at: string; actor: unknown; userId: string; permissions: string[] }>;

beforeAll(async () => {
  s = await startServer();
  ok(await owner('mutation { definePermissions(permissions: [{ key: "EDIT", level: ANY }, { key: "VIEW", level: ANY }]) { revision } }'));
  for (const e of ['w1@x.test', 'w2@x.test', 'w3@x.test']) ok(await owner('mutation($e: String!) { createUser(input: { email: $e, grants: [] }) { user { id } } }', { e }));
});
afterAll(() => s.stop());

describe('windows', () => {
  it('a grant that expires: checks are exact at the instant, GRANT_EXPIRED is written once within a second, the row goes', async () => {
    const until = Date.now() + 1500;
    expect(ok(await owner(PATCH, { p: [{ user: 'w1@x.test', scope: 'ORG', operation: 'ADD', permissions: ['EDIT'], expiresAt: iso(until) }] })).patchPermissions.changed).toBe(1);
    const g = ok(await owner('{ user(ref: "w1@x.test") { grants { permission startsAt expiresAt active } } }')).user.grants.find((x: { permission: string }) => x.permission === 'EDIT');
    expect(g).toEqual({ permission: 'EDIT', startsAt: null, expiresAt: iso(until), active: true });
    expect(await can('w1@x.test', 'EDIT')).toBe(true);
    await sleep(until - Date.now() + 1);
    expect(await can('w1@x.test', 'EDIT')).toBe(false); // exact, whether or not the event is written yet
    await sleep(1000);
    const expired = (await eventsOf(['GRANT_EXPIRED'])).filter((e) => e.permissions.includes('EDIT'));
    expect(expired).toHaveLength(1);
    expect(expired[0]!.actor).toBeNull();
    expect(Date.parse(expired[0]!.at) - until).toBeLessThan(1000);
    expect(Date.parse(expired[0]!.at)).toBeGreaterThanOrEqual(until);
    expect(ok(await owner('{ user(ref: "w1@x.test") { grants { permission } } }')).user.grants.map((x: { permission: string }) => x.permission)).not.toContain('EDIT');
  });

  it('a grant that starts later: denied until the instant, then allowed; GRANT_STARTED once within a second', async () => {
    const from = Date.now() + 1200;
    ok(await owner(PATCH, { p: [{ user: 'w2@x.test', scope: 'ORG', operation: 'ADD', permissions: ['VIEW'], startsAt: iso(from) }] }));
    expect(await can('w2@x.test', 'VIEW')).toBe(false);
    expect(ok(await owner('{ effectivePermissions(user: "w2@x.test") }')).effectivePermissions).not.toContain('VIEW');
    await sleep(from - Date.now() + 1);
    expect(await can('w2@x.test', 'VIEW')).toBe(true);
    await sleep(1000);
    const started = await eventsOf(['GRANT_STARTED']);
    expect(started).toHaveLength(1);
    expect(Date.parse(started[0]!.at) - from).toBeLessThan(1000);
    expect(await can('w2@x.test', 'VIEW')).toBe(true);
  });

  it('adding a held grant with another window changes the window (GRANT_UPDATED); the same window changes nothing', async () => {
    const until = Date.now() + 3_600_000;
    ok(await owner(PATCH, { p: [{ user: 'w3@x.test', scope: 'ORG', operation: 'ADD', permissions: ['EDIT'] }] }));
    const before = await head();
    expect(ok(await owner(PATCH, { p: [{ user: 'w3@x.test', scope: 'ORG', operation: 'ADD', permissions: ['EDIT'], expiresAt: iso(until) }] })).patchPermissions.changed).toBe(1);
    expect(await head()).toBe(before + 1);
    expect((await eventsOf(['GRANT_UPDATED'])).length).toBe(1);
    expect(ok(await owner(PATCH, { p: [{ user: 'w3@x.test', scope: 'ORG', operation: 'ADD', permissions: ['EDIT'], expiresAt: iso(until) }] })).patchPermissions.changed).toBe(0);
    expect(await head()).toBe(before + 1);
    const g = ok(await owner('{ grants(filter: { user: "w3@x.test", permission: "EDIT" }) { edges { node { expiresAt } } } }')).grants.edges[0].node;
    expect(g.expiresAt).toBe(iso(until));
  });

  it('refuses windows that make no sense, naming the value, writing nothing', async () => {
    const before = await head();
    const past = iso(Date.now() - 1000);
    refused(await owner(PATCH, { p: [{ user: 'w3@x.test', scope: 'ORG', operation: 'ADD', permissions: ['VIEW'], expiresAt: past }] }), 'BAD_USER_INPUT', past, 'past');
    const a = iso(Date.now() + 60_000);
    const b = iso(Date.now() + 30_000);
    refused(await owner(PATCH, { p: [{ user: 'w3@x.test', scope: 'ORG', operation: 'ADD', permissions: ['VIEW'], startsAt: a, expiresAt: b }] }), 'BAD_USER_INPUT', a, b);
    const far = iso(Date.now() + 101 * 365 * 24 * 3600 * 1000);
    refused(await owner(PATCH, { p: [{ user: 'w3@x.test', scope: 'ORG', operation: 'ADD', permissions: ['VIEW'], expiresAt: far }] }), 'BAD_USER_INPUT', far, '100 years');
    refused(await owner(PATCH, { p: [{ user: 'w3@x.test', scope: 'ORG', operation: 'DELETE', permissions: ['EDIT'], expiresAt: a }] }), 'BAD_USER_INPUT', 'DELETE');
    refused(await owner('mutation($e: DateTime) { setPermissions(user: "w3@x.test", permissions: ["VIEW"], expiresAt: $e) { revision } }', { e: past }), 'BAD_USER_INPUT', past);
    refused(await owner('mutation($e: DateTime) { createUser(input: { email: "late@x.test", grants: [{ permissions: ["VIEW"], expiresAt: $e }] }) { revision } }', { e: past }), 'BAD_USER_INPUT', past);
    expect(await head()).toBe(before);
  });

  it('a delegate may not grant beyond its own window', async () => {
    const mine = Date.now() + 600_000;
    const d = await userWithKey(s, s.ownerKey, 'delegate@x.test', [
      { scope: 'ORG', permissions: ['MANAGE_GRANTS'] },
      { scope: 'ORG', permissions: ['VIEW'], expiresAt: iso(mine) },
    ]);
    ok(await owner('mutation { createUser(input: { email: "target@x.test", grants: [] }) { revision } }'));
    const before = await head();
    refused(await s.gql(d.key, PATCH, { p: [{ user: 'target@x.test', scope: 'ORG', operation: 'ADD', permissions: ['VIEW'] }] }), 'FORBIDDEN', 'VIEW', 'for ever');
    refused(await s.gql(d.key, PATCH, { p: [{ user: 'target@x.test', scope: 'ORG', operation: 'ADD', permissions: ['VIEW'], expiresAt: iso(mine + 60_000) }] }), 'FORBIDDEN', 'VIEW', iso(mine));
    expect(await head()).toBe(before);
    ok(await s.gql(d.key, PATCH, { p: [{ user: 'target@x.test', scope: 'ORG', operation: 'ADD', permissions: ['VIEW'], expiresAt: iso(mine) }] }));
    expect(await can('target@x.test', 'VIEW')).toBe(true);
  });
});
