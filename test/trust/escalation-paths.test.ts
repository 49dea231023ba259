import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headOf } from '../hardening/fixtures.js';
import { codeOf, ok, startServer, userWithKey, type TestServer } from '../helpers/server.js';

/**
 * The escalation paths an independent attack found (issue 11), each replayed as the
 * attacker would: through GraphQL, with the rights the attacker really had.
 */
let s: TestServer;
let owner: string;

const PATCH = 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision } }';
const can = async (user: string, permission: string, scope?: string) =>
  ok(await s.gql(owner, 'query($u: String!, $p: String!, $s: String) { can(user: $u, permission: $p, scope: $s) }', { u: user, p: permission, s: scope })).can as boolean;

/** Refused with `code` and a message matching `message`, and nothing was written. */
async function refused(key: string, query: string, variables: Record<string, unknown>, message: RegExp, headers?: Record<string, string>, code = 'FORBIDDEN') {
  const before = await headOf(s, owner);
  const r = await s.gql(key, query, variables, headers);
  expect(codeOf(r), JSON.stringify(r)).toBe(code);
  expect(r.errors![0]!.message).toMatch(message);
  expect(await headOf(s, owner)).toBe(before);
}

beforeAll(async () => {
  s = await startServer();
  owner = s.ownerKey;
  ok(await s.gql(owner, `mutation {
    definePermissions(permissions: [{ key: "P_EDIT", level: RESOURCE, resourceTypes: ["property"] }, { key: "REPORTS", level: ORG }]) { revision }
    s1: createScope(input: { key: "s1", type: "property" }) { revision }
    s2: createScope(input: { key: "s2", type: "property" }) { revision }
    bosses: createRole(input: { name: "Bosses", permissions: ["ADMINISTRATOR"] }) { revision }
    actors: createRole(input: { name: "Actors", permissions: ["IMPERSONATE", "REPORTS"] }) { revision }
    roleAdmins: createRole(input: { name: "Role admins", permissions: ["MANAGE_ROLES"] }) { revision }
  }`));
  ok(await s.gql(owner, 'mutation { createScope(input: { key: "s2-child", type: "property", parent: "s2" }) { revision } }'));
});
afterAll(async () => s?.stop());

