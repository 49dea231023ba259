import { ok, type TestServer } from '../helpers/server.js';

/**
 * An organization built through the GraphQL API, with one of everything an export must
 * carry: a catalog of each level, a scope tree with a scope moved under a region created
 * after it, roles (one discarded while still granted), users (one deleted), grants at ORG
 * and on scopes (one removed again), API keys (one with an expiry, one revoked).
 */
export interface Populated {
  keys: { alice: string; bob: string; revoked: string };
  users: string[];
  permissions: string[];
  scopes: string[];
}

const M = {
  define: 'mutation($p: [PermissionInput!]!) { definePermissions(permissions: $p) { revision } }',
  scope: 'mutation($i: CreateScopeInput!) { createScope(input: $i) { revision } }',
  moveScope: 'mutation($s: String!, $p: String!) { updateScope(scope: $s, input: { parent: $p }) { revision } }',
  role: 'mutation($i: CreateRoleInput!) { createRole(input: $i) { revision } }',
  deleteRole: 'mutation($r: String!) { deleteRole(role: $r) { revision } }',
  user: 'mutation($i: CreateUserInput!) { createUser(input: $i) { revision } }',
  deleteUser: 'mutation($u: String!) { deleteUser(user: $u) { revision } }',
  patch: 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision } }',
  key: 'mutation($u: String!, $n: String!, $e: DateTime) { createApiKey(user: $u, name: $n, expiresAt: $e) { secret apiKey { id } } }',
  revoke: 'mutation($id: ID!) { revokeApiKey(id: $id) { revision } }',
} as const;

export async function populate(s: TestServer, owner: string): Promise<Populated> {
  const run = async (query: string, variables: Record<string, unknown>) => ok(await s.gql(owner, query, variables));
  await run(M.define, {
    p: [
      { key: 'P_VIEW', level: 'RESOURCE', resourceTypes: ['property'], description: 'see a property' },
      { key: 'P_EDIT', level: 'RESOURCE', resourceTypes: ['property'] },
      { key: 'REPORTS', level: 'ORG' },
      { key: 'doc.read', level: 'ANY' },
      { key: 'doc.update', level: 'ANY', resourceTypes: ['property'] },
      { key: 'LEGACY', level: 'ORG', grantable: false },
    ],
  });
  await run(M.scope, { i: { key: 'region-1', type: 'region', name: 'North' } });
  await run(M.scope, { i: { key: 'p1', type: 'property', parent: 'region-1' } });
  await run(M.scope, { i: { key: 'p2', type: 'property', parent: 'region-1', name: 'Harbour' } });
  await run(M.scope, { i: { key: 'p3', type: 'property' } });
  await run(M.scope, { i: { key: 'region-2', type: 'region' } });
  await run(M.moveScope, { s: 'p3', p: 'region-2' });
  await run(M.role, { i: { name: 'Editor', scopeType: 'property', permissions: ['P_VIEW', 'P_EDIT'] } });
  await run(M.role, { i: { name: 'Reporter', permissions: ['REPORTS', 'doc.read'] } });
  await run(M.role, { i: { name: 'Old', permissions: ['doc.update'] } });
  await run(M.user, { i: { email: 'alice@acme.test', externalId: 'ext-alice', firstName: 'Alice', grants: [{ scope: 'p1', roles: ['Editor'] }, { scope: 'region-1', permissions: ['doc.read'] }, { roles: ['Old'] }] } });
  await run(M.user, { i: { email: 'bob@acme.test', lastName: 'Builder', grants: [{ scope: 'p3', permissions: ['doc.read', 'P_VIEW'] }] } });
  await run(M.user, { i: { email: 'carol@acme.test', grants: [{ roles: ['Reporter'] }, { scope: 'p2', permissions: ['doc.update'] }] } });
  await run(M.user, { i: { email: 'dave@acme.test' } });
  await run(M.deleteRole, { r: 'Old' });
  await run(M.patch, {
    p: [
      { user: 'bob@acme.test', scope: 'p2', operation: 'ADD', roles: ['Editor'] },
      { user: 'carol@acme.test', scope: 'p2', operation: 'DELETE', permissions: ['doc.update'] },
      { user: 'carol@acme.test', scope: 'region-2', operation: 'ADD', permissions: ['doc.read'] },
    ],
  });
  const alice = (await run(M.key, { u: 'alice@acme.test', n: 'alice laptop' })).createApiKey.secret as string;
  const bob = (await run(M.key, { u: 'bob@acme.test', n: 'bob ci', e: new Date(Date.now() + 86_400_000).toISOString() })).createApiKey.secret as string;
  const gone = (await run(M.key, { u: 'carol@acme.test', n: 'carol old' })).createApiKey;
  await run(M.revoke, { id: gone.apiKey.id });
  await run(M.deleteUser, { u: 'dave@acme.test' });
  return {
    keys: { alice, bob, revoked: gone.secret },
    users: ['alice@acme.test', 'bob@acme.test', 'carol@acme.test'],
    permissions: ['P_VIEW', 'P_EDIT', 'REPORTS', 'doc.read', 'doc.update', 'ADMINISTRATOR'],
    scopes: ['ORG', 'region-1', 'p1', 'p2', 'p3', 'region-2'],
  };
}

