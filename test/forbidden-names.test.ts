// FORBIDDEN names every permission that would do (issue 16): for each refusal a plain user
// gets, the permissions named in the message are exactly the built-in permissions that,
// held alone, let the same request through — found by trying each, not written down here.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeOf, ok, startServer, userWithKey, type TestServer } from './helpers/server.js';

type Op = (run: string) => [string, Record<string, unknown>?];

/** Requests a single permission at ORG may let through; `run` makes what each attempt creates unique. */
const OPS: Record<string, Op> = {
  users: () => ['{ users { totalCount } }'],
  roles: () => ['{ roles { totalCount } }'],
  grants: () => ['{ grants { totalCount } }'],
  groups: () => ['{ groups { totalCount } }'],
  changes: () => ['{ changes(first: 1) { totalCount } }'],
  'organization.owner': () => ['{ organization { owner { email } } }'],
  'user(ref)': () => ['{ user(ref: "other@names.test") { email } }'],
  'User.grants': () => ['{ user(ref: "other@names.test") { grants { id } } }'],
  can: () => ['{ can(user: "other@names.test", permission: "MANAGE_USERS") }'],
  check: () => ['{ check(checks: [{ user: "other@names.test", permission: "MANAGE_USERS" }]) { allowed } }'],
  whoCan: () => ['{ whoCan(permission: "MANAGE_USERS") { totalCount } }'],
  effectivePermissions: () => ['{ effectivePermissions(user: "other@names.test") }'],
  scopesWhere: () => ['{ scopesWhere(user: "other@names.test", permission: "MANAGE_USERS") { totalCount } }'],
  apiKeys: () => ['{ apiKeys(user: "other@names.test") { totalCount } }'],
  createUser: (run) => ['mutation($e: String!) { createUser(input: { email: $e }) { revision } }', { e: `new-${run}@names.test` }],
  updateUser: () => ['mutation { updateUser(user: "other@names.test", input: { firstName: "Renamed" }) { revision } }'],
  deleteUser: (run) => ['mutation($u: String!) { deleteUser(user: $u) { revision } }', { u: `doomed-${run}@names.test` }],
  createScope: (run) => ['mutation($k: String!) { createScope(input: { key: $k, type: "site" }) { revision } }', { k: `site-${run}` }],
  createRole: (run) => ['mutation($n: String!) { createRole(input: { name: $n }) { revision } }', { n: `Role ${run}` }],
  createGroup: (run) => ['mutation($k: String!) { createGroup(input: { key: $k }) { revision } }', { k: `group-${run}` }],
  definePermissions: (run) => ['mutation($k: String!) { definePermissions(permissions: [{ key: $k, level: ORG }]) { revision } }', { k: `NAMES_${run.toUpperCase().replace(/\W/g, '_')}` }],
  createApiKey: () => ['mutation { createApiKey(user: "other@names.test", name: "theirs") { revision } }'],
};

let s: TestServer;
let builtIns: string[];
const holders = new Map<string, string>();
let plainKey: string;

beforeAll(async () => {
  s = await startServer();
  const catalog = ok(await s.gql(s.ownerKey, '{ permissions { key builtIn } }')).permissions as Array<{ key: string; builtIn: boolean }>;
  builtIns = catalog.filter((p) => p.builtIn).map((p) => p.key);
  plainKey = (await userWithKey(s, s.ownerKey, 'plain@names.test')).key;
  await userWithKey(s, s.ownerKey, 'other@names.test');
  for (const p of builtIns) holders.set(p, (await userWithKey(s, s.ownerKey, `holder-${p.toLowerCase()}@names.test`, [{ permissions: [p] }])).key);
  for (const run of ['plain', ...builtIns]) await userWithKey(s, s.ownerKey, `doomed-${run}@names.test`);
}, 60_000);
afterAll(() => s.stop());

it('holds every built-in permission once, IMPERSONATE and ADMINISTRATOR included', () => {
  expect(builtIns).toEqual(expect.arrayContaining(['ADMINISTRATOR', 'IMPERSONATE', 'MANAGE_USERS', 'VIEW_DIRECTORY']));
});

it.each(Object.keys(OPS))('%s: FORBIDDEN names exactly the permissions that would each let it through', async (name) => {
  const op = OPS[name]!;
  const refused = await s.gql(plainKey, ...op('plain'));
  expect(codeOf(refused), JSON.stringify(refused)).toBe('FORBIDDEN');
  const message = refused.errors![0]!.message;
  const named = builtIns.filter((p) => new RegExp(`\\b${p}\\b`).test(message));
  const suffice: string[] = [];
  for (const p of builtIns) {
    const r = await s.gql(holders.get(p)!, ...op(p));
    if (!r.errors) suffice.push(p);
    else expect(codeOf(r), `${p}: ${JSON.stringify(r.errors)}`).toBe('FORBIDDEN');
  }
  expect(suffice).toContain('ADMINISTRATOR');
  expect(named, message).toEqual(suffice);
});
