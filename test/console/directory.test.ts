import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok } from '../helpers/server.js';
import { errors, failWithoutChromiumOnCi, hasChromium, screenshot, signIn, startConsole, type ConsoleKit } from './harness.js';

failWithoutChromiumOnCi();

const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true }).click();
const status = (page: Page, text: string | RegExp) => page.getByRole('status').filter({ hasText: text }).waitFor();

describe.skipIf(!hasChromium)('console: groups, roles and scopes (Chromium)', () => {
  let kit: ConsoleKit;
  let page: Page;
  const gql = (q: string) => kit.s.gql(kit.s.ownerKey, q).then(ok);
  const sockets: string[] = [];
  beforeAll(async () => {
    kit = await startConsole();
    await gql(`mutation {
      definePermissions(permissions: [{ key: "VIEW_USERS", level: ORG }, { key: "P_VIEW", level: RESOURCE, resourceTypes: ["property"] }, { key: "P_EDIT", level: RESOURCE, resourceTypes: ["property"] }]) { revision }
      r: createScope(input: { key: "region-north", type: "region", name: "North" }) { revision }
      a: createUser(input: { email: "ana@example.com" }) { revision }
      b: createUser(input: { email: "bob@example.com" }) { revision }
    }`);
    await gql('mutation { createScope(input: { key: "D#1", type: "property", name: "Main street", parent: "region-north" }) { revision } }');
    page = await kit.newPage();
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await signIn(page, kit.consoleUrl, kit.s.ownerKey, 'owner@test.local');
  }, 60_000);
  afterAll(async () => kit?.stop());

  it('creates groups, adds a user and a group as members, grants the group, and refuses a cycle in the API\'s words', async () => {
    await nav(page, 'Groups');
    const create = page.getByRole('region', { name: 'New group' });
    for (const key of ['staff', 'eng']) {
      await create.getByLabel('Key').fill(key);
      await create.getByRole('button', { name: 'Create group' }).click();
      await status(page, `Created group ${key}`);
    }
    await page.getByRole('link', { name: 'staff', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Group staff' }).waitFor();
    const members = page.getByRole('region', { name: /^Members/ });
    await members.getByLabel('Member', { exact: true }).fill('ana@example.com');
    await members.getByRole('button', { name: 'Add member' }).click();
    await members.getByRole('link', { name: 'ana@example.com' }).waitFor();
    await members.getByLabel('Member kind').selectOption('groups');
    await members.getByLabel('Member', { exact: true }).fill('eng');
    await members.getByRole('button', { name: 'Add member' }).click();
    await members.getByRole('link', { name: 'group eng' }).waitFor();
    // The group's grant reaches its members.
    await page.getByRole('button', { name: 'Add grant' }).click();
    const grants = page.getByRole('region', { name: 'Grants' });
    await grants.getByLabel('Permission or role').fill('P_VIEW');
    await grants.getByLabel('Scope').fill('region-north');
    await grants.getByRole('button', { name: 'Grant', exact: true }).click();
    await status(page, 'Granted P_VIEW at region-north');
    expect(ok(await kit.s.gql(kit.s.ownerKey, '{ can(user: "ana@example.com", permission: "P_VIEW", scope: "D#1") }')).can).toBe(true);
    await screenshot(page, 'group');

    // staff contains eng: eng may not contain staff.
    await page.goto(`${kit.consoleUrl}#/groups/eng`);
    await page.getByRole('heading', { level: 1, name: 'Group eng' }).waitFor();
    const engMembers = page.getByRole('region', { name: /^Members/ });
    await engMembers.getByLabel('Member kind').selectOption('groups');
    await engMembers.getByLabel('Member', { exact: true }).fill('staff');
    await engMembers.getByRole('button', { name: 'Add member' }).click();
    await expect.poll(() => engMembers.getByRole('alert').innerText()).toMatch(/^Refused: .*cycle/);
    const eng = await gql('{ group(ref: "eng") { members { totalCount } memberOf { key } } }');
    expect(eng.group).toEqual({ members: { totalCount: 0 }, memberOf: [{ key: 'staff' }] });
  });

  it("removes a member and edits and deletes a group, each seen over the API; a change made elsewhere shows on the open page", async () => {
    await page.goto(`${kit.consoleUrl}#/groups/staff`);
    const members = page.getByRole('region', { name: /^Members/ });
    await members.getByRole('button', { name: 'Remove ana@example.com' }).click();
    await status(page, /^Removed ana@example.com/);
    expect(ok(await kit.s.gql(kit.s.ownerKey, '{ can(user: "ana@example.com", permission: "P_VIEW", scope: "D#1") }')).can).toBe(false);
    // Over the API, while the page is open: the page follows its group's changes.
    await gql('mutation { addGroupMembers(group: "staff", users: ["bob@example.com"]) { revision } }');
    await members.getByRole('link', { name: 'bob@example.com' }).waitFor({ timeout: 5000 });
    const edit = page.getByRole('region', { name: 'Edit' });
    await edit.getByLabel('Name').fill('All staff');
    await edit.getByRole('button', { name: 'Save group' }).click();
    await status(page, /^Saved/);
    expect((await gql('{ group(ref: "staff") { name } }')).group.name).toBe('All staff');
    await page.goto(`${kit.consoleUrl}#/groups/eng`);
    await page.getByRole('button', { name: 'Delete group' }).click();
    await page.getByRole('button', { name: 'Yes, delete group eng' }).click();
    await page.getByRole('heading', { level: 1, name: 'Groups' }).waitFor();
    expect((await gql('{ group(ref: "eng") { id } }')).group).toBeNull();
  });

  it("edits a custom role's permissions, lists its members, and shows the refusal to edit a system role", async () => {
    await gql('mutation { createRole(input: { name: "Viewer", scopeType: "property", permissions: ["P_VIEW"] }) { revision } }');
    await gql('mutation { patchPermissions(patches: [{ user: "bob@example.com", scope: "D#1", operation: ADD, roles: ["Viewer"] }]) { revision } }');
    await nav(page, 'Roles');
    await page.getByRole('link', { name: 'Viewer', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Role Viewer' }).waitFor();
    await page.getByRole('region', { name: 'Members' }).getByRole('link', { name: 'bob@example.com' }).waitFor();
    await page.getByLabel('P_EDIT').check();
    await page.getByRole('button', { name: 'Save role' }).click();
    await status(page, /^Saved role Viewer/);
    expect((await gql('{ role(ref: "Viewer") { permissions } can(user: "bob@example.com", permission: "P_EDIT", scope: "D#1") }'))).toEqual({ role: { permissions: ['P_EDIT', 'P_VIEW'] }, can: true });
    await screenshot(page, 'role');

    await nav(page, 'Roles');
    await page.getByRole('link', { name: 'Administrator', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Role Administrator' }).waitFor();
    await page.getByRole('button', { name: 'Delete role' }).click();
    await expect.poll(() => page.getByRole('region', { name: 'Edit' }).getByRole('alert').innerText()).toMatch(/system role "Administrator" cannot be deleted/);
    expect((await gql('{ role(ref: "Administrator") { discardedAt } }')).role.discardedAt).toBeNull();
  });

  it('draws the scope tree and, for a scope, who holds each permission there (whoCan), inherited grants included', async () => {
    await nav(page, 'Scopes');
    const tree = page.getByRole('navigation', { name: 'Scope tree' });
    // D#1 is drawn under region-north.
    await tree.locator('li', { hasText: 'region-north' }).getByRole('link', { name: 'D#1' }).waitFor();
    await gql('mutation { patchPermissions(patches: [{ user: "ana@example.com", scope: "region-north", operation: ADD, permissions: ["P_EDIT"] }]) { revision } }');
    await tree.getByRole('link', { name: 'D#1' }).click();
    await page.getByRole('heading', { level: 1, name: 'D#1' }).waitFor();
    const holders = page.getByRole('table', { name: 'Who holds what here' });
    const edit = holders.locator('tr[data-permission="P_EDIT"]');
    await expect.poll(() => edit.innerText()).toMatch(/P_EDIT\s+3\s/);
    for (const email of ['owner@test.local', 'ana@example.com', 'bob@example.com']) expect(await edit.innerText()).toContain(email);
    const api = await gql('{ whoCan(permission: "P_EDIT", scope: "D#1") { totalCount } }');
    expect(api.whoCan.totalCount).toBe(3);
    // ORG-level permissions do not take effect on a property: not listed.
    expect(await holders.locator('tr[data-permission="VIEW_USERS"]').count()).toBe(0);
    await page.getByRole('region', { name: 'Grants on this scope' }).getByRole('link', { name: 'bob@example.com' }).waitFor();
    await screenshot(page, 'scope');

    // Names are text, never markup: a scope named like an injection shows as written and runs nothing.
    const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    await gql(`mutation { createScope(input: { key: "evil", type: "property", name: ${JSON.stringify(evil)}, parent: "D#1" }) { revision } }`);
    await nav(page, 'Scopes');
    await page.getByRole('navigation', { name: 'Scope tree' }).getByRole('link', { name: 'evil' }).click();
    await page.getByText(`property: ${evil}`).waitFor();
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(new Set(sockets).size, 'every live part shares one WebSocket').toBe(1);
    expect(sockets).toHaveLength(1);
    expect(errors).toEqual([]);
  });
});
