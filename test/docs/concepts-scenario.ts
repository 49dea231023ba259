/** The organization docs/concepts.md describes, built through the API as its prose says. */
import { ok, type TestServer } from '../helpers/server.js';

export const EXAMPLE_PERMISSIONS = ['VIEW_USERS', 'P_VIEW_USERS', 'P_EDIT_PROPERTY', 'REPORTS'];

export async function buildConceptsExample(s: TestServer): Promise<void> {
  const gql = async (query: string, variables?: Record<string, unknown>) => ok(await s.gql(s.ownerKey, query, variables));
  await gql(`mutation { definePermissions(permissions: [
    { key: "VIEW_USERS", level: ORG }
    { key: "P_VIEW_USERS", level: RESOURCE, resourceTypes: ["property"] }
    { key: "P_EDIT_PROPERTY", level: RESOURCE, resourceTypes: ["property"] }
    { key: "REPORTS", level: ANY }
  ]) { revision } }`);
  // The tree of the first diagram.
  for (const [key, type, parent] of [['acme', 'company', null], ['main-st', 'property', 'acme'], ['harbour', 'property', 'acme'], ['sales', 'team', 'acme']]) {
    await gql('mutation($i: CreateScopeInput!) { createScope(input: $i) { revision } }', { i: { key, type, parent } });
  }
  // Ana's three grants.
  await gql('mutation($g: [GrantInput!]) { createUser(input: { email: "ana@example.com", grants: $g }) { revision } }', {
    g: [
      { scope: 'acme', permissions: ['P_VIEW_USERS'] },
      { scope: 'main-st', permissions: ['REPORTS'] },
      { scope: 'ORG', permissions: ['VIEW_USERS'] },
    ],
  });
  // Bob, in eng, in staff; staff holds "Property manager" at ORG, eng holds REPORTS on harbour.
  await gql('mutation { createRole(input: { name: "Property manager", scopeType: "property", permissions: ["P_VIEW_USERS", "P_EDIT_PROPERTY"] }) { revision } }');
  await gql('mutation { a: createGroup(input: { key: "staff" }) { revision } b: createGroup(input: { key: "eng" }) { revision } }');
  await gql('mutation { addGroupMembers(group: "staff", groups: ["eng"]) { revision } }');
  await gql('mutation { createUser(input: { email: "bob@example.com" }) { revision } }');
  await gql('mutation { addGroupMembers(group: "eng", users: ["bob@example.com"]) { revision } }');
  await gql(`mutation { patchPermissions(patches: [
    { group: "staff", scope: "ORG", operation: ADD, roles: ["Property manager"] }
    { group: "eng", scope: "harbour", operation: ADD, permissions: ["REPORTS"] }
  ]) { revision } }`);
}

/** The rows of the table after `<!-- checked: name -->`: header cells, then each row's cells. */
export function checkedTable(markdown: string, name: string): { header: string[]; rows: string[][] } {
  const at = markdown.indexOf(`<!-- checked: ${name} -->`);
  if (at < 0) throw new Error(`docs/concepts.md has no table marked "checked: ${name}"`);
  const lines = markdown.slice(at).split('\n').slice(1);
  const table: string[][] = [];
  for (const line of lines) {
    if (!line.startsWith('|')) break;
    table.push(line.split('|').slice(1, -1).map((c) => c.trim().replace(/^`|`$/g, '')));
  }
  const [header, , ...rows] = table;
  return { header: header!, rows };
}
