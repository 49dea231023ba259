// The server compiled to JavaScript (npm run build:server, run by prepare and prestart):
// bin/grantql.js runs build/ while it is current and the TypeScript source as soon as any
// source is newer, so a checkout never runs stale code; without TypeScript (npm ci
// --omit=dev) the build is skipped with the reason and everything runs from source.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const run = promisify(execFile);
const made: string[] = [];
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

function scratch(modules: 'all' | string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'grantql-server-build-'));
  made.push(dir);
  for (const path of ['bin', 'src', 'scripts/server-build.ts', 'drizzle', 'presets', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.server.json']) {
    cpSync(join(ROOT, path), join(dir, path), { recursive: true });
  }
  if (modules === 'all') symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  else {
    mkdirSync(join(dir, 'node_modules'));
    for (const m of modules) symlinkSync(join(ROOT, 'node_modules', m), join(dir, 'node_modules', m), 'dir');
  }
  return dir;
}

const grantql = (dir: string, ...args: string[]) => run(process.execPath, ['bin/grantql.js', ...args], { cwd: dir, env: { ...process.env, GRANTQL_FROM_SOURCE: '' } });

it('compiles src/ into build/, runs it while current, and runs the source once a source is newer', async () => {
  const dir = scratch('all');
  const built = await run(process.execPath, ['--import', 'tsx', 'scripts/server-build.ts', '--if-stale'], { cwd: dir });
  expect(built.stdout).toMatch(/compiling it to build\/, as it is not built yet[\s\S]*compiled into build\//);
  expect(readdirSync(join(dir, 'build'))).toEqual(expect.arrayContaining(['main.js', 'cli.js', 'app.js']));
  expect(readdirSync(join(dir, 'build'))).not.toContain('react');
  // Current: a second --if-stale does nothing.
  expect((await run(process.execPath, ['--import', 'tsx', 'scripts/server-build.ts', '--if-stale'], { cwd: dir })).stdout).toBe('');

  // Break the source but keep it older than the build: what runs is build/.
  const cli = join(dir, 'src/cli.ts');
  writeFileSync(cli, 'throw new Error("the TypeScript source ran");\n');
  const past = new Date(Date.now() - 3_600_000);
  utimesSync(cli, past, past);
  expect((await grantql(dir, 'help')).stdout).toContain('usage: grantql');

  // Now newer than the build: the source runs (and here fails, as it was broken on purpose).
  const now = new Date(Date.now() + 1000);
  utimesSync(cli, now, now);
  await expect(grantql(dir, 'help')).rejects.toMatchObject({ stderr: expect.stringContaining('the TypeScript source ran') });
}, 120_000);

it('without TypeScript (npm ci --omit=dev) skips the build, says why, and runs from source', async () => {
  const dir = scratch(['tsx', 'esbuild', 'get-tsconfig', 'resolve-pkg-maps', '@esbuild']);
  const r = await run(process.execPath, ['--import', 'tsx', 'scripts/server-build.ts', '--if-possible'], { cwd: dir });
  expect(r.stdout).toContain('not compiled: TypeScript or tsconfig.server.json is absent');
  await expect(run(process.execPath, ['--import', 'tsx', 'scripts/server-build.ts'], { cwd: dir })).rejects.toMatchObject({ stderr: expect.stringContaining('TypeScript is not installed') });
});
