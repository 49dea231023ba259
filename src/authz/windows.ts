/** A grant's validity window [from, until) in ms since the epoch; null = open on that side. */
export interface Window {
  readonly from: number | null;
  readonly until: number | null;
  /** GRANT_STARTED was committed (or the window was already open when the grant was made). */
  readonly started: boolean;
}

/** Windows of one item at one scope key: one per source (null: a source without a window). */
export type Windows = Array<Window | null>;

export function inWindow(w: Window | null, now: number): boolean {
  return w === null || ((w.from === null || w.from <= now) && (w.until === null || now < w.until));
}

/** Whether an item held with these windows counts now (undefined: it has none, so always). */
export function activeIn(ws: Windows | undefined, now: number): boolean {
  if (ws === undefined) return true;
  for (const w of ws) if (inWindow(w, now)) return true;
  return false;
}

/** The latest instant an item held with these windows still counts, from `now` (Infinity: for ever; -Infinity: not now). */
export function heldUntil(ws: Windows | undefined, now: number): number {
  if (ws === undefined) return Infinity;
  let best = -Infinity;
  for (const w of ws) if (inWindow(w, now)) best = Math.max(best, w === null || w.until === null ? Infinity : w.until);
  return best;
}

export function sameWindow(a: { startsAt?: number | null; expiresAt?: number | null } | Window | null | undefined, b: Window | null | undefined): boolean {
  const af = a == null ? null : 'from' in a ? a.from : (a.startsAt ?? null);
  const au = a == null ? null : 'until' in a ? a.until : (a.expiresAt ?? null);
  return af === (b?.from ?? null) && au === (b?.until ?? null);
}

/** A window boundary to announce: a window opening (GRANT_STARTED) or closing (GRANT_EXPIRED). */
export interface Boundary {
  at: number;
  type: 'GRANT_STARTED' | 'GRANT_EXPIRED';
  subject: string;
  scopeKey: string;
  kind: 'p' | 'r';
  item: string;
  /** The window it belongs to: a boundary whose window was replaced or removed is void. */
  window: Window;
}

/** Boundaries by time: a binary min-heap; void entries are dropped when they surface. */
export class BoundaryHeap {
  private readonly items: Boundary[] = [];

  get size(): number {
    return this.items.length;
  }

  push(b: Boundary): void {
    const a = this.items;
    a.push(b);
    for (let i = a.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (a[parent]!.at <= a[i]!.at) break;
      [a[parent], a[i]] = [a[i]!, a[parent]!];
      i = parent;
    }
  }

  peek(): Boundary | undefined {
    return this.items[0];
  }

  pop(): Boundary | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]!.at < a[m]!.at) m = l;
        if (r < a.length && a[r]!.at < a[m]!.at) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}
