/**
 * The package as a user gets it: `npm pack` of a copy of the repository's published
 * paths, then `npm ci` of that tarball in a scratch project, offline.
 *
 * Why a lockfile: without one, npm resolves the tarball's dependencies from registry
 * metadata, which `npm ci` never downloads (it reads URLs and hashes from the lockfile),
 * so the cache holds the dependencies' tarballs but not their metadata and an offline
 * `npm install <tarball>` fails. The scratch project's lockfile is the repository's own
 * runtime entries (the exact versions the tests ran with), so `npm ci --offline` installs
 * them from the cache that the repository's `npm ci` filled: no network, ~5 s.
 * NODE_PATH would not do: ESM `import` ignores it.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const ROOT = join(import.meta.dirname, '../..');
const run = promisify(execFile);

interface LockEntry {
  dev?: boolean;
  link?: boolean;
  [k: string]: unknown;
}

/** Runs a command; a failure throws with everything it printed. */
export async function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 });
    return stdout;
  } catch (err) {
    const e = err as { message: string; stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/**
 * Copies what package.json "files" names (plus the build's inputs) to `dir/stage`, adds
 * `decoys` (paths that must never ship), and packs it there, so `prepack` builds
 * dist/client and dist/react from scratch and the repository's own tree is never written.
 */
export async function packClient(dir: string, decoys: string[]): Promise<{ tarball: string; files: string[] }> {
  const stage = join(dir, 'stage');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
  for (const path of [...pkg.files.filter((f) => !f.startsWith('dist')), 'package.json', 'README.md', 'LICENSE', 'tsconfig.json', 'tsconfig.client.json', 'tsconfig.react.json']) {
    cpSync(join(ROOT, path), join(stage, path), { recursive: true });
  }
  for (const decoy of decoys) {
    mkdirSync(join(stage, decoy, '..'), { recursive: true });
    writeFileSync(join(stage, decoy), 'secret\n');
  }
  symlinkSync(join(ROOT, 'node_modules'), join(stage, 'node_modules'), 'dir');
  const [packed] = JSON.parse(await sh('npm', ['pack', '--json', '--pack-destination', dir], stage)) as Array<{ filename: string; files: Array<{ path: string }> }>;
  return { tarball: join(dir, packed!.filename), files: packed!.files.map((f) => f.path) };
}

/** A scratch project (ESM) at `dir/app` with the tarball installed offline; returns its path. */
export async function installScratch(dir: string, tarball: string): Promise<string> {
  const app = join(dir, 'app');
  mkdirSync(app);
  const spec = `file:${tarball}`;
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const packages: Record<string, unknown> = {
    '': { name: 'app', dependencies: { grantql: spec } },
    'node_modules/grantql': { version: pkg.version, resolved: spec, license: pkg.license, dependencies: pkg.dependencies, engines: pkg.engines, bin: pkg.bin },
  };
  for (const [path, entry] of Object.entries(lock.packages)) if (path && !entry.dev && !entry.link) packages[path] = entry;
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', dependencies: { grantql: spec } }));
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify({ name: 'app', lockfileVersion: 3, requires: true, packages }));
  // --ignore-scripts: the client needs no native build (better-sqlite3 is the server's).
  await sh('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], app).catch((err: Error) => {
    throw new Error(`${err.message}\n(an offline install reads npm's cache: run npm ci in the repository first, it fills the cache)`);
  });
  return app;
}
