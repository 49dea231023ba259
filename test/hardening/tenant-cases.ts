import type { Tenant } from './fixtures.js';

/** Argument and input-field names that point at an existing object; the matrix finds them in the schema. */
export const REF_NAMES = new Set(['id', 'ref', 'user', 'users', 'scope', 'parent', 'key', 'role', 'roles', 'permission', 'permissions', 'group', 'groups', 'member']);

export type Kind = 'user' | 'scope' | 'role' | 'permission' | 'apiKey' | 'group' | 'node';
type Op = (ref: string, own: Tenant) => [string, Record<string, unknown>];

/** Reference positions that name something new rather than something existing. */
export const EXEMPT: Record<string, string> = {
  'Mutation.createScope:input.key': 'the key of the scope being created',
  'Mutation.definePermissions:permissions.key': 'the key of the catalog entry being defined',
  'Mutation.createGroup:input.key': 'the key of the group being created',
};

const q = (query: string, variables: Record<string, unknown>): [string, Record<string, unknown>] => [query, variables];
const PAYLOAD = '{ revision }';
const PATCH = `mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) ${PAYLOAD} }`;
const SET = `mutation($u: String!, $s: String, $p: [String!], $r: [String!]) { setPermissions(user: $u, scope: $s, permissions: $p, roles: $r) ${PAYLOAD} }`;
const REPLACE = `mutation($u: String!, $g: [GrantInput!]!) { replaceGrants(user: $u, grants: $g) ${PAYLOAD} }`;
const CREATE_USER = 'mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } } }';
const GRANTS = 'query($f: GrantFilter) { grants(filter: $f) { totalCount edges { node { id } } } }';
const CHANGES = 'query($f: ChangeFilter) { changes(filter: $f) { totalCount edges { node { revision } } } }';
const CHECK = 'query($c: [CheckInput!]!) { check(checks: $c) { allowed reason } }';
const CAN = 'query($u: String!, $p: String!, $s: String) { can(user: $u, permission: $p, scope: $s) }';
const SET_GROUP = `mutation($g: String, $s: String, $p: [String!]) { setPermissions(group: $g, scope: $s, permissions: $p) ${PAYLOAD} }`;
const MEMBERS = (verb: 'add' | 'remove') =>
  `mutation($g: String!, $u: [String!], $gs: [String!]) { ${verb}GroupMembers(group: $g, users: $u, groups: $gs) { revision changed } }`;
const SUB_CHANGES = 'subscription($f: ChangeFilter) { permissionChanged(filter: $f) { revision } }';
const SUB_EFFECTIVE = 'subscription($u: String!, $s: String) { effectivePermissionsChanged(user: $u, scope: $s) { permissions } }';

/**
 * One builder per reference position: the ref goes in that position, every other
 * argument names a valid object of the caller's own organization, so only the ref
 * can make the answer differ.
 */