/** A change made after the export was taken (or after import, on the other side). */
export async function laterChange(s: TestServer, owner: string, email: string): Promise<number> {
  return ok(await s.gql(owner, M.user, { i: { email } })).createUser.revision as number;
}

/**
 * Every authorization answer the organization gives about its users, permissions and
 * scopes: `can` and `check` (with reasons and the grants that allow) for each triple,
 * and `effectivePermissions` for each user and scope, in one request each.
 */
export async function answers(s: TestServer, key: string, p: Populated): Promise<unknown> {
  const triples = p.users.flatMap((user) => p.permissions.flatMap((permission) => p.scopes.map((scope) => ({ user, permission, scope }))));
  const can = triples.map((t, i) => `c${i}: can(user: ${JSON.stringify(t.user)}, permission: ${JSON.stringify(t.permission)}, scope: ${JSON.stringify(t.scope)})`);
  const pairs = p.users.flatMap((user) => p.scopes.map((scope) => ({ user, scope })));
  const eff = pairs.map((t, i) => `e${i}: effectivePermissions(user: ${JSON.stringify(t.user)}, scope: ${JSON.stringify(t.scope)})`);
  const checks = ok(
    await s.gql(key, 'query($c: [CheckInput!]!) { check(checks: $c) { user permission scope allowed reason grants { id permission role { name } scope { key } } } }', { c: triples }),
  );
  return { can: await aliased(s, key, can), effective: await aliased(s, key, eff), check: checks.check };
}

/** Aliased fields, in requests of at most 20 (the server's alias limit), merged. */
async function aliased(s: TestServer, key: string, fields: string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < fields.length; i += 20) Object.assign(out, ok(await s.gql(key, `{ ${fields.slice(i, i + 20).join(' ')} }`)));
  return out;
}

interface ChangePage {
  edges: Array<{ cursor: string; node: { revision: number } }>;
  pageInfo: { hasNextPage: boolean; endCursor: string };
}

/** The revisions `changes(after:)` returns after a cursor, every page. */
export async function revisionsAfter(s: TestServer, key: string, cursor: string): Promise<number[]> {
  const out: number[] = [];
  for (let after: string | null = cursor; ; ) {
    const page: ChangePage = ok(await s.gql(key, 'query($a: String) { changes(first: 50, after: $a) { edges { cursor node { revision } } pageInfo { hasNextPage endCursor } } }', { a: after })).changes;
    out.push(...page.edges.map((e) => e.node.revision));
    if (!page.pageInfo.hasNextPage) return out;
    after = page.pageInfo.endCursor;
  }
}

/** The cursor of the organization's newest change (as a client that read the log keeps it). */
export async function headCursor(s: TestServer, key: string): Promise<{ cursor: string; revision: number }> {
  let last: { cursor: string; revision: number } | null = null;
  for (let after: string | null = null; ; ) {
    const page: ChangePage = ok(await s.gql(key, 'query($a: String) { changes(first: 100, after: $a) { edges { cursor node { revision } } pageInfo { hasNextPage endCursor } } }', { a: after })).changes;
    const edge = page.edges.at(-1);
    if (edge) last = { cursor: edge.cursor, revision: edge.node.revision };
    if (!page.pageInfo.hasNextPage) return last!;
    after = page.pageInfo.endCursor;
  }
}
