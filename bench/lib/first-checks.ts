import { can } from '../../src/authz/evaluator.js';
import type { OrgIndex } from '../../src/authz/org-index.js';
import type { PermissionRecord } from '../../src/domain/types.js';
import { stats, type Stats } from './report.js';

export interface Pass {
  /** Wall time of the whole pass, per-call clock reads included. */
  totalMs: number;
  /** Each call timed on its own (hrtime, ~50 ns of it the clock), in nanoseconds. */
  perCheck: Stats;
  /** The first call of the pass. */
  firstNs: number;
  allowed: number;
  samples: Float64Array;
}

/** One `can` per user, in order, each timed on its own: after an invalidation, every call is a lazy merge. */
export function checkPass(ix: OrgIndex, users: readonly string[], key: (i: number) => { perm: PermissionRecord; scopeId: string | null }): Pass {
  const samples = new Float64Array(users.length);
  let allowed = 0;
  const t0 = performance.now();
  for (let i = 0; i < users.length; i++) {
    const { perm, scopeId } = key(i);
    const a = process.hrtime.bigint();
    const ok = can(ix, users[i]!, perm, scopeId);
    samples[i] = Number(process.hrtime.bigint() - a);
    if (ok) allowed++;
  }
  return { totalMs: performance.now() - t0, perCheck: stats(samples), firstNs: samples[0] ?? NaN, allowed, samples };
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
