import { ok, userWithKey, type TestServer } from '../helpers/server.js';

/**
 * One organization shaped after the seed APIs: companies with properties below
 * them (the org/property and account-permissions rules), a catalog with each
 * level, typed and ORG roles, and one user per rule under test.
 */

export const CAN = 'query($u: String!, $p: String!, $s: String) { can(user: $u, permission: $p, scope: $s) }';
export const EFFECTIVE = 'query($u: String!, $s: String) { effectivePermissions(user: $u, scope: $s) }';
export const SCOPES_WHERE = `query($u: String!, $p: String!, $t: String, $first: Int, $after: String) {
  scopesWhere(user: $u, permission: $p, type: $t, first: $first, after: $after) { totalCount edges { cursor node { key } } pageInfo { hasNextPage endCursor } } }`;
/** The scope keys of one scopesWhere page. */
export const keysOf = (page: { edges: Array<{ node: { key: string } }> }) => page.edges.map((e) => e.node.key);
export const WHO_CAN = `query($p: String!, $s: String, $first: Int, $after: String) {
  whoCan(permission: $p, scope: $s, first: $first, after: $after) { totalCount edges { cursor node { email } } pageInfo { hasNextPage endCursor } } }`;
export const CHECK = `query($c: [CheckInput!]!) { check(checks: $c) {
  user permission scope allowed reason grants { permission role { name } scope { key } user { email } } } }`;
export const PATCH = 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision } }';

export const CATALOG = [
  { key: 'REPORTS', level: 'ORG' },
  { key: 'P_EDIT', level: 'RESOURCE', resourceTypes: ['property'] },
  { key: 'P_VIEW', level: 'RESOURCE' },
  { key: 'company.read', level: 'ANY', resourceTypes: ['company'] },
  { key: 'EXPORT', level: 'ANY' },
];

/** key → [type, parent] */
export const SCOPES: Array<[string, string, string | null]> = [
  ['acme', 'company', null],
  ['acme-hq', 'property', 'acme'],
  ['hq-annex', 'property', 'acme-hq'],
  ['acme-staff', 'companyStaffGroup', 'acme'],
  ['globex', 'company', null],
  ['globex-hq', 'property', 'globex'],
];

const ROLES = [
  { name: 'Property Manager', scopeType: 'property', permissions: ['P_EDIT'] },
  { name: 'Company Reader', scopeType: 'company', permissions: ['company.read'] },
  { name: 'Auditor', permissions: ['REPORTS', 'EXPORT'] },
];

/** name → initial grants (GrantInput) */
const USERS: Record<string, unknown[] | undefined> = {
  alice: [{ scope: 'acme-hq', permissions: ['P_EDIT'] }],
  bob: [{ scope: 'acme', permissions: ['EXPORT'] }],
  carol: [{ scope: 'hq-annex', permissions: ['P_EDIT'] }],
  dave: [{ scope: 'ORG', permissions: ['REPORTS'] }],
  erin: [{ scope: 'acme', permissions: ['P_EDIT'] }],
  frank: [{ scope: 'acme', permissions: ['P_VIEW'] }],
  gina: [{ scope: 'ORG', permissions: ['company.read'] }],
  hank: [{ scope: 'ORG', permissions: ['EXPORT'] }],
  ivan: [{ scope: 'ORG', roles: ['Property Manager'] }],
  judy: [{ scope: 'globex-hq', roles: ['Property Manager'] }],
  kim: [{ scope: 'acme', roles: ['Company Reader'] }],
  leo: [{ scope: 'ORG', roles: ['Auditor'] }],
  nora: [
    { scope: 'ORG', permissions: ['EXPORT'] },
    { scope: 'acme', permissions: ['EXPORT'] },
  ],
  admin: [{ scope: 'ORG', roles: ['Administrator'] }],
  viewer: [{ scope: 'ORG', permissions: ['VIEW_DIRECTORY'] }],
  mia: undefined, // no grants: the ORG default role (Member, no permissions)
};

export const OWNER = 'owner@test.local';
export const email = (name: string) => (name === 'owner' ? OWNER : `${name}@acme.test`);

export interface Fixture {
  /** name → API key of that user */
  keys: Record<string, string>;
}

export async function buildFixture(s: TestServer): Promise<Fixture> {
  const k = s.ownerKey;
  ok(await s.gql(k, 'mutation($p: [PermissionInput!]!) { definePermissions(permissions: $p) { revision } }', { p: CATALOG }));
  for (const [key, type, parent] of SCOPES) {
    ok(await s.gql(k, 'mutation($i: CreateScopeInput!) { createScope(input: $i) { revision } }', { i: { key, type, parent } }));
  }
  for (const role of ROLES) ok(await s.gql(k, 'mutation($i: CreateRoleInput!) { createRole(input: $i) { revision } }', { i: role }));
  const keys: Record<string, string> = { owner: k };
  for (const [name, grants] of Object.entries(USERS)) keys[name] = (await userWithKey(s, k, email(name), grants)).key;
  return { keys };
}

/** `can` as the owner; fails the test on any error. */
export async function can(s: TestServer, user: string, permission: string, scope: string | null): Promise<boolean> {
  return ok(await s.gql(s.ownerKey, CAN, { u: email(user), p: permission, s: scope })).can as boolean;
}