describe('user references stay unambiguous (issue 11)', () => {
  it('refuses an e-mail that is an existing externalId in another case, so grants by that reference keep reaching the first user', async () => {
    const first = ok(await s.gql(owner, 'mutation { createUser(input: { email: "carol.first@test.local", externalId: "Carol@Partner.Example" }) { user { id } } }')).createUser.user.id;
    await refused(owner, 'mutation { createUser(input: { email: "carol@partner.example" }) { revision } }', {}, /already another user's externalId/, undefined, 'CONFLICT');
    await refused(owner, 'mutation { createUser(input: { email: "x@test.local", externalId: "CAROL@PARTNER.EXAMPLE" }) { revision } }', {}, /externalId/, undefined, 'CONFLICT');
    await refused(owner, 'mutation($e: String!) { createUser(input: { email: "y@test.local", externalId: $e }) { revision } }', { e: first.toUpperCase() }, /another user's e-mail or id/, undefined, 'CONFLICT');
    const byRef = ok(await s.gql(owner, '{ a: user(ref: "carol@partner.example") { id } b: user(ref: "CAROL@partner.example") { id } }'));
    expect(byRef.a.id).toBe(first);
    expect(byRef.b.id).toBe(first);
  });
});

describe('a MANAGE_ROLES holder cannot reach ADMINISTRATOR or IMPERSONATE through roles (issue 11)', () => {
  let mr: string;
  beforeAll(async () => {
    mr = (await userWithKey(s, owner, 'mr@test.local', [{ roles: ['Role admins'] }])).key;
    await userWithKey(s, owner, 'boss@test.local', [{ roles: ['Bosses'] }]);
    await userWithKey(s, owner, 'actor@test.local', [{ roles: ['Actors'] }]);
  });

  it('cannot mark an ADMINISTRATOR role as default, and no default role carries ADMINISTRATOR or IMPERSONATE for anyone', async () => {
    await refused(mr, 'mutation { updateRole(role: "Bosses", input: { isDefault: true }) { revision } }', {}, /carries ADMINISTRATOR: only an administrator can edit it/);
    await refused(owner, 'mutation { updateRole(role: "Bosses", input: { isDefault: true }) { revision } }', {}, /cannot be a default role while it carries ADMINISTRATOR/, undefined, 'BAD_USER_INPUT');
    await refused(owner, 'mutation { updateRole(role: "Actors", input: { isDefault: true }) { revision } }', {}, /carries IMPERSONATE/, undefined, 'BAD_USER_INPUT');
    await refused(owner, 'mutation { createRole(input: { name: "Everyone boss", isDefault: true, permissions: ["ADMINISTRATOR"] }) { revision } }', {}, /ADMINISTRATOR/, undefined, 'BAD_USER_INPUT');
    ok(await s.gql(owner, 'mutation { createUser(input: { email: "newcomer@test.local" }) { revision } }'));
    expect(await can('newcomer@test.local', 'ADMINISTRATOR')).toBe(false);
  });

  it('cannot make a role default when every new user would get a permission it lacks', async () => {
    ok(await s.gql(owner, 'mutation { createRole(input: { name: "Reporters", permissions: ["REPORTS"] }) { revision } }'));
    await refused(mr, 'mutation { updateRole(role: "Reporters", input: { isDefault: true }) { revision } }', {}, /carries REPORTS, which you do not hold at ORG/);
    // Nor rename it, which could pass it off under another role's name.
    await refused(mr, 'mutation { updateRole(role: "Bosses", input: { name: "Readers" }) { revision } }', {}, /only an administrator can edit it/);
    const meta = ok(await s.gql(mr, '{ role(ref: "Reporters") { canEdit canDelete } }')).role;
    expect(meta).toEqual({ canEdit: false, canDelete: false });
  });

  it('cannot strip IMPERSONATE or ADMINISTRATOR from their holders by editing or discarding the role', async () => {
    await refused(mr, 'mutation { updateRole(role: "Actors", input: { permissions: ["REPORTS"] }) { revision } }', {}, /IMPERSONATE/);
    await refused(mr, 'mutation { updateRole(role: "Actors", input: { permissions: [] }) { revision } }', {}, /IMPERSONATE/);
    await refused(mr, 'mutation { deleteRole(role: "Bosses") { revision } }', {}, /ADMINISTRATOR/);
    expect(await can('boss@test.local', 'ADMINISTRATOR')).toBe(true);
    expect(await can('actor@test.local', 'IMPERSONATE')).toBe(true);
  });

  it('an administrator may discard an ADMINISTRATOR role, but only the owner may take IMPERSONATE away', async () => {
    const admin = (await userWithKey(s, owner, 'admin@test.local', [{ permissions: ['ADMINISTRATOR'] }])).key;
    await refused(admin, 'mutation { updateRole(role: "Actors", input: { permissions: ["REPORTS"] }) { revision } }', {}, /only the organization owner can grant or revoke IMPERSONATE: actor@test.local would lose it/);
    ok(await s.gql(owner, 'mutation { createRole(input: { name: "Spare bosses", permissions: ["ADMINISTRATOR"] }) { revision } }'));
    await userWithKey(s, owner, 'spare@test.local', [{ roles: ['Spare bosses'] }]);
    ok(await s.gql(admin, 'mutation { deleteRole(role: "Spare bosses") { revision } }'));
    expect(await can('spare@test.local', 'ADMINISTRATOR')).toBe(false);
  });
});

describe('a MANAGE_SCOPES holder cannot gain access by moving scopes (issue 11)', () => {
  it('refuses moving s2 under s1 where the mover holds P_EDIT, since it would gain P_EDIT on s2', async () => {
    const ms = (await userWithKey(s, owner, 'ms@test.local', [{ permissions: ['MANAGE_SCOPES'] }, { scope: 's1', permissions: ['P_EDIT'] }])).key;
    expect(await can('ms@test.local', 'P_EDIT', 's2-child')).toBe(false);
    await refused(ms, 'mutation { updateScope(scope: "s2", input: { parent: "s1" }) { revision } }', {}, /ms@test.local would gain P_EDIT at "s2/);
    expect(await can('ms@test.local', 'P_EDIT', 's2')).toBe(false);
    // A move that gives nobody anything new is fine.
    ok(await s.gql(ms, 'mutation { createScope(input: { key: "s3", type: "property" }) { revision } }'));
    ok(await s.gql(ms, 'mutation { updateScope(scope: "s3", input: { parent: "s2" }) { revision } }'));
    // Under s1, s3 would give ms P_EDIT there, which it did not hold on s3 before: the same escalation.
    await refused(ms, 'mutation { updateScope(scope: "s3", input: { parent: "s1" }) { revision } }', {}, /would gain P_EDIT at "s3"/);
    // A new scope starts with what its parent gives: creating one under s1 is no escalation.
    ok(await s.gql(ms, 'mutation { createScope(input: { key: "s1-new", type: "property", parent: "s1" }) { revision } }'));
  });

  it('refuses a move that would give another user something the mover does not hold there', async () => {
    const ms = (await userWithKey(s, owner, 'ms2@test.local', [{ permissions: ['MANAGE_SCOPES'] }])).key;
    await userWithKey(s, owner, 'editor@test.local', [{ scope: 's1', permissions: ['P_EDIT'] }]);
    await refused(ms, 'mutation { updateScope(scope: "s2", input: { parent: "s1" }) { revision } }', {}, /would gain P_EDIT at "s2/);
    expect(await can('editor@test.local', 'P_EDIT', 's2')).toBe(false);
  });
});

describe('impersonation cannot outlive IMPERSONATE (issue 11)', () => {
  let imp: string;
  beforeAll(async () => {
    imp = (await userWithKey(s, owner, 'imp@test.local', [{ permissions: ['IMPERSONATE', 'MANAGE_GRANTS'] }])).key;
    await userWithKey(s, owner, 'admin2@test.local', [{ permissions: ['ADMINISTRATOR'] }]);
    await userWithKey(s, owner, 'granter@test.local', [{ permissions: ['MANAGE_GRANTS', 'REPORTS'] }]);
  });

  it('may not act as an administrator without being one', async () => {
    await refused(imp, '{ viewer { email } }', {}, /admin2@test.local is an administrator; only an administrator can act as one/, { 'x-act-as': 'admin2@test.local' });
    await refused(imp, 'mutation { createApiKey(user: "admin2@test.local", name: "kept") { secret } }', {}, /administrator/, { 'x-act-as': 'admin2@test.local' });
  });

  it("an administrator may not mint a key for an IMPERSONATE holder (the key would impersonate for it)", async () => {
    const admin = (await userWithKey(s, owner, 'admin3@test.local', [{ permissions: ['ADMINISTRATOR'] }])).key;
    await refused(admin, 'mutation { createApiKey(user: "imp@test.local", name: "mine now") { secret } }', {}, /imp@test.local holds IMPERSONATE: only the organization owner/);
  });

  it('may not mint or revoke API keys while acting as another user', async () => {
    await refused(imp, 'mutation { createApiKey(user: "granter@test.local", name: "kept") { secret } }', {}, /cannot create or revoke API keys/, { 'x-act-as': 'granter@test.local' });
  });

  it("may not change the impersonator's own rights while acting as another user", async () => {
    const self = { p: [{ user: 'imp@test.local', scope: 'ORG', operation: 'ADD', permissions: ['REPORTS'] }] };
    await refused(imp, PATCH, self, /cannot change your own permissions/, { 'x-act-as': 'granter@test.local' });
    expect(await can('imp@test.local', 'REPORTS')).toBe(false);
    // Acting as granter on someone else is what impersonation is for.
    ok(await s.gql(imp, PATCH, { p: [{ user: 'newcomer@test.local', scope: 'ORG', operation: 'ADD', permissions: ['REPORTS'] }] }, { 'x-act-as': 'granter@test.local' }));
  });
});

describe('the effect is checked whatever the grant path (issue 11)', () => {
  it('createUser with named grants gives only what the creator holds', async () => {
    const mu = (await userWithKey(s, owner, 'mu@test.local', [{ permissions: ['MANAGE_USERS', 'MANAGE_GRANTS'] }])).key;
    await refused(mu, 'mutation { createUser(input: { email: "gift@test.local", grants: [{ permissions: ["REPORTS"] }] }) { revision } }', {}, /REPORTS/);
    await refused(mu, 'mutation { createUser(input: { email: "gift@test.local", grants: [{ roles: ["Bosses"] }] }) { revision } }', {}, /ADMINISTRATOR/);
    // Without named grants the new user gets the organization's default roles (policy, not delegation).
    ok(await s.gql(mu, 'mutation { createUser(input: { email: "plain@test.local" }) { revision } }'));
  });
});