export const CASES: Record<string, { kind: Kind; op: Op; mayStayOpen?: string }> = {
  'Query.node:id': { kind: 'node', op: (r) => q('query($r: ID!) { node(id: $r) { id } }', { r }) },
  'Query.user:ref': { kind: 'user', op: (r) => q('query($r: String!) { user(ref: $r) { id email } }', { r }) },
  'Query.users:filter.role': { kind: 'role', op: (r) => q('query($r: String) { users(filter: { role: $r }) { totalCount } }', { r }) },
  'Query.users:filter.permission': { kind: 'permission', op: (r) => q('query($p: String) { users(filter: { permission: $p }) { totalCount } }', { p: r }) },
  'Query.users:filter.scope': { kind: 'scope', op: (r) => q('query($r: String) { users(filter: { scope: $r }) { totalCount } }', { r }) },
  'Query.role:ref': { kind: 'role', op: (r) => q('query($r: String!) { role(ref: $r) { id name } }', { r }) },
  'Query.scope:key': { kind: 'scope', op: (r) => q('query($r: String!) { scope(key: $r) { id key } }', { r }) },
  'Query.scopes:filter.parent': { kind: 'scope', op: (r) => q('query($r: String) { scopes(filter: { parent: $r }) { totalCount } }', { r }) },
  'Query.grants:filter.user': { kind: 'user', op: (r) => q(GRANTS, { f: { user: r } }) },
  'Query.grants:filter.scope': { kind: 'scope', op: (r) => q(GRANTS, { f: { scope: r } }) },
  'Query.grants:filter.role': { kind: 'role', op: (r) => q(GRANTS, { f: { role: r } }) },
  'Query.grants:filter.permission': { kind: 'permission', op: (r) => q(GRANTS, { f: { permission: r } }) },
  'Query.can:user': { kind: 'user', op: (r, o) => q(CAN, { u: r, p: o.perm }) },
  'Query.can:permission': { kind: 'permission', op: (r, o) => q(CAN, { u: o.target.email, p: r, s: o.scope.key }) },
  'Query.can:scope': { kind: 'scope', op: (r, o) => q(CAN, { u: o.target.email, p: o.resourcePerm, s: r }) },
  'Query.check:checks.user': { kind: 'user', op: (r, o) => q(CHECK, { c: [{ user: o.target.email, permission: o.perm }, { user: r, permission: o.perm }] }) },
  'Query.check:checks.permission': { kind: 'permission', op: (r, o) => q(CHECK, { c: [{ user: o.target.email, permission: r, scope: o.scope.key }] }) },
  'Query.check:checks.scope': { kind: 'scope', op: (r, o) => q(CHECK, { c: [{ user: o.target.email, permission: o.resourcePerm, scope: r }] }) },
  'Query.effectivePermissions:user': { kind: 'user', op: (r) => q('query($u: String!) { effectivePermissions(user: $u) }', { u: r }) },
  'Query.effectivePermissions:scope': { kind: 'scope', op: (r, o) => q('query($u: String!, $s: String) { effectivePermissions(user: $u, scope: $s) }', { u: o.target.email, s: r }) },
  'Query.whoCan:permission': { kind: 'permission', op: (r) => q('query($p: String!) { whoCan(permission: $p) { totalCount } }', { p: r }) },
  'Query.whoCan:scope': { kind: 'scope', op: (r, o) => q('query($p: String!, $s: String) { whoCan(permission: $p, scope: $s) { totalCount } }', { p: o.resourcePerm, s: r }) },
  'Query.scopesWhere:user': { kind: 'user', op: (r, o) => q('query($u: String!, $p: String!) { scopesWhere(user: $u, permission: $p) { edges { node { key } } } }', { u: r, p: o.resourcePerm }) },
  'Query.scopesWhere:permission': { kind: 'permission', op: (r, o) => q('query($u: String!, $p: String!) { scopesWhere(user: $u, permission: $p) { edges { node { key } } } }', { u: o.target.email, p: r }) },
  'Query.changes:filter.user': { kind: 'user', op: (r) => q(CHANGES, { f: { user: r } }) },
  'Query.changes:filter.scope': { kind: 'scope', op: (r) => q(CHANGES, { f: { scope: r } }) },
  'Query.changes:filter.role': { kind: 'role', op: (r) => q(CHANGES, { f: { role: r } }) },
  'Query.changes:filter.group': { kind: 'group', op: (r) => q(CHANGES, { f: { group: r } }) },
  'Query.grants:filter.group': { kind: 'group', op: (r) => q(GRANTS, { f: { group: r } }) },
  'Query.group:ref': { kind: 'group', op: (r) => q('query($r: String!) { group(ref: $r) { id key } }', { r }) },
  'Query.apiKeys:user': { kind: 'user', op: (r) => q('query($u: String) { apiKeys(user: $u) { totalCount edges { node { id } } } }', { u: r }) },
  'Query.groups:filter.member': { kind: 'user', op: (r) => q('query($m: String) { groups(filter: { member: $m }) { totalCount } }', { m: r }) },
  'Group.grants:scope': { kind: 'scope', op: (r, o) => q('query($g: String!, $s: String) { group(ref: $g) { grants(scope: $s) { id } } }', { g: o.group.key, s: r }) },
  'User.grants:scope': { kind: 'scope', op: (r) => q('query($s: String) { viewer { grants(scope: $s) { id } } }', { s: r }) },
  'User.effectivePermissions:scope': { kind: 'scope', op: (r) => q('query($s: String) { viewer { effectivePermissions(scope: $s) } }', { s: r }) },

  'Mutation.patchPermissions:patches.user': { kind: 'user', op: (r, o) => q(PATCH, { p: [{ user: r, scope: 'ORG', operation: 'ADD', permissions: [o.perm] }] }) },
  'Mutation.patchPermissions:patches.scope': { kind: 'scope', op: (r, o) => q(PATCH, { p: [{ user: o.target.email, scope: r, operation: 'ADD', permissions: [o.resourcePerm] }] }) },
  'Mutation.patchPermissions:patches.permissions': { kind: 'permission', op: (r, o) => q(PATCH, { p: [{ user: o.target.email, scope: 'ORG', operation: 'ADD', permissions: [r] }] }) },
  'Mutation.patchPermissions:patches.roles': { kind: 'role', op: (r, o) => q(PATCH, { p: [{ user: o.target.email, scope: 'ORG', operation: 'DELETE', roles: [r] }] }) },
  'Mutation.setPermissions:user': { kind: 'user', op: (r, o) => q(SET, { u: r, p: [o.perm] }) },
  'Mutation.setPermissions:scope': { kind: 'scope', op: (r, o) => q(SET, { u: o.target.email, s: r, p: [o.resourcePerm] }) },
  'Mutation.setPermissions:permissions': { kind: 'permission', op: (r, o) => q(SET, { u: o.target.email, p: [r] }) },
  'Mutation.setPermissions:roles': { kind: 'role', op: (r, o) => q(SET, { u: o.target.email, r: [r] }) },
  'Mutation.patchPermissions:patches.group': { kind: 'group', op: (r, o) => q(PATCH, { p: [{ group: r, scope: 'ORG', operation: 'ADD', permissions: [o.perm] }] }) },
  'Mutation.setPermissions:group': { kind: 'group', op: (r, o) => q(SET_GROUP, { g: r, p: [o.perm] }) },
  'Mutation.replaceGrants:user': { kind: 'user', op: (r, o) => q(REPLACE, { u: r, g: [{ permissions: [o.perm] }] }) },
  'Mutation.replaceGrants:grants.scope': { kind: 'scope', op: (r, o) => q(REPLACE, { u: o.target.email, g: [{ scope: r, permissions: [o.resourcePerm] }] }) },
  'Mutation.replaceGrants:grants.permissions': { kind: 'permission', op: (r, o) => q(REPLACE, { u: o.target.email, g: [{ permissions: [r] }] }) },
  'Mutation.replaceGrants:grants.roles': { kind: 'role', op: (r, o) => q(REPLACE, { u: o.target.email, g: [{ roles: [r] }] }) },
  'Mutation.revokeAllPermissions:user': { kind: 'user', op: (r) => q(`mutation($u: String!) { revokeAllPermissions(user: $u) ${PAYLOAD} }`, { u: r }) },
  'Mutation.createUser:input.grants.scope': { kind: 'scope', op: (r, o) => q(CREATE_USER, { i: { email: `new@${o.tag}.test`, grants: [{ scope: r, permissions: [o.resourcePerm] }] } }) },
  'Mutation.createUser:input.grants.permissions': { kind: 'permission', op: (r, o) => q(CREATE_USER, { i: { email: `new@${o.tag}.test`, grants: [{ permissions: [r] }] } }) },
  'Mutation.createUser:input.grants.roles': { kind: 'role', op: (r, o) => q(CREATE_USER, { i: { email: `new@${o.tag}.test`, grants: [{ roles: [r] }] } }) },
  'Mutation.updateUser:user': { kind: 'user', op: (r) => q('mutation($u: String!) { updateUser(user: $u, input: { firstName: "Eve" }) { revision } }', { u: r }) },
  'Mutation.deleteUser:user': { kind: 'user', op: (r) => q('mutation($u: String!) { deleteUser(user: $u) { revision } }', { u: r }) },
  'Mutation.createRole:input.permissions': { kind: 'permission', op: (r) => q('mutation($p: [String!]) { createRole(input: { name: "Matrix", permissions: $p }) { revision } }', { p: [r] }) },
  'Mutation.updateRole:role': { kind: 'role', op: (r) => q('mutation($r: String!) { updateRole(role: $r, input: { description: "x" }) { revision } }', { r }) },
  'Mutation.updateRole:input.permissions': { kind: 'permission', op: (r, o) => q('mutation($r: String!, $p: [String!]) { updateRole(role: $r, input: { permissions: $p }) { revision } }', { r: o.role.name, p: [r] }) },
  'Mutation.deleteRole:role': { kind: 'role', op: (r) => q('mutation($r: String!) { deleteRole(role: $r) { revision } }', { r }) },
  'Mutation.createScope:input.parent': { kind: 'scope', op: (r, o) => q('mutation($i: CreateScopeInput!) { createScope(input: $i) { revision } }', { i: { key: `${o.tag}-new`, type: 'property', parent: r } }) },
  'Mutation.updateScope:scope': { kind: 'scope', op: (r) => q('mutation($s: String!) { updateScope(scope: $s, input: { name: "x" }) { revision } }', { s: r }) },
  'Mutation.updateScope:input.parent': { kind: 'scope', op: (r, o) => q('mutation($s: String!, $p: String) { updateScope(scope: $s, input: { parent: $p }) { revision } }', { s: o.scope.key, p: r }) },
  'Mutation.deleteScope:scope': { kind: 'scope', op: (r) => q('mutation($s: String!) { deleteScope(scope: $s) { revision } }', { s: r }) },
  'Mutation.updateGroup:group': { kind: 'group', op: (r) => q(`mutation($g: String!) { updateGroup(group: $g, input: { name: "x" }) ${PAYLOAD} }`, { g: r }) },
  'Mutation.deleteGroup:group': { kind: 'group', op: (r) => q(`mutation($g: String!) { deleteGroup(group: $g) ${PAYLOAD} }`, { g: r }) },
  'Mutation.addGroupMembers:group': { kind: 'group', op: (r, o) => q(MEMBERS('add'), { g: r, u: [o.ownerId] }) },
  'Mutation.addGroupMembers:users': { kind: 'user', op: (r, o) => q(MEMBERS('add'), { g: o.group.key, u: [r] }) },
  'Mutation.addGroupMembers:groups': { kind: 'group', op: (r, o) => q(MEMBERS('add'), { g: o.group.key, gs: [r] }) },
  'Mutation.removeGroupMembers:group': { kind: 'group', op: (r, o) => q(MEMBERS('remove'), { g: r, u: [o.target.email] }) },
  'Mutation.removeGroupMembers:users': { kind: 'user', op: (r, o) => q(MEMBERS('remove'), { g: o.group.key, u: [r] }) },
  'Mutation.removeGroupMembers:groups': { kind: 'group', op: (r, o) => q(MEMBERS('remove'), { g: o.group.key, gs: [r] }) },
  'Mutation.createApiKey:user': { kind: 'user', op: (r) => q('mutation($u: String!) { createApiKey(user: $u, name: "x") { secret } }', { u: r }) },
  'Mutation.revokeApiKey:id': { kind: 'apiKey', op: (r) => q('mutation($id: ID!) { revokeApiKey(id: $id) { revision } }', { id: r }) },

  'Subscription.permissionChanged:filter.user': {
    kind: 'user',
    op: (r) => q(SUB_CHANGES, { f: { user: r } }),
    mayStayOpen: "a user id that is not in the index is accepted (a deleted user's history stays filterable), so the subscription opens and waits",
  },
  'Subscription.permissionChanged:filter.scope': { kind: 'scope', op: (r) => q(SUB_CHANGES, { f: { scope: r } }) },
  'Subscription.permissionChanged:filter.group': {
    kind: 'group',
    op: (r) => q(SUB_CHANGES, { f: { group: r } }),
    mayStayOpen: "a group id that is not in the index is accepted (a deleted group's history stays filterable), so the subscription opens and waits",
  },
  'Subscription.permissionChanged:filter.role': { kind: 'role', op: (r) => q(SUB_CHANGES, { f: { role: r } }) },
  'Subscription.effectivePermissionsChanged:user': { kind: 'user', op: (r, o) => q(SUB_EFFECTIVE, { u: r, s: o.scope.key }) },
  'Subscription.effectivePermissionsChanged:scope': { kind: 'scope', op: (r, o) => q(SUB_EFFECTIVE, { u: o.target.email, s: r }) },
};
