import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ok, startServer, userWithKey, type TestServer } from '../helpers/server.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '../artifacts');
// Flags this machine needs: no sandbox as root, and no calls home on a closed network.
const FLAGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`\n!!! ${CHROMIUM} is missing: the browser tests are SKIPPED. Install it with "apt-get install -y chromium" (.ci/run does). !!!\n`);
}

/** The built example page (vite build), served as static files. */
async function serveExample(): Promise<{ url: string; server: Server }> {
  const outDir = mkdtempSync(join(tmpdir(), 'grantql-web-'));
  await build({ configFile: join(import.meta.dirname, '../../examples/web/vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  const server = createServer((req, res) => {
    const path = normalize(new URL(req.url ?? '/', 'http://x').pathname).replace(/^(\.\.[/\\])+/, '');
    const file = join(outDir, path === '/' ? 'index.html' : path);
    if (!file.startsWith(outDir) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

// On CI a missing browser is a failure, never a quiet skip (.ci/run installs Debian's chromium).
describe.runIf(!hasChromium && process.env.CI === 'true')('on CI', () => {
  it(`has Chromium at ${CHROMIUM} for the browser tests`, () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: install it with "apt-get install -y chromium"`).toBe(true);
  });
});

describe.skipIf(!hasChromium)('in a real browser (Chromium)', () => {
  let browser: Browser;
  let page: Page;
  let s: TestServer | null = null;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // playwright-core gives every launch a fresh temporary profile (--user-data-dir).
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  });
  afterAll(async () => browser?.close());
  afterEach(async () => {
    await page?.close();
    await s?.stop();
    s = null;
  });

  it('GraphiQL sends no key until one is put in its headers, says where the key is, and keeps the headers across a reload', async () => {
    s = await startServer();
    const key = s.ownerKey;
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const sent: Array<{ authorization: string | null; introspection: boolean }> = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') sent.push({ authorization: r.headers().authorization ?? null, introspection: (r.postData() ?? '').includes('IntrospectionQuery') });
    });
    await page.goto(s.url);
    await page.locator('.graphiql-container').first().waitFor({ timeout: 20_000 });
    await expect.poll(() => sent.filter((r) => r.introspection).length, { timeout: 10_000 }).toBeGreaterThan(0);
    // The first introspection goes without a key (and is refused as such), never with a placeholder.
    expect(sent.map((r) => r.authorization)).toEqual(sent.map(() => null));

    const query = page.locator('.graphiql-query-editor .monaco-editor').first();
    const welcome = (await query.innerText()).replace(/\s+/g, ' ');
    expect(welcome).toContain('data/owner.key');
    expect(welcome).toContain('{"Authorization": "Bearer <the key>"}');
    await page.getByRole('button', { name: 'Headers' }).click();
    const headers = page.locator('.graphiql-editor-tool .monaco-editor').last();
    expect((await headers.innerText()).replace(/^\s*1\s*$/, '')).toBe(''); // line number only: empty

    await headers.click();
    await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${key}` }));
    await page.keyboard.press('Shift+Control+R'); // re-fetch the schema, as the welcome text says
    await expect.poll(() => sent.some((r) => r.introspection && r.authorization === `Bearer ${key}`), { timeout: 10_000 }).toBe(true);
    await page.locator('.graphiql-execute-button').click(); // the welcome query
    const response = page.locator('.graphiql-response');
    await expect.poll(async () => (await response.innerText()).replace(/\s+/g, ' '), { timeout: 10_000 }).toContain('"email": "owner@test.local"');
    await page.screenshot({ path: join(ARTIFACTS, 'graphiql.png') });

    // A reload keeps the headers (GraphiQL writes them to localStorage, debounced), so its first introspection has the key.
    await expect.poll(() => page.evaluate((k) => Object.values(localStorage).some((v) => v.includes(k)), key), { timeout: 10_000 }).toBe(true);
    const before = sent.length;
    await page.reload();
    await page.locator('.graphiql-container').first().waitFor({ timeout: 20_000 });
    await expect.poll(() => sent.slice(before).find((r) => r.introspection)?.authorization, { timeout: 10_000 }).toBe(`Bearer ${key}`);
    await expect.poll(() => page.locator('.graphiql-editor-tool .monaco-editor').last().innerText()).toContain(key);
    // A new tab starts without headers: GraphiQL gives new tabs only defaultHeaders (the welcome text says so).
    await page.getByRole('button', { name: 'New tab' }).click();
    await expect.poll(async () => (await page.locator('.graphiql-editor-tool .monaco-editor').last().innerText()).includes(key)).toBe(false);
  });

  it('the example page shows a grant appear, then go, within a second of each patchPermissions', async () => {
    s = await startServer();
    const t = s;
    const { url, server } = await serveExample();
    try {
      ok(await t.gql(t.ownerKey, 'mutation { definePermissions(permissions: [{ key: "P_VIEW_USERS", level: RESOURCE, resourceTypes: ["property"] }]) { revision } }'));
      ok(await t.gql(t.ownerKey, 'mutation { createScope(input: { key: "D#1234567003789492274", type: "property", name: "Main street" }) { revision } }'));
      const ana = await userWithKey(t, t.ownerKey, 'ana@example.com');

      page = await browser.newPage({ viewport: { width: 1100, height: 600 } });
      await page.goto(`${url}?api=${encodeURIComponent(t.url)}`);
      await page.fill('#api-key', ana.key);
      await page.click('button[type=submit]');
      const row = page.locator('tr[data-scope="D#1234567003789492274"]');
      await row.locator('li.none').waitFor({ timeout: 10_000 });
      await page.locator('#status[data-state="live"]').waitFor();
      await expect.poll(() => page.locator('#viewer').innerText()).toContain('ana@example.com');

      const patch = (operation: string) =>
        t.gql(t.ownerKey, `mutation { patchPermissions(patches: [{ user: "ana@example.com", scope: "D#1234567003789492274", operation: ${operation}, permissions: ["P_VIEW_USERS"] }]) { revision } }`);
      let sent = Date.now();
      const granted = ok(await patch('ADD')).patchPermissions.revision;
      await row.locator('[data-permission="P_VIEW_USERS"]').waitFor({ timeout: 1000 });
      expect(Date.now() - sent).toBeLessThan(1000);
      expect(await row.getAttribute('data-revision')).toBe(String(granted));
      expect(await page.locator('tr[data-scope="ORG"] li').allInnerTexts()).toEqual(['none']);
      await page.screenshot({ path: join(ARTIFACTS, 'example-granted.png') });

      sent = Date.now();
      ok(await patch('DELETE'));
      await row.locator('li.none').waitFor({ timeout: 1000 });
      expect(Date.now() - sent).toBeLessThan(1000);
      expect(await row.locator('[data-permission]').count()).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
