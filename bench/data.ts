import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDatabase, type DbMeta } from './lib/load-db.js';
import { generate, GENERATOR_VERSION, SIZES, type Dataset, type SizeName } from './lib/model.js';

export { SIZES, type Dataset, type SizeName } from './lib/model.js';
export type { DbMeta } from './lib/load-db.js';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const CACHE_DIR = join(BENCH_DIR, '.cache');

export interface Prepared {
  ds: Dataset;
  /** Directory holding grantql.db, usable as GRANTQL_DATA_DIR. */
  dir: string;
  file: string;
  meta: DbMeta;
  /** Whether this call built the database (false: it came from the cache). */
  built: boolean;
}

/**
 * The data set of a size and its SQLite database, built once and cached under
 * bench/.cache/<size>/ (rebuilt when the generator changes). The data is regenerated
 * from its seed on every call, which is cheap and identical to what was loaded.
 */
export async function prepare(size: SizeName): Promise<Prepared> {
  const ds = generate(SIZES[size]);
  const { file, dir, meta, built } = await cachedDatabase(size, GENERATOR_VERSION, `data set ${size} (${ds.size.users} users, ${ds.size.grants} grants)`, (f) =>
    loadDatabase(ds, f, GENERATOR_VERSION),
  );
  return { ds, dir, file, meta, built };
}

/**
 * A database under bench/.cache/<name>/, built by `build(file)` when missing or when its
 * meta's version differs; built beside the cache entry and renamed, so an interrupted
 * build is never reused.
 */
export async function cachedDatabase<M extends { version: number; buildSeconds: number; revision: number }>(
  name: string,
  version: number,
  label: string,
  build: (file: string) => Promise<M>,
): Promise<{ dir: string; file: string; meta: M; built: boolean }> {
  const dir = join(CACHE_DIR, name);
  const file = join(dir, 'grantql.db');
  const metaFile = join(dir, 'meta.json');
  if (existsSync(metaFile)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as M;
    if (meta.version === version && existsSync(file)) return { dir, file, meta, built: false };
  }
  const tmp = join(CACHE_DIR, `${name}.building-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  process.stderr.write(`generating ${label}…\n`);
  const meta = await build(join(tmp, 'grantql.db'));
  writeFileSync(join(tmp, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  process.stderr.write(`  ${name} built in ${meta.buildSeconds.toFixed(1)} s (revision ${meta.revision})\n`);
  return { dir, file, meta, built: true };
}

/** Sizes to run: `--quick` → S,M; BENCH_SIZES=S,M,L overrides; default all three. */
export function selectedSizes(argv = process.argv): SizeName[] {
  const env = process.env.BENCH_SIZES;
  if (env) return env.split(',').map((s) => s.trim().toUpperCase()).filter((s): s is SizeName => s in SIZES);
  return argv.includes('--quick') ? ['S', 'M'] : ['S', 'M', 'L'];
}

// `tsx bench/data.ts S M L` builds (or checks) the cache without running a benchmark.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const sizes = process.argv.slice(2).filter((s): s is SizeName => s in SIZES);
  for (const size of sizes.length ? sizes : selectedSizes()) {
    const p = await prepare(size);
    process.stdout.write(`${size}: ${p.file} users=${p.meta.users} grants=${p.meta.grants} scopes=${p.meta.scopes} revision=${p.meta.revision}${p.built ? ' (built)' : ' (cached)'}\n`);
  }
}
