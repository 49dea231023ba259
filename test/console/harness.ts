/**
 * What the console's browser tests share: the console built from its sources into a scratch
 * directory (so a test never reads a stale dist/console), a real server on port 0 serving it,
 * one Chromium per file (Debian's, as test/ecosystem/browser.test.ts drives it), and
 * screenshots into docs/screenshots (committed when they change; the README shows them).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';

export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ROOT = join(import.meta.dirname, '../..');
export const SCREENSHOTS = join(ROOT, 'docs/screenshots');

export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`\n!!! ${CHROMIUM} is missing: the console's browser tests are SKIPPED. Install it with "apt-get install -y chromium" (.ci/run does). !!!\n`);
}

/** On CI a missing browser fails, never a quiet skip (.ci/run installs Debian's chromium). */
export function failWithoutChromiumOnCi(): void {
  describe.runIf(!hasChromium && process.env.CI === 'true')('on CI', () => {
    it(`has Chromium at ${CHROMIUM} for the console's browser tests`, () => {
      expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: install it with "apt-get install -y chromium"`).toBe(true);
    });
  });
}

/** console/ built as `npm run build:console` builds it, into a scratch directory. */
export async function buildConsole(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'grantql-console-'));
  // vitest sets NODE_ENV=test, with which vite would bundle React's development build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: join(ROOT, 'console/vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  return outDir;
}

export interface ConsoleKit {
  s: TestServer;
  browser: Browser;
  /** http://127.0.0.1:PORT/console/ */
  consoleUrl: string;
  newPage(): Promise<Page>;
  stop(): Promise<void>;
}

export async function startConsole(): Promise<ConsoleKit> {
  const consoleDir = await buildConsole();
  const s = await startServer({ config: { console: true, consoleDir } });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  const pages: Page[] = [];
  return {
    s,
    browser,
    consoleUrl: `http://127.0.0.1:${s.port}/console/`,
    async newPage() {
      const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
      page.setDefaultTimeout(10_000);
      // Any script error or CSP violation fails the test that caused it.
      page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
      page.on('console', (m) => m.type() === 'error' && !/the server responded with a status of 4\d\d/.test(m.text()) && errors.push(`console error: ${m.text()}`));
      pages.push(page);
      return page;
    },
    async stop() {
      await Promise.all(pages.map((p) => p.close().catch(() => {})));
      await browser.close();
      await s.stop();
      rmSync(consoleDir, { recursive: true, force: true });
    },
  };
}

/** Script errors and CSP violations seen by any page (tests assert it stays empty). */
export const errors: string[] = [];

/** Signs in on the console's page with `key` and waits for the signed-in header. */
export async function signIn(page: Page, consoleUrl: string, key: string, email: string): Promise<void> {
  await page.goto(consoleUrl);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('banner').getByText(email).waitFor({ timeout: 10_000 });
}

const ARTIFACTS = join(ROOT, 'test/artifacts/console');

/**
 * A screenshot for the README: docs/screenshots/NAME.png when it is missing or with
 * GRANTQL_UPDATE_SCREENSHOTS=1 (then committed), else test/artifacts/console/NAME.png, so a
 * test run does not rewrite committed images whose only change is a time or a revision shown.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const docs = join(SCREENSHOTS, `${name}.png`);
  const dir = process.env.GRANTQL_UPDATE_SCREENSHOTS === '1' || !existsSync(docs) ? SCREENSHOTS : ARTIFACTS;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`) });
}
