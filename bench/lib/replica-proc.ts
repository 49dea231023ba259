/**
 * A real grantql server process, as deployed: `node --import tsx src/main.ts` (what
 * `npm start` runs) with GRANTQL_DATA_DIR, PORT, HOST and, for a replica,
 * GRANTQL_DATABASE_URL. NODE_ENV=production; limits raised so a thousand subscribers
 * on one key fit. Resolves once /health answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/hardening/processes.js';
import { stopChild } from './proc.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');


export interface Replica {
  name: string;
  url: string;
  wsUrl: string;
  pid: number;
  /** owner.key in its data directory, if this process wrote one (the first start on an empty database). */
  ownerKey(): string | null;
  output(): string;
  /** Errors the server logged (level error or worse), counted by message, since it started. */
  loggedErrors(): Map<string, number>;
  stop(): Promise<void>;
}

export async function startReplica(name: string, dataDir: string, env: Record<string, string> = {}): Promise<Replica> {
  const port = await freePort();
  // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the servers too.
  const extra = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ').filter(Boolean) : [];
  const proc: ChildProcess = spawn(process.execPath, [...extra, '--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      GRANTQL_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      GRANTQL_LOG_LEVEL: 'warn',
      GRANTQL_MAX_SUBSCRIPTIONS_PER_KEY: '100000',
      GRANTQL_SUBSCRIPTION_BUFFER: '100000',
      GRANTQL_MAX_CONNECTIONS: '20000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let partial = '';
  const errors = new Map<string, number>();
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-20_000));
  proc.stdout!.on('data', (d: Buffer) => {
    keep(d);
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        const log = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
        if ((log.level ?? 0) >= 50) {
          const what = log.err?.message ?? log.msg ?? 'error';
          errors.set(what, (errors.get(what) ?? 0) + 1);
        }
      } catch {
        // not a log line
      }
    }
  });
  proc.stderr!.on('data', keep);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`replica ${name} exited with ${proc.exitCode}:\n${out}`);
    if (Date.now() > deadline) {
      await stopChild(proc);
      throw new Error(`replica ${name} did not become healthy:\n${out}`);
    }
    if (await fetch(`${base}/health`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const keyFile = join(dataDir, 'owner.key');
  return {
    name,
    url: `${base}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    pid: proc.pid!,
    ownerKey: () => (existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : null),
    output: () => out,
    loggedErrors: () => new Map(errors),
    stop: () => stopChild(proc),
  };
}
