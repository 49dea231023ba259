/**
 * Fan-out across replicas: N graphql-ws subscribers (bench/lib/fanout-client.ts, in
 * child processes of up to 1,250) on one replica, commits made on another (or the same)
 * one. Per delivery: receipt − the event's `at`; per commit: the last subscriber's.
 */
import type { ChildProcess } from 'node:child_process';
import type { PermissionPatch } from '../../src/services/grants.js';
import { spawnTs, stopChild, waitForLine } from './proc.js';
import { patchPermissions } from './replica-client.js';
import type { Replica } from './replica-proc.js';

const PER_PROCESS = 1250;
const WAIT_MS = 30_000;

interface Done {
  revision: number;
  received: number;
  latencies: number[];
}

function waitAll(children: ChildProcess[], revision: number, timeoutMs: number): Promise<Done[]> {
  return Promise.all(
    children.map((ch) => {
      const line = waitForLine(ch, 'DONE ', timeoutMs + 30_000);
      ch.stdin!.write(`WAIT ${revision} ${timeoutMs}\n`);
      return line.then((l) => JSON.parse(l) as Done);
    }),
  );
}

export interface FanoutRun {
  subscribers: number;
  clientProcesses: number;
  connectSeconds: number;
  rounds: number;
  /** Every delivery's receipt − at, ms. */
  deliveries: number[];
  /** Per commit: the last subscriber's receipt − at, ms. */
  last: number[];
  lost: number;
}

export async function fanout(writer: Replica, subscribersOn: Replica, key: string, n: number, rounds: number, next: () => PermissionPatch): Promise<FanoutRun> {
  const procs = Math.ceil(n / PER_PROCESS);
  const children = Array.from({ length: procs }, (_, k) => {
    const share = Math.floor(n / procs) + (k < n % procs ? 1 : 0);
    const ch = spawnTs('lib/fanout-client.ts', [subscribersOn.wsUrl, key, String(share)], {}, undefined, true);
    ch.setMaxListeners(0); // waitForLine adds an 'exit' listener per call, one per round here
    return ch;
  });
  const change = () => patchPermissions(writer.url, key, [next()]);
  try {
    const t0 = performance.now();
    await Promise.all(children.map((ch) => waitForLine(ch, 'READY', 120_000)));
    const connectSeconds = (performance.now() - t0) / 1000;
    let live = false;
    for (let attempt = 0; attempt < 10 && !live; attempt++) {
      const done = await waitAll(children, await change(), 5_000);
      live = done.reduce((s, d) => s + d.received, 0) === n;
    }
    if (!live) throw new Error(`${n} subscribers on ${subscribersOn.name}: not every subscription became live`);
    const deliveries: number[] = [];
    const last: number[] = [];
    let lost = 0;
    for (let r = 0; r < rounds; r++) {
      const done = await waitAll(children, await change(), WAIT_MS);
      const lat = done.flatMap((d) => d.latencies);
      deliveries.push(...lat);
      if (lat.length) last.push(Math.max(...lat));
      lost += n - lat.length;
      await new Promise((res) => setTimeout(res, 200));
    }
    return { subscribers: n, clientProcesses: procs, connectSeconds, rounds, deliveries, last, lost };
  } finally {
    for (const ch of children) ch.stdin!.write('EXIT\n');
    await Promise.all(children.map((ch) => stopChild(ch)));
  }
}
