import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
// tsx's loader in the same process: a signal (SIGKILL in the crash test) must reach the
// server itself, not a tsx wrapper that would leave the real server running.
const TSX = ['--import', 'tsx'];

/** A port that was free a moment ago (the server does not print the port it got from 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface Child {
  proc: ChildProcess;
  url: string;
  ownerKey: string;
  output(): string;
}

/**
 * `src/main.ts` in its own process on a data directory; resolves once /health answers.
 * `stdout: 'unread'` leaves its stdout a pipe nobody reads (a stalled log collector).
 * `ownerKeyDir`: where owner.key is read from (default `dataDir`; a replica on a shared
 * database that did not create the organization has none of its own); null reads none
 * (ownerKey is then '').
 */
export async function startChild(
  dataDir: string,
  env: Record<string, string> = {},
  opts: { stdout?: 'read' | 'unread'; ownerKeyDir?: string | null } = {},
): Promise<Child> {
  const port = await freePort();
  const proc = spawn(process.execPath, [...TSX, 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, GRANTQL_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', GRANTQL_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  if (opts.stdout !== 'unread') proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}:\n${out}`);
    if (Date.now() > deadline) throw new Error(`server did not start:\n${out}`);
    const up = await fetch(`${base}/health`).then((r) => r.ok, () => false);
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const keyDir = opts.ownerKeyDir === undefined ? dataDir : opts.ownerKeyDir;
  const ownerKey = keyDir === null ? '' : readFileSync(join(keyDir, 'owner.key'), 'utf8').trim();
  return { proc, url: `${base}/graphql`, ownerKey, output: () => out };
}

export function exited(proc: ChildProcess): Promise<void> {
  return proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise((r) => proc.once('exit', () => r()));
}

/** Runs the grantql command line (`src/cli.ts`) to completion; `env` adds to its environment (GRANTQL_DATABASE_URL). */
export function runCli(args: string[], dataDir: string, env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [...TSX, 'src/cli.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, GRANTQL_DATA_DIR: dataDir, GRANTQL_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout!.on('data', (d) => (output += d));
    proc.stderr!.on('data', (d) => (output += d));
    proc.once('exit', (code) => resolve({ code, output }));
  });
}

/** POSTs an operation; a dropped connection (the server was killed) is `null`, not a throw. */
export async function post(url: string, key: string, query: string, variables: Record<string, unknown> = {}) {
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ query, variables }) });
    return { status: res.status, ...((await res.json()) as { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> }) };
  } catch {
    return null;
  }
}

/** Resident memory of a process, in bytes (Linux). */
export function rssOf(pid: number): number {
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

/** Resolves when the process has exited, or with 'timeout' after `ms` (it is then still running). */
export function exitWithin(proc: ChildProcess, ms: number): Promise<'exited' | 'timeout'> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve('exited');
    const timer = setTimeout(() => resolve('timeout'), ms);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve('exited');
    });
  });
}
