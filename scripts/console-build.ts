/**
 * Builds the console (console/, Vite + React) into dist/console, which the server serves at
 * /console. Run by:
 *   npm run build:console                      always; fails when it cannot
 *   prepare (after npm ci / npm install)       --if-possible: skips, saying why, where vite (a dev
 *                                              dependency) or console/ is absent (npm ci --omit=dev,
 *                                              the Dockerfile's dependency stage)
 *   prestart (npm start)                       --if-stale: only when GRANTQL_CONSOLE is on and the
 *                                              build is missing or older than its sources (a git pull)
 * Tests build their own copy (test/console/harness.ts) and never write dist/console.
 */
import { existsSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { newestMtime } from '../bin/built.js';
import { loadConfig } from '../src/config.js';
import { DEFAULT_CONSOLE_DIR } from '../src/transport/console-files.js';

const ROOT = join(import.meta.dirname, '..');
const CONFIG = join(ROOT, 'console/vite.config.ts');
/** What the bundle is made of: the console and the two packages it imports as source. */
const SOURCES = ['console', 'src/client', 'src/react'].map((p) => join(ROOT, p));

/** Why the build in `outDir` should be made again, or null when it is current. */
export function staleness(outDir = DEFAULT_CONSOLE_DIR): string | null {
  const index = join(outDir, 'index.html');
  if (!existsSync(index)) return 'it is not built yet';
  return Math.max(...SOURCES.map((s) => newestMtime(s))) > statSync(index).mtimeMs ? 'its sources changed since it was built' : null;
}

export async function buildConsole(outDir = DEFAULT_CONSOLE_DIR): Promise<number> {
  const started = Date.now();
  // What the server serves is the production build, whatever NODE_ENV the shell has.
  process.env.NODE_ENV = 'production';
  const { build } = await import('vite');
  await build({ configFile: CONFIG, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  return Date.now() - started;
}

async function main(args: string[]): Promise<void> {
  const ifPossible = args.includes('--if-possible') || args.includes('--if-stale');
  const say = (line: string): void => void process.stdout.write(`grantql console: ${line}\n`);
  if (args.includes('--if-stale')) {
    let on = false;
    try {
      on = loadConfig().console;
    } catch {
      return; // the server says what is wrong with the environment
    }
    if (!on) return;
    const why = staleness();
    if (!why) return;
    say(`building it, as ${why}`);
  }
  if (!existsSync(CONFIG)) {
    if (ifPossible) return say('not built (console/ is not here); /console answers 503 until it is');
    throw new Error(`${relative(process.cwd(), CONFIG)} is missing`);
  }
  try {
    await import('vite');
  } catch {
    if (ifPossible) return say('not built: vite is a dev dependency and is not installed (npm ci --omit=dev); /console answers 503 until it is');
    throw new Error('vite is not installed: run npm ci (with the dev dependencies) first');
  }
  const ms = await buildConsole();
  say(`built into ${relative(process.cwd(), DEFAULT_CONSOLE_DIR) || DEFAULT_CONSOLE_DIR} in ${(ms / 1000).toFixed(1)} s`);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`grantql console: the build failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
