// A role for a scope type no scope has yet (issue 16): allowed, and when one of its
// permissions cannot take effect there the message says why in plain terms, naming the
// permission's level or types and that no scope of the type exists yet, not a rights problem.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeOf, ok, startServer, type TestServer } from './helpers/server.js';

let s: TestServer;
const CREATE = 'mutation($i: CreateRoleInput!) { createRole(input: $i) { role { name scopeType permissions } } }';
const create = (i: Record<string, unknown>) => s.gql(s.ownerKey, CREATE, { i });
const roleCount = async () => (ok(await s.gql(s.ownerKey, '{ roles { totalCount } }')).roles as { totalCount: number }).totalCount;

beforeAll(async () => {
  s = await startServer();
  ok(await s.gql(s.ownerKey, `mutation { definePermissions(permissions: [
    { key: "P_DOC_EDIT", level: RESOURCE },
    { key: "P_TEAM_LEAD", level: RESOURCE, resourceTypes: ["team"] },
    { key: "P_BILLING", level: ORG }
  ]) { revision } }`));
});
afterAll(() => s.stop());

it('creates a role for a type no scope has yet, with permissions that take effect on any scope', async () => {
  const made = ok(await create({ name: 'Project editor', scopeType: 'project', permissions: ['P_DOC_EDIT'] })).createRole.role;
  expect(made).toEqual({ name: 'Project editor', scopeType: 'project', permissions: ['P_DOC_EDIT'] });
  expect(ok(await create({ name: 'Empty project role', scopeType: 'project' })).createRole.role.permissions).toEqual([]);
});

it('says a typed permission does not apply there and that no scope of the type exists yet', async () => {
  const before = await roleCount();
  const r = await create({ name: 'Project lead', scopeType: 'project', permissions: ['P_TEAM_LEAD'] });
  expect(codeOf(r)).toBe('BAD_USER_INPUT');
  const message = r.errors![0]!.message;
  expect(message).toContain('P_TEAM_LEAD takes effect only on scopes of type "team", not "project"');
  expect(message).toContain('no scope of type "project" exists yet');
  expect(message).not.toMatch(/FORBIDDEN|may not|permission to/i);
  expect(await roleCount()).toBe(before);
});

it('leaves out the "no scope yet" note once a scope of the type exists', async () => {
  ok(await s.gql(s.ownerKey, 'mutation { createScope(input: { key: "apollo", type: "project" }) { revision } }'));
  const message = (await create({ name: 'Project lead', scopeType: 'project', permissions: ['P_TEAM_LEAD'] })).errors![0]!.message;
  expect(message).toContain('not "project"');
  expect(message).not.toContain('exists yet');
});

it('names the level when an ORG permission is put in a scope role, or a RESOURCE one in an ORG role', async () => {
  const org = await create({ name: 'Billing on project', scopeType: 'project', permissions: ['P_BILLING'] });
  expect(codeOf(org)).toBe('BAD_USER_INPUT');
  expect(org.errors![0]!.message).toContain('P_BILLING is ORG-level');
  const res = await create({ name: 'Doc editor everywhere', permissions: ['P_DOC_EDIT'] });
  expect(codeOf(res)).toBe('BAD_USER_INPUT');
  expect(res.errors![0]!.message).toContain('P_DOC_EDIT is RESOURCE-level');
});
