import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, ok, userWithKey } from '../helpers/server.js';
import { errors, failWithoutChromiumOnCi, hasChromium, screenshot, signIn, startConsole, type ConsoleKit } from './harness.js';

failWithoutChromiumOnCi();

describe.skipIf(!hasChromium)('console: signing in (Chromium)', () => {
  let kit: ConsoleKit;
  beforeAll(async () => {
    kit = await startConsole();
  }, 60_000);
  afterAll(async () => kit?.stop());

  it('signs in with the owner key and shows the e-mail, the organization and every page; the key stays out of the URL and localStorage', async () => {
    const page = await kit.newPage();
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    await page.goto(kit.consoleUrl);
    await screenshot(page, 'sign-in');
    await signIn(page, kit.consoleUrl, kit.s.ownerKey, 'owner@test.local');
    const banner = page.getByRole('banner');
    await expect.poll(() => banner.innerText()).toContain('default');
    for (const name of ['Users', 'Groups', 'Scopes', 'Roles', 'Changes', 'Check']) {
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true }).click();
      await page.getByRole('heading', { level: 1, name, exact: true }).waitFor();
    }
    expect(urls.some((u) => u.includes(kit.s.ownerKey)), 'no request URL carries the key').toBe(false);
    expect(page.url()).not.toContain(kit.s.ownerKey);
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(kit.s.ownerKey);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    // The tab keeps it (sessionStorage) across a reload; "Sign out" forgets it.
    await page.reload();
    await page.getByRole('banner').getByText('owner@test.local').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate(() => JSON.stringify(sessionStorage))).not.toContain(kit.s.ownerKey);
    await page.reload();
    await page.getByLabel('API key').waitFor();
    expect(errors).toEqual([]);
  });

  it('a wrong key is refused in words and nothing else is shown', async () => {
    const page = await kit.newPage();
    await page.goto(kit.consoleUrl);
    await page.getByLabel('API key').fill('gq_not_a_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.innerText()).toMatch(/refused the API key/);
    expect(await page.getByRole('navigation', { name: 'Console' }).count()).toBe(0);
  });

  it("a plain user's key: the pages it may not read and a grant it may not make are refused in words, and nothing is granted", async () => {
    const t = kit.s;
    ok(await t.gql(t.ownerKey, 'mutation { definePermissions(permissions: [{ key: "VIEW_USERS", level: ORG }]) { revision } }'));
    const bob = await userWithKey(t, t.ownerKey, 'bob@example.com');
    const page: Page = await kit.newPage();
    await signIn(page, kit.consoleUrl, bob.key, 'bob@example.com');
    // The user list needs directory rights.
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').first().innerText()).toMatch(/^Not allowed: /);
    // Its own page it may read; granting itself something it does not hold is refused.
    await page.goto(`${kit.consoleUrl}#/users/bob@example.com`);
    await page.getByRole('heading', { level: 1, name: 'bob@example.com' }).waitFor();
    await page.getByRole('button', { name: 'Add grant' }).click();
    await page.getByLabel('Permission or role').fill('VIEW_USERS');
    await page.getByRole('button', { name: 'Grant', exact: true }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'to change grants' });
    await refusal.waitFor();
    expect(await refusal.innerText()).toBe('Not allowed: you need MANAGE_GRANTS or ADMINISTRATOR to change grants');
    // What it may not read for the form is said too, not hidden.
    expect(await page.getByRole('alert').filter({ hasText: 'The roles cannot be offered' }).innerText()).toMatch(/to read roles$/);
    await screenshot(page, 'refusal');
    const can = await t.gql(t.ownerKey, '{ can(user: "bob@example.com", permission: "VIEW_USERS") }');
    expect(ok(can).can).toBe(false);
    expect(codeOf(await t.gql(bob.key, '{ users { totalCount } }'))).toBe('FORBIDDEN');
  });
});
