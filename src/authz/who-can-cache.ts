import type { OrgIndex } from './org-index.js';

/** How many (organization, permission, scope) answers are kept: each is a sorted id list. */
const ENTRIES = 16;

interface Entry {
  ix: OrgIndex;
  revision: number;
  /** The answer holds until the next window boundary (a grant opening or closing), then is recomputed. */
  until: number;
  ids: string[];
}

/**
 * whoCan's answers, kept while they stay true: a walk of every page asked the evaluator
 * for all holders once per page (54,462 holders at L: 32-36 ms per page, 4 s for the walk).
 * An answer is reused only for the same index object at the same revision and before the
 * index's next window boundary, so it is the evaluator's answer at that instant.
 */
export class WhoCanCache {
  private readonly entries = new Map<string, Entry>();

  get(ix: OrgIndex, key: string, now: number, compute: () => string[]): string[] {
    const k = `${ix.orgId}\u0000${key}`;
    const hit = this.entries.get(k);
    if (hit && hit.ix === ix && hit.revision === ix.revision && now < hit.until) {
      // Most recently used last, so the oldest goes first when full.
      this.entries.delete(k);
      this.entries.set(k, hit);
      return hit.ids;
    }
    const ids = compute();
    this.entries.delete(k);
    if (this.entries.size >= ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(k, { ix, revision: ix.revision, until: ix.boundaries.peek()?.at ?? Infinity, ids });
    return ids;
  }
}
