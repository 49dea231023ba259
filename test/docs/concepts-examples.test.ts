import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, ok, startServer, type TestServer } from '../helpers/server.js';
import { buildConceptsExample, checkedTable } from './concepts-scenario.js';

const doc = readFileSync(join(import.meta.dirname, '../../docs/concepts.md'), 'utf8');
/** The doc's text with line breaks as spaces, so a quote wrapped across lines is found. */
const flat = doc.replace(/\s+/g, ' ');

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
  await buildConceptsExample(s);
});
afterAll(async () => s?.stop());

const gql = (query: string, variables?: Record<string, unknown>) => s.gql(s.ownerKey, query, variables);
const scopeArg = (cell: string) => (cell === 'ORG' ? null : cell);

async function checkOf(user: string, permission: string, scope: string | null) {
  const r = ok(await gql('query($c: [CheckInput!]!) { check(checks: $c) { allowed reason } }', { c: [{ user, permission, scope }] }));
  return r.check[0] as { allowed: boolean; reason: string };
}

/** A refusal's message, after checking it is BAD_USER_INPUT. */
async function badInput(query: string, variables?: Record<string, unknown>): Promise<string> {
  const r = await gql(query, variables);
  expect(codeOf(r), JSON.stringify(r.errors)).toBe('BAD_USER_INPUT');
  return r.errors![0]!.message;
}

const PATCH = 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision } }';

describe('docs/concepts.md, against a real server', () => {
  it('the inheritance table: what can answers for Ana at each scope of the tree', async () => {
    const { header, rows } = checkedTable(doc, 'inheritance');
    expect(rows.map((r) => r[0])).toEqual(['ORG', 'acme', 'main-st', 'harbour', 'sales']);
    for (const row of rows) {
      for (const [i, permission] of header.slice(1).entries()) {
        const r = ok(await gql('query($p: String!, $s: String) { can(user: "ana@example.com", permission: $p, scope: $s) }', { p: permission, s: scopeArg(row[0]!) }));
        expect(r.can ? 'yes' : 'no', `${permission} at ${row[0]}`).toBe(row[i + 1]);
      }
    }
  });

  it("the groups table: Bob's effective permissions through eng and staff", async () => {
    const { rows } = checkedTable(doc, 'groups');
    expect(rows.length).toBe(4);
    for (const [scope, listed] of rows) {
      const r = ok(await gql('query($s: String) { effectivePermissions(user: "bob@example.com", scope: $s) }', { s: scopeArg(scope!) }));
      expect((r.effectivePermissions as string[]).join(', ') || 'none', `at ${scope}`).toBe(listed);
    }
  });

  it('the reasons it quotes are the ones check gives', async () => {
    const quoted = [
      (await checkOf('ana@example.com', 'P_VIEW_USERS', 'main-st')).reason,
      (await checkOf('ana@example.com', 'P_VIEW_USERS', 'acme')).reason,
      (await checkOf('bob@example.com', 'P_VIEW_USERS', 'main-st')).reason,
    ];
    expect(quoted[0]).toBe('granted by direct grant at "acme"');
    for (const reason of quoted) expect(flat).toContain(`\`${reason}\``);
  });

  it('levels, role scope types and default roles refuse what it says they refuse, in its words', async () => {
    expect(await badInput(PATCH, { p: [{ user: 'ana@example.com', scope: 'main-st', operation: 'ADD', permissions: ['VIEW_USERS'] }] })).toMatch(/VIEW_USERS is an ORG permission/);
    expect(await badInput(PATCH, { p: [{ user: 'ana@example.com', scope: 'ORG', operation: 'ADD', permissions: ['P_VIEW_USERS'] }] })).toMatch(/P_VIEW_USERS is a RESOURCE permission/);
    const wrongType = await badInput(PATCH, { p: [{ user: 'ana@example.com', scope: 'acme', operation: 'ADD', roles: ['Property manager'] }] });
    expect(flat).toContain('`applies to scopes of type property, not company`');
    expect(wrongType).toContain('applies to scopes of type property, not company');
    const noDefault = await badInput(PATCH, { p: [{ user: 'ana@example.com', scope: 'harbour', operation: 'ADD' }] });
    expect(flat).toContain('`no default role exists for scopes of type property`');
    expect(noDefault).toContain('no default role exists for scopes of type property');
    // An ORG role only at ORG; a property role also at ORG, where it covers every property.
    expect(await badInput(PATCH, { p: [{ user: 'ana@example.com', scope: 'main-st', operation: 'ADD', roles: ['Member'] }] })).toMatch(/ORG role/);
    ok(await gql(PATCH, { p: [{ user: 'bob@example.com', scope: 'ORG', operation: 'ADD', roles: ['Property manager'] }] }));
  });

  it('a new user gets the ORG default role "Member"; a grant naming nothing gets the scope type\'s defaults', async () => {
    const bob = ok(await gql('{ user(ref: "bob@example.com") { grants { scope { key } role { name isDefault roleType scopeType } } } }')).user;
    expect(bob.grants).toContainEqual({ scope: null, role: { name: 'Member', isDefault: true, roleType: 'SYSTEM', scopeType: 'ORG' } });
    ok(await gql('mutation { createRole(input: { name: "Property viewer", scopeType: "property", isDefault: true, permissions: ["P_VIEW_USERS"] }) { revision } }'));
    ok(await gql('mutation { createUser(input: { email: "carol@example.com", grants: [{ scope: "harbour" }] }) { revision } }'));
    ok(await gql(PATCH, { p: [{ user: 'carol@example.com', scope: 'main-st', operation: 'ADD' }] }));
    const carol = ok(await gql('{ user(ref: "carol@example.com") { grants { scope { key } role { name } } } }')).user;
    expect(carol.grants).toEqual([
      { scope: { key: 'harbour' }, role: { name: 'Property viewer' } },
      { scope: { key: 'main-st' }, role: { name: 'Property viewer' } },
    ]);
  });

  it('the server never reads the P_ prefix: a P_ key defined at ORG is an ORG permission', async () => {
    ok(await gql('mutation { definePermissions(permissions: [{ key: "P_ORG_FLAG", level: ORG }]) { revision } }'));
    ok(await gql(PATCH, { p: [{ user: 'ana@example.com', scope: 'ORG', operation: 'ADD', permissions: ['P_ORG_FLAG'] }] }));
    expect(ok(await gql('{ can(user: "ana@example.com", permission: "P_ORG_FLAG") }')).can).toBe(true);
  });

  it('adding a held grant with a window re-windows it, and adding it without one makes it permanent', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const grant = async () => ok(await gql('{ grants(filter: { user: "ana@example.com", permission: "P_VIEW_USERS" }) { edges { node { expiresAt active } } } }')).grants.edges.map((e: { node: unknown }) => e.node);
    ok(await gql(PATCH, { p: [{ user: 'ana@example.com', scope: 'acme', operation: 'ADD', permissions: ['P_VIEW_USERS'], expiresAt }] }));
    expect(await grant()).toEqual([{ expiresAt, active: true }]);
    ok(await gql(PATCH, { p: [{ user: 'ana@example.com', scope: 'acme', operation: 'ADD', permissions: ['P_VIEW_USERS'] }] }));
    expect(await grant()).toEqual([{ expiresAt: null, active: true }]);
  });
});
