import { ok, userWithKey, type GqlResult, type TestServer } from '../helpers/server.js';

export const ROLES = ['owner', 'administrator', 'manageGrants', 'viewDirectory', 'plain'] as const;
export type Caller = (typeof ROLES)[number];

/** One organization's objects, named after its tag so another tenant's refs never collide with them. */
export interface Tenant {
  tag: string;
  keys: Record<Caller, string>;
  /** A modifiable user that holds a custom role and resource grant. */
  target: { id: string; email: string; externalId: string };
  ownerId: string;
  scope: { id: string; key: string };
  role: { id: string; name: string };
  /** ORG and RESOURCE (on type property) custom permissions. */
  perm: string;
  resourcePerm: string;
  grantId: string;
  /** A group holding the target user and a grant of `resourcePerm` on the scope. */
  group: { id: string; key: string };
  apiKeyId: string;
  orgId: string;
}

const CREATE = 'mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } } }';

/** Catalog, scope, role, group and the five kinds of caller of the tenant matrix, made through the API. */
export async function populate(s: TestServer, ownerKey: string, tag: string): Promise<Tenant> {
  const perm = `SECRET_${tag.toUpperCase()}`;
  const resourcePerm = `P_SECRET_${tag.toUpperCase()}`;
  const scopeKey = `${tag}-prop`;
  const setup = ok(
    await s.gql(
      ownerKey,
      `mutation($perms: [PermissionInput!]!, $scope: CreateScopeInput!) {
        definePermissions(permissions: $perms) { revision }
        createScope(input: $scope) { scope { id } }
      }`,
      { perms: [{ key: perm, level: 'ORG' }, { key: resourcePerm, level: 'RESOURCE', resourceTypes: ['property'] }], scope: { key: scopeKey, type: 'property' } },
    ),
  );
  const role = ok(await s.gql(ownerKey, 'mutation($i: CreateRoleInput!) { createRole(input: $i) { role { id name } } }', { i: { name: `Role ${tag}`, permissions: [perm] } })).createRole.role;
  const mine = [{ scope: scopeKey, permissions: [resourcePerm] }];
  const admin = await userWithKey(s, ownerKey, `admin@${tag}.test`, [{ permissions: ['ADMINISTRATOR'] }]);
  const mg = await userWithKey(s, ownerKey, `mg@${tag}.test`, [{ permissions: ['MANAGE_GRANTS', perm] }, ...mine]);
  const vd = await userWithKey(s, ownerKey, `vd@${tag}.test`, [{ permissions: ['VIEW_DIRECTORY'] }]);
  const plain = await userWithKey(s, ownerKey, `plain@${tag}.test`);
  const email = `target@${tag}.test`;
  const externalId = `ext-${tag}-target`;
  const targetId = ok(await s.gql(ownerKey, CREATE, { i: { email, externalId, grants: [{ roles: [role.name] }, ...mine] } })).createUser.user.id as string;
  const groupKey = `${tag}-team`;
  const group = ok(await s.gql(ownerKey, 'mutation($k: String!) { createGroup(input: { key: $k }) { group { id key } } }', { k: groupKey })).createGroup.group;
  ok(await s.gql(ownerKey, 'mutation($g: String!, $u: [String!]) { addGroupMembers(group: $g, users: $u) { changed } }', { g: groupKey, u: [targetId] }));
  ok(await s.gql(ownerKey, 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision } }', {
    p: [{ group: groupKey, scope: scopeKey, operation: 'ADD', permissions: [resourcePerm] }],
  }));
  const keyId = ok(await s.gql(ownerKey, 'mutation($u: String!) { createApiKey(user: $u, name: "matrix") { apiKey { id } } }', { u: targetId })).createApiKey.apiKey.id;
  const info = ok(await s.gql(ownerKey, 'query($u: String!) { organization { id owner { id } } user(ref: $u) { grants { id } } }', { u: targetId }));
  return {
    tag,
    keys: { owner: ownerKey, administrator: admin.key, manageGrants: mg.key, viewDirectory: vd.key, plain: plain.key },
    target: { id: targetId, email, externalId },
    ownerId: info.organization.owner.id,
    scope: { id: setup.createScope.scope.id, key: scopeKey },
    role,
    perm,
    resourcePerm,
    grantId: info.user.grants[0].id,
    group,
    apiKeyId: keyId,
    orgId: info.organization.id,
  };
}

/** Head revision of the caller's organization (one change per revision, gap-free). */
export async function headOf(s: TestServer, ownerKey: string): Promise<number> {
  const r = ok(await s.gql(ownerKey, '{ changes(first: 0) { totalCount } }'));
  return r.changes.totalCount as number;
}

/** Fails on anything that should never reach a client: a 5xx, an internal error, a stack or SQL. */
export function assertNoInternals(r: GqlResult | { status: number; text: string }, echoed: string[] = []): void {
  let text = 'text' in r ? r.text : JSON.stringify(r);
  // Refusals name the offending value; what the client sent is not a leak, so it is cut out first.
  for (const e of echoed.flatMap((v) => [v, v.trim()]).sort((a, b) => b.length - a.length)) {
    if (e.length > 0) text = text.split(JSON.stringify(e).slice(1, -1)).join('').split(JSON.stringify(JSON.stringify(e).slice(1, -1)).slice(1, -1)).join('');
  }
  if (r.status >= 500) throw new Error(`server error ${r.status}: ${text.slice(0, 500)}`);
  if (/INTERNAL_SERVER_ERROR|SQLITE|\bat [^\s]+ \(.*:\d+:\d+\)|\.ts:\d+:\d+|node_modules|\b(select|insert|update|delete)\b[^"]{0,80}\b(from|into|set|where)\b/i.test(text)) {
    throw new Error(`internal detail in a response: ${text.slice(0, 500)}`);
  }
}
