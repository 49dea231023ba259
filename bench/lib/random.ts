/** Seeded randomness for the benchmark data: the same seed gives the same data on every machine. */

/** sfc32: small, fast, and good enough for test data (never Math.random, so runs are reproducible). */
export function rng(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 ^ (seed * 31);
  let c = 0xb7e15162 ^ (seed * 17);
  let d = 1;
  const next = () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) next();
  return next;
}

export type Rand = () => number;

export function int(r: Rand, n: number): number {
  return Math.floor(r() * n);
}

export function pick<T>(r: Rand, items: readonly T[]): T {
  return items[int(r, items.length)]!;
}

/** Fisher–Yates, in place. */
export function shuffle<T>(r: Rand, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = int(r, i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/**
 * Zipf(s) over ranks 0..n-1 (rank 0 most popular), by binary search on the CDF.
 * Real check traffic is skewed: a few users, permissions and scopes take most requests.
 */
export function zipf(n: number, s = 1.0): (r: Rand) => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) cdf[k] = sum += 1 / Math.pow(k + 1, s);
  for (let k = 0; k < n; k++) cdf[k] = cdf[k]! / sum;
  return (r) => {
    const u = r();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** Zipf over a list whose popularity order is a seeded permutation (hot items spread over the list). */
export function zipfPicker<T>(r: Rand, items: readonly T[], s = 1.0): (r: Rand) => T {
  const order = shuffle(r, items.map((_, i) => i));
  const z = zipf(items.length, s);
  return (rr) => items[order[z(rr)]!]!;
}
