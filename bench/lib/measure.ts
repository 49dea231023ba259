import { stats, type Stats } from './report.js';

export interface Measured extends Stats {
  /** Calls per second over the measured time (one thread). */
  throughput: number;
  calls: number;
  /** Calls per latency sample: each sample is the mean of one batch, timed with hrtime. */
  batch: number;
}

let sink = 0;

/**
 * Calls `fn(key)` over the keys in order (wrapping) for `budgetMs` or `maxCalls`,
 * timing batches of `batch` calls with process.hrtime.bigint; a sample is the mean
 * latency of one batch, in nanoseconds. Batching keeps the clock's own cost (~50 ns)
 * out of sub-microsecond calls.
 */
export function measure(fn: (key: number) => boolean, keys: ArrayLike<number>, batch: number, budgetMs: number, maxCalls = Infinity): Measured {
  const samples: number[] = [];
  const deadline = process.hrtime.bigint() + BigInt(Math.round(budgetMs * 1e6));
  let k = 0;
  let calls = 0;
  let total = 0;
  const n = keys.length;
  if (n === 0) return { ...stats([]), throughput: NaN, calls: 0, batch };
  while (calls < maxCalls) {
    const t0 = process.hrtime.bigint();
    for (let j = 0; j < batch; j++) {
      if (fn(keys[k]!)) sink++;
      if (++k === n) k = 0;
    }
    const t1 = process.hrtime.bigint();
    const ns = Number(t1 - t0);
    samples.push(ns / batch);
    total += ns;
    calls += batch;
    if (t1 > deadline) break;
  }
  return { ...stats(samples), throughput: calls / (total / 1e9), calls, batch };
}

/** Runs fn over the keys for a while first, so the JIT has compiled it before timing. */
export function warm(fn: (key: number) => boolean, keys: ArrayLike<number>, ms: number, maxCalls = 50_000): void {
  measure(fn, keys, 16, ms, maxCalls);
}

export function sunk(): number {
  return sink;
}
