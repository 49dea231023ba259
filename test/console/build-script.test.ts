import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const run = promisify(execFile);
const made: string[] = [];
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

/**
 * A copy of what scripts/console-build.ts reads, in a scratch directory, with only the
 * node_modules named: the build script as `prepare` and `prestart` meet it elsewhere.
 */
function scratch(opts: { console: boolean; modules: string[] }): string {
  const dir = mkdtempSync(join(tmpdir(), 'grantql-console-build-'));
  made.push(dir);
  for (const path of ['scripts/console-build.ts', 'bin/built.js', 'src/config.ts', 'src/transport/console-files.ts', 'src/transport/cors.ts', 'package.json', 'tsconfig.json', ...(opts.console ? ['console', 'src/client', 'src/react'] : [])]) {
    cpSync(join(ROOT, path), join(dir, path), { recursive: true });
  }
  mkdirSync(join(dir, 'node_modules'));
  for (const m of opts.modules) symlinkSync(join(ROOT, 'node_modules', m), join(dir, 'node_modules', m), 'dir');
  return dir;
}

async function build(dir: string, args: string[], env: Record<string, string> = {}) {
  const r = await run(process.execPath, ['--import', 'tsx', 'scripts/console-build.ts', ...args], { cwd: dir, env: { ...process.env, NODE_ENV: '', GRANTQL_CONSOLE: '', ...env } });
  return r.stdout.trim();
}

describe('scripts/console-build.ts (npm run build:console, prepare, prestart)', () => {
  it('after an install without dev dependencies, prepare and prestart skip the build and say why; build:console fails', async () => {
    const dir = scratch({ console: true, modules: ['tsx', 'zod'] });
    expect(await build(dir, ['--if-possible'])).toBe('grantql console: not built: vite is a dev dependency and is not installed (npm ci --omit=dev); /console answers 503 until it is');
    expect(await build(dir, ['--if-stale'])).toMatch(/building it, as it is not built yet\ngrantql console: not built: vite is a dev dependency/);
    await expect(build(dir, [])).rejects.toThrow(/vite is not installed/);
    expect(existsSync(join(dir, 'dist/console'))).toBe(false);
  });

  it('without console/ (a packed copy) prepare skips it', async () => {
    const dir = scratch({ console: false, modules: ['tsx', 'zod', 'vite'] });
    expect(await build(dir, ['--if-possible'])).toBe('grantql console: not built (console/ is not here); /console answers 503 until it is');
  });

  it('prestart builds only when the console is on and the build is missing or older than its sources', async () => {
    const dir = scratch({ console: true, modules: ['tsx', 'zod', 'vite', 'react', 'react-dom', 'graphql-ws', 'scheduler', 'ws'] });
    expect(await build(dir, ['--if-stale'], { NODE_ENV: 'production' })).toBe('');
    expect(await build(dir, ['--if-stale'], { GRANTQL_CONSOLE: 'false' })).toBe('');
    expect(existsSync(join(dir, 'dist/console'))).toBe(false);
    expect(await build(dir, ['--if-stale'])).toMatch(/^grantql console: building it, as it is not built yet\ngrantql console: built into dist\/console in [\d.]+ s$/);
    const index = readFileSync(join(dir, 'dist/console/index.html'), 'utf8');
    expect(index).toMatch(/src="\/console\/assets\/index-[\w-]+\.js"/);
    expect(await build(dir, ['--if-stale'])).toBe(''); // current: nothing to do
    const later = new Date(Date.now() + 5000);
    utimesSync(join(dir, 'console/src/app.tsx'), later, later);
    expect(await build(dir, ['--if-stale'], { NODE_ENV: 'production' })).toBe(''); // off in production
    // On in production when asked; the edited source is newer than the build.
    expect(await build(dir, ['--if-stale'], { NODE_ENV: 'production', GRANTQL_CONSOLE: 'true' })).toMatch(/as its sources changed since it was built/);
  }, 60_000);
});
