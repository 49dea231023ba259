import { ok, type TestServer } from '../helpers/server.js';
import type { Populated } from './fixture.js';

/**
 * Groups on top of fixture.ts's organization, through the GraphQL API: staff ⊃ eng ⊃ web
 * nested three deep, users in each (one only through groups, one deleted while a member),
 * grants to groups (a role at ORG, a role and a permission on scopes), a member removed
 * again, a group renamed, and a group deleted with its members and grants.
 */
const M = {
  create: 'mutation($i: CreateGroupInput!) { createGroup(input: $i) { revision } }',
  update: 'mutation($g: String!, $i: UpdateGroupInput!) { updateGroup(group: $g, input: $i) { revision } }',
  add: 'mutation($g: String!, $u: [String!], $gs: [String!]) { addGroupMembers(group: $g, users: $u, groups: $gs) { changed } }',
  remove: 'mutation($g: String!, $u: [String!], $gs: [String!]) { removeGroupMembers(group: $g, users: $u, groups: $gs) { changed } }',
  drop: 'mutation($g: String!) { deleteGroup(group: $g) { revision } }',
  patch: 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision } }',
  user: 'mutation($i: CreateUserInput!) { createUser(input: $i) { revision } }',
  deleteUser: 'mutation($u: String!) { deleteUser(user: $u) { revision } }',
} as const;

export const GROUP_KEYS = ['staff', 'eng', 'web'];

/** Adds the groups to a populated organization; returns the populated set with the group-only user among its users. */
export async function populateGroups(s: TestServer, owner: string, p: Populated): Promise<Populated> {
  const run = async (query: string, variables: Record<string, unknown>) => ok(await s.gql(owner, query, variables));
  await run(M.create, { i: { key: 'staff', name: 'Staff' } });
  await run(M.create, { i: { key: 'eng', description: 'engineers' } });
  await run(M.create, { i: { key: 'web' } });
  await run(M.create, { i: { key: 'ops', name: 'Operations' } });
  await run(M.user, { i: { email: 'erin@acme.test', grants: [] } });
  await run(M.user, { i: { email: 'gone@acme.test', grants: [] } });
  await run(M.add, { g: 'staff', gs: ['eng'], u: ['carol@acme.test'] });
  await run(M.add, { g: 'eng', gs: ['web'], u: ['alice@acme.test'] });
  await run(M.add, { g: 'web', u: ['erin@acme.test', 'bob@acme.test', 'gone@acme.test'] });
  await run(M.add, { g: 'ops', u: ['erin@acme.test'], gs: ['web'] });
  await run(M.patch, {
    p: [
      { group: 'staff', scope: 'ORG', operation: 'ADD', roles: ['Reporter'] },
      { group: 'eng', scope: 'p3', operation: 'ADD', roles: ['Editor'] },
      { group: 'web', scope: 'p2', operation: 'ADD', permissions: ['doc.update', 'P_VIEW'] },
      { group: 'ops', scope: 'region-2', operation: 'ADD', permissions: ['doc.read'] },
    ],
  });
  await run(M.remove, { g: 'web', u: ['bob@acme.test'] });
  await run(M.update, { g: 'eng', i: { name: 'Engineering' } });
  await run(M.deleteUser, { u: 'gone@acme.test' });
  await run(M.drop, { g: 'ops' });
  return { ...p, users: [...p.users, 'erin@acme.test'] };
}

const LIST = '{ groups(first: 10) { totalCount edges { cursor node { id key name description createdAt updatedAt memberOf { key } } } } }';
const GROUP = `query($g: String!) { group(ref: $g) {
  grants { id permission role { name } scope { key } group { key } user { email } createdAt }
  members(first: 10) { totalCount edges { cursor node { __typename ... on User { email } ... on Group { key } } } }
  firstMember: members(first: 1) { pageInfo { hasNextPage endCursor } }
} }`;
const USERS = '{ users(first: 10) { edges { node { email groups { key } } } } }';
const WHO = 'query($p: String!, $s: String) { whoCan(permission: $p, scope: $s, first: 10) { totalCount edges { node { email } } } }';
const MEMBER_OF = 'query($m: String!) { groups(first: 10, filter: { member: $m }) { totalCount edges { node { key } } } }';
const CHANGES = 'query($g: String!) { changes(first: 100, filter: { group: $g }) { totalCount edges { cursor node { revision type groupId memberGroupId userId scopeKey permissions actor { email } } } } }';

/** What the organization says about its groups: each group with members, parents and grants, users' groups, whoCan through groups, each group's change log. */
export async function groupAnswers(s: TestServer, key: string, p: Populated): Promise<unknown> {
  const q = async (query: string, variables?: Record<string, unknown>) => ok(await s.gql(key, query, variables));
  const out: Record<string, unknown> = { list: await q(LIST), users: await q(USERS) };
  for (const g of GROUP_KEYS) out[`group ${g}`] = await q(GROUP, { g });
  for (const g of GROUP_KEYS) out[`changes ${g}`] = await q(CHANGES, { g });
  for (const m of p.users) out[`groups of ${m}`] = await q(MEMBER_OF, { m });
  for (const [perm, scope] of [['P_EDIT', 'p3'], ['doc.update', 'p2'], ['REPORTS', 'ORG'], ['doc.read', 'region-2']]) out[`who ${perm} ${scope}`] = await q(WHO, { p: perm, s: scope });
  return out;
}
