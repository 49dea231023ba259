import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, collect, ok, startServer, type TestServer } from './helpers/server.js';

const VIEWER = '{ viewer { email isOwner } organization { name } }';
let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});
async function server(opts?: Parameters<typeof startServer>[0]) {
  const s = await startServer(opts);
  servers.push(s);
  return s;
}

describe('authentication', () => {
  it('answers the owner with its key', async () => {
    const s = await server();
    expect(ok(await s.gql(s.ownerKey, VIEWER))).toEqual({ viewer: { email: 'owner@test.local', isOwner: true }, organization: { name: 'default' } });
  });

  it('refuses a request without a key with UNAUTHENTICATED', async () => {
    const s = await server();
    const r = await s.gql(null, VIEWER);
    expect(codeOf(r)).toBe('UNAUTHENTICATED');
    expect(r.data ?? null).toBeNull();
  });

  it.each([
    ['garbage', 'Basic abc'],
    ['unknown key', 'Bearer key_nope.secret'],
    ['wrong secret', null],
  ])('refuses a bad key (%s)', async (_name, header) => {
    const s = await server();
    const [id] = s.ownerKey.split('.');
    const r = await s.gql(null, VIEWER, {}, { authorization: header ?? `Bearer ${id}.not-the-secret` });
    expect(codeOf(r)).toBe('UNAUTHENTICATED');
  });

  it('refuses a revoked key, and the revocation is immediate', async () => {
    const s = await server();
    const made = ok(await s.gql(s.ownerKey, 'mutation { createApiKey(user: "owner@test.local", name: "ci") { secret apiKey { id name revokedAt } } }'));
    const key = made.createApiKey.secret as string;
    expect(ok(await s.gql(key, VIEWER)).viewer.email).toBe('owner@test.local');
    const revoked = ok(await s.gql(s.ownerKey, 'mutation($id: ID!) { revokeApiKey(id: $id) { secret apiKey { revokedAt } } }', { id: made.createApiKey.apiKey.id }));
    expect(revoked.revokeApiKey.secret).toBeNull();
    expect(revoked.revokeApiKey.apiKey.revokedAt).not.toBeNull();
    expect(codeOf(await s.gql(key, VIEWER))).toBe('UNAUTHENTICATED');
  });

  it('refuses an expired key', async () => {
    const s = await server();
    // A lead of 2 s: on a loaded CI machine (PostgreSQL) 300 ms passed before the first use.
    const expires = Date.now() + 2000;
    const key = ok(await s.gql(s.ownerKey, 'mutation($e: DateTime) { createApiKey(user: "owner@test.local", name: "short", expiresAt: $e) { secret } }', { e: new Date(expires).toISOString() })).createApiKey.secret;
    expect(codeOf(await s.gql(key, VIEWER))).toBeUndefined();
    await new Promise((r) => setTimeout(r, Math.max(0, expires - Date.now()) + 50));
    expect(codeOf(await s.gql(key, VIEWER))).toBe('UNAUTHENTICATED');
  });

  it('stores only a hash of each key', async () => {
    const s = await server();
    const [id, secret] = s.ownerKey.split('.') as [string, string];
    const row = await s.services.store.apiKeyById(id);
    expect(row?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(secret);
  });
});

describe('WebSocket (graphql-ws)', () => {
  it('answers over the same path with the same context', async () => {
    const s = await server();
    const client = s.ws(s.ownerKey);
    const result = await new Promise((resolve, reject) => {
      client.subscribe({ query: VIEWER }, { next: resolve, error: reject, complete: () => {} });
    });
    expect(result).toEqual({ data: { viewer: { email: 'owner@test.local', isOwner: true }, organization: { name: 'default' } } });
  });

  it('closes a connection without a valid key with 4403', async () => {
    const s = await server();
    const { default: WebSocket } = await import('ws');
    const socket = new WebSocket(s.wsUrl, 'graphql-transport-ws');
    await new Promise((r) => socket.once('open', r));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer key_x.y' } }));
    const code = await new Promise((r) => socket.once('close', (c) => r(c)));
    expect(code).toBe(4403);
  });
});

describe('tenancy', () => {
  it('keeps two organizations apart: another tenant is answered as not existing', async () => {
    const s = await server();
    const other = await s.newOrg('acme');
    expect(ok(await s.gql(other.ownerKey, VIEWER)).organization.name).toBe('acme');
    const defaultOwner = ok(await s.gql(s.ownerKey, '{ viewer { id } }')).viewer.id;
    const cross = await s.gql(other.ownerKey, 'query($r: String!) { user(ref: $r) { email } }', { r: defaultOwner });
    expect(ok(cross).user).toBeNull();
    const byNode = await s.gql(other.ownerKey, 'query($id: ID!) { node(id: $id) { id } }', { id: defaultOwner });
    expect(ok(byNode).node).toBeNull();
    const unknown = await s.gql(other.ownerKey, 'query($id: ID!) { node(id: $id) { id } }', { id: 'usr_doesnotexist' });
    expect(ok(unknown).node).toBeNull();
    const grant = await s.gql(other.ownerKey, 'mutation($u: String!) { revokeAllPermissions(user: $u) { revision } }', { u: defaultOwner });
    expect(codeOf(grant)).toBe('NOT_FOUND');
  });
});

describe('persistence', () => {
  it('keeps everything across a restart and never makes a second owner key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grantql-'));
    const { openDataDir } = await import('../src/bootstrap.js');
    const { defaultConfig } = await import('../src/config.js');
    const config = defaultConfig({ dataDir: dir, logLevel: 'silent' });
    const first = await openDataDir(config);
    expect(first.ownerKeyPath).toBe(join(dir, 'owner.key'));
    expect(statSync(join(dir, 'owner.key')).mode & 0o777).toBe(0o600);
    const key = readFileSync(join(dir, 'owner.key'), 'utf8').trim();
    await first.services.close();
    const s1 = await server({ dbFile: join(dir, 'grantql.db') });
    ok(await s1.gql(key, 'mutation { createScope(input: { key: "p1", type: "property" }) { revision } }'));
    await s1.stop();
    servers = [];
    const again = await openDataDir(config);
    expect(again.ownerKeyPath).toBeNull();
    await again.services.close();
    expect(readFileSync(join(dir, 'owner.key'), 'utf8').trim()).toBe(key);
    const s2 = await server({ dbFile: join(dir, 'grantql.db') });
    expect(ok(await s2.gql(key, '{ scope(key: "p1") { key type } viewer { isOwner } }'))).toEqual({ scope: { key: 'p1', type: 'property' }, viewer: { isOwner: true } });
  });
});

