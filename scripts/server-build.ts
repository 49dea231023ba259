/**
 * Compiles the server (src/ but its client libraries) to JavaScript in build/, which
 * `npm start` and the grantql command run when it is current (bin/built.js), so nothing is
 * transpiled at start (0.7 s of a start at L, measured by bench/startup.ts). Run by:
 *   npm run build:server        always; fails when it cannot
 *   prepare (npm ci)            --if-possible: skips, saying why, where TypeScript (a dev
 *                               dependency) is absent (npm ci --omit=dev)
 *   prestart (npm start)        --if-stale: only when build/ is missing or older than src/
 * Where it is not built, everything still runs from the TypeScript source through tsx.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BUILD_DIR, ROOT, serverStaleness, STAMP } from '../bin/built.js';

function tscPath(): string | null {
  try {
    return createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    return null;
  }
}

export function buildServer(): number {
  const tsc = tscPath();
  if (!tsc) throw new Error('TypeScript is not installed (a dev dependency): npm ci without --omit=dev');
  const started = Date.now();
  rmSync(BUILD_DIR, { recursive: true, force: true });
  execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.server.json')], { stdio: 'inherit' });
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  return Date.now() - started;
}

function main(args: string[]): void {
  const say = (line: string): void => void process.stdout.write(`grantql server: ${line}\n`);
  const lenient = args.includes('--if-possible') || args.includes('--if-stale');
  const why = args.includes('--if-stale') ? serverStaleness() : 'asked';
  if (why === null) return;
  if (lenient && (!tscPath() || !existsSync(join(ROOT, 'tsconfig.server.json')))) {
    say('not compiled: TypeScript or tsconfig.server.json is absent (npm ci --omit=dev); it runs from source through tsx');
    return;
  }
  if (args.includes('--if-stale')) say(`compiling it to build/, as ${why} (about 10 s)`);
  const ms = buildServer();
  say(`compiled into build/ in ${(ms / 1000).toFixed(1)} s`);
}

main(process.argv.slice(2));
