import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = join(BENCH_DIR, '..');
const TSX = ['--import', 'tsx'];

let tasksetOk: boolean | null = null;
/** taskset exists and there is more than one core to spread over. */
export function canPin(): boolean {
  if (tasksetOk === null) {
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
      tasksetOk = cpus().length > 1;
    } catch {
      tasksetOk = false;
    }
  }
  return tasksetOk;
}

/** Pins every thread of this process to one core (the load generator's side). */
export function pinSelf(cpu: number): boolean {
  if (!canPin()) return false;
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
  return true;
}

/** A TypeScript entry in its own Node process, pinned to `cpu` when possible. */
export function spawnTs(script: string, args: string[], env: Record<string, string>, cpu?: number, stdin = false, nodeArgs: string[] = []): ChildProcess {
  // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the child processes.
  const extra = [...nodeArgs, ...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ').filter(Boolean) : [])];
  const node = [process.execPath, ...extra, ...TSX, join(BENCH_DIR, script), ...args];
  const [cmd, ...rest] = cpu !== undefined && canPin() ? ['taskset', '-c', String(cpu), ...node] : node;
  const child = spawn(cmd!, rest, { cwd: ROOT, env: { ...process.env, ...env }, stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'inherit'] });
  child.setMaxListeners(0); // each waitForLine adds an exit listener: a run of many waits is not a leak
  return child;
}

/** Resolves with the first stdout line starting with `prefix`; rejects if the process exits first. */
export function waitForLine(child: ChildProcess, prefix: string, timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no "${prefix}" within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith(prefix)) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          resolve(line.slice(prefix.length).trim());
          return;
        }
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`process exited with ${code} before "${prefix}"`));
    });
  });
}

export interface ServerChild {
  url: string;
  wsUrl: string;
  pid: number;
  pinned: boolean;
  stop(): Promise<void>;
}

/**
 * The real server (buildApp) over `dbFile`, in a child process on core 0, with
 * NODE_ENV=production as deployed (graphql-js runs extra development checks otherwise).
 */
export async function startServerChild(dbFile: string, env: Record<string, string> = {}): Promise<ServerChild> {
  // BENCH_SERVER_NODE_ARGS: Node flags for the server alone (the clients keep theirs).
  const serverArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawnTs('lib/server-child.ts', [], { BENCH_DB: dbFile, NODE_ENV: 'production', ...env }, 0, false, serverArgs);
  const port = await waitForLine(child, 'READY ');
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    pid: child.pid!,
    pinned: canPin(),
    stop: () => stopChild(child),
  };
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A scratch copy of a cached database for benchmarks that write (the cache stays pristine). */
export function scratchCopy(file: string, tag: string): { file: string; remove(): void } {
  const dir = join(BENCH_DIR, '.cache', 'scratch');
  mkdirSync(dir, { recursive: true });
  const copy = join(dir, `${tag}-${process.pid}.db`);
  copyFileSync(file, copy);
  return {
    file: copy,
    remove: () => {
      for (const f of [copy, `${copy}-wal`, `${copy}-shm`]) if (existsSync(f)) rmSync(f);
    },
  };
}
