import { afterEach, describe, expect, it } from 'vitest';
import { collect, ok, startServer, userWithKey, type TestServer } from '../helpers/server.js';

let s: TestServer;
afterEach(async () => s?.stop());

const EFFECTIVE = 'subscription($u: String!) { effectivePermissionsChanged(user: $u) { permissions } }';
const OWN = 'subscription($f: ChangeFilter) { permissionChanged(filter: $f) { type actor { email } user { email } } }';
const CHANGES = 'query($f: ChangeFilter) { changes(filter: $f) { edges { node { type actor { email } user { email } } } } }';
type Msg = { data?: any; errors?: Array<{ message: string; extensions?: Record<string, any> }> };
const first = async (key: string, query: string, variables: Record<string, unknown>) => (await collect<Msg>((sink) => s.ws(key).subscribe({ query, variables }, sink)).waitFor(1))[0]!;

describe('what a plain user learns from the change stream', () => {
  it('effectivePermissionsChanged(user:) answers FORBIDDEN for any other reference, whether that user exists or not', async () => {
    s = await startServer();
    const ana = await userWithKey(s, s.ownerKey, 'ana@example.com');
    const bob = await userWithKey(s, s.ownerKey, 'bob@example.com');
    const answers = [];
    for (const ref of ['bob@example.com', bob.id, 'BOB@example.com', 'nobody@example.com', 'usr_doesnotexist', 'owner@test.local']) {
      const m = await first(ana.key, EFFECTIVE, { u: ref });
      answers.push({ code: m.errors?.[0]?.extensions?.code, message: m.errors?.[0]?.message, data: m.data ?? null });
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]!.code).toBe('FORBIDDEN');
    // Itself, by any reference, is allowed.
    expect((await first(ana.key, EFFECTIVE, { u: 'ANA@example.com' })).data.effectivePermissionsChanged.permissions).toEqual([]);
    // A VIEW_DIRECTORY holder still tells apart an unknown user.
    const auditor = await userWithKey(s, s.ownerKey, 'auditor@example.com', [{ permissions: ['VIEW_DIRECTORY'] }]);
    expect((await first(auditor.key, EFFECTIVE, { u: 'nobody@example.com' })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('PermissionChange.actor is null for a plain user when someone else made the change, on the stream and in changes', async () => {
    s = await startServer();
    const ana = await userWithKey(s, s.ownerKey, 'ana@example.com');
    const mine = { f: { user: 'ana@example.com' } };
    const sub = collect<Msg>((sink) => s.ws(ana.key).subscribe({ query: OWN, variables: mine }, sink));
    await new Promise((r) => setTimeout(r, 200));
    ok(await s.gql(s.ownerKey, 'mutation { patchPermissions(patches: [{ user: "ana@example.com", scope: "ORG", operation: ADD, permissions: ["MANAGE_SCOPES"] }]) { revision } }'));
    const [live] = await sub.waitFor(1);
    expect(live!.errors).toBeUndefined();
    expect(live!.data.permissionChanged).toEqual({ type: 'GRANT_ADDED', actor: null, user: { email: 'ana@example.com' } });
    const listed = ok(await s.gql(ana.key, CHANGES, mine)).changes.edges.map((e: any) => e.node);
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((n: any) => n.actor === null && n.user.email === 'ana@example.com')).toBe(true);
    expect(JSON.stringify(listed)).not.toContain('owner@test.local');
    // A directory reader sees who did it.
    const auditor = await userWithKey(s, s.ownerKey, 'auditor@example.com', [{ permissions: ['VIEW_DIRECTORY'] }]);
    const seen = ok(await s.gql(auditor.key, CHANGES, mine)).changes.edges.map((e: any) => e.node);
    expect(seen.some((n: any) => n.actor?.email === 'owner@test.local')).toBe(true);
  });

  it('PermissionChange.actor is shown when the plain user made the change itself', async () => {
    s = await startServer();
    const ana = await userWithKey(s, s.ownerKey, 'ana@example.com');
    ok(await s.gql(ana.key, 'mutation { createApiKey(user: "ana@example.com", name: "second") { secret } }'));
    const listed = ok(await s.gql(ana.key, CHANGES, { f: { user: 'ana@example.com', types: ['API_KEY_CREATED'] } })).changes.edges.map((e: any) => e.node);
    expect(listed.map((n: any) => n.actor)).toEqual([null, { email: 'ana@example.com' }]); // the owner's key for her, then her own
  });
});
