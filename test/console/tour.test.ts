import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok } from '../helpers/server.js';
import { errors, failWithoutChromiumOnCi, hasChromium, screenshot, signIn, startConsole, type ConsoleKit } from './harness.js';

failWithoutChromiumOnCi();

const PROPERTY = 'D#1234567003789492274';

/** Fills a form's labelled fields (within `scope`) and presses its button. */
async function submit(scope: ReturnType<Page['locator']> | Page, fields: Record<string, string>, button: string) {
  for (const [label, value] of Object.entries(fields)) await scope.getByLabel(label, { exact: true }).fill(value);
  await scope.getByRole('button', { name: button, exact: true }).click();
}

const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true }).click();
const status = (page: Page, text: string | RegExp) => page.getByRole('status').filter({ hasText: text }).waitFor();

describe.skipIf(!hasChromium)("console: the README's tour without GraphiQL (Chromium)", () => {
  let kit: ConsoleKit;
  let page: Page;
  beforeAll(async () => {
    kit = await startConsole();
    page = await kit.newPage();
    await signIn(page, kit.consoleUrl, kit.s.ownerKey, 'owner@test.local');
  }, 60_000);
  afterAll(async () => kit?.stop());
  const gql = (q: string) => kit.s.gql(kit.s.ownerKey, q).then(ok);

  it('defines the catalog, creates a scope, a user and a role, as the tour does', async () => {
    await nav(page, 'Permissions');
    const define = page.getByRole('region', { name: 'Define a permission' });
    await submit(define, { Key: 'VIEW_USERS' }, 'Define permission');
    await status(page, 'Defined VIEW_USERS');
    await define.getByLabel('Level').selectOption('RESOURCE');
    await submit(define, { Key: 'P_VIEW_USERS', 'Resource types': 'property' }, 'Define permission');
    await status(page, 'Defined P_VIEW_USERS');
    await page.getByRole('cell', { name: 'P_VIEW_USERS' }).waitFor();

    await nav(page, 'Scopes');
    await submit(page.getByRole('region', { name: 'New scope' }), { Key: PROPERTY, Type: 'property', Name: 'Main street' }, 'Create scope');
    await status(page, `Created scope ${PROPERTY}`);
    await page.getByRole('navigation', { name: 'Scope tree' }).getByRole('link', { name: PROPERTY }).waitFor();

    await nav(page, 'Users');
    await submit(page.getByRole('region', { name: 'New user' }), { 'E-mail': 'ana@example.com', 'First name': 'Ana' }, 'Create user');
    await status(page, 'Created ana@example.com');
    await page.getByRole('link', { name: 'ana@example.com' }).waitFor();

    await nav(page, 'Roles');
    await submit(page.getByRole('region', { name: 'New role' }), { Name: 'Property viewer', 'Scope type': 'property', Permissions: 'P_VIEW_USERS' }, 'Create role');
    await status(page, 'Created role Property viewer');
    await page.getByRole('link', { name: 'Property viewer' }).waitFor();

    const catalog = await gql('{ permissions(level: RESOURCE) { key resourceTypes } scope(key: "D#1234567003789492274") { type name } role(ref: "Property viewer") { scopeType permissions } user(ref: "ana@example.com") { firstName } }');
    expect(catalog).toEqual({
      permissions: [{ key: 'P_VIEW_USERS', resourceTypes: ['property'] }],
      scope: { type: 'property', name: 'Main street' },
      role: { scopeType: 'property', permissions: ['P_VIEW_USERS'] },
      user: { firstName: 'Ana' },
    });
  });

  it("grants a permission and a role from a user's page (seen over the API), shows the effective permissions, and revokes them", async () => {
    await nav(page, 'Users');
    await page.getByLabel('Search users').fill('ana');
    await page.getByRole('link', { name: 'ana@example.com' }).click();
    await page.getByRole('heading', { level: 1, name: 'ana@example.com' }).waitFor();
    await page.getByRole('button', { name: 'Add grant' }).click();
    const grants = page.getByRole('region', { name: 'Grants' });
    await submit(grants, { 'Permission or role': 'VIEW_USERS', Scope: 'ORG' }, 'Grant');
    await status(page, 'Granted VIEW_USERS at ORG');
    await submit(grants, { 'Permission or role': 'Property viewer', Scope: PROPERTY }, 'Grant');
    await status(page, `Granted role Property viewer at ${PROPERTY}`);
    const held = await gql('{ user(ref: "ana@example.com") { grants { scope { key } permission role { name } } } }');
    expect(held.user.grants).toEqual(
      expect.arrayContaining([
        { scope: null, permission: 'VIEW_USERS', role: null },
        { scope: { key: PROPERTY }, permission: null, role: { name: 'Property viewer' } },
      ]),
    );
    // Effective permissions per scope: what each grant gives where.
    const effective = page.getByRole('table', { name: 'Effective permissions' });
    await expect.poll(() => effective.locator(`tr[data-scope="${PROPERTY}"]`).innerText()).toContain('P_VIEW_USERS');
    expect(await effective.locator('tr[data-scope="ORG"]').innerText()).toContain('VIEW_USERS');
    await screenshot(page, 'user');

    await page.getByRole('button', { name: `Revoke Property viewer at ${PROPERTY}` }).click();
    await status(page, `Revoked Property viewer at ${PROPERTY}`);
    await expect.poll(() => effective.locator(`tr[data-scope="${PROPERTY}"]`).innerText()).toContain('none');
    expect(await page.getByRole('button', { name: `Revoke Property viewer at ${PROPERTY}` }).count()).toBe(0);
    const after = await gql('{ can(user: "ana@example.com", permission: "P_VIEW_USERS", scope: "D#1234567003789492274") user(ref: "ana@example.com") { grants { permission role { name } } } }');
    expect(after.can).toBe(false);
    expect(after.user.grants.map((g: { permission: string | null; role: { name: string } | null }) => g.permission ?? g.role?.name).sort()).toEqual(['Member', 'VIEW_USERS']);
  });

  it('an unknown permission and an ORG flag on a property are refused in the server\'s words, and nothing is granted', async () => {
    const grants = page.getByRole('region', { name: 'Grants' });
    await submit(grants, { 'Permission or role': 'P_NOPE', Scope: PROPERTY }, 'Grant');
    await expect.poll(() => grants.getByRole('alert').innerText()).toMatch(/^Refused: .*P_NOPE/);
    await submit(grants, { 'Permission or role': 'VIEW_USERS', Scope: PROPERTY }, 'Grant');
    await expect.poll(() => grants.getByRole('alert').innerText()).toMatch(/VIEW_USERS/);
    const held = await gql('{ user(ref: "ana@example.com") { grants { permission role { name } } } }');
    expect(held.user.grants).toHaveLength(2);
  });

  it('grants with a window from the form, and a grant made over the API while the page is open shows there without a reload', async () => {
    const grants = page.getByRole('region', { name: 'Grants' });
    await grants.getByLabel('Permission or role').fill('P_VIEW_USERS');
    await grants.getByLabel('Scope').fill(PROPERTY);
    await grants.getByLabel('Expires at').fill('2099-01-31T12:00');
    await grants.getByRole('button', { name: 'Grant', exact: true }).click();
    await status(page, `Granted P_VIEW_USERS at ${PROPERTY}`);
    const expiresAt = new Date('2099-01-31T12:00').toISOString(); // the browser's time zone is this process's
    const held = await gql('{ grants(filter: { user: "ana@example.com", permission: "P_VIEW_USERS" }) { edges { node { expiresAt startsAt } } } }');
    expect(held.grants.edges).toEqual([{ node: { expiresAt, startsAt: null } }]);
    await expect.poll(() => grants.locator(`tr[data-grant="P_VIEW_USERS@${PROPERTY}"]`).innerText()).toMatch(/until .*2099/);

    await gql('mutation { patchPermissions(patches: [{ user: "ana@example.com", scope: "ORG", operation: DELETE, permissions: ["VIEW_USERS"] }]) { revision } }');
    await expect.poll(() => page.getByRole('button', { name: 'Revoke VIEW_USERS at ORG' }).count(), { timeout: 5000 }).toBe(0);
    await expect.poll(() => page.getByRole('table', { name: 'Effective permissions' }).locator('tr[data-scope="ORG"]').innerText()).toContain('none');
    await gql('mutation { patchPermissions(patches: [{ user: "ana@example.com", scope: "ORG", operation: ADD, permissions: ["VIEW_USERS"] }]) { revision } }');
    await page.getByRole('button', { name: 'Revoke VIEW_USERS at ORG' }).waitFor({ timeout: 5000 });
    await gql('mutation { patchPermissions(patches: [{ user: "ana@example.com", scope: "D#1234567003789492274", operation: DELETE, permissions: ["P_VIEW_USERS"] }]) { revision } }');
  });

  it('Check answers Allowed or Denied with the reason', async () => {
    await gql('mutation { patchPermissions(patches: [{ user: "ana@example.com", scope: "D#1234567003789492274", operation: ADD, roles: ["Property viewer"] }]) { revision } }');
    await nav(page, 'Check');
    await submit(page, { User: 'ana@example.com', Permission: 'P_VIEW_USERS', Scope: PROPERTY }, 'Check');
    const verdict = page.getByRole('region', { name: 'Allowed' });
    await verdict.waitFor();
    expect(await verdict.innerText()).toMatch(/Property viewer/);
    await screenshot(page, 'check');
    await submit(page, { User: 'ana@example.com', Permission: 'VIEW_USERS', Scope: PROPERTY }, 'Check');
    const denied = page.getByRole('region', { name: 'Denied' });
    await denied.waitFor();
    const reason = (await denied.locator('.reason').innerText()).trim();
    const api = await gql('{ check(checks: [{ user: "ana@example.com", permission: "VIEW_USERS", scope: "D#1234567003789492274" }]) { allowed reason } }');
    expect(api.check[0]).toEqual({ allowed: false, reason });
    // A refusal (an unknown user) is said, not shown as Denied.
    await submit(page, { User: 'nobody@example.com', Permission: 'VIEW_USERS', Scope: 'ORG' }, 'Check');
    await expect.poll(() => page.getByRole('alert').innerText()).toMatch(/nobody@example.com/);
    expect(await page.getByRole('region', { name: /Allowed|Denied/ }).count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
