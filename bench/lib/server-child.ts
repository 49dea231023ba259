/**
 * The real server in its own process, for the over-the-wire benchmarks: the load
 * generator and the server must not share an event loop (or a core, where possible).
 * BENCH_DB: the SQLite file. Prints "READY <port>" once listening; stops on SIGTERM.
 */
import { buildApp } from '../../src/app.js';
import { defaultConfig } from '../../src/config.js';
import { createServices } from '../../src/services/container.js';

import { writeFileSync } from 'node:fs';
import { constants, PerformanceObserver } from 'node:perf_hooks';

// BENCH_GC=1: the server's garbage collections by kind, printed to stderr when it stops.
const gc = new Map<string, { count: number; ms: number }>();
if (process.env.BENCH_GC) {
  const kinds: Record<number, string> = { [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge', [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact', [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental marking', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks' };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = kinds[((e as unknown as { detail: { kind: number } }).detail).kind] ?? 'other';
      const k = gc.get(kind) ?? { count: 0, ms: 0 };
      gc.set(kind, { count: k.count + 1, ms: k.ms + e.duration });
    }
  }).observe({ entryTypes: ['gc'] });
}

// BENCH_HEAP_PROFILE=<file>: every allocation sampled (those collected since included) from
// start to stop, written as a .heapprofile (Chrome DevTools, or bench's own summaries).
const heapProfile = process.env.BENCH_HEAP_PROFILE;
let heapSession: import('node:inspector').Session | null = null;
if (heapProfile) {
  const { Session } = await import('node:inspector');
  heapSession = new Session();
  heapSession.connect();
  await new Promise<void>((resolve, reject) =>
    heapSession!.post('HeapProfiler.startSampling', { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never, (err) => (err ? reject(err) : resolve())),
  );
}

const file = process.env.BENCH_DB;
if (!file) throw new Error('BENCH_DB is not set');
const services = await createServices(
  file,
  defaultConfig({
    logLevel: 'silent',
    synchronous: process.env.GRANTQL_SYNCHRONOUS === 'NORMAL' ? 'NORMAL' : 'FULL',
    subscriptionBuffer: 100_000,
    // The fan-out benchmark opens up to 10,000 subscriptions with one key: above the
    // defaults (1,000 per key, 4,096 connections), which are a safety cap, not a capacity.
    maxSubscriptionsPerKey: 20_000,
    maxConnections: 20_000,
  }),
);
const app = buildApp(services);
const { port } = await app.start(0, '127.0.0.1');
process.stdout.write(`READY ${port}\n`);
let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  if (heapSession && heapProfile) {
    heapSession.post('HeapProfiler.stopSampling', (err, r) => {
      if (!err) writeFileSync(heapProfile, JSON.stringify((r as { profile: unknown }).profile));
    });
  }
  if (process.env.BENCH_GC) process.stderr.write(`server GC: ${[...gc].map(([k, v]) => `${k} ${v.count}× ${v.ms.toFixed(0)} ms`).join(', ')}\n`);
  void app.stop().finally(async () => {
    await services.close();
    process.exit(0);
  });
});
