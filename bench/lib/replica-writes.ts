/**
 * The write workload of bench/writes.ts (patchPermissions of 1, 10, 100 … new grants per
 * mutation, each client sending its next mutation when the last returns) against a set
 * of servers at once: clients are spread over them round-robin. Every patch adds one
 * grant and one change, so the head must advance by exactly the grants that were
 * accepted. On PostgreSQL, rolled-back transactions count the commits that found their
 * base revision stale and were retried by the Writer. A refused mutation wrote nothing,
 * and is counted by its code.
 */
import type { PermissionPatch } from '../../src/services/grants.js';
import { REFUSALS, tryPatchPermissions, type Refusal } from './replica-client.js';
import type { Replica } from './replica-proc.js';
import { stats } from './report.js';

export interface WriteRow {
  target: string;
  servers: number;
  clients: number;
  ops: number;
  mutations: number;
  grants: number;
  grantsPerSecond: number;
  latencyMs: ReturnType<typeof stats>;
  /** Mutations refused, by code (they wrote nothing), and what the servers logged as errors meanwhile (by message). */
  refused: Record<Refusal, number>;
  serverErrors: Record<string, number>;
  /** PostgreSQL transactions rolled back during the row (stale-base commits, retried); null on SQLite. */
  rollbacks: number | null;
}

export interface WriteTarget {
  name: string;
  servers: Replica[];
  key: string;
  /** PostgreSQL's counters for the database, when the target is on it. */
  transactions?: () => Promise<{ rollbacks: number }>;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Sessions flush their statistics at most once a second, and within a second of going idle.
const STATS_SETTLE_MS = 1200;

export async function writeSeries(t: WriteTarget, clients: number, opsList: number[], budgetMs: number, next: () => PermissionPatch, minMutations = 5): Promise<WriteRow[]> {
  const rows: WriteRow[] = [];
  const first = await tryPatchPermissions(t.servers[0]!.url, t.key, [next()]);
  if (typeof first !== 'number') throw new Error(`${t.name}: ${first} on the first write`);
  let head = first;
  const counters = async () => (t.transactions ? (await pause(STATS_SETTLE_MS), await t.transactions()) : null);
  let before = await counters();
  for (const ops of opsList) {
    const lat: number[] = [];
    const refused = Object.fromEntries(REFUSALS.map((c) => [c, 0])) as Record<Refusal, number>;
    let accepted = 0;
    const logged = t.servers.map((s) => s.loggedErrors());
    const start = head;
    const t0 = performance.now();
    const worker = async (w: number) => {
      const server = t.servers[w % t.servers.length]!;
      while (performance.now() - t0 < budgetMs || lat.length < minMutations) {
        const patches = Array.from({ length: ops }, next);
        const t1 = performance.now();
        const rev = await tryPatchPermissions(server.url, t.key, patches);
        lat.push(performance.now() - t1);
        if (typeof rev !== 'number') refused[rev]++;
        else {
          accepted += ops;
          head = Math.max(head, rev);
        }
      }
    };
    await Promise.all(Array.from({ length: clients }, (_, w) => worker(w)));
    const seconds = (performance.now() - t0) / 1000;
    if (head - start !== accepted) throw new Error(`${t.name}: ${accepted} accepted patches advanced the revision by ${head - start}`);
    const after = await counters();
    const serverErrors: Record<string, number> = {};
    t.servers.forEach((s, k) => {
      for (const [msg, n] of s.loggedErrors()) {
        const d = n - (logged[k]!.get(msg) ?? 0);
        if (d > 0) serverErrors[msg] = (serverErrors[msg] ?? 0) + d;
      }
    });
    rows.push({
      target: t.name,
      servers: t.servers.length,
      clients,
      ops,
      mutations: lat.length,
      grants: accepted,
      grantsPerSecond: accepted / seconds,
      latencyMs: stats(lat),
      refused,
      serverErrors,
      rollbacks: before && after ? after.rollbacks - before.rollbacks : null,
    });
    before = after;
  }
  return rows;
}
