import type { Socket } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok } from '../helpers/server.js';
import { errors, failWithoutChromiumOnCi, hasChromium, screenshot, signIn, startConsole, type ConsoleKit } from './harness.js';

failWithoutChromiumOnCi();

describe.skipIf(!hasChromium)('console: the live change log (Chromium)', () => {
  let kit: ConsoleKit;
  let page: Page;
  const sockets = new Set<Socket>();
  const webSockets: string[] = [];
  beforeAll(async () => {
    kit = await startConsole();
    kit.s.app.server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    const gql = (q: string) => kit.s.gql(kit.s.ownerKey, q).then(ok);
    await gql('mutation { definePermissions(permissions: [{ key: "VIEW_USERS", level: ORG }]) { revision } }');
    await gql('mutation { a: createUser(input: { email: "ana@example.com" }) { revision } b: createUser(input: { email: "bob@example.com" }) { revision } }');
    page = await kit.newPage();
    page.on('websocket', (ws) => webSockets.push(ws.url()));
    await signIn(page, kit.consoleUrl, kit.s.ownerKey, 'owner@test.local');
  }, 60_000);
  afterAll(async () => kit?.stop());

  const grant = (user: string, operation = 'ADD') =>
    kit.s
      .gql(kit.s.ownerKey, `mutation { patchPermissions(patches: [{ user: "${user}", scope: "ORG", operation: ${operation}, permissions: ["VIEW_USERS"] }]) { revision } }`)
      .then((r) => ok(r).patchPermissions.revision as number);
  const live = () => page.getByRole('table', { name: 'Live changes' });
  const liveRevisions = async () => (await live().locator('tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-revision'))))) as number[];
  const waitLive = () => page.locator('.live-status[data-state="live"]').waitFor();

  it('shows the history, then a change made over the API while the page is open, without a reload', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Changes', exact: true }).click();
    const history = page.getByRole('table', { name: 'Change history' });
    await history.getByText('ana@example.com').first().waitFor();
    await waitLive();
    const sent = Date.now();
    const revision = await grant('ana@example.com');
    const row = live().locator(`tr[data-revision="${revision}"]`);
    await row.waitFor({ timeout: 5000 });
    expect(Date.now() - sent).toBeLessThan(3000);
    expect(await row.innerText()).toMatch(/GRANT_ADDED\s+owner@test\.local\s+ana@example\.com\s+ORG\s+VIEW_USERS/);
    await screenshot(page, 'changes');
    expect(webSockets, 'the page holds one WebSocket, the provider\'s').toHaveLength(1);
  });

  it('filters the log and the live stream by user', async () => {
    await page.getByLabel('Filter by user').fill('bob@example.com');
    await page.getByLabel('Grants').check();
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.getByRole('table', { name: 'Change history' }).or(page.getByText('No changes.').first()).first().isVisible()).toBe(true);
    await waitLive();
    await grant('ana@example.com', 'DELETE');
    const bobs = await grant('bob@example.com');
    await live().locator(`tr[data-revision="${bobs}"]`).waitFor();
    expect(await liveRevisions()).toEqual([bobs]); // ana's change was not for this filter
    // A filter the server refuses is said in its words.
    await page.getByLabel('Filter by user').fill('nobody@example.com');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.getByRole('alert').first().innerText()).toMatch(/nobody@example\.com/);
  });

  it('resumes after a lost connection: what was committed meanwhile arrives once, in order, then live again', async () => {
    await page.getByLabel('Filter by user').fill('');
    await page.getByLabel('Grants').uncheck();
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await waitLive();
    const first = await grant('ana@example.com');
    await live().locator(`tr[data-revision="${first}"]`).waitFor();

    // The network drops: every connection to the server is cut; two changes are committed before the page is back.
    for (const socket of sockets) socket.destroy();
    const missed = [await grant('ana@example.com', 'DELETE'), await grant('bob@example.com', 'DELETE')];
    await page.locator('.live-status[data-state="reconnecting"], .live-status[data-state="connecting"]').waitFor({ timeout: 5000 }).catch(() => {});
    await live().locator(`tr[data-revision="${missed[1]}"]`).waitFor({ timeout: 10_000 });
    await waitLive();
    const after = await grant('bob@example.com');
    await live().locator(`tr[data-revision="${after}"]`).waitFor();
    expect(await liveRevisions()).toEqual([after, missed[1], missed[0], first]);
    expect(errors.filter((e) => !/WebSocket/.test(e))).toEqual([]);
  });
});