describe('catalog', () => {
  it('lists the built-ins and defines permissions all-or-nothing', async () => {
    const s = await server();
    const builtIns = ok(await s.gql(s.ownerKey, '{ permissions { key builtIn level } }')).permissions;
    expect(builtIns.map((p: { key: string }) => p.key)).toEqual(['ADMINISTRATOR', 'IMPERSONATE', 'MANAGE_GRANTS', 'MANAGE_GROUPS', 'MANAGE_ROLES', 'MANAGE_SCOPES', 'MANAGE_USERS', 'VIEW_DIRECTORY']);
    const bad = await s.gql(s.ownerKey, 'mutation { definePermissions(permissions: [{ key: "P_OK", level: RESOURCE, resourceTypes: ["property"] }, { key: "bad key!", level: ORG }]) { revision } }');
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0]?.message).toContain('bad key!');
    expect(ok(await s.gql(s.ownerKey, '{ permissions(level: RESOURCE) { key } }')).permissions).toEqual([]);
    const builtIn = await s.gql(s.ownerKey, 'mutation { definePermissions(permissions: [{ key: "ADMINISTRATOR", level: ANY }]) { revision } }');
    expect(codeOf(builtIn)).toBe('BAD_USER_INPUT');
    const good = ok(await s.gql(s.ownerKey, 'mutation { definePermissions(permissions: [{ key: "P_VIEW", level: RESOURCE, resourceTypes: ["property"] }]) { revision permissions { key level resourceTypes grantable builtIn } } }'));
    expect(good.definePermissions.permissions).toEqual([{ key: 'P_VIEW', level: 'RESOURCE', resourceTypes: ['property'], grantable: true, builtIn: false }]);
  });
});

describe('subscriptions over SSE', () => {
  it('streams a change to an SSE client', async () => {
    const s = await server();
    const sub = collect<any>((sink) => s.sse(s.ownerKey).subscribe({ query: 'subscription { permissionChanged { type scopeKey } }' }, sink));
    await new Promise((r) => setTimeout(r, 300));
    ok(await s.gql(s.ownerKey, 'mutation { createScope(input: { key: "p1", type: "property" }) { revision } }'));
    const [first] = await sub.waitFor(1);
    expect(first.data.permissionChanged).toEqual({ type: 'SCOPE_CREATED', scopeKey: 'p1' });
    sub.unsubscribe();
  });
});

describe('errors', () => {
  it('refuses a bad request over WebSocket with the same code as over HTTP', async () => {
    const s = await server();
    const client = s.ws(s.ownerKey);
    const refuse = (query: string) =>
      new Promise<any>((resolve) => client.subscribe({ query }, { next: resolve, error: resolve, complete: () => {} }));
    for (const query of ['{ viewer { email ', '{ nope }']) {
      const errors = await refuse(query);
      expect(errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT' });
    }
  });

  it('answers every client mistake with BAD_USER_INPUT: syntax, unknown fields, variables of the wrong type', async () => {
    const s = await server();
    const syntax = await s.gql(s.ownerKey, '{ viewer { email ');
    expect([syntax.status, codeOf(syntax)]).toEqual([400, 'BAD_USER_INPUT']);
    const unknown = await s.gql(s.ownerKey, '{ nope }');
    expect([unknown.status, codeOf(unknown)]).toEqual([400, 'BAD_USER_INPUT']);
    const variable = await s.gql(s.ownerKey, 'query($n: Int) { users(first: $n) { totalCount } }', { n: 'ten' });
    expect(codeOf(variable)).toBe('BAD_USER_INPUT');
    expect(variable.errors?.[0]?.message).toContain('$n');
  });

  it('masks unexpected errors and never leaks internals', async () => {
    const s = await server();
    const r = await s.gql(s.ownerKey, '{ changes(after: "!!!") { totalCount } }');
    expect(codeOf(r)).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(r)).not.toMatch(/at .*\.ts:\d+|SQLITE|select /i);
  });
});
